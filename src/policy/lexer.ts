/**
 * Tokenizer for the Starlark subset that `.rules` files are written in.
 *
 * It recognises all of Starlark's lexical syntax (so that valid Starlark outside execward's
 * surface is reported as "unsupported" by the parser, not as a bogus syntax error), decodes
 * string literals with Starlark's escapes, and reports malformed text with its location.
 * Newlines inside brackets and after a backslash are not statement ends, as in Starlark.
 *
 * Like codex's lexer, it does not judge brackets (a `)` closing a `[` is the parser's business)
 * and refuses tabs outside strings and comments, except in the indentation of blank and
 * comment-only lines. A malformed token does not stop the tokenizer with an exception: it ends
 * the token list with an `error` token, which the parser throws when it reaches it, so that a
 * syntax error earlier in the file is reported first, as codex's parser (which lexes on demand)
 * does.
 */
import { PolicyError } from "./policy-error.js";
import type { SourceText } from "./source-text.js";

export type TokenKind =
  "name" | "string" | "int" | "float" | "op" | "newline" | "indent" | "eof" | "error";

export interface Token {
  readonly kind: TokenKind;
  /** The token's source text (for strings: including prefix and quotes). */
  readonly text: string;
  /** UTF-16 offset of the token's first character. */
  readonly offset: number;
  /** Decoded value of a string literal. */
  readonly value?: string;
  /** A `b` (bytes) literal; its `value` then holds one character (U+0000..U+00FF) per byte. */
  readonly bytes?: boolean;
  /** An f-string with replacement fields, which execward does not evaluate. */
  readonly unsupportedPrefix?: string;
  /** Value of an int literal. */
  readonly intValue?: bigint;
  /** For the `error` token: the syntax error found at this point of the text. */
  readonly error?: PolicyError;
  /** For the newline that ends a file with brackets still open: where the innermost opened. */
  readonly unclosedBracket?: number;
}

const OPERATORS = [
  "//=",
  "<<=",
  ">>=",
  "**",
  "//",
  "<<",
  ">>",
  "==",
  "!=",
  "<=",
  ">=",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "->",
  "+",
  "-",
  "*",
  "/",
  "%",
  "~",
  "&",
  "|",
  "^",
  "<",
  ">",
  "=",
  ".",
  ",",
  ";",
  ":",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
] as const;

/** OPERATORS grouped by first character, longest first (the lexer's hot path). */
const OPERATORS_BY_FIRST_CHAR: ReadonlyMap<string, readonly string[]> = (() => {
  const map = new Map<string, string[]>();
  for (const op of OPERATORS) {
    const list = map.get(op[0] as string) ?? [];
    list.push(op);
    map.set(op[0] as string, list);
  }
  for (const list of map.values()) list.sort((a, b) => b.length - a.length);
  return map;
})();

/** Starlark's string prefixes (lower case only: `R"x"`, `u"x"` and `rf"x"` are not strings). */
const STRING_PREFIXES = new Set(["r", "b", "rb", "br", "f", "fr"]);

function isIdentPart(c: string): boolean {
  return isIdentPartCode(c.charCodeAt(0));
}

function isIdentStartCode(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95;
}

