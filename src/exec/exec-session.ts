/**
 * What every tool call of one server (or one `execward run`) shares, built once: the policy and
 * the hook's ask list computed from it, the shell and interception mode, the sandbox launcher,
 * the network proxy, and the calls still in flight.
 *
 * Guards the exit path: `close()` ends every call still running and waits (bounded) until each
 * has released its sandbox (mount-point locks, descriptors) before the launcher removes the
 * mount points no sandbox uses any more. A process that exits without it leaves empty `.git`,
 * `.codex` and `.agents` directories behind.
 */
import type { NativeParts } from "../native/native-addon.js";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";

import { computeAskList } from "../escalation/ask-list.js";
import type { NetworkProxy } from "../network/network-proxy.js";
import {
  allowPrefixRuleLine,
  appendAllowPrefixRule,
  appendNetworkRule,
  parsePolicy,
  type FileLocker,
  type Policy,
} from "../policy/index.js";
import type { AuditRecord, AuditSink } from "./audit-record.js";
import type { SandboxLauncher } from "../sandbox/linux-sandbox.js";
import type { InterceptionMode } from "./intercepted-run.js";

export interface ExecSessionOptions {
  readonly policy: Policy;
  /** The native parts, loaded once by the command that builds the session. */
  readonly native: NativeParts;
  /** Absolute path of the shell. */
  readonly shell: string;
  readonly mode: InterceptionMode;
  readonly preserveProgramPaths: boolean;
  /** execward's own environment: the command's, and the base of every escalated program's. */
  readonly env: Readonly<Record<string, string>>;
  /** Variables an escalated program may take from the sandboxed command (`--escalation-env`). */
  readonly escalationEnvNames: readonly string[];
  readonly sandbox: SandboxLauncher;
  /** The proxy sandboxed calls without network access reach; absent: they have no network. */
  readonly networkProxy?: NetworkProxy | undefined;
  /** exec-wrapper mode: the wrapper to announce (default: execward's). */
  readonly execWrapper?: string | undefined;
  readonly log: (message: string) => void;
  /** Where every decision is recorded (audit log file, --verbose, MCP log messages). */
  readonly audit?: AuditSink | undefined;
  /**
   * Where "always" answers are written (`$CODEX_HOME/rules/default.rules`), under `lock`.
   * Absent: "always" is not offered.
   */
  readonly amend?: { readonly rulesFile: string; readonly lock?: FileLocker } | undefined;
}

/** A call in flight, as the session sees it. */
export interface TrackedCall {
  /** Ends everything the call started. */
  kill(): Promise<void>;
  /** Settles once the call's sandbox is released. */
  readonly cleanedUp: Promise<void>;
}

/** How long `close()` waits for the calls' cleanup before giving up on them. */
const CLOSE_WAIT_MS = 10_000;

export class ExecSession {
  readonly options: ExecSessionOptions;
  /** Names this session in the audit log. */
  readonly id = randomBytes(6).toString("hex");
  #policy: Policy;
  #askList: string | undefined;
  #callCount = 0;
  readonly #calls = new Set<TrackedCall>();
  #closing = false;

  constructor(options: ExecSessionOptions) {
    this.options = options;
    this.#policy = options.policy;
    this.#askList = computeAskList(options.policy, options.preserveProgramPaths);
  }

  /** The policy now: the loaded rules plus every "always" answered in this session. */
  get policy(): Policy {
    return this.#policy;
  }

  /** EXECWARD_ASK for the hook, computed from the policy (again after an "always"). */
  get askList(): string | undefined {
    return this.#askList;
  }

  /** The next call's number (from 1). */
  nextCallNumber(): number {
    return ++this.#callCount;
  }

  /** Records `record` wherever the session's audit goes; never throws. */
  audit(record: AuditRecord): void {
    try {
      this.options.audit?.(record);
    } catch (error) {
      this.options.log(`audit sink failed: ${String(error)}`);
    }
  }

  /** Whether "always" can be written in this session. */
  get canAmend(): boolean {
    return this.options.amend !== undefined;
  }

  /**
   * "Always allow" for `prefix`: appended (locked) to the rules file, then applied to this
   * session's policy at once (calls from now on, and the running ones' later execs).
   */
  async allowAlways(prefix: readonly string[]): Promise<void> {
    const amend = this.options.amend;
    if (amend === undefined) throw new Error("this session cannot write rules");
    const line = allowPrefixRuleLine(prefix);
    // Parsed before it is written: a line this policy could not load never reaches the file.
    parsePolicy([{ name: amend.rulesFile, text: line }]);
    await appendAllowPrefixRule(amend.rulesFile, prefix, amend.lock ? { lock: amend.lock } : {});
    // The rule's line in the file as it is now (ours, or an identical one written before).
    const lines = (await readFile(amend.rulesFile, "utf8")).split(/\r?\n/);
    const at = Math.max(1, lines.lastIndexOf(line) + 1);
    const added = parsePolicy([{ name: amend.rulesFile, text: `${"\n".repeat(at - 1)}${line}` }]);
    this.#policy = this.#policy.withPrefixRules(added.prefixRules);
    this.#askList = computeAskList(this.#policy, this.options.preserveProgramPaths);
  }

  /** "Always allow" a network host: a network_rule appended (locked) to the rules file. */
  async allowNetworkAlways(host: string, protocol: "http" | "https"): Promise<void> {
    const amend = this.options.amend;
    if (amend === undefined) throw new Error("this session cannot write rules");
    await appendNetworkRule(
      amend.rulesFile,
      { host, protocol, decision: "allow" },
      amend.lock ? { lock: amend.lock } : {},
    );
  }

  /** True once `close()` has begun: no new call may start. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Keeps `call` until its cleanup settles. */
  track(call: TrackedCall): void {
    this.#calls.add(call);
    void call.cleanedUp.finally(() => this.#calls.delete(call));
  }

  /**
   * Ends every call, waits (at most `waitMs`) for each to release its sandbox, then removes the
   * mount points nothing uses.
   */
  async close(waitMs = CLOSE_WAIT_MS): Promise<void> {
    this.#closing = true;
    const calls = [...this.#calls];
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), waitMs);
      timer.unref();
    });
    const done = Promise.all(
      calls.map(async (call) => {
        await call.kill().catch(() => undefined);
        await call.cleanedUp.catch(() => undefined);
      }),
    );
    if ((await Promise.race([done, gaveUp])) === "timeout")
      this.options.log(
        `${this.#calls.size} command(s) did not finish their cleanup within ${waitMs} ms; their sandbox mount points may remain`,
      );
    clearTimeout(timer);
    await this.options.sandbox.flush?.();
  }
}
