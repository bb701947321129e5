/**
 * Rendering values as Starlark literals: strings in every valid quoting and escape style,
 * lists, pattern elements and examples.
 */
export function hex(code, width) {
  return code.toString(16).padStart(width, "0");
}

/** A Starlark escape for one character, chosen at random among the valid spellings. */
export function escapeChar(r, ch, quote) {
  const code = ch.codePointAt(0);
  switch (ch) {
    case "\\":
      return "\\\\";
    case "\n":
      return r.pick(["\\n", "\\n", "\\x0a", "\\012", "\\u000a"]);
    case "\r":
      return r.pick(["\\r", "\\x0d", "\\015"]);
    case "\t":
      return r.pick(["\\t", "\\t", "\t", "\\x09", "\\011"]);
    case "\0":
      return r.pick(["\\0", "\\x00", "\\000", "\\u0000"]);
    case '"':
    case "'":
      return ch === quote ? `\\${ch}` : r.pick([ch, ch, `\\${ch}`]);
    default:
      break;
  }
  if (code < 0x20 || code === 0x7f) {
    const named = { 7: "\\a", 8: "\\b", 0xb: "\\v", 0xc: "\\f" }[code];
    return r.pick([named ?? `\\x${hex(code, 2)}`, `\\x${hex(code, 2)}`, `\\${code.toString(8)}`]);
  }
  if (code < 0x80) return ch;
  if (code === 0x2028 || code === 0x2029 || code === 0x85 || code === 0xa0 || code === 0xfeff) {
    return `\\u${hex(code, 4)}`;
  }
  const spellings = [ch, ch, ch];
  if (code <= 0xff) spellings.push(`\\x${hex(code, 2)}`);
  if (code <= 0o777) spellings.push(`\\${code.toString(8)}`);
  if (code <= 0xffff) spellings.push(`\\u${hex(code, 4)}`, `\\u${hex(code, 4).toUpperCase()}`);
  spellings.push(`\\U${hex(code, 8)}`);
  return r.pick(spellings);
}

/** Renders `value` as a Starlark string literal in a randomly chosen valid style. */
export function strLit(r, value, style) {
  const chosen =
    style ??
    r.weighted([
      [10, "double"],
      [3, "single"],
      [1, "raw"],
      [1, "triple"],
    ]);
  const codes = [...value].map((ch) => ch.codePointAt(0));
  const plainAscii = codes.every((c) => c >= 0x20 && c < 0x7f);
  const controls = codes.some((c) => (c < 0x20 && c !== 0x09 && c !== 0x0a) || c === 0x7f);
  if (chosen === "raw" && plainAscii && !/["\\]/.test(value)) return `r"${value}"`;
  if (chosen === "triple" && !/["\\]/.test(value) && !controls) {
    if (!value.endsWith('"')) return `"""${value}"""`;
  }
  const quote = chosen === "single" ? "'" : '"';
  let out = quote;
  let shortOctal = false;
  for (const ch of value) {
    let piece = escapeChar(r, ch, quote);
    // A one- or two-digit octal escape would absorb a following octal digit: use \x for it.
    if (shortOctal && /^[0-7]/.test(piece)) piece = `\\x${hex(piece.codePointAt(0), 2)}`;
    shortOctal = /^\\[0-7]{1,2}$/.test(piece);
    out += piece;
  }
  return out + quote;
}

/** A plain double-quoted literal with only the escapes JSON would need (deterministic). */
export function q(value) {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0);
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${hex(code, 2)}`;
    else out += ch;
  }
  return out + '"';
}

export function listLit(r, items, render) {
  const inner = items.map(render);
  if (items.length > 0 && r.chance(0.15)) return `[${inner.join(", ")},]`;
  return `[${inner.join(r.pick([", ", ", ", ","]))}]`;
}

/** A pattern element: a string, or a list of alternatives. */
export function patternElementLit(r, element) {
  if (typeof element === "string") return strLit(r, element);
  return listLit(r, element, (token) => strLit(r, token));
}

/** An example: a string (shell words) or a list of tokens. */
export function exampleLit(r, example) {
  if (typeof example === "string") return strLit(r, example);
  return listLit(r, example, (token) => strLit(r, token));
}
