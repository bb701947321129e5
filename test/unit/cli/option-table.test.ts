// The one command-line parser: a table in, a typed options object and the untouched command out;
// every malformed command line a usage error naming the option.
import { describe, expect, it } from "vitest";

import { optionsHelp, parseArgs, type OptionTable } from "../../../src/cli/option-table.js";
import { isExecwardError } from "../../../src/errors.js";

const TABLE = {
  rules: { kind: "values", short: "r", arg: "FILE", help: "A rules file." },
  shell: { kind: "value", arg: "SHELL", choices: ["bash", "sh"], default: "bash", help: "Shell." },
  bash: { kind: "value", arg: "PATH", help: "Binary." },
  "no-discover": { kind: "flag", help: "No discovery." },
  help: { kind: "flag", short: "h", help: "Help." },
} as const satisfies OptionTable;

function usageMessage(argv: string[]): string {
  try {
    parseArgs(argv, TABLE);
  } catch (error) {
    if (isExecwardError(error) && error.code === "usage") return error.message;
    throw error;
  }
  throw new Error(`expected a usage error for ${JSON.stringify(argv)}`);
}

describe("parseArgs", () => {
  it("gives every field its empty value when no option is given", () => {
    expect(parseArgs([], TABLE)).toEqual({
      options: { rules: [], shell: "bash", bash: undefined, noDiscover: false, help: false },
      rest: [],
    });
  });

  it.each<[string, string[], Record<string, unknown>, string[]]>([
    ["long value", ["--bash", "/b", "x"], { bash: "/b" }, ["x"]],
    ["long value with =", ["--bash=/b", "x"], { bash: "/b" }, ["x"]],
    ["an empty value with =", ["--bash=", "x"], { bash: "" }, ["x"]],
    ["a value that looks like an option", ["--bash", "--help", "x"], { bash: "--help" }, ["x"]],
    ["short value", ["-r", "a", "-r", "b"], { rules: ["a", "b"] }, []],
    [
      "values accumulate in order",
      ["--rules", "a", "--rules=b", "-r", "c"],
      { rules: ["a", "b", "c"] },
      [],
    ],
    ["a flag", ["--no-discover", "--", "x"], { noDiscover: true }, ["x"]],
    ["a repeated flag is still on", ["-h", "--help"], { help: true }, []],
    ["a choice", ["--shell", "sh", "x"], { shell: "sh" }, ["x"]],
    ["`--` ends the options", ["--", "--help", "-r"], { help: false, rules: [] }, ["--help", "-r"]],
    ["only the first `--` is ours", ["--", "--"], {}, ["--"]],
    [
      "the first non-option starts the command",
      ["ls", "--help", "-r", "x"],
      { help: false },
      ["ls", "--help", "-r", "x"],
    ],
    ["`-` is a word, not an option", ["-", "--help"], { help: false }, ["-", "--help"]],
    [
      "words after the command are untouched",
      ["-r", "f", "--", "git", "--bash", "x", "--", "-h"],
      { rules: ["f"], bash: undefined },
      ["git", "--bash", "x", "--", "-h"],
    ],
  ])("%s", (_, argv, fields, rest) => {
    const parsed = parseArgs(argv, TABLE);
    expect(parsed.options).toMatchObject(fields);
    expect(parsed.rest).toEqual(rest);
  });

  it.each<[string[], string]>([
    [["--foo"], "unknown option --foo"],
    [["--foo=1", "x"], "unknown option --foo"],
    [["-x"], "unknown option -x"],
    [["-r=f"], "unknown option -r=f"],
    [["-hr", "f"], "unknown option -hr"],
    [["--Help"], "unknown option --Help"],
    [["--bash"], "--bash needs a value (PATH)"],
    [["-r"], "--rules needs a value (FILE)"],
    [["--bash", "a", "--bash", "b"], "--bash given twice"],
    [["--bash=a", "--bash=a"], "--bash given twice"],
    [["--shell", "zsh"], "--shell must be bash or sh (got zsh)"],
    [["--no-discover=yes"], "--no-discover takes no value"],
  ])("%j is a usage error: %s", (argv, message) => {
    expect(usageMessage(argv)).toBe(message);
  });

  it("reads no option after the command even if it is malformed for us", () => {
    expect(parseArgs(["x", "--foo", "--bash"], TABLE).rest).toEqual(["x", "--foo", "--bash"]);
  });
});

describe("optionsHelp", () => {
  it("lists every option of the table, in order, aligned at the column", () => {
    expect(optionsHelp(TABLE, 24)).toBe(
      [
        "  -r, --rules <FILE>    A rules file.",
        "      --shell <SHELL>   Shell.",
        "      --bash <PATH>     Binary.",
        "      --no-discover     No discovery.",
        "  -h, --help            Help.",
        "",
      ].join("\n"),
    );
  });

  it("starts a description on the next line when the option is too long", () => {
    expect(optionsHelp({ "a-long-option": { kind: "flag", help: ["one", "two"] } }, 10)).toBe(
      "      --a-long-option\n          one\n          two\n",
    );
  });
});
