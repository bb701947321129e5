// Every error the builtins and the argument binder raise, with codex's exact wording and the
// location codex reports (the start of the call). Wording verified against codex-cli 0.169.0.
import { describe, expect, it } from "vitest";

import { policyErrorFrom } from "../../helpers/policy.js";

const CASES: readonly (readonly [rules: string, code: string, detail: string])[] = [
  // argument binding
  [`prefix_rule()`, "rules_argument", "Missing parameter `pattern` for call to `prefix_rule`"],
  [
    `prefix_rule(decision="allow")`,
    "rules_argument",
    "Missing parameter `pattern` for call to `prefix_rule`",
  ],
  [
    `prefix_rule(pattern=["git"], foo=1)`,
    "rules_argument",
    "Found `foo` extra named parameter(s) for call to prefix_rule",
  ],
  [
    `prefix_rule(pattern=["git"], foo=1, bar=2)`,
    "rules_argument",
    "Found `foo` `bar` extra named parameter(s) for call to prefix_rule",
  ],
  [`prefix_rule(foo=1)`, "rules_argument", "Missing parameter `pattern` for call to `prefix_rule`"],
  [
    `prefix_rule(pattern=1, foo=1)`,
    "rules_argument",
    "Found `foo` extra named parameter(s) for call to prefix_rule",
  ],
  [
    `prefix_rule(["git"], "allow", [], [], "j", True, 1)`,
    "rules_argument",
    "Found 1 extra positional argument(s) for call to prefix_rule",
  ],
  [
    `prefix_rule(["git"], pattern=["ls"])`,
    "rules_argument",
    "Argument `pattern` occurs more than once",
  ],
  [
    `prefix_rule(pattern="git")`,
    "rules_argument",
    'Type of parameter `pattern` doesn\'t match, expected `list`, actual `string (repr: "git")`',
  ],
  [
    `prefix_rule(pattern=("git",))`,
    "rules_argument",
    'Type of parameter `pattern` doesn\'t match, expected `list`, actual `tuple (repr: ("git",))`',
  ],
  [
    `prefix_rule(pattern=None)`,
    "rules_argument",
    "Type of parameter `pattern` doesn't match, expected `list`, actual `NoneType (repr: None)`",
  ],
  [
    `prefix_rule(pattern=["git"], decision=None)`,
    "rules_argument",
    "Type of parameter `decision` doesn't match, expected `str`, actual `NoneType (repr: None)`",
  ],
  [
    `prefix_rule(pattern=["git"], decision=1)`,
    "rules_argument",
    "Type of parameter `decision` doesn't match, expected `str`, actual `int (repr: 1)`",
  ],
  [
    `prefix_rule(pattern=["git"], justification=b"x")`,
    "rules_argument",
    'Type of parameter `justification` doesn\'t match, expected `str`, actual `bytes (repr: b"x")`',
  ],
  [
    `prefix_rule(["git"], "allow", "j")`,
    "rules_argument",
    'Type of parameter `match` doesn\'t match, expected `list`, actual `string (repr: "j")`',
  ],
  [
    `prefix_rule(pattern=["git"], canonical_matching=None)`,
    "rules_argument",
    "Type of parameter `canonical_matching` doesn't match, expected `bool`, actual `NoneType (repr: None)`",
  ],
  [
    `prefix_rule(justification=1, decision=1, pattern=1)`,
    "rules_argument",
    "Type of parameter `pattern` doesn't match, expected `list`, actual `int (repr: 1)`",
  ],
  [`network_rule()`, "rules_argument", "Missing parameter `host` for call to `network_rule`"],
  [
    `network_rule(host="a.com", protocol="https")`,
    "rules_argument",
    "Missing parameter `decision` for call to `network_rule`",
  ],
  [
    `network_rule(1,2,3,4,5,6,7,8,9,10)`,
    "rules_argument",
    "Found 6 extra positional argument(s) for call to network_rule",
  ],
  [
    `host_executable(name="git")`,
    "rules_argument",
    "Missing parameter `paths` for call to `host_executable`",
  ],
  [
    `host_executable(name="git", paths="x")`,
    "rules_argument",
    'Type of parameter `paths` doesn\'t match, expected `list`, actual `string (repr: "x")`',
  ],
  // prefix_rule values, in codex's checking order
  [`prefix_rule(pattern=[], decision="bogus")`, "invalid_decision", "invalid decision: bogus"],
  [`prefix_rule(pattern=["git"], decision="deny")`, "invalid_decision", "invalid decision: deny"],
  [
    `prefix_rule(pattern=[], justification="")`,
    "invalid_rule",
    "invalid rule: justification cannot be empty",
  ],
  [
    `prefix_rule(pattern=["git"], justification="\\r")`,
    "invalid_rule",
    "invalid rule: justification cannot be empty",
  ],
  [
    `prefix_rule(pattern=[])`,
    "invalid_pattern",
    "invalid pattern element: pattern cannot be empty",
  ],
  [
    `prefix_rule(pattern=["git", []])`,
    "invalid_pattern",
    "invalid pattern element: pattern alternatives cannot be empty",
  ],
  [
    `prefix_rule(pattern=["git", ["a", 1]])`,
    "invalid_pattern",
    "invalid pattern element: pattern alternative must be a string (got int)",
  ],
  [
    `prefix_rule(pattern=["git", [["status"]]])`,
    "invalid_pattern",
    "invalid pattern element: pattern alternative must be a string (got list)",
  ],
  [
    `prefix_rule(pattern=[None])`,
    "invalid_pattern",
    "invalid pattern element: pattern element must be a string or list of strings (got NoneType)",
  ],
  [
    `prefix_rule(pattern=["git", {"a": 1}])`,
    "invalid_pattern",
    "invalid pattern element: pattern element must be a string or list of strings (got dict)",
  ],
  [
    `prefix_rule(pattern=[], match=[1])`,
    "invalid_pattern",
    "invalid pattern element: pattern cannot be empty",
  ],
  [
    `prefix_rule(pattern=["git"], match=[1], not_match=[1])`,
    "invalid_example",
    "invalid example: example must be a string or list of strings (got int)",
  ],
  [
    `prefix_rule(pattern=["git"], match=[""])`,
    "invalid_example",
    "invalid example: example cannot be an empty string",
  ],
  [
    `prefix_rule(pattern=["git"], match=["# only a comment"])`,
    "invalid_example",
    "invalid example: example cannot be an empty string",
  ],
  [
    `prefix_rule(pattern=["git"], match=[[]])`,
    "invalid_example",
    "invalid example: example cannot be an empty list",
  ],
  [
    `prefix_rule(pattern=["git"], match=[[1]])`,
    "invalid_example",
    "invalid example: example tokens must be strings (got int)",
  ],
  [
    `prefix_rule(pattern=["git"], match=["git \\"unterminated"])`,
    "invalid_example",
    "invalid example: example string has invalid shell syntax",
  ],
  [
    `prefix_rule(pattern=["git"], not_match=["git a\\\\"])`,
    "invalid_example",
    "invalid example: example string has invalid shell syntax",
  ],
  // network_rule values: protocol, decision, justification, host
  [
    `network_rule(host="", protocol="ftp", decision="allow")`,
    "invalid_rule",
    "invalid rule: network_rule protocol must be one of http, https, socks5_tcp, socks5_udp (got ftp)",
  ],
  [
    `network_rule(host="", protocol="https", decision="block")`,
    "invalid_decision",
    "invalid decision: block",
  ],
  [
    `network_rule(host="", protocol="https", decision="allow", justification=" ")`,
    "invalid_rule",
    "invalid rule: justification cannot be empty",
  ],
  [
    `network_rule(host=" ", protocol="https", decision="allow")`,
    "invalid_rule",
    "invalid rule: network_rule host cannot be empty",
  ],
  [
    `network_rule(host=". ", protocol="https", decision="allow")`,
    "invalid_rule",
    "invalid rule: network_rule host cannot be empty",
  ],
  [
    `network_rule(host="https://a.com", protocol="https", decision="allow")`,
    "invalid_rule",
    "invalid rule: network_rule host must be a hostname or IP literal (without scheme or path)",
  ],
  [
    `network_rule(host="a.com/x", protocol="https", decision="allow")`,
    "invalid_rule",
    "invalid rule: network_rule host must be a hostname or IP literal (without scheme or path)",
  ],
  [
    `network_rule(host="[::1", protocol="https", decision="allow")`,
    "invalid_rule",
    "invalid rule: network_rule host has an invalid bracketed IPv6 literal",
  ],
  [
    `network_rule(host="[::1]x", protocol="https", decision="allow")`,
    "invalid_rule",
    "invalid rule: network_rule host contains an unsupported suffix: [::1]x",
  ],
  [
    `network_rule(host="*.a.com", protocol="https", decision="allow")`,
    "invalid_rule",
    "invalid rule: network_rule host must be a specific host; wildcards are not allowed",
  ],
  [
    `network_rule(host="[a b]", protocol="https", decision="allow")`,
    "invalid_rule",
    "invalid rule: network_rule host cannot contain whitespace",
  ],
  // host_executable values
  [
    `host_executable(name="", paths=[])`,
    "invalid_rule",
    "invalid rule: host_executable name cannot be empty",
  ],
  [
    `host_executable(name="a/b", paths=[1])`,
    "invalid_rule",
    "invalid rule: host_executable name must be a bare executable name (got a/b)",
  ],
  [
    `host_executable(name="..", paths=[])`,
    "invalid_rule",
    "invalid rule: host_executable name must be a bare executable name (got ..)",
  ],
  [
    `host_executable(name="git", paths=[1])`,
    "invalid_rule",
    "invalid rule: host_executable paths must be strings (got int)",
  ],
  [
    `host_executable(name="git", paths=["bin/git"])`,
    "invalid_rule",
    "invalid rule: host_executable paths must be absolute (got bin/git)",
  ],
  [
    `host_executable(name="git", paths=["~/bin/git"])`,
    "invalid_rule",
    "invalid rule: host_executable paths must be absolute (got ~/bin/git)",
  ],
  [
    `host_executable(name="git", paths=["/usr/bin/hg"])`,
    "invalid_rule",
    "invalid rule: host_executable path `/usr/bin/hg` must have basename `git`",
  ],
  [
    `host_executable(name="git", paths=["/"])`,
    "invalid_rule",
    "invalid rule: host_executable path `/` must have basename `git`",
  ],
];

