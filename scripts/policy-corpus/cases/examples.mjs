/**
 * Case builders for `match` / `not_match` examples: ones that pass, and ones that fail with
 * messages carrying Rust Debug renderings and shell-quoted examples.
 */
import {
  asExample,
  commandFor,
  instantiate,
  matchingExample,
  nonMatchingExample,
  programPath,
  programsOf,
  randomPattern,
  randomRule,
} from "../random-rules.mjs";
import { fileText, hostExecutableText, prefixRuleText } from "../rules-text.mjs";
import { DECISIONS, JUSTIFICATIONS, ODD_TOKENS, PROGRAMS } from "../vocabulary.mjs";

/** Examples that pass: `match` examples matched by the call's rules, `not_match` ones not. */
export function examplesPass(r) {
  const rules = Array.from({ length: r.int(1, 3) }, () => {
    const canonical = r.chance(0.1) ? true : undefined;
    const pattern = randomPattern(r, { odd: 0.1 });
    const rule = { pattern, decision: r.pick(DECISIONS), canonical };
    rule.match = Array.from({ length: r.int(1, 3) }, () => matchingExample(r, pattern, canonical));
    if (r.chance(0.7))
      rule.notMatch = Array.from({ length: r.int(1, 3) }, () => nonMatchingExample(r, pattern));
    if (r.chance(0.3)) rule.justification = r.pick(JUSTIFICATIONS);
    return rule;
  });
  const statements = rules.map((rule) => prefixRuleText(r, rule));
  if (r.chance(0.2)) {
    const program = programsOf(rules[0].pattern)[0];
    statements.splice(
      r.int(0, statements.length),
      0,
      hostExecutableText(r, program, [`/usr/bin/${program}`, `/opt/homebrew/bin/${program}`]),
    );
  }
  return {
    files: [{ name: "policy.rules", text: fileText(r, statements) }],
    command: commandFor(r, rules),
    pretty: false,
  };
}

/** Examples that fail: messages with Rust Debug renderings and shell-quoted examples. */
export function examplesFail(r) {
  const pattern = randomPattern(r, { odd: 0.15, firstAlternatives: 0.2 });
  const rule = { pattern, decision: r.pick([...DECISIONS, undefined]) };
  if (r.chance(0.4)) rule.justification = r.pick(JUSTIFICATIONS);
  if (r.chance(0.1)) rule.canonical = r.chance(0.5);
  const oddTokens = () => {
    const tokens = [r.pick(PROGRAMS), ...r.sample(ODD_TOKENS, r.int(0, 3))];
    if (r.chance(0.03)) tokens.push("nul\0byte");
    return tokens;
  };
  const failure = r.weighted([
    [5, "unmatched"],
    [5, "not_match"],
    [1, "both"],
  ]);
  if (failure === "unmatched" || failure === "both") {
    rule.match = [];
    if (r.chance(0.3)) rule.match.push(matchingExample(r, pattern, rule.canonical));
    const n = r.int(1, 3);
    for (let i = 0; i < n; i++) {
      rule.match.push(
        r.chance(0.5)
          ? oddTokens()
          : r.chance(0.5)
            ? nonMatchingExample(r, pattern)
            : shellString(r),
      );
    }
    rule.match = r.shuffle(rule.match);
  }
  if (failure === "not_match" || failure === "both") {
    rule.notMatch = [];
    if (r.chance(0.3)) rule.notMatch.push(nonMatchingExample(r, pattern));
    const tokens = instantiate(r, pattern, r.int(0, 2));
    for (let i = 1; i < tokens.length; i++) if (r.chance(0.3)) tokens[i] = r.pick(ODD_TOKENS);
    if (r.chance(0.25)) tokens[0] = programPath(r, tokens[0]);
    if (r.chance(0.03)) tokens.push("\0");
    rule.notMatch.push(r.chance(0.4) ? asExample(r, tokens) : tokens);
  }
  const statements = [];
  if (r.chance(0.3)) statements.push(prefixRuleText(r, randomRule(r, { examples: 0.3 })));
  statements.push(prefixRuleText(r, rule));
  if (r.chance(0.15)) {
    const program = programsOf(pattern)[0];
    statements.splice(
      r.int(0, statements.length),
      0,
      hostExecutableText(r, program, [r.pick([`/usr/bin/${program}`, `/opt/${program}`])]),
    );
  }
  if (r.chance(0.2)) statements.push(prefixRuleText(r, randomRule(r, { examples: 0.5 })));
  return {
    files: [{ name: "policy.rules", text: fileText(r, statements) }],
    command: [programsOf(pattern)[0]],
    pretty: false,
  };
}

/** A string example with shell syntax: quotes, escapes, comments. */
export function shellString(r) {
  return r.pick([
    "git status # comment",
    "git a#b",
    "git 'a b' \"c d\"",
    "git a\\ b",
    'git "a\\"b"',
    "git 'a\\b'",
    "git ''",
    'git ""',
    "git a\"b\"'c'",
    "git\ta\nb",
    "  git  ",
    "git\r\na",
    "git $x ~ *",
    "git \\#x",
    "git é",
    "git \\\n status",
    "\\\n git",
    "git $'a\\nb'",
    "git 'x'\"y\"z",
    'git "$HOME"',
    "git a;b|c&&d",
    "git -- --x",
    "git ^x",
    "ls 'it'\\''s'",
  ]);
}
