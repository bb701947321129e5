/**
 * Rust `{:?}` renderings that codex puts inside its error messages.
 *
 * `match` / `not_match` failures quote rules and matches in Rust's Debug format; reproducing it
 * keeps execward's messages identical to codex's, so people (and scripts) that know one know the
 * other. Printability of non-ASCII characters follows Unicode general categories, which is how
 * Rust's `char::is_printable` tables are built.
 */

const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}\p{Grapheme_Extend}]/u;

/** `format!("{:?}", s)` for a Rust `&str`. */
export function rustDebugString(value: string): string {
  let out = '"';
  for (const ch of value) {
    switch (ch) {
      case "\0":
        out += "\\0";
        break;
      case "\t":
        out += "\\t";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\n":
        out += "\\n";
        break;
      case "\\":
        out += "\\\\";
        break;
      case '"':
        out += '\\"';
        break;
      default:
        if (ch !== " " && NOT_PRINTABLE.test(ch)) {
          out += `\\u{${(ch.codePointAt(0) ?? 0).toString(16)}}`;
        } else {
          out += ch;
        }
    }
  }
  return `${out}"`;
}

/** `format!("{:?}", v)` for a Rust `Vec<String>`. */
export function rustDebugStringList(values: readonly string[]): string {
  return `[${values.map(rustDebugString).join(", ")}]`;
}

/** `format!("{:?}", o)` for a Rust `Option<String>`. */
export function rustDebugOptionString(value: string | undefined): string {
  return value === undefined ? "None" : `Some(${rustDebugString(value)})`;
}
