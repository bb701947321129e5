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
import { EXIT_FAILURE, EXIT_OK, type CliIo } from "./cli-io.js";
import type { RulesCheckOptions } from "./rules-check-options.js";

/** Runs an already parsed command line (see rules-check-options.ts). */
export async function runRulesCheck(
  options: RulesCheckOptions,
  command: readonly string[],
  io: CliIo,
): Promise<number> {
  const explicit = options.rules;
  const home = io.env.HOME ?? os.homedir();
  const paths = { cwd: io.cwd, home };
  try {
    let files = explicit;
    if (explicit.length === 0 || options.discover) {
      const discovered = await discoverRules({
        cwd: io.cwd,
        codexHome: io.env.CODEX_HOME ?? path.join(home, ".codex"),
        trustProject: options.trustProject,
      });
      for (const notice of discovered.notices) {
        io.stderr.write(`execward: note: ${notice.path}: ${notice.reason}\n`);
      }
      files = [...discovered.files, ...explicit];
    }
    const policy = await loadPolicy(files, { paths });
    if (options.lint) {
      for (const file of files) {
        for (const warning of lintRulesText(file, await readFile(file, "utf8"))) {
          io.stderr.write(`${formatLintWarning(warning)}\n`);
        }
      }
    }
    if (command.length === 0) return EXIT_OK;
    const evaluation = policy.evaluate(
      command,
      options.resolveHostExecutables ? { resolveHostExecutables: paths } : {},
    );
    io.stdout.write(`${formatCheckOutput(evaluation, options.pretty)}\n`);
    if (!options.lint) {
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
