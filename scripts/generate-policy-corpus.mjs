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
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const FIXED_HOME = "/home/execward-corpus";
const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

// ---------------------------------------------------------------------------------------------
// Command line

function parseArgs(argv) {
  const options = {
    codex: undefined,
    count: 1600,
    seed: 20240611,
    out: path.join(REPO_ROOT, "test/fixtures/policy-differential/corpus.json"),
    jobs: Math.max(2, Math.min(16, os.cpus().length)),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === "--codex") options.codex = value();
    else if (arg === "--count") options.count = Number(value());
    else if (arg === "--seed") options.seed = Number(value());
    else if (arg === "--out") options.out = path.resolve(value());
    else if (arg === "--jobs") options.jobs = Number(value());
    else throw new Error(`unknown argument ${arg}`);
  }
  if (options.codex === undefined) throw new Error("--codex <path-to-codex> is required");
  if (!Number.isInteger(options.count) || options.count < 1) throw new Error("bad --count");
  return options;
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeRandom(seed) {
  const next = mulberry32(seed);
  const r = {
    float: next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)],
    /** Picks from [[weight, value], ...]. */
    weighted: (entries) => {
      const total = entries.reduce((sum, [w]) => sum + w, 0);
      let x = next() * total;
      for (const [w, v] of entries) {
        if ((x -= w) < 0) return v;
      }
      return entries[entries.length - 1][1];
    },
    shuffle: (list) => {
      const out = [...list];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    },
    sample: (list, n) => r.shuffle(list).slice(0, n),
  };
  return r;
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

const PROGRAMS = [
  "git",
  "ls",
  "cat",
  "npm",
  "cargo",
  "python3",
  "rm",
  "docker",
  "kubectl",
  "gh",
  "make",
  "sed",
  "curl",
  "bash",
  "node",
  "go",
  "terraform",
  "pip",
  "yarn",
  "find",
];

const SUBCOMMANDS = {
  git: ["status", "log", "diff", "push", "pull", "commit", "checkout", "reset", "fetch", "stash"],
  npm: ["install", "run", "test", "ci", "publish", "audit"],
  cargo: ["build", "test", "check", "run", "publish", "clippy"],
  docker: ["run", "ps", "build", "rm", "exec", "images"],
  kubectl: ["get", "apply", "delete", "describe", "logs"],
  gh: ["pr", "issue", "repo", "release", "api"],
  terraform: ["plan", "apply", "destroy", "init"],
  pip: ["install", "uninstall", "list", "freeze"],
  yarn: ["install", "add", "run", "test"],
  go: ["build", "test", "vet", "mod"],
};

const ARGS = [
  "-l",
  "-a",
  "-rf",
  "--force",
  "--help",
  "-v",
  ".",
  "..",
  "/tmp",
  "src",
  "HEAD",
  "origin",
  "main",
  "-n",
  "--dry-run",
  "-1",
  "--all",
  "x",
  "README.md",
];

/** Tokens that exercise quoting, escaping and JSON output. */
const ODD_TOKENS = [
  "",
  " ",
  "a b",
  "é",
  "Straße",
  "日本語",
  "😀",
  "\t",
  "\x1b[0m",
  "it's",
  'say "hi"',
  "a\\b",
  "$HOME",
  "*",
  "~",
  "#x",
  "^x",
  "x=y",
  "%",
  "{}",
  "!",
  "a,b",
  "@",
  "a:b",
  "+",
  "/p",
  "a\nb",
  "--",
  "-",
  "\u00a0",
  "\u200b",
  "\x7f",
  "\x01",
  "a'b\"c",
  "`cmd`",
  "$(x)",
  "a;b",
  "a|b",
  "\u2028",
  "ÿ",
  "\u0085",
  "x^y^z",
  "]",
  "e\u0301",
  "\u0301x",
  "\u200d",
  "\ufe0f",
  "👩‍💻",
  "\ue000",
  "\ufffd",
  "\u0378",
  "\u00ad",
  "\u061c",
  "Ⅻ",
  "ǅ",
  "a^b",
  "^",
  "\\",
  "'",
  '"',
  "[",
];

const JUSTIFICATIONS = [
  "read-only and safe",
  "Pushing rewrites shared history; ask first.",
  "Deleting files recursively is destructive",
  "network access",
  "See https://example.com/policy#rules",
  "needs review (team policy)",
  "don't run this in CI",
  'quoted "value"',
  "tab\tseparated",
  "two\nlines",
  "café ☕",
  "日本語の説明",
  "emoji 😀 ok",
  " leading and trailing ",
  "back\\slash",
  "\x1b[31mred\x1b[0m",
  "percent % and {braces}",
  "x",
  "\u200b",
  "\ufeff",
  "Ω≈ç√",
  "combining e\u0301 and \u200d joiner",
  "private \ue000 use",
  "soft\u00adhyphen",
];

const DECISIONS = ["allow", "prompt", "forbidden"];

// ---------------------------------------------------------------------------------------------
// Starlark literal rendering

function hex(code, width) {
  return code.toString(16).padStart(width, "0");
}

/** A Starlark escape for one character, chosen at random among the valid spellings. */
function escapeChar(r, ch, quote) {
  const code = ch.codePointAt(0);
  switch (ch) {
    case "\\":
      return "\\\\";
    case "\n":
      return r.pick(["\\n", "\\n", "\\x0a", "\\012", "\\u000a"]);
    case "\r":
      return r.pick(["\\r", "\\x0d", "\\015"]);
    case "\t":
      return r.pick(["\\t", "\\t", "\t", "\\x09", "\\011"]);
    case "\0":
      return r.pick(["\\0", "\\x00", "\\000", "\\u0000"]);
    case '"':
    case "'":
      return ch === quote ? `\\${ch}` : r.pick([ch, ch, `\\${ch}`]);
    default:
      break;
  }
  if (code < 0x20 || code === 0x7f) {
    const named = { 7: "\\a", 8: "\\b", 0xb: "\\v", 0xc: "\\f" }[code];
    return r.pick([named ?? `\\x${hex(code, 2)}`, `\\x${hex(code, 2)}`, `\\${code.toString(8)}`]);
  }
  if (code < 0x80) return ch;
  if (code === 0x2028 || code === 0x2029 || code === 0x85 || code === 0xa0 || code === 0xfeff) {
    return `\\u${hex(code, 4)}`;
  }
  const spellings = [ch, ch, ch];
  if (code <= 0xff) spellings.push(`\\x${hex(code, 2)}`);
  if (code <= 0o777) spellings.push(`\\${code.toString(8)}`);
  if (code <= 0xffff) spellings.push(`\\u${hex(code, 4)}`, `\\u${hex(code, 4).toUpperCase()}`);
  spellings.push(`\\U${hex(code, 8)}`);
  return r.pick(spellings);
}

/** Renders `value` as a Starlark string literal in a randomly chosen valid style. */
function strLit(r, value, style) {
  const chosen =
    style ??
    r.weighted([
      [10, "double"],
      [3, "single"],
      [1, "raw"],
      [1, "triple"],
    ]);
  const codes = [...value].map((ch) => ch.codePointAt(0));
  const plainAscii = codes.every((c) => c >= 0x20 && c < 0x7f);
  const controls = codes.some((c) => (c < 0x20 && c !== 0x09 && c !== 0x0a) || c === 0x7f);
  if (chosen === "raw" && plainAscii && !/["\\]/.test(value)) return `r"${value}"`;
  if (chosen === "triple" && !/["\\]/.test(value) && !controls) {
    if (!value.endsWith('"')) return `"""${value}"""`;
  }
  const quote = chosen === "single" ? "'" : '"';
  let out = quote;
  let shortOctal = false;
  for (const ch of value) {
    let piece = escapeChar(r, ch, quote);
    // A one- or two-digit octal escape would absorb a following octal digit: use \x for it.
    if (shortOctal && /^[0-7]/.test(piece)) piece = `\\x${hex(piece.codePointAt(0), 2)}`;
    shortOctal = /^\\[0-7]{1,2}$/.test(piece);
    out += piece;
  }
  return out + quote;
}

/** A plain double-quoted literal with only the escapes JSON would need (deterministic). */
function q(value) {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0);
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${hex(code, 2)}`;
    else out += ch;
  }
  return out + '"';
}

function listLit(r, items, render) {
  const inner = items.map(render);
  if (items.length > 0 && r.chance(0.15)) return `[${inner.join(", ")},]`;
  return `[${inner.join(r.pick([", ", ", ", ","]))}]`;
}

/** A pattern element: a string, or a list of alternatives. */
function patternElementLit(r, element) {
  if (typeof element === "string") return strLit(r, element);
  return listLit(r, element, (token) => strLit(r, token));
}

/** An example: a string (shell words) or a list of tokens. */
function exampleLit(r, example) {
  if (typeof example === "string") return strLit(r, example);
  return listLit(r, example, (token) => strLit(r, token));
}

// ---------------------------------------------------------------------------------------------
// Calls and files

/**
 * Renders a call. `args` is [[name, literalText], ...] in parameter order; `positional` is how
 * many leading arguments are written positionally. Keyword arguments are shuffled sometimes.
 */
function callText(r, callee, args, { positional = 0, layout } = {}) {
  const pos = args.slice(0, positional).map(([, text]) => text);
  let kw = args
    .slice(positional)
    .map(([name, text]) => `${name}${r.pick(["=", "=", " = "])}${text}`);
  if (r.chance(0.3)) kw = r.shuffle(kw);
  const parts = [...pos, ...kw];
  const chosen =
    layout ??
    r.weighted([
      [6, "inline"],
      [4, "multiline"],
      [1, "commented"],
    ]);
  if (chosen === "inline" || parts.length === 0) {
    const trailing = parts.length > 0 && r.chance(0.1) ? "," : "";
    return `${callee}(${parts.join(", ")}${trailing})`;
  }
  const indent = r.pick(["    ", "  ", "        "]);
  const lines = parts.map((part, i) => {
    const last = i === parts.length - 1;
    const comma = last ? (r.chance(0.7) ? "," : "") : ",";
    const comment =
      chosen === "commented" && r.chance(0.4) ? `  # ${r.pick(["why", "see docs", "é"])}` : "";
    return `${indent}${part}${comma}${comment}`;
  });
  if (chosen === "commented") lines.splice(r.int(0, lines.length), 0, `${indent}# note`);
  if (r.chance(0.15)) lines.splice(r.int(0, lines.length), 0, "");
  return `${callee}(\n${lines.join("\n")}\n)`;
}

