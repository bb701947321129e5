/**
 * Rust `str` semantics codex's validation relies on: whitespace as `str::trim` and
 * `char::is_whitespace` see it (the Unicode White_Space property).
 *
 * JavaScript's `trim()` and `\s` use another set: they include U+FEFF, which Rust does not treat
 * as whitespace, and miss U+0085, which it does. So `justification="\u0085"` is empty to codex,
 * `"\ufeff"` is not, and both tools must agree on which rules files load.
 */

const WHITE_SPACE =
  "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const SURROUNDING_WHITE_SPACE = new RegExp(`^[${WHITE_SPACE}]+|[${WHITE_SPACE}]+$`, "g");
const ANY_WHITE_SPACE = new RegExp(`[${WHITE_SPACE}]`);

/** `str::trim`: `value` without leading and trailing Unicode whitespace. */
export function rustTrim(value: string): string {
  return value.replace(SURROUNDING_WHITE_SPACE, "");
}

/** Whether any character of `value` is `char::is_whitespace`. */
export function containsRustWhitespace(value: string): boolean {
  return ANY_WHITE_SPACE.test(value);
}
