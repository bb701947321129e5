// The Starlark surface rules files use (accepted with codex's meaning), the valid Starlark
// execward refuses (a clear "unsupported" error, never silently accepted), and text that is not
// Starlark at all (a located syntax error).
import { describe, expect, it } from "vitest";

import { policyErrorFrom, policyFrom } from "../../helpers/policy.js";

function justificationOf(literal: string): string | undefined {
  const [match] = policyFrom(`prefix_rule(pattern=["git"], justification=${literal})`).evaluate([
    "git",
  ]).matchedRules;
  return match?.justification;
}

describe("accepted syntax", () => {
  it.each([
    [
      "comments",
      `# full line\nprefix_rule(pattern=["git"], decision="prompt") # trailing\n  # indented comment\n`,
    ],
    ["trailing commas", `prefix_rule(pattern=["git",], decision="prompt",)`],
    [
      "newlines inside brackets",
      `prefix_rule(\n  pattern = [\n    "git",\n\n  ],\n\n  decision = "prompt"\n)\n`,
    ],
    ["backslash continuation", `prefix_rule(pattern=["git"], \\\n  decision="prompt")`],
    ["semicolons", `prefix_rule(pattern=["x"]); prefix_rule(pattern=["git"], decision="prompt");`],
    ["CRLF line ends", `# c\r\nprefix_rule(pattern=["git"],\r\n  decision="prompt")\r\n`],
    [
      "a docstring, pass and bare literals",
      `"""Rules for git."""\npass\nNone\n42\n[1, (2,), {"a": True}]\nprefix_rule(pattern=["git"], decision="prompt")`,
    ],
    ["positional arguments", `prefix_rule(["git"], "prompt", ["git status"], ["ls"], "because")`],
    [
      "blank lines with whitespace",
      `\n   \n\t\nprefix_rule(pattern=["git"], decision="prompt")\n  \n`,
    ],
    [
      "single quotes and f-strings without fields",
      `prefix_rule(pattern=['git'], decision=f"prompt")`,
    ],
  ])("%s", (_name, rules) => {
    expect(policyFrom(rules).evaluate(["git", "status"]).decision).toBe("prompt");
  });

  it("loads an empty file and a comments-only file as no rules", () => {
    expect(policyFrom("", "# a\n# b\n").prefixRules).toEqual([]);
  });

  it.each([
    [`"a\\nb"`, "a\nb"],
    [`"a\\tb\\\\c\\"d\\'e"`, "a\tb\\c\"d'e"],
    [`'a\\'b'`, "a'b"],
    [`"\\x41\\101\\u00e9\\U0001F600"`, "AAé😀"],
    [`"\\0"`, "\0"],
    [`"\\1234"`, "S4"],
    [`"\\400\\777"`, "\u0100\u01ff"],
    [`"\\xff"`, "\u00ff"],
    [`"\\a\\b\\f\\v"`, "\x07\b\f\v"],
    [`"\\d\\q\\8\\N{DASH}"`, "\\d\\q\\8\\N{DASH}"],
    [`r"a\\d\\nb"`, "a\\d\\nb"],
    [`r"a\\"b"`, 'a"b'],
    [`r'a\\'b'`, "a'b"],
    [`r"a\\\\"`, "a\\\\"],
    [`"""a\n  b"""`, "a\n  b"],
    [`'''a''b'''`, "a''b"],
    [`"""a\\\nb"""`, "ab"],
    [`"a\\\nb"`, "ab"],
    [`"""a\r\nb"""`, "a\nb"],
    [`f"{{x}}"`, "{x}"],
    [`" x "`, " x "],
  ])("decodes %s", (literal, expected) => {
    expect(justificationOf(literal)).toBe(expected);
  });
});

describe("syntax errors", () => {
  it.each([
    [`prefix_rule(pattern=["git"]`, 1, 28],
    [`prefix_rule(pattern=["git")`, 1, 27],
    [`prefix_rule(pattern=["git"]))`, 1, 29],
    [`x\n)`, 2, 1],
    [`prefix_rule(pattern=["git"], justification="unterminated)`, 1, 44],
    [`prefix_rule(pattern=["git"], justification='a\nb')`, 1, 44],
    [`"a" "b"`, 1, 5],
    [`  prefix_rule(pattern=["git"])`, 1, 1],
    [`\uFEFFprefix_rule(pattern=["git"])`, 1, 1],
    [`prefix_rule(pattern=["git"]) $`, 1, 30],
    [`prefix_rule(pattern=["git"], justification="\\x4")`, 1, 45],
    [`prefix_rule(pattern=["git"], justification="\\uD800")`, 1, 45],
    [`prefix_rule(pattern=["git"], justification=u"x")`, 1, 45],
    [`prefix_rule(pattern=[007])`, 1, 22],
    [`prefix_rule(pattern=[1_000])`, 1, 22],
    [`prefix_rule(pattern=["git"], pattern=["ls"])`, 1, 30],
    [`prefix_rule(decision="allow", ["git"])`, 1, 31],
    [`prefix_rule(pattern=["git"], class=1)`, 1, 30],
    [`prefix_rule(pattern=["git"])\rprefix_rule(pattern=["ls"])`, 1, 29],
  ])("%j is rejected at %i:%i", (rules, line, column) => {
    const error = policyErrorFrom(rules);
    expect([error.code, error.location?.line, error.location?.column]).toEqual([
      "rules_syntax",
      line,
      column,
    ]);
  });

  it("reports a syntax error anywhere in the file before evaluating anything", () => {
    const error = policyErrorFrom(`prefix_rule(pattern=[])\nprefix_rule(pattern=["a"]`);
    expect(error.code).toBe("rules_syntax");
  });
});

describe("valid Starlark that execward does not evaluate", () => {
  it.each([
    ["assignment", `x = "prompt"\nprefix_rule(pattern=["git"], decision=x)`],
    ["augmented assignment", `x = [1]\nx += [2]`],
    ["operator", `prefix_rule(pattern=["git"], justification="a" + "b")`],
    ["unary minus", `prefix_rule(pattern=[-1])`],
    ["for loop", `for x in ["git"]:\n  prefix_rule(pattern=[x])\n`],
    ["if block", `if True:\n  prefix_rule(pattern=["git"])\n`],
    ["def", `def f():\n  prefix_rule(pattern=["git"])\nf()\n`],
    ["lambda", `f = lambda: 1`],
    ["comprehension", `[prefix_rule(pattern=[x]) for x in ["git"]]`],
    ["nested call", `prefix_rule(pattern=["git"], justification=str(1))`],
    ["attribute access", `prefix_rule(pattern=["git"], justification="a".upper())`],
    ["f-string field", `prefix_rule(pattern=["git"], justification=f"{1}")`],
    ["splat", `prefix_rule(*[["git"]])`],
    ["load", `load("x.star", "y")`],
    ["builtin call", `len([1])`],
  ])("%s", (_name, rules) => {
    const error = policyErrorFrom(rules);
    expect(error.code).toBe("rules_unsupported");
    expect(error.detail).toMatch(
      /^unsupported Starlark: .+; execward evaluates calls to prefix_rule/,
    );
    expect(error.location?.path).toBe("test0.rules");
  });

  it("evaluates the statements before an unsupported one first, as codex would", () => {
    const error = policyErrorFrom(`prefix_rule(pattern=[])\nx = 1\n`);
    expect([error.code, error.location?.line]).toEqual(["invalid_pattern", 1]);
  });
});
