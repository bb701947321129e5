// Property tests: the parser never crashes (any text parses or fails with a located PolicyError),
// the trie index agrees with the plain definition of prefix matching, and rendered examples
// split back into the same words.
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { parsePolicy, PolicyError } from "../../../src/policy/index.js";
import { shlexJoin, shlexSplit } from "../../../src/policy/shlex.js";
import { policyFrom, TEST_PATHS } from "../../helpers/policy.js";

const FRAGMENTS = [
  "prefix_rule",
  "network_rule",
  "host_executable",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  ",",
  "=",
  ":",
  ";",
  "pattern",
  "decision",
  "match",
  "not_match",
  "justification",
  "canonical_matching",
  "host",
  "protocol",
  "name",
  "paths",
  '"git"',
  "'ls'",
  '"allow"',
  '"prompt"',
  '"forbidden"',
  '"""doc"""',
  'r"\\d"',
  '"\\x41"',
  '"\\q"',
  "True",
  "None",
  "1",
  "0x1f",
  "#c\n",
  "\n",
  " ",
  "  ",
  "\\\n",
  "x",
  "def",
  "for",
  "if",
  "lambda",
  "+",
  "-",
  ".",
  "*",
  '"',
  "'",
  "\\",
  "\r\n",
  "\t",
];

function checkOutcome(text: string): void {
  try {
    parsePolicy([{ name: "fuzz.rules", text }], { paths: TEST_PATHS });
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    const location = (error as PolicyError).location;
    expect(location?.path).toBe("fuzz.rules");
    expect(location?.line).toBeGreaterThanOrEqual(1);
    expect(location?.column).toBeGreaterThanOrEqual(1);
    expect((error as PolicyError).detail.length).toBeGreaterThan(0);
  }
}

describe("parser robustness", () => {
  it("parses or reports a located error for arbitrary text", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), checkOutcome), {
      numRuns: 3000,
    });
  });

  it("parses or reports a located error for token soup", () => {
    const soup = fc
      .array(fc.constantFrom(...FRAGMENTS), { maxLength: 40 })
      .map((parts) => parts.join(""));
    fc.assert(fc.property(soup, checkOutcome), { numRuns: 5000 });
  });
});

const TOKEN = fc.constantFrom("git", "ls", "a", "b", "c", "-x", "");
const PATTERN_ELEMENT = fc.oneof(
  TOKEN.map((token) => JSON.stringify(token)),
  fc.uniqueArray(TOKEN, { minLength: 1, maxLength: 3 }).map((alts) => JSON.stringify(alts)),
);
const RULE = fc.record({
  pattern: fc.array(PATTERN_ELEMENT, { minLength: 1, maxLength: 4 }),
  decision: fc.constantFrom("allow", "prompt", "forbidden"),
});

describe("rule index", () => {
  it("returns exactly the rules that match by definition, in definition order", () => {
    fc.assert(
      fc.property(
        fc.array(RULE, { maxLength: 25 }),
        fc.array(TOKEN, { minLength: 1, maxLength: 6 }),
        (rules, command) => {
          const text = rules
            .map(
              (rule) =>
                `prefix_rule(pattern=[${rule.pattern.join(", ")}], decision="${rule.decision}")`,
            )
            .join("\n");
          const policy = policyFrom(text);
          const expected = policy.prefixRules
            .filter(
              (rule) =>
                rule.program === command[0] &&
                command.length > rule.rest.length &&
                rule.rest.every((token, i) =>
                  token.kind === "single"
                    ? token.token === command[i + 1]
                    : token.tokens.includes(command[i + 1] as string),
                ),
            )
            .map((rule) => ({
              matchedPrefix: command.slice(0, rule.rest.length + 1),
              decision: rule.decision,
            }));
          expect(policy.evaluate(command).matchedRules).toEqual(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("example rendering", () => {
  it("splits a rendered example back into its words", () => {
    const word = fc.string({ unit: "grapheme", maxLength: 12 }).filter((w) => !w.includes("\0"));
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 5 }), (words) => {
        expect(shlexSplit(shlexJoin(words) ?? "")).toEqual(words);
      }),
      { numRuns: 3000 },
    );
  });
});
