/**
 * `execward rules check`: what the policy decides for one command, as `codex execpolicy check`.
 *
 * With `--rules` files it reads exactly those (codex's behaviour, so both tools can be compared);
 * without, or with `--discover`, it reads the layers execward itself would use in this directory
 * (`$CODEX_HOME/rules`, trusted project `.codex/rules`). Invalid rules: the located error on
 * stderr and exit 1, nothing on stdout.
 */
import os from "node:os";
import path from "node:path";

import { isExecwardError } from "../errors.js";
import {
  discoverRules,
  formatCheckOutput,
  formatLocation,
  loadPolicy,
  PolicyError,
} from "../policy/index.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliIo } from "./cli-io.js";
import { parseCommandLine, usage } from "./parse-command-line.js";

export const RULES_CHECK_HELP = `Usage: execward rules check [OPTIONS] -- <COMMAND>...

Print what the policy decides for COMMAND, as JSON (the same as \`codex execpolicy check\`).

Options:
  -r, --rules <FILE>             A rules file to load (repeatable; in order). Without it, the
                                 rules execward finds for this directory are loaded.
      --discover                 Also load the discovered rules ($CODEX_HOME/rules and trusted
                                 project .codex/rules) before the --rules files.
      --trust-project            Load project .codex/rules even if config.toml does not trust it.
      --resolve-host-executables Let absolute program paths match basename rules, gated by
                                 host_executable() lists.
      --pretty                   Pretty-print the JSON.
  -h, --help                     Print this help.
`;

export async function runRulesCheck(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(argv, [
      { name: "rules", short: "r", kind: "values" },
      { name: "discover", kind: "flag" },
      { name: "trust-project", kind: "flag" },
      { name: "resolve-host-executables", kind: "flag" },
      { name: "pretty", kind: "flag" },
      { name: "help", short: "h", kind: "flag" },
    ]);
    if (parsed.flags.has("help")) {
      io.stdout.write(RULES_CHECK_HELP);
      return EXIT_OK;
    }
    if (parsed.rest.length === 0)
      throw usage("no command given: execward rules check [OPTIONS] -- <COMMAND>...");
  } catch (error) {
    if (isExecwardError(error) && error.code === "usage") {
      io.stderr.write(`execward: ${error.message}\n${RULES_CHECK_HELP}`);
      return EXIT_USAGE;
    }
    throw error;
  }

  const explicit = (parsed.values.get("rules") ?? []).map((file) => file);
  const home = io.env.HOME ?? os.homedir();
  const paths = { cwd: io.cwd, home };
  try {
    let files = explicit;
    if (explicit.length === 0 || parsed.flags.has("discover")) {
      const discovered = await discoverRules({
        cwd: io.cwd,
        codexHome: io.env.CODEX_HOME ?? path.join(home, ".codex"),
        trustProject: parsed.flags.has("trust-project"),
      });
      for (const notice of discovered.notices) {
        io.stderr.write(`execward: note: ${notice.path}: ${notice.reason}\n`);
      }
      files = [...discovered.files, ...explicit];
    }
    const policy = await loadPolicy(files, { paths });
    const evaluation = policy.evaluate(
      parsed.rest,
      parsed.flags.has("resolve-host-executables") ? { resolveHostExecutables: paths } : {},
    );
    io.stdout.write(`${formatCheckOutput(evaluation, parsed.flags.has("pretty"))}\n`);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof PolicyError) {
      io.stderr.write(`${describePolicyError(error)}\n`);
      return EXIT_FAILURE;
    }
    throw error;
  }
}

/** `execward: failed to parse policy at F` and the located error, for people. */
export function describePolicyError(error: PolicyError): string {
  if (error.location === undefined) return `execward: ${error.detail}`;
  return (
    `execward: failed to parse policy at ${error.location.path}\n` +
    `  ${formatLocation(error.location)}: ${error.detail}`
  );
}
