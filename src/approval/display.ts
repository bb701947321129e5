/**
 * Rendering agent-supplied text for a human: commands shell-quoted, control characters escaped.
 *
 * Guards every approval prompt: an argument containing ANSI sequences, carriage returns or other
 * control characters must not be able to move the cursor, recolour or overwrite what the human
 * reads. Everything below U+0020, DEL, C1 controls and the Unicode line/paragraph separators and
 * bidi overrides are shown as escapes.
 */
import { shlexQuote } from "../policy/shlex.js";

// eslint-disable-next-line no-control-regex -- matching control characters is this module's job
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** `text` with every control character written as an escape (`\n`, `\x1b`, `\u202e`). */
export function escapeForDisplay(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    switch (ch) {
      case "\n":
        return "\\n";
      case "\r":
        return "\\r";
      case "\t":
        return "\\t";
      default: {
        const code = ch.codePointAt(0) ?? 0;
        return code <= 0xff
          ? `\\x${code.toString(16).padStart(2, "0")}`
          : `\\u${code.toString(16).padStart(4, "0")}`;
      }
    }
  });
}

/** `program arg...` shell-quoted (as upstream's prompt), then escaped for display. */
export function displayCommand(program: string, args: readonly string[]): string {
  const quoted = args.map((arg) => shlexQuote(arg) ?? "<argument with a NUL byte>");
  return escapeForDisplay([program, ...quoted].join(" "));
}
