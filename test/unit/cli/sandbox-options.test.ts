// The sandbox options of `run` and `mcp` turned into a SandboxPolicy: defaults, roots, network,
// a whole JSON policy, and a usage error for every contradiction.
import { describe, expect, it } from "vitest";

import { parseArgs } from "../../../src/cli/option-table.js";
import { sandboxOptionTable } from "../../../src/cli/sandbox-option-table.js";
import { sandboxPolicyFromOptions, type SandboxMode } from "../../../src/cli/sandbox-options.js";
import { isExecwardError, type ExecwardError } from "../../../src/errors.js";
import { parseSandboxPolicy, type SandboxPolicy } from "../../../src/sandbox/sandbox-policy.js";

const CWD = "/work/repo";

function policyFrom(argv: string[], defaultMode: SandboxMode = "workspace-write"): SandboxPolicy {
  return sandboxPolicyFromOptions(
    parseArgs(argv, sandboxOptionTable("The sandbox.")).options,
    defaultMode,
    CWD,
  );
}

function thrown(run: () => unknown): ExecwardError {
  try {
    run();
  } catch (error) {
    if (isExecwardError(error)) return error;
    throw error;
  }
  throw new Error("expected an ExecwardError");
}

describe("sandboxPolicyFromOptions", () => {
  it("gives the default mode's whole policy when no option is set", () => {
    expect(policyFrom([])).toEqual({
      type: "workspace-write",
      writable_roots: [],
      read_only_access: { type: "full-access" },
      network_access: false,
      exclude_tmpdir_env_var: false,
      exclude_slash_tmp: false,
    });
    expect(policyFrom([], "read-only")).toEqual({
      type: "read-only",
      access: { type: "full-access" },
      network_access: false,
    });
    expect(policyFrom([], "danger-full-access")).toEqual({ type: "danger-full-access" });
  });

  it("resolves --writable-root against the working directory", () => {
    expect(
      policyFrom(["--writable-root", "out", "--writable-root", "/data", "--writable-root=../x"]),
    ).toMatchObject({
      type: "workspace-write",
      writable_roots: ["/work/repo/out", "/data", "/work/x"],
    });
  });

  it("--readable-root restricts reads, with the platform defaults", () => {
    expect(policyFrom(["--sandbox", "read-only", "--readable-root", "docs"])).toEqual({
      type: "read-only",
      access: {
        type: "restricted",
        include_platform_defaults: true,
        readable_roots: ["/work/repo/docs"],
      },
      network_access: false,
    });
    expect(policyFrom(["--readable-root", "/srv"])).toMatchObject({
      type: "workspace-write",
      read_only_access: {
        type: "restricted",
        include_platform_defaults: true,
        readable_roots: ["/srv"],
      },
    });
  });

  it("--network gives the network", () => {
    expect(policyFrom(["--network"])).toMatchObject({
      type: "workspace-write",
      network_access: true,
    });
    expect(policyFrom(["--network"], "read-only")).toMatchObject({
      type: "read-only",
      network_access: true,
    });
  });

  it("--sandbox danger-full-access overrides the default", () => {
    expect(policyFrom(["--sandbox", "danger-full-access"], "read-only")).toEqual({
      type: "danger-full-access",
    });
  });

  it("takes a whole policy as JSON, with upstream's defaults filled in", () => {
    const json = { type: "workspace-write", writable_roots: ["/data"], network_access: true };
    expect(policyFrom(["--sandbox-policy", JSON.stringify(json)], "read-only")).toEqual(
      parseSandboxPolicy(json),
    );
    expect(policyFrom(["--sandbox-policy", JSON.stringify(json)])).toEqual({
      type: "workspace-write",
      writable_roots: ["/data"],
      read_only_access: { type: "full-access" },
      network_access: true,
      exclude_tmpdir_env_var: false,
      exclude_slash_tmp: false,
    });
  });

  it.each([
    [
      "workspace-write",
      ["--sandbox", "read-only", "--writable-root", "x"],
      "--writable-root needs",
    ],
    ["read-only", ["--writable-root", "x"], "--writable-root needs --sandbox workspace-write"],
    [
      "read-only",
      ["--sandbox", "danger-full-access", "--writable-root", "x"],
      "danger-full-access has no",
    ],
    [
      "read-only",
      ["--sandbox", "danger-full-access", "--readable-root", "x"],
      "danger-full-access has no",
    ],
    ["read-only", ["--sandbox", "danger-full-access", "--network"], "danger-full-access has no"],
    ["danger-full-access", ["--network"], "danger-full-access has no sandbox"],
    [
      "read-only",
      ["--sandbox-policy", '{"type":"read-only"}', "--sandbox", "read-only"],
      "cannot be combined",
    ],
    [
      "read-only",
      ["--sandbox-policy", '{"type":"read-only"}', "--writable-root", "x"],
      "cannot be combined",
    ],
    [
      "read-only",
      ["--sandbox-policy", '{"type":"read-only"}', "--readable-root", "x"],
      "cannot be combined",
    ],
    ["read-only", ["--sandbox-policy", '{"type":"read-only"}', "--network"], "cannot be combined"],
    ["read-only", ["--sandbox-policy", "{type: read-only}"], "--sandbox-policy is not JSON: "],
    [
      "read-only",
      ["--sandbox", "full"],
      "--sandbox must be read-only, workspace-write or danger-full-access (got full)",
    ],
  ] as const)("default %s, %j: usage error %j", (defaultMode, argv, message) => {
    const error = thrown(() => policyFrom([...argv], defaultMode));
    expect(error.code).toBe("usage");
    expect(error.message).toContain(message);
  });

  it("rejects an invalid policy in --sandbox-policy as a usage error", () => {
    expect(thrown(() => policyFrom(["--sandbox-policy", '{"type":"bogus"}']))).toMatchObject({
      code: "usage",
    });
    expect(
      thrown(() =>
        policyFrom(["--sandbox-policy", '{"type":"workspace-write","writable_roots":["x"]}']),
      ),
    ).toMatchObject({
      code: "usage",
      message:
        "--sandbox-policy: invalid sandbox policy: writable_roots.0: must be an absolute path",
    });
  });
});
