/**
 * `execward run`'s command line: its option table, its help, and the command string (declarations
 * and pure parsing only, so `execward run --help` loads no sandbox, network or MCP code). See
 * option-table.ts for how to add an option: one entry in RUN_OPTIONS.
 */
import { AUDIT_OPTIONS } from "./audit-option-table.js";
import { NETWORK_OPTIONS } from "./network-option-table.js";
import { optionsHelp, parseArgs, usage, type OptionsOf } from "./option-table.js";
import { sandboxOptionTable } from "./sandbox-option-table.js";
import { SETTINGS_OPTIONS } from "./settings-option-table.js";
import { commandStringFromWords } from "./shell-quote.js";

const HELP_COLUMN = 31;

export const RUN_OPTIONS = {
  rules: {
    kind: "values",
    short: "r",
    arg: "FILE",
    help: "Also load this rules file (repeatable), after the discovered ones.",
  },
  "no-discover": { kind: "flag", help: "Load only the --rules files." },
  "trust-project": {
    kind: "flag",
    help: "Load project .codex/rules even if config.toml does not trust it.",
  },
  "preserve-program-paths": {
    kind: "flag",
    help: "Match rules against full program paths, not basenames.",
  },
  shell: {
    kind: "value",
    arg: "bash|zsh|sh",
    choices: ["bash", "zsh", "sh"],
    default: "bash",
    help: "The shell that runs the command (default bash).",
  },
  mode: {
    kind: "value",
    arg: "preload|exec-wrapper",
    choices: ["preload", "exec-wrapper"],
    default: "preload",
    help: [
      "preload (default): the exec hook sees every program of every",
      "dynamically linked descendant. exec-wrapper: a shell patched to",
      "honour EXEC_WRAPPER (give it with --bash) asks for its own execs.",
    ],
  },
  bash: { kind: "value", arg: "PATH", help: "The shell binary to use (e.g. a patched Bash)." },
  login: { kind: "flag", help: "Run the shell as a login shell (-lc)." },
  "escalation-env": {
    kind: "values",
    arg: "NAME",
    help: [
      "Let programs run outside the sandbox take NAME from the",
      "sandboxed command (repeatable). By default they get execward's",
      "own environment plus locale, terminal and time zone only.",
    ],
  },
  ...sandboxOptionTable("The sandbox the command runs in (default workspace-write)."),
  ...NETWORK_OPTIONS,
  ...AUDIT_OPTIONS,
  verbose: {
    kind: "flag",
    short: "v",
    help: "Print every exec and network decision on stderr as it happens.",
  },
  ...SETTINGS_OPTIONS,
  help: { kind: "flag", short: "h", help: "Print this help." },
} as const;

export type RunOptions = OptionsOf<typeof RUN_OPTIONS>;

export const RUN_HELP = `Usage: execward run [OPTIONS] -- <COMMAND STRING>
       execward run [OPTIONS] -- <WORD>...

Run a shell command with every program it starts decided by the .rules policy.

One argument after the options is the command string, given to the shell as written
(\`execward run -- 'ls *.md | wc -l'\`). Several are words of one command: each is quoted for
the shell, so it sees exactly those words (\`execward run -- ls -la "a b"\` lists the file "a b").

Options:
${optionsHelp(RUN_OPTIONS, HELP_COLUMN)}`;

export type RunCommandLine =
  | { readonly help: true }
  | { readonly help: false; readonly options: RunOptions; readonly command: string };

/** Parses `execward run`'s arguments; a bad command line throws a usage error. */
export function parseRunCommandLine(argv: readonly string[]): RunCommandLine {
  const { options, rest } = parseArgs(argv, RUN_OPTIONS);
  if (options.help) return { help: true };
  if (rest.length === 0)
    throw usage("no command given (execward run [OPTIONS] -- <COMMAND STRING>)");
  return { help: false, options, command: commandStringFromWords(rest) };
}
