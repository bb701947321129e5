/**
 * "Always allow": appending rules to the user's `default.rules`, as codex does.
 *
 * The line written is exactly codex's (`prefix_rule(pattern=["tok", ...], decision="allow")`,
 * tokens JSON-encoded), so both tools recognise and de-duplicate each other's amendments. The
 * file is created if needed; an existing identical line means nothing is written; a missing
 * final newline is added first. The line (with that newline) goes out in one O_APPEND write, so
 * concurrent writers never interleave inside a line. Codex also takes an advisory lock, which
 * Node cannot take without native code: two simultaneous identical amendments may both append,
 * which is harmless (a duplicate rule has the same meaning).
 */
import { mkdir, open } from "node:fs/promises";
import path from "node:path";

import { ExecwardError } from "../errors.js";
import { describeIoError } from "./load-policy.js";

/** Appends an allow rule for `prefix`; returns whether a line was written. */
export async function appendAllowPrefixRule(
  policyPath: string,
  prefix: readonly string[],
): Promise<boolean> {
  if (prefix.length === 0)
    throw new ExecwardError("amend_invalid", "prefix rule requires at least one token");
  const pattern = prefix.map((token) => JSON.stringify(token)).join(", ");
  return appendLine(policyPath, `prefix_rule(pattern=[${pattern}], decision="allow")`);
}

export type AmendNetworkProtocol = "http" | "https";
/**
 * `deny` and `prompt` as the rules language spells them. (codex's amend also writes `ask`, which
 * its own parser then rejects, breaking the whole file; execward refuses to write it.)
 */
export type AmendNetworkDecision = "allow" | "deny" | "prompt";

/** Appends a `network_rule(...)` line; returns whether a line was written. */
export async function appendNetworkRule(
  policyPath: string,
  rule: {
    readonly host: string;
    readonly protocol: AmendNetworkProtocol;
    readonly decision: AmendNetworkDecision;
    readonly justification?: string;
  },
): Promise<boolean> {
  const host = rule.host.trim();
  if (host.length === 0)
    throw new ExecwardError("amend_invalid", "network rule host cannot be empty");
  if (rule.protocol !== "http" && rule.protocol !== "https") {
    throw new ExecwardError("amend_invalid", "network rule protocol must be http or https");
  }
  if (!["allow", "deny", "prompt"].includes(rule.decision)) {
    throw new ExecwardError(
      "amend_invalid",
      "network rule decision must be allow, deny, or prompt",
    );
  }
  let line = `network_rule(host=${JSON.stringify(host)}, protocol="${rule.protocol}", decision="${rule.decision}"`;
  if (rule.justification !== undefined)
    line += `, justification=${JSON.stringify(rule.justification)}`;
  return appendLine(policyPath, `${line})`);
}

async function appendLine(policyPath: string, line: string): Promise<boolean> {
  const dir = path.dirname(policyPath);
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw ioError(`failed to create policy directory ${dir}`, error);
  }
  let handle;
  try {
    handle = await open(policyPath, "a+", 0o644);
  } catch (error) {
    throw ioError(`failed to open policy file ${policyPath}`, error);
  }
  try {
    const contents = (await handle.readFile()).toString("utf8");
    if (contents.split(/\r?\n/).includes(line)) return false;
    const separator = contents.length > 0 && !contents.endsWith("\n") ? "\n" : "";
    await handle.write(`${separator}${line}\n`);
    return true;
  } catch (error) {
    throw ioError(`failed to write to policy file ${policyPath}`, error);
  } finally {
    await handle.close();
  }
}

function ioError(what: string, error: unknown): ExecwardError {
  return new ExecwardError("amend_io", `${what}: ${describeIoError(error)}`, { cause: error });
}
