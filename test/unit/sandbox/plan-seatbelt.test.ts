// The Seatbelt invocation for each policy: paths only as -D parameters, profile text pinned.
import { describe, expect, it } from "vitest";

import { planSeatbelt, SANDBOX_EXEC } from "../../../src/sandbox/plan-seatbelt.js";
import { parseSandboxPolicy } from "../../../src/sandbox/sandbox-policy.js";

describe("planSeatbelt", () => {
  it("read-only: reads allowed, no writes, no network", () => {
    const argv = planSeatbelt({
      policy: parseSandboxPolicy({ type: "read-only" }),
      writableRoots: [],
      command: ["bash", "-c", "true"],
    });
    expect(argv[0]).toBe(SANDBOX_EXEC);
    expect(argv.slice(3)).toEqual(["--", "bash", "-c", "true"]);
    const profile = argv[2] ?? "";
    expect(profile.startsWith("(version 1)\n(deny default)")).toBe(true);
    expect(profile).toContain("(allow file-read*)");
    expect(profile).not.toContain("file-write* (regex");
    expect(profile).not.toContain("network-outbound");
  });

  it("workspace-write: roots as parameters, read-only subpaths excluded, network when granted", () => {
    const argv = planSeatbelt({
      policy: parseSandboxPolicy({ type: "workspace-write", network_access: true }),
      writableRoots: [
        { path: "/Users/me/repo", readOnlySubpaths: ["/Users/me/repo/.git"] },
        { path: "/private/tmp", readOnlySubpaths: [] },
      ],
      command: ["true"],
    });
    expect(argv.slice(3)).toEqual([
      "-DWRITABLE_ROOT_0=/Users/me/repo",
      "-DWRITABLE_ROOT_0_RO_0=/Users/me/repo/.git",
      "-DWRITABLE_ROOT_1=/private/tmp",
      "--",
      "true",
    ]);
    expect(argv[2]).toContain(
      '(allow file-write*\n  (require-all (subpath (param "WRITABLE_ROOT_0")) (require-not (subpath (param "WRITABLE_ROOT_0_RO_0"))))\n  (subpath (param "WRITABLE_ROOT_1")))',
    );
    expect(argv[2]).toContain("(allow network-outbound)");
    expect(argv[2]).not.toContain("/Users/me");
  });

  it("restricted reads list only the readable roots", () => {
    const argv = planSeatbelt({
      policy: parseSandboxPolicy({ type: "read-only", access: { type: "restricted" } }),
      writableRoots: [],
      readableRoots: ["/usr", "/Users/me/repo"],
      command: ["true"],
    });
    expect(argv[2]).toContain(
      '(allow file-read*\n  (subpath (param "READABLE_ROOT_0"))\n  (subpath (param "READABLE_ROOT_1")))',
    );
    expect(argv[2]).not.toContain("(allow file-read*)");
    expect(argv.slice(3, 5)).toEqual([
      "-DREADABLE_ROOT_0=/usr",
      "-DREADABLE_ROOT_1=/Users/me/repo",
    ]);
  });
});