function isIdentPartCode(code: number): boolean {
  return isIdentStartCode(code) || (code >= 48 && code <= 57);
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

/**
 * Splits `source` into tokens. A lexical error becomes a final `error` token carrying a located
 * `rules_syntax` PolicyError, for the parser to throw when it gets there.
 */
export function tokenize(source: SourceText): Token[] {
  const tokens: Token[] = [];
  try {
    lexInto(source, tokens);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    tokens.push({ kind: "error", text: "", offset: source.text.length, error });
  }
  return tokens;
}

function lexInto(source: SourceText, tokens: Token[]): void {
  const text = source.text;
  const n = text.length;
  /** Offsets of the brackets still open, innermost last. */
  const open: number[] = [];
  let i = 0;
  let lineStart = true;
  let commentOnlyLine = false;
  /**
   * Where codex reports a tab in the indentation of a line: the line break that began the run of
   * comment-only lines before it (the file's start for the first line).
   */
  let indentReportedAt = 0;

  const fail = (offset: number, message: string): never => {
    throw new PolicyError("rules_syntax", message, source.locate(offset));
  };
  const endStatement = (offset: number): void => {
    const last = tokens[tokens.length - 1];
    if (last !== undefined && last.kind !== "newline") {
      tokens.push({ kind: "newline", text: "\n", offset });
    }
  };

  while (i < n) {
    const c = text[i] as string;

    if (lineStart) {
      lineStart = false;
      let j = i;
      let tab = false;
      while (j < n && (text[j] === " " || text[j] === "\t")) {
        if (text[j] === "\t") tab = true;
        j++;
      }
      const next = text[j];
      commentOnlyLine = next === "#";
      const blank =
        next === undefined ||
        next === "\n" ||
        (next === "\r" && text[j + 1] === "\n") ||
        commentOnlyLine;
      if (!blank) {
        if (tab) {
          fail(
            indentReportedAt,
            `tabs are not allowed (line ${source.locate(i).line} is indented with a tab)`,
          );
        }
        if (j > i) tokens.push({ kind: "indent", text: text.slice(i, j), offset: i });
      }
      i = j;
      continue;
    }

    if (c === " ") {
      i++;
      continue;
    }
    if (c === "\t") fail(i, "tabs are not allowed (use spaces)");
    if (c === "\r" && text[i + 1] === "\n") {
      i++;
      continue;
    }
    if (c === "\n") {
      if (open.length === 0) {
        endStatement(i);
        if (!commentOnlyLine) indentReportedAt = text[i - 1] === "\r" ? i - 1 : i;
        lineStart = true;
      }
      i++;
      continue;
    }
    if (c === "#") {
      // A comment ends at a line break or a carriage return (a lone one is then invalid).
      while (i < n && text[i] !== "\n" && text[i] !== "\r") i++;
      continue;
    }
    if (c === "\\") {
      if (text[i + 1] === "\n") {
        i += 2;
        continue;
      }
      if (text[i + 1] === "\r" && text[i + 2] === "\n") {
        i += 3;
        continue;
      }
      fail(i, "unexpected character `\\` (a backslash continues a line only at its end)");
    }

    if (isIdentStartCode(text.charCodeAt(i))) {
      let j = i + 1;
      while (j < n && isIdentPartCode(text.charCodeAt(j))) j++;
      const word = text.slice(i, j);
      const quote = text[j];
      if ((quote === '"' || quote === "'") && STRING_PREFIXES.has(word)) {
        const lexed = lexString(source, i, j, word);
        tokens.push(lexed.token);
        i = lexed.end;
        continue;
      }
      tokens.push({ kind: "name", text: word, offset: i });
      i = j;
      continue;
    }

    if (isDigit(c) || (c === "." && isDigit(text[i + 1]))) {
      const lexed = lexNumber(source, i);
      tokens.push(lexed.token);
      i = lexed.end;
      continue;
    }

    if (c === '"' || c === "'") {
      const lexed = lexString(source, i, i, "");
      tokens.push(lexed.token);
      i = lexed.end;
      continue;
    }

    const op = OPERATORS_BY_FIRST_CHAR.get(c)?.find((candidate) => text.startsWith(candidate, i));
    if (op === undefined) {
      fail(i, `unexpected character \`${String.fromCodePoint(text.codePointAt(i) ?? 0)}\``);
    } else {
      if (op === "(" || op === "[" || op === "{") open.push(i);
      else if (op === ")" || op === "]" || op === "}") open.pop();
      tokens.push({ kind: "op", text: op, offset: i });
      i += op.length;
    }
  }

  const unclosed = open[open.length - 1];
  if (unclosed !== undefined) {
    tokens.push({ kind: "newline", text: "\n", offset: n, unclosedBracket: unclosed });
  } else {
    endStatement(n);
  }
  tokens.push({ kind: "eof", text: "", offset: n });
}

const UTF8 = new TextEncoder();

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: "\n",
  r: "\r",
  t: "\t",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
  "\\": "\\",
  "'": "'",
  '"': '"',
};

