/**
 * The sandbox options shared by `run` and `mcp`, turned into a SandboxPolicy (pure): either a
 * whole policy as upstream's JSON (`--sandbox-policy`), or a mode with roots and a network flag.
 * Contradictions (a writable root under read-only, roots beside a JSON policy) are usage errors,
 * never quietly dropped.
 */
import path from "node:path";

import { parseSandboxPolicy, type SandboxPolicy } from "../sandbox/sandbox-policy.js";
import type { OptionSpec, ParsedCommandLine } from "./parse-command-line.js";
import { usage } from "./parse-command-line.js";

export const SANDBOX_OPTION_SPECS: readonly OptionSpec[] = [
  { name: "sandbox", kind: "value" },
  { name: "sandbox-policy", kind: "value" },
  { name: "writable-root", kind: "values" },
  { name: "readable-root", kind: "values" },
  { name: "network", kind: "flag" },
  { name: "bwrap", kind: "value" },
];

/** The help lines for these options, descriptions starting at `column` (as the command's). */
export function sandboxOptionsHelp(column: number, sandboxDescription: string): string {
  const entries: [string, string[]][] = [
    ["--sandbox <read-only|workspace-write|danger-full-access>", [sandboxDescription]],
    [
      "--writable-root <DIR>",
      [
        "With workspace-write: another directory the command may write",
        "(repeatable); the working directory, /tmp and $TMPDIR always are.",
      ],
    ],
    [
      "--readable-root <DIR>",
      [
        "Restrict reads to these directories (repeatable), the working",
        "directory and the system's (/usr, /etc, ...).",
      ],
    ],
    ["--network", ["Let the command use the network."]],
    ["--sandbox-policy <JSON>", ["The whole policy as upstream's SandboxPolicy JSON instead."]],
    ["--bwrap <PATH>", ["The bubblewrap binary (default: /usr/bin/bwrap, then PATH)."]],
  ];
  const pad = " ".repeat(column);
  return entries
    .map(([name, lines]) => {
      const head = `      ${name}`;
      const first =
        head.length + 1 <= column ? head.padEnd(column) + lines[0] : `${head}\n${pad}${lines[0]}`;
      return [first, ...lines.slice(1).map((line) => pad + line)].join("\n");
    })
    .join("\n")
    .concat("\n");
}

export type SandboxMode = "read-only" | "workspace-write" | "danger-full-access";

export function sandboxPolicyFromOptions(
  parsed: ParsedCommandLine,
  defaultMode: SandboxMode,
  cwd: string,
): SandboxPolicy {
  const json = parsed.values.get("sandbox-policy")?.[0];
  const mode = parsed.values.get("sandbox")?.[0];
  const writable = (parsed.values.get("writable-root") ?? []).map((dir) => path.resolve(cwd, dir));
  const readable = (parsed.values.get("readable-root") ?? []).map((dir) => path.resolve(cwd, dir));
  const network = parsed.flags.has("network");
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
    return parseSandboxPolicy(value);
  }
  const chosen = mode ?? defaultMode;
  if (chosen !== "read-only" && chosen !== "workspace-write" && chosen !== "danger-full-access")
    throw usage(
      `--sandbox must be read-only, workspace-write or danger-full-access (got ${chosen})`,
    );
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