function prefixRuleArgs(r, rule) {
  const args = [["pattern", listLit(r, rule.pattern, (el) => patternElementLit(r, el))]];
  if (rule.decision !== undefined) args.push(["decision", strLit(r, rule.decision)]);
  if (rule.match !== undefined)
    args.push(["match", listLit(r, rule.match, (ex) => exampleLit(r, ex))]);
  if (rule.notMatch !== undefined) {
    args.push(["not_match", listLit(r, rule.notMatch, (ex) => exampleLit(r, ex))]);
  }
  if (rule.justification !== undefined) args.push(["justification", strLit(r, rule.justification)]);
  if (rule.canonical !== undefined)
    args.push(["canonical_matching", rule.canonical ? "True" : "False"]);
  return args;
}

function prefixRuleText(r, rule) {
  const args = prefixRuleArgs(r, rule);
  // Positional style only when the leading parameters are all present in order.
  const order = [
    "pattern",
    "decision",
    "match",
    "not_match",
    "justification",
    "canonical_matching",
  ];
  let maxPositional = 0;
  while (maxPositional < args.length && args[maxPositional][0] === order[maxPositional])
    maxPositional++;
  const positional = r.chance(0.12) ? r.int(1, maxPositional) : 0;
  return callText(r, "prefix_rule", args, { positional });
}

function hostExecutableText(r, name, paths) {
  return callText(
    r,
    "host_executable",
    [
      ["name", strLit(r, name)],
      ["paths", listLit(r, paths, (p) => strLit(r, p))],
    ],
    { positional: r.chance(0.2) ? r.int(1, 2) : 0, layout: r.chance(0.7) ? "inline" : undefined },
  );
}

function networkRuleText(r, rule) {
  const args = [
    ["host", strLit(r, rule.host)],
    ["protocol", strLit(r, rule.protocol)],
    ["decision", strLit(r, rule.decision)],
  ];
  if (rule.justification !== undefined) args.push(["justification", strLit(r, rule.justification)]);
  return callText(r, "network_rule", args, {
    positional: r.chance(0.15) ? r.int(1, 3) : 0,
    layout: r.chance(0.6) ? "inline" : undefined,
  });
}

const HEADERS = [
  "# Rules for this project.\n",
  '"""Execution policy."""\n',
  "# -*- policy -*-\n# Reviewed by the team.\n\n",
  "",
  "",
  "",
  "pass\n",
  "'''\nMulti-line docstring.\n'''\n",
];

/** Joins statements into a file with random separators, header and line endings. */
function fileText(r, statements, { crlf } = {}) {
  let text = r.pick(HEADERS);
  statements.forEach((statement, i) => {
    text += statement;
    if (i === statements.length - 1) return;
    text += r.weighted([
      [10, "\n"],
      [3, "\n\n"],
      [1, "; "],
      [1, "\n# next\n"],
      [1, "\n   \n"],
      [1, ";\n"],
    ]);
  });
  if (statements.length > 0) {
    text += r.weighted([
      [8, "\n"],
      [2, ""],
      [1, "  # end\n"],
      [1, "\n\n"],
    ]);
  }
  const useCrlf = crlf ?? r.chance(0.08);
  return useCrlf ? text.replace(/\r?\n/g, "\r\n") : text;
}

// ---------------------------------------------------------------------------------------------
// Random rules

function subcommandsOf(program) {
  return SUBCOMMANDS[program] ?? ARGS;
}

function randomToken(r, program, odd = 0.05) {
  if (r.chance(odd)) return r.pick(ODD_TOKENS);
  return r.chance(0.6) ? r.pick(subcommandsOf(program)) : r.pick(ARGS);
}

/** A random pattern: program (or alternatives) then 0..3 tokens, some alternatives. */
function randomPattern(r, options = {}) {
  const program = options.program ?? r.pick(PROGRAMS);
  const pattern = [];
  if (r.chance(options.firstAlternatives ?? 0.12)) {
    const alternatives = [
      program,
      ...r.sample(
        PROGRAMS.filter((p) => p !== program),
        r.int(1, 2),
      ),
    ];
    pattern.push(alternatives);
  } else {
    pattern.push(program);
  }
  const length =
    options.length ??
    r.weighted([
      [3, 0],
      [6, 1],
      [3, 2],
      [1, 3],
    ]);
  for (let i = 0; i < length; i++) {
    if (r.chance(options.laterAlternatives ?? 0.2)) {
      const alternatives = [
        ...new Set([randomToken(r, program), randomToken(r, program), randomToken(r, program)]),
      ];
      pattern.push(
        alternatives.length === 1 ? [alternatives[0], `${alternatives[0]}-x`] : alternatives,
      );
    } else {
      pattern.push(randomToken(r, program, options.odd ?? 0.05));
    }
  }
  return pattern;
}

function programsOf(pattern) {
  return typeof pattern[0] === "string" ? [pattern[0]] : pattern[0];
}

/** A command matching `pattern`, plus `extra` trailing tokens. */
function instantiate(r, pattern, extra = r.int(0, 2)) {
  const command = pattern.map((el) => (typeof el === "string" ? el : r.pick(el)));
  const program = command[0];
  for (let i = 0; i < extra; i++) command.push(randomToken(r, program, 0.1));
  return command;
}

/** A command that differs from `pattern` (wrong token somewhere, or too short). */
function mutate(r, pattern) {
  const command = instantiate(r, pattern, 0);
  const choice = r.int(0, 3);
  if (choice === 0 && command.length > 1) return command.slice(0, r.int(1, command.length - 1));
  const at = r.int(0, command.length - 1);
  const taken = new Set(pattern.flatMap((el) => (typeof el === "string" ? [el] : el)));
  let replacement = r.pick([...ARGS, ...PROGRAMS, "other", "Git", "STATUS"]);
  for (let i = 0; i < 10 && taken.has(replacement); i++)
    replacement = r.pick([...ARGS, ...PROGRAMS, "zzz"]);
  command[at] = taken.has(replacement) ? "zzz-none" : replacement;
  return command;
}

