/**
 * The escalated program's environment as the addon takes it: one buffer of `NAME=value` entries,
 * each ended by a NUL byte, which native/fd-passing/escalated_spawn.c points envp into.
 *
 * Guards the escalated exec's latency without changing what the program gets: the result is,
 * byte for byte and in the same order, escalatedEnv() (escalated-env.ts) encoded. execward's own
 * part (usually 50-100 variables, a few KiB) is encoded once per command; a request only costs
 * its few allowed variables and PWD, put in place of the base's entries of the same name or
 * after them. The rare names a plain object orders differently (array indexes, `__proto__`) take
 * escalatedEnv() itself. A NUL inside a name or value would end the entry early: refused.
 */
import { ExecwardError } from "../errors.js";
import { escalatedEnv, requestOverrides, type EscalationEnvRequest } from "./escalated-env.js";

/** Names a plain object does not keep in insertion order (or does not keep at all). */
const REORDERED_NAME = /^(?:\d+|__proto__)$/;

/** The environment block function for one command: `base` (execward's own) plus allowed request variables. */
export function escalatedEnvBlockFor(
  base: Readonly<Record<string, string>>,
  extraNames: readonly string[] = [],
): (request: EscalationEnvRequest) => Buffer {
  const entries = Object.entries(base);
  let block: Buffer;
  try {
    block = Buffer.from(entries.map(([name, value]) => entry(name, value)).join(""));
  } catch (error) {
    // As before this block existed: the command runs, its escalated execs cannot start.
    return () => {
      throw error;
    };
  }
  // Where each entry of the base is in `block`: [start, end), its NUL included.
  const spans = new Map<string, readonly [number, number]>();
  let at = 0;
  for (const [name] of entries) {
    const end = block.indexOf(0, at) + 1;
    spans.set(name, [at, end]);
    at = end;
  }
  return (request) => {
    const workdir = request.inspection?.host?.workdirPath ?? request.workdir;
    const overrides = requestOverrides({ requested: request.env, extraNames, workdir });
    if ([...overrides.keys()].some((name) => REORDERED_NAME.test(name)))
      return encodeEnv(escalatedEnv({ base, requested: request.env, extraNames, workdir }));
    const replaced: [readonly [number, number], string][] = [];
    let added = "";
    let size = block.length;
    for (const [name, value] of overrides) {
      const span = spans.get(name);
      const text = entry(name, value);
      if (span === undefined) added += text;
      else replaced.push([span, text]);
      size += Buffer.byteLength(text) - (span === undefined ? 0 : span[1] - span[0]);
    }
    // Copied and written into one buffer of the exact size: no slice or part is allocated.
    const out = Buffer.allocUnsafe(size);
    let written = 0;
    let from = 0;
    for (const [[start, end], text] of replaced.sort(([a], [b]) => a[0] - b[0])) {
      written += block.copy(out, written, from, start);
      written += out.write(text, written);
      from = end;
    }
    written += block.copy(out, written, from);
    out.write(added, written);
    return out;
  };
}

/** An environment record as an environment block, in the record's order. */
export function encodeEnv(env: Readonly<Record<string, string>>): Buffer {
  return Buffer.from(
    Object.entries(env)
      .map(([name, value]) => entry(name, value))
      .join(""),
  );
}

function entry(name: string, value: string): string {
  if (name.includes("\0") || value.includes("\0")) {
    throw new ExecwardError(
      "malformed_request",
      `the escalated program's environment variable ${JSON.stringify(name)} contains a NUL byte`,
    );
  }
  return `${name}=${value}\0`;
}
