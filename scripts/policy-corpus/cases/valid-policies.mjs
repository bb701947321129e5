/**
 * Case builders for valid policies: several rules, the strictest decision winning, several
 * files in order, canonical (case-folded) matching, odd command tokens.
 */
import { validNetworkRule } from "./network-rules.mjs";
import {
  asExample,
  commandFor,
  instantiate,
  mutate,
  programPath,
  randomCase,
  randomRule,
  subcommandsOf,
} from "../random-rules.mjs";
import { fileText, hostExecutableText, networkRuleText, prefixRuleText } from "../rules-text.mjs";
import { q } from "../starlark-literals.mjs";
import { ARGS, DECISIONS, JUSTIFICATIONS, ODD_TOKENS, PROGRAMS } from "../vocabulary.mjs";

/** Valid files: several rules, decisions, alternatives, justifications, examples that pass. */
export function validRules(r) {
  const rules = [];
  const count = r.int(1, 6);
  const program = r.pick(PROGRAMS);
  for (let i = 0; i < count; i++) {
    rules.push(randomRule(r, { program: r.chance(0.5) ? program : undefined, examples: 0.15 }));
  }
  const statements = rules.map((rule) => prefixRuleText(r, rule));
  if (r.chance(0.1))
    statements.splice(r.int(0, statements.length), 0, networkRuleText(r, validNetworkRule(r)));
  return {
    files: [{ name: "policy.rules", text: fileText(r, statements) }],
    command: commandFor(r, rules),
    pretty: r.chance(0.1),
  };
}

/** Several rules for one program with different decisions: the strictest wins. */
export function aggregation(r) {
  const program = r.pick(PROGRAMS);
  const sub = r.pick(subcommandsOf(program));
  const patterns = [
    [program],
    [program, sub],
    [[program, r.pick(PROGRAMS)], sub],
    [program, [sub, "other"]],
    [program, sub, r.pick(ARGS)],
  ];
  const rules = r
    .sample(patterns, r.int(2, 5))
    .map((pattern) =>
      randomRule(r, { pattern, decision: r.pick([...DECISIONS, undefined]), examples: 0.05 }),
    );
  if (r.chance(0.3))
    rules.push(randomRule(r, { pattern: [program], decision: r.pick(DECISIONS), examples: 0 }));
  const command = r.chance(0.8)
    ? [program, sub, r.pick(ARGS), r.pick(ARGS)].slice(0, r.int(1, 4))
    : [program];
  return {
    files: [
      {
        name: "policy.rules",
        text: fileText(
          r,
          r.shuffle(rules).map((rule) => prefixRuleText(r, rule)),
        ),
      },
    ],
    command,
    pretty: r.chance(0.1),
  };
}

/** Two or three files, evaluated in order. */
export function multiFile(r) {
  const program = r.pick(PROGRAMS);
  const names = r.pick([
    ["default.rules", "project.rules"],
    ["00-base.rules", "10-team.rules", "20-local.rules"],
    ["user.rules", "repo.rules"],
    ["a.rules", "b.rules", "c.rules"],
  ]);
  const files = [];
  const all = [];
  for (const name of names) {
    const rules = Array.from({ length: r.int(0, 3) }, () =>
      randomRule(r, { program: r.chance(0.6) ? program : undefined, examples: 0.15 }),
    );
    all.push(...rules);
    const statements = rules.map((rule) => prefixRuleText(r, rule));
    if (r.chance(0.15)) statements.push(hostExecutableText(r, program, [`/usr/bin/${program}`]));
    files.push({ name, text: fileText(r, statements) });
  }
  let resolve = r.chance(0.2);
  const command = all.length > 0 ? commandFor(r, all) : [program];
  if (resolve && r.chance(0.6)) command[0] = programPath(r, command[0]);
  return { files, command, resolveHostExecutables: resolve, pretty: r.chance(0.1) };
}

/** canonical_matching=True: case-insensitive matching with Unicode case folding. */
export function canonical(r) {
  const words = [
    "git",
    "Git",
    "GIT",
    "status",
    "STATUS",
    "straße",
    "STRASSE",
    "ſtatus",
    "K",
    "\u212a",
    "é",
    "É",
    "σας",
    "ΣΑΣ",
    "İ",
    "i",
    "ｇｉｔ",
    "ﬃ",
    "FFI",
    "Ǆ",
    "ǆ",
    "Ω",
    "ω",
  ];
  const nRules = r.int(1, 3);
  const rules = [];
  for (let i = 0; i < nRules; i++) {
    const pattern = [
      r.chance(0.6)
        ? r.pick(["git", "Git", "GIT", "straße", "é", "σας", "ﬃ", "K"])
        : r.pick(PROGRAMS),
    ];
    const length = r.int(0, 2);
    for (let j = 0; j < length; j++)
      pattern.push(r.chance(0.3) ? r.sample(words, 2) : r.pick(words));
    rules.push({
      pattern,
      decision: r.pick(DECISIONS),
      canonical: r.chance(0.75),
      justification: r.chance(0.3) ? `rule ${i}` : undefined,
    });
  }
  if (r.chance(0.3)) {
    const rule = r.pick(rules);
    rule.match = [asExample(r, instantiate(r, rule.pattern, 0).map(randomCase(r)))];
  }
  const statements = rules.map((rule) => prefixRuleText(r, rule));
  const resolve = r.chance(0.3);
  let command = instantiate(r, r.pick(rules).pattern, r.int(0, 2)).map((t) =>
    r.chance(0.6) ? randomCase(r)(t) : t,
  );
  if (resolve && r.chance(0.6)) command[0] = `/usr/bin/${command[0]}`;
  if (r.chance(0.2)) {
    const name = r.chance(0.5) ? command[0].replace(/^.*\//, "") : "git";
    if (name.length > 0 && !name.includes("/"))
      statements.splice(0, 0, `host_executable(name=${q(name)}, paths=[${q(`/usr/bin/${name}`)}])`);
  }
  return {
    files: [{ name: "policy.rules", text: fileText(r, statements) }],
    command,
    resolveHostExecutables: resolve,
    pretty: false,
  };
}

/** Commands with odd tokens: empty strings, spaces, unicode, control characters. */
export function oddCommand(r) {
  const program = r.chance(0.8)
    ? r.pick(PROGRAMS)
    : r.pick(["", " ", "é", "😀", "a b", "-", "--", "--pretty", "\x1b", "Straße"]);
  const pattern = [program];
  const length = r.int(0, 2);
  for (let i = 0; i < length; i++) pattern.push(r.chance(0.6) ? r.pick(ODD_TOKENS) : r.pick(ARGS));
  const rules = [
    {
      pattern,
      decision: r.pick(DECISIONS),
      justification: r.chance(0.3) ? r.pick(JUSTIFICATIONS) : undefined,
    },
  ];
  if (r.chance(0.4)) rules.push({ pattern: [program], decision: r.pick(DECISIONS) });
  let command = instantiate(r, pattern, 0);
  const extra = r.int(0, 3);
  for (let i = 0; i < extra; i++) command.push(r.pick(ODD_TOKENS));
  if (r.chance(0.2)) command = mutate(r, pattern);
  command = command.map((t) => t.replace(/\0/g, ""));
  return {
    files: [
      {
        name: "policy.rules",
        text: fileText(
          r,
          rules.map((rule) => prefixRuleText(r, rule)),
        ),
      },
    ],
    command,
    resolveHostExecutables: r.chance(0.2),
    pretty: r.chance(0.25),
  };
}
