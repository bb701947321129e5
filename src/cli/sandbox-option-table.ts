/**
 * The sandbox options shared by `run` and `mcp`, as an option table (declarations only: this
 * module stays cheap to load, so `--help` needs no sandbox code). sandbox-options.ts turns the
 * parsed values into a SandboxPolicy.
 */
import type { OptionsOf } from "./option-table.js";

const SANDBOX_MODES = ["read-only", "workspace-write", "danger-full-access"] as const;

/** The table, with the `--sandbox` description of the command (which names its default). */
export function sandboxOptionTable(sandboxDescription: string) {
  return {
    sandbox: {
      kind: "value",
      arg: SANDBOX_MODES.join("|"),
      choices: SANDBOX_MODES,
      help: sandboxDescription,
    },
    "writable-root": {
      kind: "values",
      arg: "DIR",
      help: [
        "With workspace-write: another directory the command may write",
        "(repeatable); the working directory, /tmp and $TMPDIR always are.",
      ],
    },
    "readable-root": {
      kind: "values",
      arg: "DIR",
      help: [
        "Restrict reads to these directories (repeatable), the working",
        "directory and the system's (/usr, /etc, ...).",
      ],
    },
    network: { kind: "flag", help: "Let the command use the network." },
    "sandbox-policy": {
      kind: "value",
      arg: "JSON",
      help: "The whole policy as upstream's SandboxPolicy JSON instead.",
    },
    bwrap: {
      kind: "value",
      arg: "PATH",
      help: "The bubblewrap binary (default: /usr/bin/bwrap, then PATH).",
    },
  } as const;
}

export type SandboxOptions = OptionsOf<ReturnType<typeof sandboxOptionTable>>;
export type SandboxMode = (typeof SANDBOX_MODES)[number];
