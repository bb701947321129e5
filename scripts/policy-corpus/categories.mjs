/**
 * The categories, their weights and builders, and the case list: each category gets its share
 * of `--count` (at least 8), duplicates dropped, ids in order. Categories run in this order, so
 * reordering them changes every case after.
 */
import { bindingError, valueError } from "./cases/argument-errors.mjs";
import { examplesFail, examplesPass } from "./cases/examples.mjs";
import { hostExecutable } from "./cases/host-executables.mjs";
import { networkRules } from "./cases/network-rules.mjs";
import { justificationCase, stringLiteralCase } from "./cases/strings.mjs";
import { errorPrecedence, syntaxError, syntaxLayout, unknownName } from "./cases/syntax.mjs";
import { unreadable } from "./cases/unreadable.mjs";
import {
  aggregation,
  canonical,
  multiFile,
  oddCommand,
  validRules,
} from "./cases/valid-policies.mjs";
import { makeRandom } from "./random.mjs";

export const CATEGORIES = [
  // [name, weight, builder]
  ["valid-rules", 12, validRules],
  ["aggregation", 5, aggregation],
  ["multi-file", 6, multiFile],
  ["justification", 4, justificationCase],
  ["string-literal", 6, stringLiteralCase],
  ["examples-pass", 6, examplesPass],
  ["examples-fail", 9, examplesFail],
  ["binding-error", 9, bindingError],
  ["value-error", 11, valueError],
  ["host-executable", 9, hostExecutable],
  ["canonical-matching", 4, canonical],
  ["syntax-layout", 4, syntaxLayout],
  ["syntax-error", 9, syntaxError],
  ["unknown-name", 3, unknownName],
  ["error-precedence", 5, errorPrecedence],
  ["odd-command", 4, oddCommand],
  ["network-rule", 4, networkRules],
  ["unreadable", 1, unreadable],
];

export function generateCases(options) {
  const r = makeRandom(options.seed);
  const totalWeight = CATEGORIES.reduce((sum, [, w]) => sum + w, 0);
  const cases = [];
  const seen = new Set();
  for (const [category, weight, build] of CATEGORIES) {
    const target = Math.max(8, Math.round((options.count * weight) / totalWeight));
    let made = 0;
    for (let attempt = 0; made < target && attempt < target * 20; attempt++) {
      const built = build(r);
      const entry = {
        category,
        files: built.files,
        command: built.command,
        resolveHostExecutables: built.resolveHostExecutables ?? false,
        pretty: built.pretty ?? false,
      };
      if (entry.command.length === 0) continue;
      const key = JSON.stringify([
        entry.files,
        entry.command,
        entry.resolveHostExecutables,
        entry.pretty,
      ]);
      if (seen.has(key)) continue;
      seen.add(key);
      cases.push(entry);
      made++;
    }
  }
  return cases.map((entry, i) => ({ id: `c${String(i + 1).padStart(4, "0")}`, ...entry }));
}
