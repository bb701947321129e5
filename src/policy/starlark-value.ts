/**
 * The Starlark values a rules file can pass to a builtin, with Starlark's type names and `repr`
 * (they appear in upstream's error messages: "... (got int)", "actual `float (repr: 1e+20)`").
 */

export type StarlarkValue =
  | { readonly type: "string"; readonly value: string }
  /** `value` holds one character (U+0000..U+00FF) per byte. */
  | { readonly type: "bytes"; readonly value: string }
  | { readonly type: "int"; readonly value: bigint }
  | { readonly type: "float"; readonly value: number }
  | { readonly type: "bool"; readonly value: boolean }
  | { readonly type: "NoneType" }
  | { readonly type: "list"; readonly items: readonly StarlarkValue[] }
  | { readonly type: "tuple"; readonly items: readonly StarlarkValue[] }
  | {
      readonly type: "dict";
      readonly entries: readonly (readonly [StarlarkValue, StarlarkValue])[];
    }
  | { readonly type: "function"; readonly name: string };

export const NONE: StarlarkValue = { type: "NoneType" };

/** Starlark's `type(x)` spelling, used in "(got T)" messages. */
export function starlarkTypeName(value: StarlarkValue): string {
  return value.type;
}

/** Starlark's `repr(x)`, as shown in argument type errors ("actual `string (repr: "git")`"). */
export function starlarkRepr(value: StarlarkValue): string {
  switch (value.type) {
    case "string":
      return quoteRepr(value.value);
    case "bytes":
      return `b${bytesRepr(value.value)}`;
    case "int":
      return value.value.toString();
    case "float":
      return floatRepr(value.value);
    case "bool":
      return value.value ? "True" : "False";
    case "NoneType":
      return "None";
    case "list":
      return `[${value.items.map(starlarkRepr).join(", ")}]`;
    case "tuple":
      return value.items.length === 1
        ? `(${starlarkRepr(value.items[0] as StarlarkValue)},)`
        : `(${value.items.map(starlarkRepr).join(", ")})`;
    case "dict":
      return `{${value.entries.map(([k, v]) => `${starlarkRepr(k)}: ${starlarkRepr(v)}`).join(", ")}}`;
    case "function":
      return value.name;
  }
}

/** Characters `repr` keeps as they are above U+00FF: Rust's `char::is_alphanumeric`. */
const ALPHANUMERIC = /^[\p{Alphabetic}\p{Nd}\p{Nl}\p{No}]$/u;

/**
 * A string's `repr`: ASCII controls and all of U+0080..U+00FF as `\xHH`, other characters that
 * are not letters or digits as `\uHHHH` / `\UHHHHHHHH` (`"é€日"` is `"\xe9\u20ac日"`).
 */
function quoteRepr(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    out += code >= 0x80 && code <= 0xff ? `\\x${hex(code, 2)}` : reprChar(ch, code);
  }
  return `${out}"`;
}

/**
 * A bytes value's `repr`: the bytes read as UTF-8, each character as in a string's `repr`
 * except that letters and digits of U+0080..U+00FF stay as they are, and bytes that are not
 * UTF-8 as `\xHH` (`b"\xc3\xa9\xff"` is `b"é\xff"`).
 */
function bytesRepr(bytes: string): string {
  let out = '"';
  for (let i = 0; i < bytes.length;) {
    const decoded = decodeUtf8At(bytes, i);
    if (decoded === undefined) {
      out += `\\x${hex(bytes.charCodeAt(i), 2)}`;
      i++;
    } else {
      out += reprChar(String.fromCodePoint(decoded.code), decoded.code);
      i += decoded.length;
    }
  }
  return `${out}"`;
}

function reprChar(ch: string, code: number): string {
  if (ch === '"' || ch === "\\") return `\\${ch}`;
  if (ch === "\n") return "\\n";
  if (ch === "\r") return "\\r";
  if (ch === "\t") return "\\t";
  if (code >= 0x20 && code < 0x7f) return ch;
  if (code < 0x80) return `\\x${hex(code, 2)}`;
  if (ALPHANUMERIC.test(ch)) return ch;
  return code <= 0xffff ? `\\u${hex(code, 4)}` : `\\U${hex(code, 8)}`;
}

/** The well-formed UTF-8 sequence starting at `at` in a one-char-per-byte string, if any. */
function decodeUtf8At(bytes: string, at: number): { code: number; length: number } | undefined {
  const lead = bytes.charCodeAt(at);
  if (lead < 0x80) return { code: lead, length: 1 };
  const length =
    lead >= 0xc2 && lead <= 0xdf
      ? 2
      : lead >= 0xe0 && lead <= 0xef
        ? 3
        : lead >= 0xf0 && lead <= 0xf4
          ? 4
          : 0;
  if (length === 0 || at + length > bytes.length) return undefined;
  let code = lead & (0xff >> (length + 1));
  for (let k = 1; k < length; k++) {
    const next = bytes.charCodeAt(at + k);
    if ((next & 0xc0) !== 0x80) return undefined;
    code = (code << 6) | (next & 0x3f);
  }
  const overlong = (length === 3 && code < 0x800) || (length === 4 && code < 0x10000);
  if (overlong || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined;
  return { code, length };
}

/**
 * A float's `repr`: the shortest round-tripping decimal (`1.5`, `3.0`, `0.00001`) when its
 * exponent is within -5..5, otherwise `%e`-style with up to six decimals (`1e+20`,
 * `1.234568e+08`, `1e-07`).
 */
function floatRepr(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "+inf" : "-inf";
  const exponent = value === 0 ? 0 : Number(value.toExponential().split("e")[1]);
  if (exponent >= -5 && exponent < 6) {
    const decimal = String(value);
    return Number.isInteger(value) ? `${decimal}.0` : decimal;
  }
  const [mantissa = "", power = "0"] = value.toExponential(6).split("e");
  const trimmed = mantissa.replace(/\.?0+$/, "");
  const sign = power.startsWith("-") ? "-" : "+";
  return `${trimmed}e${sign}${power.replace(/^[+-]/, "").padStart(2, "0")}`;
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, "0");
}