function lexString(
  source: SourceText,
  start: number,
  quoteAt: number,
  prefix: string,
): { token: Token; end: number } {
  const text = source.text;
  const quote = text[quoteAt] as string;
  const triple = text.startsWith(quote.repeat(3), quoteAt);
  const raw = prefix.includes("r");
  const isBytes = prefix.includes("b");
  const fail = (offset: number, message: string): never => {
    throw new PolicyError("rules_syntax", message, source.locate(offset));
  };
  let i = quoteAt + (triple ? 3 : 1);
  let value = "";
  /** A bytes literal's content: text as UTF-8, `\xHH` and octal escapes as single bytes. */
  const bytes: number[] = [];
  const addText = (piece: string): void => {
    if (isBytes) bytes.push(...UTF8.encode(piece));
    else value += piece;
  };
  const addByte = (byte: number): void => {
    if (isBytes) bytes.push(byte);
    else value += String.fromCharCode(byte);
  };
  const closing = triple ? quote.repeat(3) : quote;
  const quoteCode = quote.charCodeAt(0);
  for (;;) {
    if (i >= text.length) fail(start, "unfinished string literal");
    // Fast path: a run of ordinary characters is added in one piece.
    let j = i;
    for (; j < text.length; j++) {
      const code = text.charCodeAt(j);
      if (code === quoteCode || code === 92 || code === 13 || code === 10) break;
    }
    if (j > i) {
      addText(text.slice(i, j));
      i = j;
      continue;
    }
    const c = text[i] as string;
    if (c === quote) {
      if (!triple || text.startsWith(closing, i)) {
        i += closing.length;
        break;
      }
      addText(c);
      i++;
      continue;
    }
    if (!triple && (c === "\n" || (c === "\r" && text[i + 1] === "\n"))) {
      fail(start, "unfinished string literal (use a triple-quoted string to span lines)");
    }
    if (c === "\r") {
      // Carriage returns in a string are dropped (so CRLF reads as LF), as in codex.
      i++;
      continue;
    }
    if (c !== "\\") {
      const ch = String.fromCodePoint(text.codePointAt(i) ?? 0);
      addText(ch);
      i += ch.length;
      continue;
    }
    const e = text[i + 1];
    if (e === undefined) fail(start, "unfinished string literal");
    const esc = e as string;
    if (raw) {
      // In a raw string a backslash protects a quote (and is dropped); otherwise it is literal.
      addText(esc === '"' || esc === "'" ? esc : esc === "\r" ? "\\" : `\\${esc}`);
      i += 2;
      continue;
    }
    if (esc === "\n" || (esc === "\r" && text[i + 2] === "\n")) {
      i += esc === "\n" ? 2 : 3;
      continue;
    }
    const simple = SIMPLE_ESCAPES[esc];
    if (simple !== undefined) {
      addText(simple);
      i += 2;
      continue;
    }
    if (esc >= "0" && esc <= "7") {
      let j = i + 1;
      while (j < i + 4 && (text[j] ?? "") >= "0" && (text[j] ?? "") <= "7") j++;
      const code = parseInt(text.slice(i + 1, j), 8);
      if (isBytes && code > 0xff) {
        fail(i, `invalid string escape sequence \`${text.slice(i + 1, j)}\``);
      }
      if (code <= 0xff) addByte(code);
      else addText(String.fromCharCode(code));
      i = j;
      continue;
    }
    if (esc === "x" || esc === "u" || esc === "U") {
      const width = esc === "x" ? 2 : esc === "u" ? 4 : 8;
      const digits = text.slice(i + 2, i + 2 + width);
      const code = parseInt(digits, 16);
      const valid = new RegExp(`^[0-9a-fA-F]{${width}}$`).test(digits);
      if (!valid || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
        fail(i, `invalid string escape sequence \`${text.slice(i + 1, i + 2 + width)}\``);
      }
      if (esc === "x") addByte(code);
      else addText(String.fromCodePoint(code));
      i += 2 + width;
      continue;
    }
    // Starlark keeps an unknown escape as written, backslash included.
    addText(`\\${esc}`);
    i += 2;
  }
  if (isBytes) value = bytes.map((byte) => String.fromCharCode(byte)).join("");
  let interpolates = false;
  if (prefix.includes("f")) {
    // An f-string without replacement fields is a plain string; `{{` and `}}` are braces.
    interpolates = /[{}]/.test(value.replace(/\{\{|\}\}/g, ""));
    if (!interpolates) value = value.replace(/\{\{/g, "{").replace(/\}\}/g, "}");
  }
  const token: Token = {
    kind: "string",
    text: text.slice(start, i),
    offset: start,
    value,
    ...(prefix.includes("b") ? { bytes: true } : {}),
    ...(interpolates ? { unsupportedPrefix: prefix } : {}),
  };
  return { token, end: i };
}

function lexNumber(source: SourceText, start: number): { token: Token; end: number } {
  const text = source.text;
  const rest = text.slice(start);
  const fail = (message: string): never => {
    throw new PolicyError("rules_syntax", message, source.locate(start));
  };
  const radix = /^0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)/.exec(rest);
  const float = /^(?:\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)/.exec(rest);
  const decimal = /^\d+/.exec(rest);
  let token: Token;
  let end: number;
  if (radix !== null) {
    token = {
      kind: "int",
      text: radix[0],
      offset: start,
      intValue: BigInt(radix[0].toLowerCase()),
    };
    end = start + radix[0].length;
  } else if (float !== null) {
    token = { kind: "float", text: float[0], offset: start };
    end = start + float[0].length;
  } else if (decimal !== null) {
    if (decimal[0].length > 1 && decimal[0].startsWith("0")) {
      fail(`invalid integer literal \`${decimal[0]}\` (leading zeros are not allowed)`);
    }
    token = { kind: "int", text: decimal[0], offset: start, intValue: BigInt(decimal[0]) };
    end = start + decimal[0].length;
  } else {
    return fail("invalid number literal");
  }
  if (end < text.length && isIdentPart(text[end] as string)) {
    fail(`invalid number literal \`${text.slice(start, end + 1)}\``);
  }
  return { token, end };
}