describe("builtin error messages", () => {
  it.each(CASES)("%s", (rules, code, detail) => {
    const error = policyErrorFrom(`# leading comment\n  \n${rules}\n`);
    expect({ code: error.code, detail: error.detail, location: error.location }).toEqual({
      code,
      detail,
      location: { path: "test0.rules", line: 3, column: 1 },
    });
  });

  it("reports the call site when the call is not at the start of its line", () => {
    const error = policyErrorFrom(`prefix_rule(pattern=["a"]); prefix_rule(pattern=[])`);
    expect(error.location).toEqual({ path: "test0.rules", line: 1, column: 29 });
  });

  it("reports an unknown name before running anything", () => {
    const error = policyErrorFrom(`prefix_rule(pattern=[])\nfoo()\n`);
    expect([error.code, error.detail, error.location?.line]).toEqual([
      "rules_name_not_found",
      "Variable `foo` not found",
      2,
    ]);
  });

  it("checks examples after the whole file, so a later evaluation error wins", () => {
    const error = policyErrorFrom(
      `prefix_rule(pattern=["git"], match=["ls"])\nprefix_rule(pattern=1)\n`,
    );
    expect([error.code, error.location?.line]).toEqual(["rules_argument", 2]);
  });

  it("checks not_match before match, and only against the call's own rules", () => {
    const error = policyErrorFrom(
      `prefix_rule(pattern=["ls"])\nprefix_rule(pattern=["git"], match=["ls"], not_match=["git x"])\n`,
    );
    expect([error.code, error.location?.line]).toEqual(["example_did_match", 2]);
    const unmatched = policyErrorFrom(
      `prefix_rule(pattern=["git"], match=["ls -l", "git a", "cat"])\nprefix_rule(pattern=["ls"])`,
    );
    expect(unmatched.detail).toMatch(/unmatched examples: \["ls -l", "cat"\]$/);
  });

  it("reports a failing example of an earlier file before anything in a later file", () => {
    const error = policyErrorFrom(`prefix_rule(pattern=["git"], match=["ls"])`, `foo(`);
    expect([error.code, error.location?.path]).toEqual(["example_did_not_match", "test0.rules"]);
  });

  it("renders examples and rules the way codex does", () => {
    const error = policyErrorFrom(
      `prefix_rule(pattern=["g\\"it", "a b", "\\x1b"], decision="prompt", justification="say \\"hi\\"\\n\\x1b[0m", match=[["ls", "a b"], ["ls", ""], ["ls", "it's"], ["ls", "a\\\\b"], ["ls", "é"], ["ls", "-x", "a:b", "^", "!"]])`,
    );
    expect(error.detail).toBe(
      'expected every example to match at least one rule. rules: ["PrefixRule { pattern: PrefixPattern { canonical_matching: false, first: \\"g\\\\\\"it\\", rest: [Single(\\"a b\\"), Single(\\"\\\\u{1b}\\")] }, decision: Prompt, justification: Some(\\"say \\\\\\"hi\\\\\\"\\\\n\\\\u{1b}[0m\\") }"]; unmatched examples: ["ls \'a b\'", "ls \'\'", "ls \\"it\'s\\"", "ls \\"a\\\\\\\\b\\"", "ls \'é\'", "ls -x a:b \'^\' \'!\'"]',
    );
  });

  it("shows the resolved program of a not_match example matched through its path", () => {
    const error = policyErrorFrom(
      `prefix_rule(pattern=["git"], not_match=["./bin/../git status"])`,
    );
    expect(error.detail).toBe(
      'expected example to not match rule `PrefixRuleMatch { matched_prefix: ["git"], decision: Allow, resolved_program: Some(AbsolutePathBuf("/work/project/git")), justification: None }`: ./bin/../git status',
    );
  });
});
