/**
 * Case builders for string literals: justifications with escapes and unicode (seen through
 * the JSON output), raw valid and invalid Starlark escapes.
 */
import { instantiate, randomRule, subcommandsOf } from "../random-rules.mjs";
import { fileText, prefixRuleText } from "../rules-text.mjs";
import { q } from "../starlark-literals.mjs";
import { DECISIONS, JUSTIFICATIONS, PROGRAMS } from "../vocabulary.mjs";

/** Justifications with escapes and unicode, checked through the JSON output. */
export function justificationCase(r) {
  const program = r.pick(PROGRAMS);
  const pieces = [
    () => r.pick(JUSTIFICATIONS),
    () =>
      String.fromCodePoint(
        r.pick([
          0xe9, 0xdf, 0x3c3, 0x416, 0x65e5, 0x1f600, 0x1f1e6, 0x20ac, 0x2192, 0x85, 0xa0, 0x7f,
          0x1b, 0x1, 0x2028, 0xfeff, 0x200b, 0xffff, 0x10ffff, 0x301,
        ]),
      ),
    () => r.pick(["\\", '"', "'", "\n", "\t", "\r\n", "{}", "%s", "</script>", "\u0000"]),
    () => r.pick(["word", "more words", " ", "  "]),
  ];
  let justification = "";
  const n = r.int(1, 5);
  for (let i = 0; i < n; i++) justification += r.pick(pieces)();
  if (justification.trim().length === 0) justification += "ok";
  const rule = {
    pattern: [program, ...(r.chance(0.5) ? [r.pick(subcommandsOf(program))] : [])],
    justification,
  };
  if (r.chance(0.5)) rule.decision = r.pick(DECISIONS);
  const rules = [rule];
  if (r.chance(0.3)) rules.push(randomRule(r, { program, examples: 0 }));
  return {
    files: [
      {
        name: "policy.rules",
        text: fileText(
          r,
          rules.map((x) => prefixRuleText(r, x)),
        ),
      },
    ],
    command: instantiate(r, rule.pattern, r.int(0, 2)),
    pretty: r.chance(0.15),
  };
}

/** Raw Starlark escapes written directly into a justification or pattern token. */
export const VALID_ESCAPES = [
  "\\n",
  "\\t",
  "\\r",
  "\\\\",
  '\\"',
  "\\'",
  "\\a",
  "\\b",
  "\\f",
  "\\v",
  "\\0",
  "\\7",
  "\\18",
  "\\101",
  "\\377",
  "\\400",
  "\\777",
  "\\0777",
  "\\x41",
  "\\xff",
  "\\x80",
  "\\x7f",
  "\\xAb",
  "\\u00e9",
  "\\uFFFF",
  "\\u0041",
  "\\u2028",
  "\\U0001F600",
  "\\U0010ffff",
  "\\U00000041",
  "\\d",
  "\\q",
  "\\z",
  "\\e",
  "\\N{LATIN SMALL LETTER E}",
  "\\8",
  "\\9",
  "\\ ",
  "\\$",
  "\\/",
  "\\?",
  "\\`",
  "\\\n",
];

export const INVALID_ESCAPES = [
  "\\x4",
  "\\x4g",
  "\\xg0",
  "\\u00e",
  "\\uD800",
  "\\udfff",
  "\\U00110000",
  "\\u{41}",
  "\\U0000004",
  "\\x",
  "\\u",
  "\\U1F600",
];

export function stringLiteralCase(r) {
  const program = r.pick(PROGRAMS);
  const kind = r.weighted([
    [6, "escapes"],
    [2, "raw"],
    [2, "triple"],
    [1, "prefix"],
    [3, "invalid"],
  ]);
  const quote = r.pick(['"', "'"]);
  let literal;
  if (kind === "escapes" || kind === "invalid") {
    let body = "";
    const n = r.int(1, 4);
    for (let i = 0; i < n; i++) {
      body += r.pick(["a", "x", "é", " ", "1", "", "b"]) + r.pick(VALID_ESCAPES);
    }
    if (kind === "invalid")
      body =
        body.slice(0, r.int(0, body.length)) +
        r.pick(INVALID_ESCAPES) +
        r.pick(["", "z", "0", " tail"]);
    body += r.pick(["", "end", "!"]);
    literal = `${quote}${body}${quote}`;
  } else if (kind === "raw") {
    // Starlark source text of raw literals (a backslash before either quote is dropped).
    literal = r.pick(
      String.raw`r"a\d"|r'a\d'|r"a\nb"|r"a\"b"|r'a\'b'|r'a\"b'|r"a\'b"|r"a\\"|r"C:\\path"|r"\x41"|r"\u00e9"|r"^[a-z]+\.rs$"|r"\\\""|r"""a\"b"""|r'''x\ny'''|r""|r''|r"é\t"`.split(
        "|",
      ),
    );
    if (r.chance(0.1)) literal = 'r"x\\\ny"';
  } else if (kind === "triple") {
    const body = r.pick([
      "a\nb",
      "line one\n  line two\n",
      'has "quotes" inside',
      "a'b''c",
      "x\\\ny",
      "tab\there",
      "a\r\nb",
      '"',
      "é\n😀",
    ]);
    const t = quote.repeat(3);
    literal = body.endsWith(quote) ? `${t}${body} ${t}` : `${t}${body}${t}`;
  } else {
    literal = r.pick([
      'f"plain"',
      "f'{{braces}}'",
      'b"bytes"',
      'rb"raw\\bytes"',
      'br"x"',
      'u"x"',
      'R"x"',
      'F"x"',
      'B"x"',
      '"a" "b"',
      "'a' 'b'",
      'f"a{{b}}c"',
    ]);
  }
  const where = r.pick(["justification", "pattern", "pattern", "decision"]);
  let rule;
  if (where === "justification")
    rule = `prefix_rule(pattern=[${q(program)}], justification=${literal})`;
  else if (where === "decision") rule = `prefix_rule(pattern=[${q(program)}], decision=${literal})`;
  else rule = `prefix_rule(pattern=[${q(program)}, ${literal}])`;
  const lines = [rule];
  if (r.chance(0.3)) lines.unshift(prefixRuleText(r, randomRule(r, { program, examples: 0 })));
  return {
    files: [{ name: "policy.rules", text: fileText(r, lines, { crlf: r.chance(0.1) }) }],
    command: [program, ...(r.chance(0.5) ? ["a"] : [])],
    pretty: false,
  };
}
