/**
 * A minimal, strict reader of git's configuration syntax, for git-exposure.ts.
 *
 * Guards the decision "may an escalated git read this configuration": execward only needs the
 * keys that name other files or programs (`include.path`, `includeIf.*.path`, `core.hooksPath`,
 * `core.fsmonitor`, ...), but it must never misread a file into looking harmless. So anything
 * this reader does not understand is an error, and the caller treats an unreadable config as one
 * the sandbox controls (fail closed). Pure: text in, entries or an error out.
 *
 * Syntax (git-config(1), "Syntax"): `[section]`, `[section "subsection"]` (backslash escapes in
 * the subsection), the deprecated `[section.subsection]`, `name = value` or a bare `name`
 * (boolean true), `#` / `;` comments, values with double quotes, the escapes `\n \t \b \" \\`
 * and a backslash-newline continuation; a key may follow a section header on the same line.
 */

export interface GitConfigEntry {
  /** Lower-cased section name (`include`, `includeif`, `core`). */
  readonly section: string;
  /** The subsection as written (case-sensitive); undefined when there is none. */
  readonly subsection: string | undefined;
  /** Lower-cased variable name (`path`, `hookspath`). */
  readonly key: string;
  /** The value; null for a bare `name` line (boolean true). */
  readonly value: string | null;
  /** 1-based line of the variable. */
  readonly line: number;
}

export type GitConfigParse =
  | { readonly ok: true; readonly entries: readonly GitConfigEntry[] }
  | { readonly ok: false; readonly line: number; readonly error: string };

/** The canonical dotted name, as `git config --list` prints it (`includeif.gitdir:~/x/.path`). */
export function gitConfigName(entry: GitConfigEntry): string {
  return entry.subsection === undefined
    ? `${entry.section}.${entry.key}`
    : `${entry.section}.${entry.subsection}.${entry.key}`;
}

class ConfigSyntaxError extends Error {}

export function parseGitConfig(text: string): GitConfigParse {
  const entries: GitConfigEntry[] = [];
  let i = text.startsWith("\uFEFF") ? 1 : 0;
  let line = 1;
  let section: { name: string; subsection: string | undefined } | undefined;

  const peek = (): string | undefined => text[i];
  const fail = (error: string): never => {
    throw new ConfigSyntaxError(error);
  };
  const skipBlanks = (): void => {
    while (peek() === " " || peek() === "\t" || peek() === "\r") i++;
  };
  const skipComment = (): void => {
    while (i < text.length && text[i] !== "\n") i++;
  };

  const readSectionHeader = (): void => {
    i++; // [
    let name = "";
    while (i < text.length && /[A-Za-z0-9.-]/.test(text[i] as string)) name += text[i++];
    if (name === "") fail("empty section name");
    let subsection: string | undefined;
    if (peek() === " " || peek() === "\t") {
      skipBlanks();
      if (peek() !== '"') fail("expected a quoted subsection");
      i++;
      subsection = "";
      for (;;) {
        const c = text[i++];
        if (c === undefined || c === "\n") fail("unterminated subsection");
        if (c === '"') break;
        if (c === "\\") {
          const next = text[i++];
          if (next === undefined || next === "\n") fail("unterminated subsection");
          subsection += next;
        } else subsection += c;
      }
      if (name.includes(".")) fail("a dotted section name with a quoted subsection");
      section = { name: name.toLowerCase(), subsection };
    } else {
      const dot = name.indexOf(".");
      section =
        dot < 0
          ? { name: name.toLowerCase(), subsection: undefined }
          : {
              name: name.slice(0, dot).toLowerCase(),
              subsection: name.slice(dot + 1).toLowerCase(),
            };
      if (section.name === "" || section.subsection === "") fail("empty section name");
    }
    if (peek() !== "]") fail("expected ] after the section name");
    i++;
  };

  const readValue = (): string => {
    let value = "";
    let pendingSpace = "";
    let quoted = false;
    skipBlanks();
    for (;;) {
      const c = text[i];
      if (c === undefined || c === "\n") {
        if (quoted) fail("unterminated quoted value");
        return value;
      }
      i++;
      if (!quoted && (c === "#" || c === ";")) {
        skipComment();
        return value;
      }
      if (!quoted && (c === " " || c === "\t" || c === "\r")) {
        if (value !== "") pendingSpace += c === "\r" ? "" : c;
        continue;
      }
      value += pendingSpace;
      pendingSpace = "";
      if (c === '"') {
        quoted = !quoted;
        continue;
      }
      if (c === "\\") {
        const next = text[i++];
        switch (next) {
          case "\n":
            line++;
            continue;
          case "\r":
            if (text[i] === "\n") {
              i++;
              line++;
              continue;
            }
            return fail("bad escape in value");
          case "n":
            value += "\n";
            continue;
          case "t":
            value += "\t";
            continue;
          case "b":
            value += "\b";
            continue;
          case '"':
          case "\\":
            value += next;
            continue;
          case undefined:
          default:
            return fail("bad escape in value");
        }
      }
      value += c;
    }
  };

  const readVariable = (): void => {
    const startLine = line;
    let key = "";
    if (!/[A-Za-z]/.test(peek() ?? "")) fail("a variable name must start with a letter");
    while (i < text.length && /[A-Za-z0-9-]/.test(text[i] as string)) key += text[i++];
    if (section === undefined) fail("a variable outside any section");
    skipBlanks();
    let value: string | null = null;
    const c = peek();
    if (c === "=") {
      i++;
      value = readValue();
    } else if (c === "#" || c === ";") skipComment();
    else if (c !== undefined && c !== "\n") fail("expected = after the variable name");
    const current = section as { name: string; subsection: string | undefined };
    entries.push({
      section: current.name,
      subsection: current.subsection,
      key: key.toLowerCase(),
      value,
      line: startLine,
    });
  };

  try {
    while (i < text.length) {
      skipBlanks();
      const c = peek();
      if (c === undefined) break;
      if (c === "\n") {
        i++;
        line++;
      } else if (c === "#" || c === ";") skipComment();
      else if (c === "[") readSectionHeader();
      else readVariable();
    }
  } catch (error) {
    if (error instanceof ConfigSyntaxError) return { ok: false, line, error: error.message };
    throw error;
  }
  return { ok: true, entries };
}
