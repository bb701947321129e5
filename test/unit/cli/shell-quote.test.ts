// `execward run -- WORD...`: the shell must see exactly the words given. Checked against a real
// /bin/sh (and bash), not against the quoting function's own idea of quoting.
import { execFileSync } from "node:child_process";

import { describe, expect, it } from "vitest";

import { commandStringFromWords, quoteShellWord } from "../../../src/cli/shell-quote.js";

const NASTY = [
  "plain",
  "a b",
  "  leading and trailing  ",
  "",
  "'",
  "it's",
  "''",
  '"double"',
  "$HOME",
  "${PATH}",
  "$(touch /tmp/execward-quote-test-pwned)",
  "`id`",
  "back\\slash",
  "\\",
  "trailing\\",
  "line\nbreak",
  "\n",
  "tab\there",
  "*",
  "?",
  "[a]",
  "~",
  "~root",
  "a=b",
  "!",
  "#comment",
  ";",
  "&&",
  "|",
  "<in",
  ">out",
  "(",
  "{a,b}",
  "-n",
  "--",
  "é ü 日本語 🙂",
  "%s",
];

/** What `shell -c "printf '%s\n' <quoted words>"` prints, one word per line (NUL-separated here). */
function shellWords(shell: string, words: readonly string[]): string[] {
  const script = `printf '%s\\0' ${words.map(quoteShellWord).join(" ")}`;
  const out = execFileSync(shell, ["-c", script], {
    encoding: "utf8",
    env: { PATH: "/usr/bin:/bin" },
  });
  return out.split("\0").slice(0, -1);
}

describe("quoteShellWord", () => {
  it.each(["/bin/sh", "/bin/bash"])("%s sees exactly the nasty words", (shell) => {
    expect(shellWords(shell, NASTY)).toEqual(NASTY);
  });

  it.each(NASTY.map((word) => [word]))("%j round-trips alone through sh", (word) => {
    expect(shellWords("/bin/sh", [word])).toEqual([word]);
  });

  it("with printf '%s\\n', the output is exactly the words, one per line", () => {
    const words = ["a b", "it's", "$HOME", "back\\slash", "", "日本"];
    const out = execFileSync(
      "/bin/sh",
      ["-c", `printf '%s\\n' ${words.map(quoteShellWord).join(" ")}`],
      { encoding: "utf8" },
    );
    expect(out).toBe(words.map((word) => `${word}\n`).join(""));
  });

  it("leaves words without special characters readable, and quotes the rest", () => {
    expect(quoteShellWord("ls")).toBe("ls");
    expect(quoteShellWord("-la")).toBe("-la");
    expect(quoteShellWord("./a/b.txt")).toBe("./a/b.txt");
    expect(quoteShellWord("a b")).toBe("'a b'");
    expect(quoteShellWord("it's")).toBe(`'it'\\''s'`);
    expect(quoteShellWord("")).toBe("''");
    // An assignment-looking first word would set a variable instead of running a program.
    expect(quoteShellWord("a=b")).toBe("'a=b'");
  });
});

describe("commandStringFromWords", () => {
  it("takes one word as the command string as written", () => {
    expect(commandStringFromWords(["echo $HOME | wc -c"])).toBe("echo $HOME | wc -c");
  });

  it("quotes each of several words, so the shell runs exactly that argv", () => {
    const command = commandStringFromWords(["printf", "%s|", "a b", "$HOME", "it's"]);
    expect(command).toBe(`printf '%s|' 'a b' '$HOME' 'it'\\''s'`);
    expect(execFileSync("/bin/sh", ["-c", command], { encoding: "utf8" })).toBe("a b|$HOME|it's|");
  });
});
