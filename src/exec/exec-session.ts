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
import { computeAskList } from "../escalation/ask-list.js";
import type { NetworkProxy } from "../network/network-proxy.js";
import type { Policy } from "../policy/index.js";
import type { SandboxLauncher } from "../sandbox/linux-sandbox.js";
import type { InterceptionMode } from "./intercepted-run.js";

export interface ExecSessionOptions {
  readonly policy: Policy;
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
  /** EXECWARD_ASK for the hook: computed once from the policy. */
  readonly askList: string | undefined;
  readonly #calls = new Set<TrackedCall>();
  #closing = false;

  constructor(options: ExecSessionOptions) {
    this.options = options;
    this.askList = computeAskList(options.policy, options.preserveProgramPaths);
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
