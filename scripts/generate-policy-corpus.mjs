#!/usr/bin/env node
/**
 * Generates the differential corpus for execward's `.rules` engine against the reference
 * `codex execpolicy check`, and records what the reference answered for every case.
 *
 *   node scripts/generate-policy-corpus.mjs --codex <path-to-codex> [--count N] [--seed S]
 *     [--out test/fixtures/policy-differential/corpus.json]
 *
 * Cases are built from a seeded PRNG, so the same seed yields the same corpus. Each case is one or
 * more rules files, a command and flags; the reference runs it with cwd `/` and HOME set to a
 * fresh temporary directory, whose path is replaced by `/home/execward-corpus` in what it printed
 * so the fixture is portable (test/integration/policy-differential.test.ts evaluates with exactly
 * those paths). Only the Starlark surface execward evaluates goes in: calls to the three builtins
 * with literal arguments, comments, strings, lists, tuples, dicts, ints, True/False/None, and the
 * syntax errors, name errors and binding/value errors a person can make with them. No
 * dependencies; plain Node.
 *
 * The reference HOME is `<tmp>/home/execward-corpus`, so `~` resolves to a directory with the same
 * name as the fixed home; rules text naming the fixed home is rewritten to the real one before
 * codex reads it. Each case records `expected`: `{ok: true, stdout}` (stdout exactly), or
 * `{ok: false, failingFile, kind, message, line?, column?}` where `kind` is `read` (the file
 * could not be read; `message` is "failed to read policy at <name>: <cause>"), `validation` (a
 * `match` / `not_match` failure, no location), `name` (an unknown name), `parse` (any other error
 * codex reports without a traceback: syntax, misplaced or repeated arguments, repeated dict keys)
 * or `eval` (an error raised by a builtin while the file runs). `line`/`column` are omitted when codex points
 * past the end of the file (it then prints a bogus 1:1 without a source line).
 *
 * The parts live in scripts/policy-corpus/, one concern each, in the order a case is made:
 *   random.mjs             the seeded PRNG every choice goes through (in a fixed order)
 *   vocabulary.mjs         programs, arguments, odd tokens, justifications, decisions
 *   starlark-literals.mjs  values as Starlark literals, in every valid quoting/escape style
 *   rules-text.mjs         builtin calls with random layouts, statements joined into files
 *   random-rules.mjs       random rules, commands that match or almost match, examples
 *   cases/*.mjs            one builder per category (valid policies, strings, examples,
 *                          argument errors, network rules, host executables, syntax, unreadable)
 *   categories.mjs         categories with weights, in order, and the case list
 *   reference.mjs          running `codex execpolicy check` and parsing what it printed
 *   corpus-file.mjs        writing the fixture; command-line.mjs, paths.mjs
 * Changing any builder, or the order of the calls it makes on the PRNG, changes the corpus:
 * regenerate it with the reference and review the diff. A refactoring must leave the output
 * byte-identical (check by running old and new with the same --codex and comparing).
 */
import path from "node:path";

import { generateCases } from "./policy-corpus/categories.mjs";
import { parseArgs } from "./policy-corpus/command-line.mjs";
import { writeCorpus } from "./policy-corpus/corpus-file.mjs";
import { runAll } from "./policy-corpus/reference.mjs";

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const cases = generateCases(options);
  process.stderr.write(`running the reference on ${cases.length} cases...\n`);
  const version = await runAll(options, cases);
  writeCorpus(options, cases, version);
  const counts = {};
  for (const entry of cases) {
    const key = `${entry.category} ${entry.expected.ok ? "ok" : entry.expected.kind}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  for (const [key, n] of Object.entries(counts).sort()) process.stderr.write(`  ${key}: ${n}\n`);
  process.stderr.write(
    `wrote ${cases.length} cases to ${path.relative(process.cwd(), options.out)}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
