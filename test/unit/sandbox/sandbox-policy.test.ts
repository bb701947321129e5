// The SandboxPolicy JSON as upstream writes it, its defaults, its errors, and the writable roots
// it implies.
import { describe, expect, it } from "vitest";

import {
  hasFullNetworkAccess,
  parseSandboxPolicy,
  writableRoots,
} from "../../../src/sandbox/sandbox-policy.js";

describe("parseSandboxPolicy", () => {
  it("fills upstream's defaults", () => {
    expect(parseSandboxPolicy({ type: "read-only" })).toEqual({
      type: "read-only",
      access: { type: "full-access" },
      network_access: false,
    });
    expect(parseSandboxPolicy({ type: "workspace-write" })).toEqual({
      type: "workspace-write",
      writable_roots: [],
      read_only_access: { type: "full-access" },
      network_access: false,
      exclude_tmpdir_env_var: false,
      exclude_slash_tmp: false,
    });
    expect(parseSandboxPolicy({ type: "read-only", access: { type: "restricted" } })).toEqual({
      type: "read-only",
      access: { type: "restricted", include_platform_defaults: true, readable_roots: [] },
      network_access: false,
    });
  });

  it.each([
    [{ type: "bogus" }, "invalid sandbox policy: type"],
    [{}, "invalid sandbox policy: type"],
    ["read-only", "invalid sandbox policy: sandbox policy"],
    [
      { type: "workspace-write", writable_roots: ["relative"] },
      "invalid sandbox policy: writable_roots.0: must be an absolute path",
    ],
    [{ type: "workspace-write", network_access: "yes" }, "invalid sandbox policy: network_access"],
    [
      { type: "read-only", access: { type: "restricted", readable_roots: ["x"] } },
      "invalid sandbox policy: access.readable_roots.0",
    ],
  ])("rejects %j", (value, message) => {
    expect(() => parseSandboxPolicy(value)).toThrow(message);
  });

  it("knows which policies have the full network", () => {
    expect(
      [
        { type: "danger-full-access" },
        { type: "read-only" },
        { type: "read-only", network_access: true },
        { type: "workspace-write", network_access: true },
        { type: "external-sandbox" },
        { type: "external-sandbox", network_access: "enabled" },
      ].map((value) => hasFullNetworkAccess(parseSandboxPolicy(value))),
    ).toEqual([true, false, true, true, false, true]);
  });
});

describe("writableRoots", () => {
  it("adds the working directory, /tmp and $TMPDIR to workspace-write roots", () => {
    const policy = parseSandboxPolicy({
      type: "workspace-write",
      writable_roots: ["/data", "/work/repo"],
    });
    expect(writableRoots(policy, "/work/repo", "/var/tmp/me")).toEqual({
      everything: false,
      roots: ["/data", "/work/repo", "/tmp", "/var/tmp/me"],
    });
  });

  it("honours the exclusions, and read-only writes nowhere", () => {
    const policy = parseSandboxPolicy({
      type: "workspace-write",
      exclude_slash_tmp: true,
      exclude_tmpdir_env_var: true,
    });
    expect(writableRoots(policy, "/w", "/t")).toEqual({ everything: false, roots: ["/w"] });
    expect(writableRoots(parseSandboxPolicy({ type: "read-only" }), "/w", "/t")).toEqual({
      everything: false,
      roots: [],
    });
    expect(writableRoots(parseSandboxPolicy({ type: "danger-full-access" }), "/w", "/t")).toEqual({
      everything: true,
    });
  });
});