function randomCase(r) {
  return (token) => {
    if (token.length === 0) return token;
    switch (r.int(0, 3)) {
      case 0:
        return token.toUpperCase();
      case 1:
        return token[0].toUpperCase() + token.slice(1);
      case 2:
        return [...token].map((c) => (r.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join("");
      default:
        return token;
    }
  };
}

/** A path spelling of `program` that resolves (with cwd `/`, HOME fixed) to something ending in it. */
function programPath(r, program) {
  return r.pick([
    `/usr/bin/${program}`,
    `/usr/local/bin/${program}`,
    `/opt/homebrew/bin/${program}`,
    `./${program}`,
    `bin/${program}`,
    `~/${program}`,
    `~/bin/${program}`,
    `~/bin/../${program}`,
    `//usr/bin/${program}`,
    `/usr/bin/${program}/`,
    `/usr/./bin/${program}`,
    `/usr/bin/../bin/${program}`,
    `${program}/`,
    `/${program}`,
    `../${program}`,
    `~root/${program}`,
    `./././${program}`,
    `/usr/bin//${program}`,
  ]);
}

/** Examples that should match `pattern` (as a string or a token list). */
function matchingExample(r, pattern, canonical) {
  let tokens = instantiate(r, pattern, r.int(0, 2));
  if (canonical && r.chance(0.5)) tokens = tokens.map(randomCase(r));
  if (r.chance(0.1)) tokens[0] = programPath(r, tokens[0]);
  return asExample(r, tokens);
}

function nonMatchingExample(r, pattern) {
  return asExample(r, mutate(r, pattern));
}

/** Writes tokens as a shell-words string when that is easy, otherwise as a list. */
function asExample(r, tokens) {
  if (tokens.every((t) => /^[A-Za-z0-9_./:=@%+-]+$/.test(t)) && r.chance(0.6)) {
    return tokens.join(r.pick([" ", " ", "  ", "\t"]));
  }
  if (r.chance(0.3) && tokens.every((t) => !t.includes("'") && !t.includes("\0"))) {
    return tokens.map((t) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(t) ? t : `'${t}'`)).join(" ");
  }
  return tokens;
}

function randomRule(r, options = {}) {
  const pattern = options.pattern ?? randomPattern(r, options);
  const rule = { pattern };
  if (options.decision !== undefined) rule.decision = options.decision;
  else if (r.chance(0.75)) rule.decision = r.pick(DECISIONS);
  if (r.chance(options.justification ?? 0.4)) rule.justification = r.pick(JUSTIFICATIONS);
  if (options.canonical !== undefined) rule.canonical = options.canonical;
  else if (r.chance(0.03)) rule.canonical = false;
  if (r.chance(options.examples ?? 0.3)) {
    rule.match = Array.from({ length: r.int(1, 3) }, () =>
      matchingExample(r, pattern, rule.canonical),
    );
  }
  if (r.chance(options.examples ?? 0.3)) {
    rule.notMatch = Array.from({ length: r.int(1, 2) }, () => nonMatchingExample(r, pattern));
  }
  return rule;
}

/** A command for a set of rules: usually one that matches some rule, sometimes not. */
function commandFor(r, rules) {
  const withPatterns = rules.filter((rule) => rule.pattern !== undefined);
  if (withPatterns.length === 0 || r.chance(0.12)) {
    return instantiate(r, [r.pick(PROGRAMS)], r.int(0, 3));
  }
  const rule = r.pick(withPatterns);
  if (r.chance(0.2)) return mutate(r, rule.pattern);
  return instantiate(r, rule.pattern, r.int(0, 3));
}

// ---------------------------------------------------------------------------------------------
// Case builders, one per category

/** Valid files: several rules, decisions, alternatives, justifications, examples that pass. */
function validRules(r) {
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
function aggregation(r) {
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
function multiFile(r) {
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

/** Justifications with escapes and unicode, checked through the JSON output. */
function justificationCase(r) {
  const program = r.pick(PROGRAMS);
  const pieces = [
    () => r.pick(JUSTIFICATIONS),
    () =>
      String.fromCodePoint(
        r.pick([
          0xe9, 0xdf, 0x3c3, 0x416, 0x65e5, 0x1f600, 0x1f1e6, 0x20ac, 0x2192, 0x85, 0xa0, 0x7f,
          0x1b, 0x1, 0x2028, 0xfeff, 0x200b, 0xffff, 0x10ffff, 0x301,
        ]),
      ),
    () => r.pick(["\\", '"', "'", "\n", "\t", "\r\n", "{}", "%s", "</script>", "\u0000"]),
    () => r.pick(["word", "more words", " ", "  "]),
  ];
  let justification = "";
  const n = r.int(1, 5);
  for (let i = 0; i < n; i++) justification += r.pick(pieces)();
  if (justification.trim().length === 0) justification += "ok";
  const rule = {
    pattern: [program, ...(r.chance(0.5) ? [r.pick(subcommandsOf(program))] : [])],
    justification,
  };
  if (r.chance(0.5)) rule.decision = r.pick(DECISIONS);
  const rules = [rule];
  if (r.chance(0.3)) rules.push(randomRule(r, { program, examples: 0 }));
  return {
    files: [
      {
        name: "policy.rules",
        text: fileText(
          r,
          rules.map((x) => prefixRuleText(r, x)),
        ),
      },
    ],
    command: instantiate(r, rule.pattern, r.int(0, 2)),
    pretty: r.chance(0.15),
  };
}

/** Raw Starlark escapes written directly into a justification or pattern token. */
const VALID_ESCAPES = [
  "\\n",
  "\\t",
  "\\r",
  "\\\\",
  '\\"',
  "\\'",
  "\\a",
  "\\b",
  "\\f",
  "\\v",
  "\\0",
  "\\7",
  "\\18",
  "\\101",
  "\\377",
  "\\400",
  "\\777",
  "\\0777",
  "\\x41",
  "\\xff",
  "\\x80",
  "\\x7f",
  "\\xAb",
  "\\u00e9",
  "\\uFFFF",
  "\\u0041",
  "\\u2028",
  "\\U0001F600",
  "\\U0010ffff",
  "\\U00000041",
  "\\d",
  "\\q",
  "\\z",
  "\\e",
  "\\N{LATIN SMALL LETTER E}",
  "\\8",
  "\\9",
  "\\ ",
  "\\$",
  "\\/",
  "\\?",
  "\\`",
  "\\\n",
];

const INVALID_ESCAPES = [
  "\\x4",
  "\\x4g",
  "\\xg0",
  "\\u00e",
  "\\uD800",
  "\\udfff",
  "\\U00110000",
  "\\u{41}",
  "\\U0000004",
  "\\x",
  "\\u",
  "\\U1F600",
];

function stringLiteralCase(r) {
  const program = r.pick(PROGRAMS);
  const kind = r.weighted([
    [6, "escapes"],
    [2, "raw"],
    [2, "triple"],
    [1, "prefix"],
    [3, "invalid"],
  ]);
  const quote = r.pick(['"', "'"]);
  let literal;
  if (kind === "escapes" || kind === "invalid") {
    let body = "";
    const n = r.int(1, 4);
    for (let i = 0; i < n; i++) {
      body += r.pick(["a", "x", "é", " ", "1", "", "b"]) + r.pick(VALID_ESCAPES);
    }
    if (kind === "invalid")
      body =
        body.slice(0, r.int(0, body.length)) +
        r.pick(INVALID_ESCAPES) +
        r.pick(["", "z", "0", " tail"]);
    body += r.pick(["", "end", "!"]);
    literal = `${quote}${body}${quote}`;
  } else if (kind === "raw") {
    // Starlark source text of raw literals (a backslash before either quote is dropped).
    literal = r.pick(
      String.raw`r"a\d"|r'a\d'|r"a\nb"|r"a\"b"|r'a\'b'|r'a\"b'|r"a\'b"|r"a\\"|r"C:\\path"|r"\x41"|r"\u00e9"|r"^[a-z]+\.rs$"|r"\\\""|r"""a\"b"""|r'''x\ny'''|r""|r''|r"é\t"`.split(
        "|",
      ),
    );
    if (r.chance(0.1)) literal = 'r"x\\\ny"';
  } else if (kind === "triple") {
    const body = r.pick([
      "a\nb",
      "line one\n  line two\n",
      'has "quotes" inside',
      "a'b''c",
      "x\\\ny",
      "tab\there",
      "a\r\nb",
      '"',
      "é\n😀",
    ]);
    const t = quote.repeat(3);
    literal = body.endsWith(quote) ? `${t}${body} ${t}` : `${t}${body}${t}`;
  } else {
    literal = r.pick([
      'f"plain"',
      "f'{{braces}}'",
      'b"bytes"',
      'rb"raw\\bytes"',
      'br"x"',
      'u"x"',
      'R"x"',
      'F"x"',
      'B"x"',
      '"a" "b"',
      "'a' 'b'",
      'f"a{{b}}c"',
    ]);
  }
  const where = r.pick(["justification", "pattern", "pattern", "decision"]);
  let rule;
  if (where === "justification")
    rule = `prefix_rule(pattern=[${q(program)}], justification=${literal})`;
  else if (where === "decision") rule = `prefix_rule(pattern=[${q(program)}], decision=${literal})`;
  else rule = `prefix_rule(pattern=[${q(program)}, ${literal}])`;
  const lines = [rule];
  if (r.chance(0.3)) lines.unshift(prefixRuleText(r, randomRule(r, { program, examples: 0 })));
  return {
    files: [{ name: "policy.rules", text: fileText(r, lines, { crlf: r.chance(0.1) }) }],
    command: [program, ...(r.chance(0.5) ? ["a"] : [])],
    pretty: false,
  };
}

/** Examples that pass: `match` examples matched by the call's rules, `not_match` ones not. */
function examplesPass(r) {
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
function examplesFail(r) {
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
function shellString(r) {
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

/** Every way to bind arguments wrongly. */
function bindingError(r) {
  const program = r.pick(PROGRAMS);
  const builtin = r.weighted([
    [5, "prefix_rule"],
    [2, "network_rule"],
    [2, "host_executable"],
  ]);
  const params = {
    prefix_rule: [
      "pattern",
      "decision",
      "match",
      "not_match",
      "justification",
      "canonical_matching",
    ],
    network_rule: ["host", "protocol", "decision", "justification"],
    host_executable: ["name", "paths"],
  }[builtin];
  const good = {
    pattern: `[${q(program)}]`,
    decision: q(r.pick(DECISIONS)),
    match: `[${q(program)}]`,
    not_match: `[${q("zzz")}]`,
    justification: q(r.pick(JUSTIFICATIONS)),
    canonical_matching: r.pick(["True", "False"]),
    host: q("example.com"),
    protocol: q("https"),
    name: q(program),
    paths: `[${q(`/usr/bin/${program}`)}]`,
  };
  if (builtin === "network_rule") good.decision = q(r.pick(["allow", "deny", "prompt"]));
  const required = { prefix_rule: 1, network_rule: 3, host_executable: 2 }[builtin];
  const kind = r.weighted([
    [2, "extra_positional"],
    [2, "missing"],
    [2, "unknown"],
    [2, "duplicate"],
    [1, "repeated_keyword"],
    [6, "type"],
    [1, "missing_and_unknown"],
  ]);
  let args;
  let positional = 0;
  if (kind === "extra_positional") {
    const extra = r.int(1, 3);
    args = params.map((p) => [p, good[p]]);
    for (let i = 0; i < extra; i++) args.push(["extra", r.pick(["1", "None", '"x"', "[]"])]);
    positional = args.length;
    if (r.chance(0.3)) args.push(["foo", "1"]);
  } else if (kind === "missing" || kind === "missing_and_unknown") {
    const drop = params[r.int(0, required - 1)];
    args = params
      .slice(0, r.int(required, params.length))
      .filter((p) => p !== drop)
      .map((p) => [p, good[p]]);
    if (kind === "missing_and_unknown") args.push([r.pick(["foo", "patterns", "desicion"]), "1"]);
    if (r.chance(0.3)) args = r.shuffle(args);
  } else if (kind === "unknown") {
    args = params.slice(0, required).map((p) => [p, good[p]]);
    const unknown = r.sample(
      [
        "foo",
        "bar",
        "patterns",
        "decison",
        "justifcation",
        "program",
        "True",
        "reason",
        "host",
        "path",
        "cmd",
        "allow",
      ],
      r.int(1, 3),
    );
    for (const name of unknown)
      if (!params.includes(name))
        args.splice(r.int(1, args.length), 0, [name, r.pick(["1", '"x"', "None", "[]"])]);
    if (args.length === required) args.push(["foo", "1"]);
  } else if (kind === "duplicate") {
    positional = r.int(1, Math.min(params.length, required + 1));
    args = params.slice(0, positional).map((p) => [p, good[p]]);
    const again = params[r.int(0, positional - 1)];
    args.push([again, good[again]]);
    for (const p of params.slice(positional, required)) args.push([p, good[p]]);
  } else if (kind === "repeated_keyword") {
    args = params.slice(0, required).map((p) => [p, good[p]]);
    const again = r.pick(params);
    args.splice(r.int(0, args.length), 0, [again, good[again]]);
    if (!args.some(([n], i) => args.findIndex(([m]) => m === n) !== i))
      args.push([again, good[again]]);
  } else {
    // Type errors: one or two parameters of the wrong type, the first in declaration order wins.
    args = params.slice(0, r.int(required, params.length)).map((p) => [p, good[p]]);
    const count = r.chance(0.25) ? 2 : 1;
    for (let i = 0; i < count; i++) {
      const at = r.int(0, args.length - 1);
      args[at] = [args[at][0], wrongTypeValue(r, args[at][0])];
    }
    const style = r.int(0, 9);
    if (style < 3) positional = r.int(0, args.length);
    else if (style < 5) args = r.shuffle(args);
  }
  const text = renderArgs(r, builtin, args, positional);
  const statements = [text];
  if (r.chance(0.4)) statements.unshift(prefixRuleText(r, randomRule(r, { program, examples: 0 })));
  if (r.chance(0.3)) statements.push(prefixRuleText(r, randomRule(r, { examples: 0 })));
  return {
    files: [{ name: "policy.rules", text: fileText(r, statements) }],
    command: [program],
    pretty: false,
  };
}

function renderArgs(r, callee, args, positional) {
  const parts = args.map(([name, value], i) => (i < positional ? value : `${name}=${value}`));
  if (r.chance(0.3)) return `${callee}(\n    ${parts.join(",\n    ")},\n)`;
  return `${callee}(${parts.join(", ")})`;
}

/** A value of the wrong type for parameter `name`, with an interesting repr. */
function wrongTypeValue(r, name) {
  const strings = [
    '"git"',
    "'single'",
    '"a\\"b\\n"',
    '"tab\\t\\x01\\x7f"',
    '"é日😀"',
    '"\\u200b\\xa0\\x85€"',
    '""',
    '"\\\\"',
    'r"raw\\d"',
  ];
  const others = [
    "1",
    "0",
    "42",
    "0x1F",
    "0o17",
    "0b101",
    "12345678901234567890",
    "True",
    "False",
    "None",
    "1.5",
    "2.0",
    "1e20",
    "0.1",
    "1e-7",
    "1.",
    ".5",
    "00.5",
    "0e0",
    "1E5",
    "0X1f",
    "0.5e-3",
    "1e300",
    "{1: 2, True: 3}",
    "123456789.123",
    "()",
    '("git",)',
    '("a", "b")',
    '("a", ("b",), [])',
    "{}",
    '{"a": 1}',
    '{"k": [None, True], 2: ("x",)}',
    '{"a": 1, "a": 2}',
    'b"x"',
    'b"\\x00\\xff"',
    'b"é€😀"',
    'b"\\xc3\\xa9\\xff\\xe2\\x82"',
    'b"\\u00e9\\U0001F600"',
    "rb'\\xff'",
    "prefix_rule",
    "host_executable",
    "len",
  ];
  const lists = ["[]", '["git"]', "[1, 2]", '[["a"], "b"]', "[None]"];
  if (name === "pattern" || name === "match" || name === "not_match" || name === "paths") {
    return r.pick([...strings, ...others]);
  }
  if (name === "canonical_matching")
    return r.pick([...strings, ...others.filter((v) => v !== "True" && v !== "False"), ...lists]);
  return r.pick([...others, ...lists]);
}

/** Values each builtin rejects after binding: pattern, examples, decision, justification... */
function valueError(r) {
  const program = r.pick(PROGRAMS);
  const which = r.weighted([
    [4, "pattern"],
    [4, "example"],
    [2, "decision"],
    [2, "justification"],
    [3, "network"],
    [3, "host_executable"],
    [1, "order"],
  ]);
  let statement;
  if (which === "pattern") {
    const pattern = r.pick([
      "[]",
      "[1]",
      "[None]",
      "[True]",
      "[[]]",
      `[${q(program)}, []]`,
      `[${q(program)}, 1]`,
      `[${q(program)}, ["a", 1]]`,
      `[${q(program)}, ("a", "b")]`,
      `[("a",)]`,
      `[${q(program)}, {"a": 1}]`,
      `[${q(program)}, [["status"]]]`,
      `[[["${program}"]]]`,
      `[${q(program)}, None]`,
      `[${q(program)}, 1.5]`,
      `[${q(program)}, b"x"]`,
      `[[${q(program)}, None]]`,
      `[${q(program)}, "ok", [], 1]`,
    ]);
    statement = `prefix_rule(pattern=${pattern}${r.chance(0.3) ? `, decision=${q(r.pick(DECISIONS))}` : ""})`;
  } else if (which === "example") {
    const bad = r.pick([
      "1",
      "None",
      "[]",
      '""',
      '"   "',
      '"# just a comment"',
      '"\\n"',
      "[1]",
      `[${q(program)}, 2]`,
      '("x",)',
      `"${program} 'unterminated"`,
      `"${program} \\"unterminated"`,
      `"${program} a\\\\"`,
      "{}",
      "True",
      '[""]',
      '[" "]',
    ]);
    const param = r.pick(["match", "not_match"]);
    const good = r.chance(0.4) ? `${q(program)}, ` : "";
    statement = `prefix_rule(pattern=[${q(program)}], ${param}=[${good}${bad}])`;
    if (r.chance(0.2))
      statement = `prefix_rule(pattern=[${q(program)}], match=[${q("zzz")}], not_match=[${bad}])`;
  } else if (which === "decision") {
    // Starlark source text of the decision literal.
    const decision = r.pick(
      String.raw`"deny"|"Allow"|" allow"|"allow "|""|"ask"|"ALLOW"|"Forbidden"|"forbid"|"block"|"denied"|"prompt-user"|"a\nb"|"é"|"allow\x00"|'deny'|"\tprompt"`.split(
        "|",
      ),
    );
    statement = `prefix_rule(pattern=[${q(program)}], decision=${decision})`;
    if (r.chance(0.2)) statement = `prefix_rule(pattern=[], decision=${decision})`;
    if (r.chance(0.15))
      statement = `network_rule(host="example.com", protocol="https", decision=${decision})`;
  } else if (which === "justification") {
    const justification = r.pick([
      '""',
      '"  "',
      '"\\n"',
      '"\\r"',
      '"\\t \\n"',
      '"\\x85"',
      '"\\xa0"',
      '"\\u2003"',
      '"\\u3000"',
      '"\\u2028"',
      '"\\x0b\\x0c"',
      '"\\u200b"',
      '"\\ufeff"',
      '"\\u180e"',
      '" x "',
    ]);
    statement = r.chance(0.7)
      ? `prefix_rule(pattern=[${q(program)}], justification=${justification})`
      : `network_rule(host="example.com", protocol="https", decision="allow", justification=${justification})`;
  } else if (which === "network") {
    const host = r.pick(NETWORK_HOSTS);
    const protocol = r.chance(0.7)
      ? r.pick(["https", "http", "socks5_tcp", "socks5_udp", "https_connect", "http-connect"])
      : r.pick(BAD_PROTOCOLS);
    const decision = r.chance(0.8)
      ? r.pick(["allow", "deny", "prompt", "forbidden"])
      : r.pick(["ask", "Deny", "block", "", "reject"]);
    statement = networkRuleText(r, {
      host,
      protocol,
      decision,
      justification: r.chance(0.1) ? r.pick(["", " ", "ok"]) : undefined,
    });
  } else if (which === "host_executable") {
    const name = r.chance(0.75)
      ? program
      : r.pick(["", "a/b", ".", "..", "/usr/bin/git", " git", "a\\b", "git.exe", "é"]);
    const paths = r.sample(
      [
        `/usr/bin/${name}`,
        `/opt/${name}`,
        "~",
        `~/${name}`,
        `bin/${name}`,
        `./${name}`,
        "",
        "/usr/bin/other",
        "/",
        `/usr/bin/${name}/`,
        `//usr/bin/${name}`,
        `/usr/bin/../bin/${name}`,
        "/usr/bin/..",
        `/usr/bin/${name}/..`,
        `/usr/bin/${name}/.`,
        `/x/~/${name}`,
      ],
      r.int(0, 3),
    );
    const extra = r.chance(0.1) ? ", 1" : r.chance(0.05) ? ', ["x"]' : "";
    statement = `host_executable(name=${q(name)}, paths=[${paths.map(q).join(", ")}${extra}])`;
  } else {
    // Several problems in one call: codex's order decides which one is reported.
    const parts = r
      .shuffle([
        `pattern=${r.pick(["[]", "[1]", `[${q(program)}]`])}`,
        `decision=${q(r.pick(["bogus", "allow", "prompt"]))}`,
        `justification=${q(r.pick(["", "ok", " "]))}`,
        `match=[${r.pick(["1", '""', q(program), q("zzz")])}]`,
        `not_match=[${r.pick(["[]", q(`${program} x`), q("zzz")])}]`,
      ])
      .slice(0, r.int(2, 5));
    if (!parts.some((p) => p.startsWith("pattern"))) parts.unshift(`pattern=[${q(program)}]`);
    statement = `prefix_rule(${parts.join(", ")})`;
  }
  const statements = [statement];
  if (r.chance(0.4)) statements.unshift(prefixRuleText(r, randomRule(r, { program, examples: 0 })));
  if (r.chance(0.3)) statements.push(prefixRuleText(r, randomRule(r, { examples: 0 })));
  return {
    files: [{ name: "policy.rules", text: fileText(r, statements) }],
    command: [program, "x"],
    pretty: false,
  };
}

const NETWORK_HOSTS = [
  "example.com",
  " example.com ",
  "example.com.",
  "EXAMPLE.COM",
  "Example.COM.:443",
  "example.com:443",
  "example.com:",
  "example.com:abc",
  "[::1]:443",
  "[::1]",
  "[::1]x",
  "::1",
  "*.example.com",
  "*",
  "a.*.com",
  "exa mple.com",
  "http://x",
  "x/y",
  "x?y",
  "x#y",
  "",
  "  ",
  ".",
  "...",
  "localhost",
  "127.0.0.1",
  "1.2.3.4:80",
  "é.com",
  "ÉCOLE.fr",
  "[::1",
  "x@y",
  "[fe80::1%eth0]",
  "[]",
  "[]:80",
  "[::1]:",
  "[x]:1",
  "a\u3000b",
  "a\u0085b",
  "a\u00a0b",
  "a\ufeffb",
  "a\nb",
  "a\tb",
  "[*]",
  "*:80",
  "[a b]",
  "[::1]]",
  "]",
  "x]",
  "[::1] ",
  "x:/y",
  "//x",
  "a,b",
  "\u0085example.com\u0085",
  "\u00a0example.com",
];

const BAD_PROTOCOLS = [
  "HTTP",
  "Https",
  "socks5",
  "socks5h",
  "tcp",
  "udp",
  "http2",
  "ws",
  "",
  "https ",
  "http_connect",
  "socks5-tcp",
  "*",
];

function validNetworkRule(r) {
  return {
    host: r.pick([
      "example.com",
      "api.github.com",
      "registry.npmjs.org:443",
      "[::1]",
      "LOCALHOST.",
    ]),
    protocol: r.pick([
      "https",
      "http",
      "socks5_tcp",
      "socks5_udp",
      "https_connect",
      "http-connect",
    ]),
    decision: r.pick(["allow", "deny", "prompt", "forbidden"]),
    justification: r.chance(0.3) ? r.pick(JUSTIFICATIONS) : undefined,
  };
}

/** host_executable and --resolve-host-executables with path programs. */
function hostExecutable(r) {
  const program = r.pick(PROGRAMS);
  const statements = [];
  const rules = [];
  const nRules = r.int(1, 3);
  for (let i = 0; i < nRules; i++) {
    const rule = randomRule(r, {
      program: r.chance(0.8) ? program : undefined,
      examples: 0.1,
      firstAlternatives: 0.1,
    });
    if (r.chance(0.1)) rule.canonical = true;
    rules.push(rule);
  }
  if (r.chance(0.15))
    rules.push({
      pattern: [r.pick([`/usr/bin/${program}`, `./${program}`, `~/${program}`])],
      decision: "forbidden",
    });
  for (const rule of rules) statements.push(prefixRuleText(r, rule));
  const commandPath = programPath(r, program);
  if (r.chance(0.65)) {
    const candidates = [
      `/usr/bin/${program}`,
      `/opt/homebrew/bin/${program}`,
      `/usr/local/bin/${program}`,
      `//usr/bin/${program}`,
      `/usr/bin/../bin/${program}`,
      `/usr/bin/${program}/`,
      `${FIXED_HOME}/${program}`,
      `${FIXED_HOME}/bin/${program}`,
      `/bin/${program}`,
      `/${program}`,
    ];
    const name = r.chance(0.9) ? program : r.pick(PROGRAMS);
    // Paths must end in the name they are listed for.
    const forName = (paths) =>
      paths.map((p) => p.replace(new RegExp(`${program}(/?)$`), `${name}$1`));
    const paths = forName(r.sample(candidates, r.int(0, 3)));
    statements.splice(r.int(0, statements.length), 0, hostExecutableText(r, name, paths));
    if (r.chance(0.15))
      statements.push(hostExecutableText(r, name, forName(r.sample(candidates, 1))));
  }
  const command = instantiate(r, r.pick(rules).pattern, r.int(0, 2));
  if (programsOf(rules[0].pattern).includes(command[0]) || r.chance(0.7))
    command[0] = r.chance(0.9) ? commandPath : command[0];
  if (r.chance(0.05))
    command[0] = r.pick([
      "~",
      "~/",
      ".",
      "..",
      "/",
      "~root/" + program,
      "a\\" + program,
      program.toUpperCase(),
      `/usr/bin/${program.toUpperCase()}`,
    ]);
  // `~` resolves to the home directory itself, whose name is the fixed home's basename.
  if (command[0] === "~" || command[0] === "~/") {
    statements.push(
      prefixRuleText(r, { pattern: [path.basename(FIXED_HOME)], decision: "prompt" }),
    );
  }
  const resolve = r.chance(0.8);
  return {
    files: [{ name: "policy.rules", text: fileText(r, statements) }],
    command,
    resolveHostExecutables: resolve,
    pretty: r.chance(0.1),
  };
}

/** canonical_matching=True: case-insensitive matching with Unicode case folding. */
function canonical(r) {
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

/** Valid syntax variety: comments, trailing commas, newlines in brackets, semicolons, CRLF. */
function syntaxLayout(r) {
  const program = r.pick(PROGRAMS);
  const sub = r.pick(subcommandsOf(program));
  const forms = [
    `# full line\nprefix_rule(pattern=[${q(program)}]) # trailing\n  # indented comment\n`,
    `prefix_rule(pattern=[${q(program)},], decision="prompt",)`,
    `prefix_rule(\n  pattern = [\n    ${q(program)},\n\n    ${q(sub)},\n  ],\n\n  decision = "prompt"\n)\n`,
    `prefix_rule(pattern=[${q(program)}], \\\n  decision="forbidden")\n`,
    `prefix_rule(pattern=[${q(program)}]); prefix_rule(pattern=[${q(program)}, ${q(sub)}], decision="prompt");`,
    `\n   \n\t\nprefix_rule(pattern=[${q(program)}])\n  \n`,
    `# c\r\nprefix_rule(pattern=[${q(program)}],\r\n  decision="prompt")\r\n`,
    `prefix_rule(pattern=[${q(program)}], justification="""a\r\nb""")\r\n`,
    "",
    "# only\n# comments\n",
    `"""doc"""\nprefix_rule(pattern=[${q(program)}])\n`,
    `pass\nprefix_rule(pattern=[${q(program)}])\npass\n`,
    `None\n42\n[1, 2]\n("a",)\n{"k": "v"}\nTrue\nprefix_rule(pattern=[${q(program)}])\n`,
    `prefix_rule(pattern=[${q(program)}], decision="prompt",)  ;  `,
    `\t# tab-indented comment\nprefix_rule(pattern=[${q(program)}])\n`,
    `prefix_rule(pattern=[${q(program)}])  # a\tb\n`,
    `prefix_rule( pattern = [ ${q(program)} , ${q(sub)} ] , decision = "allow" )`,
    `prefix_rule(pattern=[${q(program)}], # why\n            decision="prompt", # really\n)\n`,
    `prefix_rule(pattern=[\n    ${q(program)},  # the program\n    [\n        ${q(sub)},\n        "other",\n    ],\n])\n`,
    `prefix_rule(\n    [${q(program)}],\n    "prompt",\n    [${q(`${program} ${sub}`)}],\n    [],\n    "positional",\n    False,\n)\n`,
    `prefix_rule(pattern=[${q(program)}])\n\n\n\n`,
    `\n\n\nprefix_rule(pattern=[${q(program)}])`,
    `prefix_rule(pattern=[${q(program)}]);`,
    `prefix_rule(pattern=[${q(program)}]);;`,
    `0x10\n0o17\n0b1\n0\nprefix_rule(pattern=[${q(program)}])\n`,
    `prefix_rule(pattern=[${q(program)}], decision=("prompt"))`,
    `prefix_rule(pattern=([${q(program)}]))`,
    `prefix_rule(pattern=[(${q(program)})])`,
    `prefix_rule(pattern=[${q(program)}], canonical_matching=(True))`,
    `prefix_rule(pattern=[${q(program)}], match=[], not_match=[])`,
    `prefix_rule(pattern=[${q(program)}]) \\\n`,
    `prefix_rule(pattern=[${q(program)}])\\\n\n`,
    `prefix_rule \\\n(pattern=[${q(program)}])\n`,
    `prefix_rule(pattern=[${q(program)}])\n# trailing comment without newline`,
    `prefix_rule(pattern=[${q(program)}], justification='it\\'s "fine"')\n`,
    `prefix_rule(pattern=[${q(program)}], justification="""multi\nline "quoted" \\"x\\" 'y'""")\n`,
    `prefix_rule(pattern=[${q(program)}], justification='''a\n  b''')\n`,
    `prefix_rule(pattern=[${q(program)}]) ;prefix_rule(pattern=[${q(program)}], decision='forbidden')`,
    `prefix_rule(pattern=[${q(program)}], decision="prompt")\r\nprefix_rule(pattern=[${q(program)}, ${q(sub)}], decision="forbidden")\r\n`,
    `\\\nprefix_rule(pattern=[${q(program)}])\n`,
    `prefix_rule(pattern=[${q(program)}]);\npass;\n`,
    `prefix_rule(pattern=[${q(program)}], justification="a\\\r\nb")\r\n`,
    `prefix_rule(pattern=[${q(program)}], justification="""a\\\r\nb""")\r\n`,
    `prefix_rule(pattern=[${q(program)}], justification="cr\rinside")\n`,
    `prefix_rule(pattern=[${q(program)}], justification=r"""raw\r\nline""")\r\n`,
    `prefix_rule(pattern=[${q(program)}]) # tab\tin comment\r\n`,
    `  \t  \n\t# comment\nprefix_rule(pattern=[${q(program)}])\n\t\n`,
    `prefix_rule(pattern=[${q(program)}], decision="allow", match=[${q(program)}, [${q(program)}, ${q(sub)}]],)`,
    `prefix_rule(\n    pattern=[${q(program)}],\n    \\\n    decision="prompt",\n)\n`,
    `prefix_rule(pattern=[${q(program)}],  decision = "prompt" ,  justification = "x" )   `,
  ];
  const text = r.pick(forms);
  return {
    files: [{ name: "policy.rules", text }],
    command: [program, sub],
    pretty: r.chance(0.1),
  };
}

/** Text that is not Starlark: codex reports a parse error at a location. */
function syntaxError(r) {
  const program = r.pick(PROGRAMS);
  const p = q(program);
  const broken = r.pick([
    `prefix_rule(pattern=[${p}], justification="unterminated)`,
    `prefix_rule(pattern=[${p}], justification='a\nb')`,
    `prefix_rule(pattern=[${p}], justification="""never closed)\n`,
    `prefix_rule(pattern=[${p}]`,
    `prefix_rule(pattern=[${p}]\n`,
    `prefix_rule(pattern=[${p})`,
    `prefix_rule(pattern=[${p}]))`,
    `prefix_rule(pattern=[${p}]]`,
    `prefix_rule(pattern=[${p}}`,
    `prefix_rule(pattern=[${p}], decision="allow"`,
    `prefix_rule(\n    pattern=[${p}],\n    decision="allow",\n`,
    `prefix_rule(\n    pattern=[${p},\n    decision="allow",\n)\n`,
    `)\n`,
    `]`,
    `prefix_rule(pattern=[${p}]) x`,
    `prefix_rule(pattern=[${p}]) prefix_rule(pattern=[${p}])`,
    `prefix_rule(pattern=[${p}],, decision="allow")`,
    `prefix_rule(pattern=[${p}] decision="allow")`,
    `prefix_rule(pattern=[${p},,])`,
    `prefix_rule(pattern=[${p} "x"])`,
    `prefix_rule(=[${p}])`,
    `prefix_rule pattern=[${p}]`,
    `prefix_rule(pattern=[${p}], decision=)`,
    `prefix_rule(pattern=[${p}], "allow")`,
    `prefix_rule(pattern=[${p}], decision="allow", [${p}])`,
    `prefix_rule(pattern:[${p}])`,
    `prefix_rule(pattern=[${p}], decision="allow");;x`,
    `prefix_rule(pattern=[${p}]) = 1`,
    `\ufeffprefix_rule(pattern=[${p}])`,
    `prefix_rule(pattern=[${p}])\ufeff`,
    `prefix_rule(pattern=[${p}])\0`,
    `\x0cprefix_rule(pattern=[${p}])`,
    `prefix_rule(pattern=[${p}])\rprefix_rule(pattern=[${p}])\r`,
    `prefix_rule(pattern=[${p}], decision=$)`,
    `prefix_rule(pattern=[${p}], decision=?)`,
    "prefix_rule(pattern=[`git`])",
    `prefix_rule(pattern=[${p}], decision=!1)`,
    `prefix_rule(pattern=[${p}])\u00a0`,
    `prefix_rulé(pattern=[${p}])`,
    `prefix_rule(pattern=[${p}], décision="allow")`,
    `prefix_rule(pattern=[“${program}”])`,
    `  prefix_rule(pattern=[${p}])`,
    `prefix_rule(pattern=[${p}])\n  prefix_rule(pattern=[${p}])\n`,
    `\tprefix_rule(pattern=[${p}])`,
    `prefix_rule(pattern=[${p}])\n\tprefix_rule(pattern=[${p}])\n`,
    `prefix_rule(pattern=[${p}],\tdecision="allow")`,
    `prefix_rule(pattern=[${p}])\t# comment`,
    `prefix_rule(pattern=[\n\t${p}])`,
    `prefix_rule(pattern=[${p}],\n\t\n decision="allow")`,
    `prefix_rule(pattern=[${p}], decision=007)`,
    `prefix_rule(pattern=[${p}], decision=00)`,
    `prefix_rule(pattern=[${p}], decision=1_000)`,
    `prefix_rule(pattern=[${p}], decision=0x)`,
    `prefix_rule(pattern=[${p}], decision=1abc)`,
    `prefix_rule(pattern=[${p}], justification="\\x4")`,
    `prefix_rule(pattern=[${p}], justification="\\uD800")`,
    `prefix_rule(pattern=[${p}], justification="\\U00110000")`,
    `prefix_rule(pattern=[${p}], justification="\\u{41}")`,
    `prefix_rule(pattern=[${p}], class=1)`,
    `prefix_rule(pattern=[${p}], pass=1)`,
    `prefix_rule(pattern=[${p}], if=1)`,
    `prefix_rule(pattern=[${p}], import=1)`,
    `prefix_rule(pattern=[${p}], decision=pass)`,
    `prefix_rule(pattern=[${p}], decision=class)`,
    `prefix_rule(pattern=[${p}], justification=u"x")`,
    `prefix_rule(pattern=[${p}], justification=R"x")`,
    `prefix_rule(pattern=[${p}], justification="a" "b")`,
    `prefix_rule(pattern=[${p}], pattern=["x"])`,
    `network_rule(host="a", host="b", protocol="https", decision="allow")`,
    `host_executable(name=${p}, name="g", paths=[])`,
    `while True:\n  pass\n`,
    `prefix_rule(pattern={${p}, "x"})`,
    `prefix_rule(pattern=[${p}], decision={"a" 1})`,
    `prefix_rule(pattern=[${p}], decision=("allow" "x"))`,
    `prefix_rule(pattern=[${p}], decision="allow")  \\  # stray backslash`,
    `prefix_rule(pattern=[${p}], \\ decision="allow")`,
    `prefix_rule(pattern=[${p}])\n    \nprefix_rule(pattern=[${p}])\n  )`,
    `prefix_rule(pattern=[${p}], justification='''unterminated`,
    `prefix_rule(pattern=[${p}], justification="ends with backslash\\`,
    `prefix_rule(pattern=[${p}], justification="x\\\n`,
    `"unterminated docstring\nprefix_rule(pattern=[${p}])\n`,
    `prefix_rule(pattern=[${p}], decision="allow"),`,
    `prefix_rule(pattern=[${p}], match=["a", "b"]])`,
    `prefix_rule(pattern=[${p}]])\n`,
    `prefix_rule(pattern=[${p}], 1 = 2)`,
    `prefix_rule(pattern=[${p}], "a"=1)`,
    `prefix_rule(pattern=[${p}], decision=@)`,
    `prefix_rule(pattern=[${p}], decision=b"\\777")`,
    `prefix_rule(pattern=[${p}], decision="allow" is "x")`,
    `{"a": }`,
    `prefix_rule(pattern=[${p}], decision={"a": "b",,})`,
    `prefix_rule(pattern=[${p}], decision=(,))`,
    `prefix_rule(pattern=[${p}]) # comment with a lone \r carriage return\n`,
    `prefix_rule(pattern=[${p}]);;`,
    `;prefix_rule(pattern=[${p}])`,
    `prefix_rule(pattern=[${p}]); ;`,
    `;`,
    `else:\n  prefix_rule(pattern=[${p}])\n`,
    `elif True:\n  pass\n`,
    `and`,
    `prefix_rule(pattern=[${p}], lambda=1)`,
    `prefix_rule(pattern=[${p}], not=1)`,
    `prefix_rule(pattern=[${p}], for=1)`,
    `prefix_rule(pattern=[${p}], decision=0b2)`,
    `prefix_rule(pattern=[${p}], decision=0o8)`,
    `prefix_rule(pattern=[${p}], decision=1e)`,
    `prefix_rule(pattern=[${p}], decision={1.0: 2, 1: 3})`,
    `prefix_rule(pattern=[${p}], decision={None: 1, None: 2})`,
    `prefix_rule(pattern=[${p}], decision={("a"): 1, "a": 2})`,
    `prefix_rule(pattern=[${p}], decision={(1, "x"): 1, (1, "x"): 2})`,
    `prefix_rule(pattern=[${p}], decision={b"k": 1, b"k": 2})`,
    `prefix_rule(pattern=[${p}], decision={True: 1, True: 2})`,
    `prefix_rule(pattern=[${p}])\n\n\tprefix_rule(pattern=[${p}])\n`,
    `# comment\n\tprefix_rule(pattern=[${p}])\n`,
    `prefix_rule(pattern=[${p}])\n \t # comment\n\tprefix_rule(pattern=[${p}])\n`,
    `prefix_rule(pattern=[${p}])  # x\n\tprefix_rule(pattern=[${p}])\n`,
    `prefix_rule(pattern=[${p}])\r\n\tprefix_rule(pattern=[${p}])\r\n`,
    `prefix_rule(pattern=[${p}])\n\t\n\tprefix_rule(pattern=[${p}])\n`,
    `prefix_rule(\n\t# comment\n    pattern=[${p}])`,
    `prefix_rule(pattern=[${p}]\n# trailing comment`,
    `prefix_rule(pattern=[${p}]\n\n\n`,
    `prefix_rule(pattern=[${p}],\n    decision="allow",  # comment\n`,
    `prefix_rule(pattern=[${p}], justification='a\\\r\nb')`,
    `prefix_rule(pattern=[${p}], justification=r"a\\\r\nb")`,
    `prefix_rule(pattern=[${p}], justification="x\ry")`,
    `prefix_rule(pattern=[${p}], justification="""x\ry""")`,
    `prefix_rule(pattern=[${p}], decision="allow"\n  , justification="x")`,
    `  # indented comment is fine\n  prefix_rule(pattern=[${p}])`,
    `prefix_rule(pattern=[${p}])\n    # comment\n  prefix_rule(pattern=[${p}])`,
  ]);
  const statements = [];
  const nBefore = r.weighted([
    [4, 0],
    [3, 1],
    [2, 2],
    [1, 4],
  ]);
  for (let i = 0; i < nBefore; i++)
    statements.push(prefixRuleText(r, randomRule(r, { examples: 0.2 })));
  statements.push(broken);
  if (r.chance(0.3)) statements.push(prefixRuleText(r, randomRule(r, { examples: 0 })));
  // Statement separators after a broken statement can change the error; keep newline joins.
  let text = statements.join(r.pick(["\n", "\n\n"]));
  if (r.chance(0.5) && !broken.endsWith("\n")) text += "\n";
  return { files: [{ name: "policy.rules", text }], command: [program], pretty: false };
}

/** Errors of different stages in one policy: which one codex reports first. */
function errorPrecedence(r) {
  const p = q(r.pick(PROGRAMS));
  const snippets = {
    lexical: [
      `prefix_rule(pattern=[${p}], justification="\\x4")`,
      `prefix_rule(pattern=[${p}],\tdecision="allow")`,
      `prefix_rule(pattern=[${p}], decision=$)`,
      `prefix_rule(pattern=[${p}], decision=007)`,
      `prefix_rule(pattern=[${p}], justification="unterminated)`,
      `\tprefix_rule(pattern=[${p}])`,
    ],
    parse: [
      `prefix_rule(pattern=[${p}]))`,
      `prefix_rule(pattern=[${p}] decision="allow")`,
      `prefix_rule(pattern=[,])`,
      `prefix_rule(pattern=[${p}]);;`,
      `  prefix_rule(pattern=[${p}])`,
      `prefix_rule(pattern=[${p}], pass=1)`,
    ],
    static: [
      `prefix_rule(pattern=[${p}], decision={"a": 1, "a": 2})`,
      `prefix_rule(pattern=[${p}], pattern=["y"])`,
      `prefix_rule(pattern=[${p}], "allow")`,
      `prefix_rule(pattern=[${p}]) = 1`,
      `prefix_rule(pattern=[${p}]),`,
    ],
    name: [
      `foo()`,
      `prefix_rule(pattern=[x])`,
      `prefix_rule(pattern=[${p}], decision=allow)`,
      `prefix_rules(pattern=[${p}])`,
    ],
    eval: [
      `prefix_rule(pattern=[])`,
      `prefix_rule(pattern=[${p}], decision="deny")`,
      `host_executable(name="a/b", paths=[])`,
      `prefix_rule(pattern=[${p}], foo=1)`,
      `network_rule(host="*", protocol="https", decision="allow")`,
    ],
    validation: [
      `prefix_rule(pattern=[${p}], match=["zzz"])`,
      `prefix_rule(pattern=[${p}], not_match=[${q(`${p.slice(1, -1)} y`)}])`,
    ],
  };
  const kinds = r.sample(Object.keys(snippets), r.int(2, 3));
  const statements = kinds.map((kind) => r.pick(snippets[kind]));
  const filler = () => prefixRuleText(r, randomRule(r, { examples: 0 }));
  const spread = [];
  for (const statement of statements) {
    if (r.chance(0.5)) spread.push(filler());
    spread.push(statement);
  }
  if (r.chance(0.3)) spread.push(filler());
  if (r.chance(0.3) && spread.length > 1) {
    const cut = r.int(1, spread.length - 1);
    return {
      files: [
        { name: "first.rules", text: `${spread.slice(0, cut).join("\n")}\n` },
        { name: "second.rules", text: `${spread.slice(cut).join("\n")}\n` },
      ],
      command: ["git"],
      pretty: false,
    };
  }
  return {
    files: [{ name: "policy.rules", text: `${spread.join("\n")}\n` }],
    command: ["git"],
    pretty: false,
  };
}

/** Names that do not exist: a typo'd builtin, an unquoted string, print(). */
function unknownName(r) {
  const program = r.pick(PROGRAMS);
  const p = q(program);
  const statement = r.pick([
    "foo()",
    `print("hello")`,
    `prefix_rules(pattern=[${p}])`,
    `Prefix_rule(pattern=[${p}])`,
    `prefixrule(pattern=[${p}])`,
    `prefix_rule(pattern=[${program}])`,
    `prefix_rule(pattern=[${p}], decision=allow)`,
    `prefix_rule(pattern=[${p}], decision=prompt)`,
    `prefix_rule(pattern=[${p}], decision=forbidden)`,
    `prefix_rule(pattern=[${p}], canonical_matching=true)`,
    `prefix_rule(pattern=[${p}], justification=none)`,
    `prefix_rule(pattern=[${p}], justification=null)`,
    `network_rules(host="example.com", protocol="https", decision="allow")`,
    `host_executables(name=${p}, paths=[])`,
    `host_executable(name=${p}, paths=[path])`,
    `json(1)`,
    `struct(a=1)`,
    `set([1])`,
    `rule(pattern=[${p}])`,
    `prefix_rule(pattern=[${p}, subcommand])`,
    `prefix_rule(pattern=[${p}], match=[example])`,
    `prefix_rule(pattern=[${p}], decision=ALLOW)`,
    `prefix_rule(pattern=[${p}], decision=Allow)`,
    `undefined`,
    `[undefined_a, undefined_b]`,
    `network_rule(host=example, protocol="https", decision="allow")`,
  ]);
  const statements = [];
  const nBefore = r.int(0, 3);
  for (let i = 0; i < nBefore; i++)
    statements.push(prefixRuleText(r, randomRule(r, { examples: 0.2 })));
  statements.push(statement);
  if (r.chance(0.4)) statements.push(prefixRuleText(r, randomRule(r, { examples: 0.2 })));
  if (r.chance(0.2))
    statements.push(
      r.pick(["bar()", `prefix_rule(pattern=[${p}], decision="bogus")`, "prefix_rule(pattern=[])"]),
    );
  const files = [{ name: "policy.rules", text: fileText(r, statements) }];
  if (r.chance(0.2))
    files.unshift({
      name: "base.rules",
      text: fileText(r, [prefixRuleText(r, randomRule(r, { program, examples: 0 }))]),
    });
  return { files, command: [program], pretty: false };
}

/** Commands with odd tokens: empty strings, spaces, unicode, control characters. */
function oddCommand(r) {
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

/** network_rule calls, valid and invalid (they never show in the output). */
function networkRules(r) {
  const program = r.pick(PROGRAMS);
  const statements = [];
  const n = r.int(1, 3);
  for (let i = 0; i < n; i++) {
    statements.push(
      networkRuleText(
        r,
        r.chance(0.6)
          ? validNetworkRule(r)
          : {
              host: r.pick(NETWORK_HOSTS),
              protocol: r.chance(0.8)
                ? r.pick([
                    "https",
                    "http",
                    "socks5_tcp",
                    "socks5_udp",
                    "https_connect",
                    "http-connect",
                  ])
                : r.pick(BAD_PROTOCOLS),
              decision: r.chance(0.9)
                ? r.pick(["allow", "deny", "prompt", "forbidden"])
                : r.pick(["ask", "Deny", ""]),
            },
      ),
    );
  }
  statements.splice(
    r.int(0, statements.length),
    0,
    prefixRuleText(r, randomRule(r, { program, examples: 0.1 })),
  );
  return {
    files: [{ name: "policy.rules", text: fileText(r, statements) }],
    command: [program, "x"],
    pretty: false,
  };
}

/** Files that cannot be read: missing, a directory, invalid UTF-8. */
function unreadable(r) {
  const program = r.pick(PROGRAMS);
  const good = { name: "ok.rules", text: `prefix_rule(pattern=[${q(program)}])\n` };
  const bad = r.pick([
    { name: "missing.rules", missing: true },
    { name: "folder.rules", directory: true },
    {
      name: "latin1.rules",
      base64: Buffer.from(
        `prefix_rule(pattern=[${q(program)}], justification="caf\xe9")\n`,
        "latin1",
      ).toString("base64"),
    },
    {
      name: "truncated.rules",
      base64: Buffer.concat([
        Buffer.from(`prefix_rule(pattern=[${q(program)}])\n# \xe6\x97`, "latin1"),
      ]).toString("base64"),
    },
    {
      name: "surrogate.rules",
      base64: Buffer.concat([
        Buffer.from("# "),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from("\n"),
      ]).toString("base64"),
    },
    {
      name: "overlong.rules",
      base64: Buffer.concat([
        Buffer.from("# "),
        Buffer.from([0xc0, 0xaf]),
        Buffer.from("\n"),
      ]).toString("base64"),
    },
    { name: "ff.rules", base64: Buffer.from([0xff, 0xfe, 0x70, 0x00]).toString("base64") },
  ]);
  const files = r.chance(0.5) ? [good, bad] : r.chance(0.5) ? [bad] : [bad, good];
  return { files, command: [program], pretty: false };
}

const CATEGORIES = [
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

function generateCases(options) {
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

// ---------------------------------------------------------------------------------------------
// Running the reference

function runReference(codex, entry, workDir, home) {
  const dir = path.join(workDir, entry.id);
  mkdirSync(dir, { recursive: true });
  const filePaths = entry.files.map((file) => {
    const filePath = path.join(dir, file.name);
    if (file.directory) mkdirSync(filePath);
    else if (file.base64 !== undefined) writeFileSync(filePath, Buffer.from(file.base64, "base64"));
    // Rules may name paths under the fixed home; the reference's home is a temporary directory.
    else if (!file.missing) writeFileSync(filePath, file.text.split(FIXED_HOME).join(home));
    return filePath;
  });
  const args = ["execpolicy", "check"];
  for (const filePath of filePaths) args.push("--rules", filePath);
  if (entry.resolveHostExecutables) args.push("--resolve-host-executables");
  if (entry.pretty) args.push("--pretty");
  args.push("--", ...entry.command.map((token) => token.split(FIXED_HOME).join(home)));
  return new Promise((resolve, reject) => {
    execFile(
      codex,
      args,
      {
        cwd: "/",
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home },
        maxBuffer: 16 << 20,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : error.code;
        if (typeof code !== "number") {
          reject(error);
          return;
        }
        resolve({ code, stdout, stderr, filePaths });
      },
    );
  });
}

function replaceHome(text, home) {
  return text.split(home).join(FIXED_HOME);
}

/** What the reference's failure says: which file, which kind, the message and the location. */
function describeFailure(stderr, filePaths, names) {
  const lines = stderr.split("\n").filter((line) => !line.startsWith("WARNING: "));
  const text = lines.join("\n");
  const head = /^Error: failed to (parse|read) policy at (.*)$/m.exec(text);
  if (head === null) throw new Error(`unrecognised reference failure:\n${stderr}`);
  const index = filePaths.indexOf(head[2]);
  const failingFile = index >= 0 ? index : null;
  const causeAt = text.indexOf("\nCaused by:\n");
  let body = causeAt >= 0 ? text.slice(causeAt + "\nCaused by:\n".length) : "";
  const backtrace = body.indexOf("\n\nStack backtrace:");
  if (backtrace >= 0) body = body.slice(0, backtrace);
  const bodyLines = body
    .split("\n")
    .map((line) => (line.startsWith("    ") ? line.slice(4) : line.trim() === "" ? "" : line));
  while (bodyLines.length > 0 && bodyLines[bodyLines.length - 1] === "") bodyLines.pop();

  if (head[1] === "read") {
    const name = failingFile === null ? head[2] : names[failingFile];
    return {
      ok: false,
      failingFile,
      kind: "read",
      message: `failed to read policy at ${name}: ${bodyLines.join("\n")}`,
    };
  }
  const first = bodyLines[0] ?? "";
  if (!first.startsWith("starlark error: ")) {
    return { ok: false, failingFile, kind: "validation", message: bodyLines.join("\n") };
  }
  const arrowAt = bodyLines.findIndex((line) => /^\s*--> /.test(line));
  const location = arrowAt >= 0 ? /--> (.*):(\d+):(\d+)$/.exec(bodyLines[arrowAt]) : null;
  // A location past the end of the file is printed without a source line (and at a bogus 1:1).
  const snippet =
    arrowAt >= 0 && bodyLines.slice(arrowAt + 1).some((line) => /^\s*\d+ \|/.test(line));
  const located =
    location !== null && snippet ? { line: Number(location[2]), column: Number(location[3]) } : {};
  const end = arrowAt >= 0 ? arrowAt : bodyLines.length;
  if (first.startsWith("starlark error: Traceback")) {
    const errorAt = bodyLines.findIndex((line) => line.startsWith("error: "));
    const message = bodyLines.slice(errorAt, end).join("\n").slice("error: ".length);
    return { ok: false, failingFile, kind: "eval", message, ...located };
  }
  const message = [first.slice("starlark error: error: ".length), ...bodyLines.slice(1, end)].join(
    "\n",
  );
  const kind = message.startsWith("Variable `") ? "name" : "parse";
  return { ok: false, failingFile, kind, message, ...located };
}

async function runAll(options, cases) {
  const workDir = mkdtempSync(path.join(os.tmpdir(), "execward-corpus-"));
  const home = path.join(workDir, "home", "execward-corpus");
  mkdirSync(home, { recursive: true });
  const version = await new Promise((resolve) =>
    execFile(
      options.codex,
      ["--version"],
      { env: { HOME: home, PATH: process.env.PATH } },
      (_e, out) => resolve(String(out).trim()),
    ),
  );
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < cases.length) {
      const entry = cases[next++];
      const run = await runReference(options.codex, entry, workDir, home);
      if (run.code === 0) {
        entry.expected = { ok: true, stdout: replaceHome(run.stdout, home) };
      } else if (run.code === 1) {
        entry.expected = describeFailure(
          replaceHome(run.stderr, home),
          run.filePaths.map((p) => replaceHome(p, home)),
          entry.files.map((f) => f.name),
        );
      } else {
        throw new Error(`${entry.id}: reference exited ${run.code}\n${run.stderr}`);
      }
      if (++done % 200 === 0) process.stderr.write(`  ${done}/${cases.length}\n`);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.jobs }, worker));
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  return version;
}

function writeCorpus(options, cases, version) {
  const header = {
    description:
      "Differential corpus: execward's .rules engine vs `codex execpolicy check`. Generated by scripts/generate-policy-corpus.mjs; do not edit.",
    reference: version,
    seed: options.seed,
    paths: { cwd: "/", home: FIXED_HOME },
  };
  const headerJson = JSON.stringify(header);
  const body = cases.map((entry) => JSON.stringify(entry)).join(",\n");
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${headerJson.slice(0, -1)},"cases":[\n${body}\n]}\n`);
}

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
