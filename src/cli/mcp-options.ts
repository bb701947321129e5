/**
 * `execward mcp`'s command line: its option table and help (declarations and pure parsing only,
 * so `execward mcp --help` loads neither the MCP SDK nor zod). See option-table.ts for how to add
 * an option: one entry in MCP_OPTIONS.
 */
import { AUDIT_OPTIONS } from "./audit-option-table.js";
import { NETWORK_OPTIONS } from "./network-option-table.js";
import { optionsHelp, parseArgs, usage, type OptionsOf } from "./option-table.js";
import { sandboxOptionTable } from "./sandbox-option-table.js";
import { SETTINGS_OPTIONS } from "./settings-option-table.js";

const HELP_COLUMN = 33;

export const MCP_OPTIONS = {
  bash: {
    kind: "value",
    arg: "PATH",
    help: "The shell binary (default: bash on PATH, or $CODEX_BASH_PATH).",
  },
  execve: {
    kind: "value",
    arg: "PATH",
    help: "The execve wrapper for --mode exec-wrapper (default: execward's).",
  },
  shell: {
    kind: "value",
    arg: "bash|zsh|sh",
    choices: ["bash", "zsh", "sh"],
    default: "bash",
    help: "Shell to look up on PATH when --bash is not given (default bash).",
  },
  mode: {
    kind: "value",
    arg: "preload|exec-wrapper",
    choices: ["preload", "exec-wrapper"],
    default: "preload",
    help: "preload (default) or exec-wrapper: see execward run --help.",
  },
  "preserve-program-paths": {
    kind: "flag",
    help: "Match rules against full program paths, not basenames.",
  },
  "escalation-env": {
    kind: "values",
    arg: "NAME",
    help: [
      "Let programs run outside the sandbox take NAME from the",
      "sandboxed command (repeatable; default: locale, terminal and",
      "time zone only, on top of execward's own environment).",
    ],
  },
  ...sandboxOptionTable("The sandbox until the client sends its own (default read-only)."),
  ...NETWORK_OPTIONS,
  ...AUDIT_OPTIONS,
  ...SETTINGS_OPTIONS,
  rules: {
    kind: "values",
    short: "r",
    arg: "FILE",
    help: "Also load this rules file (repeatable), after $CODEX_HOME/rules.",
  },
  "elicitation-timeout-ms": {
    kind: "value",
    arg: "MS",
    help: "How long an approval may stay unanswered (default 600000).",
  },
  version: { kind: "flag", short: "V", help: "Print the version." },
  help: { kind: "flag", short: "h", help: "Print this help." },
} as const;

export type McpOptions = OptionsOf<typeof MCP_OPTIONS>;

export const MCP_HELP = `Usage: execward mcp [OPTIONS]

Serve the \`shell\` tool over MCP (stdio): a drop-in for codex-exec-mcp-server.

Options:
${optionsHelp(MCP_OPTIONS, HELP_COLUMN)}`;

export type McpCommandLine =
  | { readonly help: true }
  | { readonly version: true; readonly help: false }
  | {
      readonly help: false;
      readonly version: false;
      readonly options: McpOptions;
      /** From --elicitation-timeout-ms, when given. */
      readonly elicitationTimeoutMs: number | undefined;
    };

/** Parses `execward mcp`'s arguments; a bad command line throws a usage error. */
export function parseMcpCommandLine(argv: readonly string[]): McpCommandLine {
  const { options, rest } = parseArgs(argv, MCP_OPTIONS);
  if (options.help) return { help: true };
  if (rest.length > 0) throw usage(`unexpected argument ${JSON.stringify(rest[0])}`);
  if (options.version) return { help: false, version: true };
  const timeout = options.elicitationTimeoutMs;
  if (timeout !== undefined && !/^\d+$/.test(timeout))
    throw usage("--elicitation-timeout-ms takes a number of milliseconds");
  return {
    help: false,
    version: false,
    options,
    elicitationTimeoutMs: timeout === undefined ? undefined : Number(timeout),
  };
}
