/**
 * POSIX-shell-like word splitting and quoting, as the Rust `shlex` crate does them.
 *
 * codex splits string `match` / `not_match` examples with `shlex::split` and renders examples in
 * error messages with `shlex::try_join`; both are reproduced exactly so that a rules file means
 * the same and fails with the same words here. Not a shell parser: no expansions, no operators.
 */

/** Splits like `shlex::split`; `undefined` for input ending inside quotes or after a backslash. */
export function shlexSplit(input: string): string[] | undefined {
  const words: string[] = [];
  let i = 0;
  const n = input.length;
  for (;;) {
    // Skip blanks and comments (a comment starts only where a word could start).
    while (i < n) {
      const c = input[i];
      if (c === " " || c === "\t" || c === "\n") {
        i++;
      } else if (c === "#") {
        while (i < n && input[i] !== "\n") i++;
      } else {
        break;
      }
    }
    if (i >= n) return words;
    let word = "";
    for (; i < n; i++) {
      const c = input[i] as string;
      if (c === " " || c === "\t" || c === "\n") {
        i++;
        break;
      }
      if (c === "'") {
        const close = input.indexOf("'", i + 1);
        if (close < 0) return undefined;
        word += input.slice(i + 1, close);
        i = close;
      } else if (c === '"') {
        let j = i + 1;
        for (;;) {
          if (j >= n) return undefined;
          const d = input[j] as string;
          if (d === '"') break;
          if (d === "\\") {
            const e = input[j + 1];
            if (e === undefined) return undefined;
            if (e === "$" || e === "`" || e === '"' || e === "\\") word += e;
            else if (e !== "\n") word += `\\${e}`;
            j += 2;
          } else {
            word += d;
            j++;
          }
        }
        i = j;
      } else if (c === "\\") {
        const e = input[i + 1];
        if (e === undefined) return undefined;
        if (e !== "\n") word += e;
        i++;
      } else {
        word += c;
      }
    }
    words.push(word);
  }
}

type Strategy = "unquoted" | "single" | "double";
const UNQUOTED = 1;
const SINGLE = 2;
const DOUBLE = 4;

function unquotedOk(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x2b || // +
    c === 0x2d || // -
    c === 0x2e || // .
    c === 0x2f || // /
    c === 0x3a || // :
    c === 0x40 || // @
    c === 0x5d || // ]
    c === 0x5f // _
  );
}

function singleQuotedOk(c: number): boolean {
  return c !== 0x27 && c !== 0x5e && c !== 0x5c; // ' ^ \
}

function doubleQuotedOk(c: number): boolean {
  return c !== 0x60 && c !== 0x24 && c !== 0x21 && c !== 0x5e; // ` $ ! ^
}

function quotingStrategy(bytes: Uint8Array, from: number): { end: number; strategy: Strategy } {
  let ok = UNQUOTED | SINGLE | DOUBLE;
  let i = from;
  if (bytes[i] === 0x5e) {
    // A leading ^ is only safe right after an opening single quote.
    ok = SINGLE;
    i++;
  }
  for (; i < bytes.length; i++) {
    const c = bytes[i] as number;
    let next = ok;
    if (!unquotedOk(c)) next &= ~UNQUOTED;
    if (!singleQuotedOk(c)) next &= ~SINGLE;
    if (!doubleQuotedOk(c)) next &= ~DOUBLE;
    if (next === 0) break;
    ok = next;
  }
  const strategy: Strategy = ok & UNQUOTED ? "unquoted" : ok & SINGLE ? "single" : "double";
  return { end: i, strategy };
}

/** Quotes one word like `shlex::try_quote`; `undefined` when it holds a NUL byte. */
export function shlexQuote(word: string): string | undefined {
  if (word.length === 0) return "''";
  if (word.includes("\0")) return undefined;
  const bytes = Buffer.from(word, "utf8");
  const out: number[] = [];
  let from = 0;
  while (from < bytes.length) {
    const { end, strategy } = quotingStrategy(bytes, from);
    const chunk = bytes.subarray(from, end);
    if (strategy === "unquoted") {
      out.push(...chunk);
    } else if (strategy === "single") {
      out.push(0x27, ...chunk, 0x27);
    } else {
      out.push(0x22);
      for (const c of chunk) {
        if (c === 0x24 || c === 0x60 || c === 0x22 || c === 0x5c) out.push(0x5c);
        out.push(c);
      }
      out.push(0x22);
    }
    from = end;
  }
  return Buffer.from(out).toString("utf8");
}

/** Joins words like `shlex::try_join`; `undefined` when a word cannot be quoted. */
export function shlexJoin(words: readonly string[]): string | undefined {
  const quoted: string[] = [];
  for (const word of words) {
    const q = shlexQuote(word);
    if (q === undefined) return undefined;
    quoted.push(q);
  }
  return quoted.join(" ");
}
