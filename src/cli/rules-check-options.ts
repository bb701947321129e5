/**
 * `execward rules` and `execward rules check`: the option table and help (declarations and pure
 * parsing only). See option-table.ts for how to add an option: one entry in RULES_CHECK_OPTIONS.
 */
import { optionsHelp, parseArgs, usage, type OptionsOf } from "./option-table.js";

const HELP_COLUMN = 33;

export const RULES_HELP = `Usage: execward rules <COMMAND>

Work with .rules policy files.

Commands:
  check   Show what the .rules policy decides for a command (as \`codex execpolicy check\`)

Options:
  -h, --help   Print this help (\`execward rules check --help\` for the command's own).
`;

export const RULES_CHECK_OPTIONS = {
  rules: {
    kind: "values",
    short: "r",
    arg: "FILE",
    help: [
      "A rules file to load (repeatable; in order). Without it, the",
      "rules execward finds for this directory are loaded.",
    ],
  },
  discover: {
    kind: "flag",
    help: [
      "Also load the discovered rules ($CODEX_HOME/rules and trusted",
      "project .codex/rules) before the --rules files.",
    ],
  },
  "trust-project": {
    kind: "flag",
    help: "Load project .codex/rules even if config.toml does not trust it.",
  },
  "resolve-host-executables": {
    kind: "flag",
    help: ["Let absolute program paths match basename rules, gated by", "host_executable() lists."],
  },
  pretty: { kind: "flag", help: "Pretty-print the JSON." },
  lint: {
    kind: "flag",
    help: [
      "Warn about every allow rule of the loaded files whose program",
      "runs code from its working directory or arguments (make, npm,",
      "python, sh, env...): file:line: warning: ... on stderr. Exit 0",
      "when there are only warnings. COMMAND is then optional.",
    ],
  },
  help: { kind: "flag", short: "h", help: "Print this help." },
} as const;

export type RulesCheckOptions = OptionsOf<typeof RULES_CHECK_OPTIONS>;

export const RULES_CHECK_HELP = `Usage: execward rules check [OPTIONS] -- <COMMAND>...
       execward rules check --lint [OPTIONS] [-- <COMMAND>...]

Print what the policy decides for COMMAND, as JSON (the same as \`codex execpolicy check\`).
Warnings (allow rules for launchers and interpreters) go to stderr.

Options:
${optionsHelp(RULES_CHECK_OPTIONS, HELP_COLUMN)}`;

export type RulesCheckCommandLine =
  | { readonly help: true }
  | {
      readonly help: false;
      readonly options: RulesCheckOptions;
      /** The command's argv, exactly as given (possibly empty with --lint). */
      readonly command: readonly string[];
    };

/** Parses `execward rules check`'s arguments; a bad command line throws a usage error. */
export function parseRulesCheckCommandLine(argv: readonly string[]): RulesCheckCommandLine {
  const { options, rest } = parseArgs(argv, RULES_CHECK_OPTIONS);
  if (options.help) return { help: true };
  if (rest.length === 0 && !options.lint)
    throw usage("no command given (execward rules check [OPTIONS] -- <COMMAND>...)");
  return { help: false, options, command: rest };
}
