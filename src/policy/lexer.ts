/**
 * Tokenizer for the Starlark subset that `.rules` files are written in.
 *
 * It recognises all of Starlark's lexical syntax (so that valid Starlark outside execward's
 * surface is reported as "unsupported" by the parser, not as a bogus syntax error), decodes
 * string literals with Starlark's escapes, and reports malformed text with its location.
 * Newlines inside brackets and after a backslash are not statement ends, as in Starlark.
 */
import { PolicyError } from "./policy-error.js";
import type { SourceText } from "./source-text.js";

export type TokenKind = "name" | "string" | "int" | "float" | "op" | "newline" | "indent" | "eof";

export interface Token {
  readonly kind: TokenKind;
  /** The token's source text (for strings: including prefix and quotes). */
  readonly text: string;
  /** UTF-16 offset of the token's first character. */
  readonly offset: number;
  /** Decoded value of a string literal. */
  readonly value?: string;
  /** A `b` (bytes) literal. */
  readonly bytes?: boolean;
  /** An f-string with replacement fields, which execward does not evaluate. */
  readonly unsupportedPrefix?: string;
  /** Value of an int literal. */
  readonly intValue?: bigint;
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

const CLOSERS: Readonly<Record<string, string>> = { ")": "(", "]": "[", "}": "{" };

/** Starlark's string prefixes (lower case only: `R"x"` and `u"x"` are not strings). */
const STRING_PREFIXES = new Set(["r", "b", "rb", "f"]);

function isIdentStart(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_";
}

function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= "0" && c <= "9");
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

/** Splits `source` into tokens; throws a located `rules_syntax` PolicyError on malformed text. */
export function tokenize(source: SourceText): Token[] {
  const text = source.text;
  const n = text.length;
  const tokens: Token[] = [];
  const brackets: { char: string; offset: number }[] = [];
  let i = 0;
  let lineStart = true;

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

    if (lineStart && brackets.length === 0) {
      lineStart = false;
      let j = i;
      while (j < n && (text[j] === " " || text[j] === "\t" || text[j] === "\f")) j++;
      const next = text[j];
      const blank = next === undefined || next === "\n" || next === "\r" || next === "#";
      if (j > i && !blank) tokens.push({ kind: "indent", text: text.slice(i, j), offset: i });
      i = j;
      continue;
    }

    if (c === " " || c === "\t" || c === "\f") {
      i++;
      continue;
    }
    if (c === "\r" && text[i + 1] === "\n") {
      i++;
      continue;
    }
    if (c === "\n") {
      if (brackets.length === 0) endStatement(i);
      i++;
      lineStart = true;
      continue;
    }
    if (c === "#") {
      while (i < n && text[i] !== "\n") i++;
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

    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(text[j] as string)) j++;
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

    const op = OPERATORS.find((candidate) => text.startsWith(candidate, i));
    if (op === undefined) {
      fail(i, `unexpected character \`${String.fromCodePoint(text.codePointAt(i) ?? 0)}\``);
    } else {
      if (op === "(" || op === "[" || op === "{") brackets.push({ char: op, offset: i });
      const opener = CLOSERS[op];
      if (opener !== undefined) {
        const top = brackets.pop();
        if (top === undefined) fail(i, `unexpected \`${op}\` with no matching opening bracket`);
        else if (top.char !== opener) fail(i, `\`${op}\` does not close \`${top.char}\``);
      }
      tokens.push({ kind: "op", text: op, offset: i });
      i += op.length;
    }
  }

  const unclosed = brackets.pop();
  if (unclosed !== undefined) fail(unclosed.offset, `\`${unclosed.char}\` is never closed`);
  endStatement(n);
  tokens.push({ kind: "eof", text: "", offset: n });
  return tokens;
}

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
  const fail = (offset: number, message: string): never => {
    throw new PolicyError("rules_syntax", message, source.locate(offset));
  };
  let i = quoteAt + (triple ? 3 : 1);
  let value = "";
  for (;;) {
    if (i >= text.length) fail(start, "unfinished string literal");
    const c = text[i] as string;
    if (triple ? text.startsWith(quote.repeat(3), i) : c === quote) {
      i += triple ? 3 : 1;
      break;
    }
    if (!triple && (c === "\n" || (c === "\r" && text[i + 1] === "\n"))) {
      fail(start, "unfinished string literal (use a triple-quoted string to span lines)");
    }
    if (c === "\r" && text[i + 1] === "\n") {
      i++;
      continue;
    }
    if (c !== "\\") {
      value += c;
      i++;
      continue;
    }
    const e = text[i + 1];
    if (e === undefined) fail(start, "unfinished string literal");
    const esc = e as string;
    if (raw) {
      // In a raw string a backslash protects a quote (and is dropped); otherwise it is literal.
      value += esc === '"' || esc === "'" ? esc : `\\${esc}`;
      i += 2;
      continue;
    }
    if (esc === "\n") {
      i += 2;
      continue;
    }
    const simple = SIMPLE_ESCAPES[esc];
    if (simple !== undefined) {
      value += simple;
      i += 2;
      continue;
    }
    if (esc >= "0" && esc <= "7") {
      let j = i + 1;
      while (j < i + 4 && (text[j] ?? "") >= "0" && (text[j] ?? "") <= "7") j++;
      value += String.fromCharCode(parseInt(text.slice(i + 1, j), 8));
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
      value += String.fromCodePoint(code);
      i += 2 + width;
      continue;
    }
    // Starlark keeps an unknown escape as written, backslash included.
    value += `\\${esc}`;
    i += 2;
  }
  let interpolates = false;
  if (prefix === "f") {
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
