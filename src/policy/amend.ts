/**
 * "Always allow": appending rules to the user's `default.rules`, as codex does.
 *
 * The line written is exactly codex's (`prefix_rule(pattern=["tok", ...], decision="allow")`,
 * tokens JSON-encoded), so both tools recognise and de-duplicate each other's amendments. The
 * file is created if needed; an existing identical line means nothing is written; a missing
 * final newline is added first. The line (with that newline) goes out in one O_APPEND write, so
 * concurrent writers never interleave inside a line. Given a `lock` (flock(2), from the native
 * addon), the file is held under an exclusive advisory lock from the duplicate check to the
 * write, as codex does, so concurrent writers (two execward servers, execward and codex) neither
 * duplicate nor lose lines; a lock not obtained within LOCK_WAIT_MS is an error.
 */
import { mkdir, open } from "node:fs/promises";
import path from "node:path";

import { ExecwardError } from "../errors.js";
import { describeIoError } from "./load-policy.js";

/** flock(2) without waiting: true when taken (the native addon's `tryLock`). */
export interface FileLocker {
  tryLock(fd: number, exclusive: boolean): boolean;
}

export interface AmendOptions {
  /** Hold an exclusive advisory lock on the file while amending it. */
  readonly lock?: FileLocker;
}

/** How long an amendment waits for another writer's lock. */
export const LOCK_WAIT_MS = 5_000;

/** The rule line an "always allow" for `prefix` writes (codex's spelling). */
export function allowPrefixRuleLine(prefix: readonly string[]): string {
  const pattern = prefix.map((token) => JSON.stringify(token)).join(", ");
  return `prefix_rule(pattern=[${pattern}], decision="allow")`;
}

/** Appends an allow rule for `prefix`; returns whether a line was written. */
export async function appendAllowPrefixRule(
  policyPath: string,
  prefix: readonly string[],
  options: AmendOptions = {},
): Promise<boolean> {
  if (prefix.length === 0)
    throw new ExecwardError("amend_invalid", "prefix rule requires at least one token");
  return appendLine(policyPath, allowPrefixRuleLine(prefix), options);
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
  options: AmendOptions = {},
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
  return appendLine(policyPath, `${line})`, options);
}

async function appendLine(
  policyPath: string,
  line: string,
  options: AmendOptions,
): Promise<boolean> {
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
    if (options.lock !== undefined) await waitForLock(options.lock, handle.fd, policyPath);
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

async function waitForLock(lock: FileLocker, fd: number, policyPath: string): Promise<void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  while (!lock.tryLock(fd, true)) {
    if (Date.now() > deadline)
      throw new ExecwardError(
        "amend_io",
        `failed to lock policy file ${policyPath}: another writer held it for ${LOCK_WAIT_MS} ms`,
      );
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function ioError(what: string, error: unknown): ExecwardError {
  return new ExecwardError("amend_io", `${what}: ${describeIoError(error)}`, { cause: error });
}
