/**
 * Case builders for rules files that cannot be read: missing, a directory, invalid UTF-8.
 */
import { q } from "../starlark-literals.mjs";
import { PROGRAMS } from "../vocabulary.mjs";

/** Files that cannot be read: missing, a directory, invalid UTF-8. */
export function unreadable(r) {
  const program = r.pick(PROGRAMS);
  const good = { name: "ok.rules", text: `prefix_rule(pattern=[${q(program)}])\n` };
  const bad = r.pick([
    { name: "missing.rules", missing: true },
    { name: "folder.rules", directory: true },
    {
      name: "latin1.rules",
      base64: Buffer.from(
        `prefix_rule(pattern=[${q(program)}], justification="caf\xe9")\n`,
        "latin1",
      ).toString("base64"),
    },
    {
      name: "truncated.rules",
      base64: Buffer.concat([
        Buffer.from(`prefix_rule(pattern=[${q(program)}])\n# \xe6\x97`, "latin1"),
      ]).toString("base64"),
    },
    {
      name: "surrogate.rules",
      base64: Buffer.concat([
        Buffer.from("# "),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from("\n"),
      ]).toString("base64"),
    },
    {
      name: "overlong.rules",
      base64: Buffer.concat([
        Buffer.from("# "),
        Buffer.from([0xc0, 0xaf]),
        Buffer.from("\n"),
      ]).toString("base64"),
    },
    { name: "ff.rules", base64: Buffer.from([0xff, 0xfe, 0x70, 0x00]).toString("base64") },
  ]);
  const files = r.chance(0.5) ? [good, bad] : r.chance(0.5) ? [bad] : [bad, good];
  return { files, command: [program], pretty: false };
}
