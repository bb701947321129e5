/**
 * `execward rules check`: what the policy decides for one command, as `codex execpolicy check`.
 *
 * With `--rules` files it reads exactly those (codex's behaviour, so both tools can be compared);
 * without, or with `--discover`, it reads the layers execward itself would use in this directory
 * (`$CODEX_HOME/rules`, trusted project `.codex/rules`). Invalid rules: the located error on
 * stderr and exit 1, nothing on stdout.
 *
 * Warnings never touch stdout (it stays byte-identical to codex's): when the command is allowed
 * by a rule for a launcher or interpreter (make, npm, python, sh, env... see
 * src/policy/lint-rules.ts), a warning on stderr says the rule cannot confine it; `--lint`
 * warns about every such rule of the loaded files, with its file and line, command or not.
 */
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { isExecwardError } from "../errors.js";
import {
  discoverRules,
  formatCheckOutput,
  formatLintWarning,
  formatLocation,
  launcherReason,
  lintRulesText,
  loadPolicy,
  PolicyError,
  type Evaluation,
} from "../policy/index.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliIo } from "./cli-io.js";
import { parseCommandLine, usage } from "./parse-command-line.js";

export const RULES_CHECK_HELP = `Usage: execward rules check [OPTIONS] -- <COMMAND>...
       execward rules check --lint [OPTIONS] [-- <COMMAND>...]

Print what the policy decides for COMMAND, as JSON (the same as \`codex execpolicy check\`).
Warnings (allow rules for launchers and interpreters) go to stderr.

Options:
  -r, --rules <FILE>             A rules file to load (repeatable; in order). Without it, the
                                 rules execward finds for this directory are loaded.
      --discover                 Also load the discovered rules ($CODEX_HOME/rules and trusted
                                 project .codex/rules) before the --rules files.
      --trust-project            Load project .codex/rules even if config.toml does not trust it.
      --resolve-host-executables Let absolute program paths match basename rules, gated by
                                 host_executable() lists.
      --pretty                   Pretty-print the JSON.
      --lint                     Warn about every allow rule of the loaded files whose program
                                 runs code from its working directory or arguments (make, npm,
                                 python, sh, env...): file:line: warning: ... on stderr. Exit 0
                                 when there are only warnings. COMMAND is then optional.
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
      { name: "lint", kind: "flag" },
      { name: "help", short: "h", kind: "flag" },
    ]);
    if (parsed.flags.has("help")) {
      io.stdout.write(RULES_CHECK_HELP);
      return EXIT_OK;
    }
    if (parsed.rest.length === 0 && !parsed.flags.has("lint"))
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
    if (parsed.flags.has("lint")) {
      for (const file of files) {
        for (const warning of lintRulesText(file, await readFile(file, "utf8"))) {
          io.stderr.write(`${formatLintWarning(warning)}\n`);
        }
      }
    }
    if (parsed.rest.length === 0) return EXIT_OK;
    const evaluation = policy.evaluate(
      parsed.rest,
      parsed.flags.has("resolve-host-executables") ? { resolveHostExecutables: paths } : {},
    );
    io.stdout.write(`${formatCheckOutput(evaluation, parsed.flags.has("pretty"))}\n`);
    if (!parsed.flags.has("lint")) {
      for (const warning of allowedLauncherWarnings(evaluation)) io.stderr.write(`${warning}\n`);
    }
    return EXIT_OK;
  } catch (error) {
    if (error instanceof PolicyError) {
      io.stderr.write(`${describePolicyError(error)}\n`);
      return EXIT_FAILURE;
    }
    throw error;
  }
}

/**
 * A warning per matched `allow` rule for a launcher, when the command would be allowed (a
 * stricter rule that also matched means it would not run outside the sandbox).
 */
function allowedLauncherWarnings(evaluation: Evaluation): string[] {
  if (evaluation.decision !== "allow") return [];
  const warnings = new Set<string>();
  for (const match of evaluation.matchedRules) {
    const [program, ...rest] = match.matchedPrefix;
    if (match.decision !== "allow" || program === undefined) continue;
    const reason = launcherReason(
      program,
      rest.map((token) => ({ kind: "single", token })),
    );
    if (reason !== undefined) {
      warnings.add(
        `execward: warning: allow rule for ${JSON.stringify(match.matchedPrefix.join(" "))} ` +
          `runs ${program} outside the sandbox: ${reason}`,
      );
    }
  }
  return [...warnings];
}

/** `execward: failed to parse policy at F` and the located error, for people. */
export function describePolicyError(error: PolicyError): string {
  if (error.location === undefined) return `execward: ${error.detail}`;
  return (
    `execward: failed to parse policy at ${error.location.path}\n` +
    `  ${formatLocation(error.location)}: ${error.detail}`
  );
}
