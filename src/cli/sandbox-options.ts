/**
 * The sandbox options shared by `run` and `mcp`, turned into a SandboxPolicy (pure): either a
 * whole policy as upstream's JSON (`--sandbox-policy`), or a mode with roots and a network flag.
 * Contradictions (a writable root under read-only, roots beside a JSON policy) are usage errors,
 * never quietly dropped.
 */
import path from "node:path";

import { isExecwardError } from "../errors.js";
import { parseSandboxPolicy, type SandboxPolicy } from "../sandbox/sandbox-policy.js";
import { usage } from "./option-table.js";
import type { SandboxMode, SandboxOptions } from "./sandbox-option-table.js";

export type { SandboxMode, SandboxOptions } from "./sandbox-option-table.js";

export function sandboxPolicyFromOptions(
  options: SandboxOptions,
  defaultMode: SandboxMode,
  cwd: string,
): SandboxPolicy {
  const json = options.sandboxPolicy;
  const mode = options.sandbox;
  const writable = options.writableRoot.map((dir) => path.resolve(cwd, dir));
  const readable = options.readableRoot.map((dir) => path.resolve(cwd, dir));
  const network = options.network;
  if (json !== undefined) {
    if (mode !== undefined || writable.length > 0 || readable.length > 0 || network)
      throw usage(
        "--sandbox-policy gives the whole policy; it cannot be combined with --sandbox, --writable-root, --readable-root or --network",
      );
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch (error) {
      throw usage(`--sandbox-policy is not JSON: ${(error as Error).message}`);
    }
    try {
      return parseSandboxPolicy(value);
    } catch (error) {
      if (isExecwardError(error) && error.code === "invalid_sandbox_policy")
        throw usage(`--sandbox-policy: ${error.message}`);
      throw error;
    }
  }
  const chosen = mode ?? defaultMode;
  if (chosen === "danger-full-access") {
    if (writable.length > 0 || readable.length > 0 || network)
      throw usage(
        "danger-full-access has no sandbox: --writable-root, --readable-root and --network do not apply",
      );
    return { type: "danger-full-access" };
  }
  const access =
    readable.length > 0
      ? { type: "restricted" as const, include_platform_defaults: true, readable_roots: readable }
      : { type: "full-access" as const };
  if (chosen === "read-only") {
    if (writable.length > 0) throw usage("--writable-root needs --sandbox workspace-write");
    return { type: "read-only", access, network_access: network };
  }
  return {
    type: "workspace-write",
    writable_roots: writable,
    read_only_access: access,
    network_access: network,
    exclude_tmpdir_env_var: false,
    exclude_slash_tmp: false,
  };
}
