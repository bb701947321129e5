// Word splitting of string examples and quoting of rendered examples, as Rust's shlex crate
// (cases observed from codex-cli 0.169.0).
import { describe, expect, it } from "vitest";

import { shlexJoin, shlexQuote, shlexSplit } from "../../../src/policy/shlex.js";

describe("shlexSplit", () => {
  it.each([
    ["git status # x", ["git", "status"]],
    ["git a#b", ["git", "a#b"]],
    ["git #x", ["git"]],
    ["git # x\nstatus", ["git", "status"]],
    ["a\\\nb", ["ab"]],
    ["git a\\ b", ["git", "a b"]],
    ["git \\a\\b", ["git", "ab"]],
    ['git "a\\"b"', ["git", 'a"b']],
    ['git "a\\$b\\`c\\\\d"', ["git", "a$b`c\\d"]],
    ['git "a\\ab"', ["git", "a\\ab"]],
    ["git 'a\\b'", ["git", "a\\b"]],
    ["git '' \"\"", ["git", "", ""]],
    ["git a\"b\"'c'", ["git", "abc"]],
    ["git\ta\nb", ["git", "a", "b"]],
    ["git\r\na", ["git\r", "a"]],
    ["git \\\n status", ["git", "", "status"]],
    ["\\\n", [""]],
    ["git $'a\\nb'", ["git", "$a\\nb"]],
    ["   ", []],
    ["# x", []],
  ])("%j", (input, expected) => {
    expect(shlexSplit(input)).toEqual(expected);
  });

  it.each(["git 'unterminated", 'git "unterminated', "git a\\", '"\\'])(
    "%j has invalid syntax",
    (input) => {
      expect(shlexSplit(input)).toBeUndefined();
    },
  );
});

describe("shlexQuote / shlexJoin", () => {
  it.each([
    ["", "''"],
    ["plain-word_1.2/x:y@z+]", "plain-word_1.2/x:y@z+]"],
    ["a b", "'a b'"],
    ["$x", "'$x'"],
    ["it's", '"it\'s"'],
    ["a\\b", '"a\\\\b"'],
    ['a"b', "'a\"b'"],
    ["é", "'é'"],
    ["^x", "'^x'"],
    ["a^b", "a'^b'"],
    ["a'b$c", "\"a'b\"'$c'"],
    ["!", "'!'"],
    ["~", "'~'"],
  ])("quotes %j as %s", (word, quoted) => {
    expect(shlexQuote(word)).toBe(quoted);
  });

  it("joins with spaces and refuses NUL", () => {
    expect(shlexJoin(["git", "a b", ""])).toBe("git 'a b' ''");
    expect(shlexJoin(["git", "a\0b"])).toBeUndefined();
  });
});
