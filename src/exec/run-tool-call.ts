/**
 * One tool call, end to end: the only place its steps are wired.
 *
 * sandbox preparation -> network decision (made here, once) -> rules escalation policy ->
 * intercepted run -> timeout (a Stopwatch paused while a human decides) -> output capture ->
 * release, returning one result shape. The MCP server and `execward run` are adapters over it.
 *
 * Guards:
 * - one cleanup scope from preparation to spawn: whatever fails there (the sandbox, a descriptor
 *   limit, the network channel, the bwrap wrap, the spawn itself) comes back as `refused` with
 *   the reason, and the call's mount-point locks, descriptors and mount points are released;
 * - a timeout is decided by the command's real state: a timer that fires late (the server was
 *   stopped, a laptop suspended) does not mark a command that already exited as timed out;
 * - every call is tracked by the session until its cleanup settles, so an exit path can wait.
 */
import type { Approver } from "../approval/approver.js";
import { Stopwatch } from "../approval/stopwatch.js";
import { escalationEnvFor } from "../escalation/escalated-env.js";
import { createRulesEscalationPolicy } from "../escalation/rules-escalation-policy.js";
import type { PreparedSandbox } from "../sandbox/linux-sandbox.js";
import type { ProfileLayoutInput } from "../sandbox/profile-layout.js";
import { hasFullNetworkAccess, type SandboxPolicy } from "../sandbox/sandbox-policy.js";
import type { ExecSession } from "./exec-session.js";
import { TIMEOUT_EXIT_CODE, type ExecResult } from "./exec-result.js";
import {
  runRequirements,
  startInterceptedRun,
  type InterceptedRun,
  type RunExit,
} from "./intercepted-run.js";
import { networkContext } from "./network-context.js";
import { OutputCapture } from "./output-capture.js";
import { hasExited } from "./process-state.js";
import { callAudit } from "./call-audit.js";

export interface ToolCall {
  /** The shell command string. */
  readonly command: string;
  /** Where it starts (an existing directory). */
  readonly workdir: string;
  readonly login: boolean;
  readonly sandbox: {
    readonly policy: SandboxPolicy;
    /** The directory the policy is relative to. */
    readonly policyCwd: string;
    readonly profile?: ProfileLayoutInput | undefined;
  };
  /** Running time allowed (time spent waiting for a human excluded); absent: no limit. */
  readonly timeoutMs?: number | undefined;
  /** "pipe": output captured into the result; "inherit": the caller's terminal. */
  readonly stdio: "pipe" | "inherit";
  /** Keep the shell in the caller's process group (to read from a terminal). */
  readonly foreground?: boolean;
  /** Who asks a human; given the call's stopwatch (to pause it) when there is a time limit. */
  readonly approver: (stopwatch: Stopwatch | undefined) => Approver;
  /** Cancellation: ends everything started for the call. */
  readonly signal?: AbortSignal | undefined;
  /** The command is running (after the sandbox was built). */
  readonly onStarted?: (started: StartedCall) => void;
}

export interface StartedCall {
  /** False when the policy runs without a sandbox (danger-full-access). */
  readonly sandboxed: boolean;
  /** Sends `signal` to the shell (or bwrap around it). */
  signal(signal: NodeJS.Signals): void;
  /** Output bytes received so far (piped calls). */
  outputBytes(): number;
}

export type ToolCallResult =
  /** The command did not run; `reason` says why. */
  | { readonly kind: "refused"; readonly reason: string }
  | {
      readonly kind: "ran";
      readonly result: ExecResult;
      readonly signal: NodeJS.Signals | null;
      /** Settles once the sandbox is released (the session waits for it on exit). */
      readonly cleanedUp: Promise<void>;
    };

export async function runToolCall(session: ExecSession, call: ToolCall): Promise<ToolCallResult> {
  const options = session.options;
  if (session.closing) return { kind: "refused", reason: "execward is shutting down" };
  const callEnded = new AbortController();
  let prepared: PreparedSandbox | undefined;
  let run: InterceptedRun | undefined;
  let stopwatch: Stopwatch | undefined;
  let timedOut = false;
  const capture = new OutputCapture();
  const audit = callAudit(session, session.nextCallNumber(), call.command);
  // One scope from preparation to spawn: on any failure, everything taken so far is given back.
  try {
    prepared = await options.sandbox.prepare({
      policy: call.sandbox.policy,
      policyCwd: call.sandbox.policyCwd,
      profile: call.sandbox.profile,
      commandCwd: call.workdir,
      tmpdir: options.env.TMPDIR,
      required: runRequirements(
        options.shell,
        options.mode === "exec-wrapper" ? options.execWrapper : undefined,
        options.native.paths,
      ),
    });
    const sandbox = prepared;
    const runRef: { run?: InterceptedRun } = {};
    if (call.timeoutMs !== undefined) {
      stopwatch = new Stopwatch(call.timeoutMs, () => {
        // The timer may fire late (the server was stopped): only a command still running times out.
        const child = runRef.run?.child;
        if (child?.pid !== undefined && hasExited(child.pid)) return;
        timedOut = true;
        void runRef.run?.kill();
      });
    }
    const approver = call.approver(stopwatch);
    audit.setApprover(approver.via);
    // The network decision, made once: a sandbox without network access reaches the proxy.
    const network =
      options.networkProxy !== undefined &&
      sandbox.sandboxed &&
      !hasFullNetworkAccess(call.sandbox.policy)
        ? {
            proxy: options.networkProxy,
            context: networkContext(call.command, approver, callEnded.signal, {
              onDecision: audit.network,
              log: options.log,
              ...(session.canAmend
                ? { allowAlways: (host, protocol) => session.allowNetworkAlways(host, protocol) }
                : {}),
            }),
          }
        : undefined;
    run = startInterceptedRun({
      native: options.native,
      command: call.command,
      shell: options.shell,
      login: call.login,
      mode: options.mode,
      cwd: call.workdir,
      env: options.env,
      escalationEnvNames: options.escalationEnvNames,
      policy: audit.failures(
        createRulesEscalationPolicy({
          policy: session.policy,
          approver,
          onDecided: audit.exec,
          log: options.log,
          ...(session.canAmend ? { allowAlways: (prefix) => session.allowAlways(prefix) } : {}),
          preserveProgramPaths: options.preserveProgramPaths,
          writableRoots: sandbox.writableRoots,
          escalatedEnv: escalationEnvFor(options.env, options.escalationEnvNames),
        }),
      ),
      askList: session.askList,
      stdio: call.stdio,
      ...(call.foreground === undefined ? {} : { foreground: call.foreground }),
      log: options.log,
      sandbox,
      ...(network === undefined ? {} : { network }),
      ...(options.execWrapper === undefined ? {} : { execWrapper: options.execWrapper }),
      ...(options.audit === undefined
        ? {}
        : {
            onNotice: audit.notice,
            onBackstopNotice: audit.backstopNotice,
            onBackstopDropped: audit.dropped,
          }),
    });
    runRef.run = run;
  } catch (error) {
    stopwatch?.stop();
    callEnded.abort();
    await prepared
      ?.release()
      .catch((cause: unknown) => options.log(`sandbox cleanup failed: ${String(cause)}`));
    return { kind: "refused", reason: describeFailure(error) };
  }

  const started = performance.now();
  const active = run;
  session.track({ kill: () => active.kill(), cleanedUp: active.cleanedUp });
  active.child.stdout?.on("data", (chunk: Buffer) => capture.push(chunk));
  active.child.stderr?.on("data", (chunk: Buffer) => capture.push(chunk));
  const onAbort = (): void => void active.kill();
  call.signal?.addEventListener("abort", onAbort, { once: true });
  if (call.signal?.aborted === true) onAbort();
  call.onStarted?.({
    sandboxed: prepared.sandboxed,
    signal: (signal) => void active.child.kill(signal),
    outputBytes: () => capture.receivedBytes,
  });
  let exit: RunExit;
  try {
    exit = await active.exit;
  } catch (error) {
    // The spawn failed after it began (bwrap missing meanwhile, a descriptor limit): nothing ran.
    return { kind: "refused", reason: describeFailure(error) };
  } finally {
    stopwatch?.stop();
    callEnded.abort();
    call.signal?.removeEventListener("abort", onAbort);
    audit.end();
  }
  return {
    kind: "ran",
    result: {
      exitCode: timedOut ? TIMEOUT_EXIT_CODE : exit.exitCode,
      output: capture.text(),
      durationMs: performance.now() - started,
      timedOut,
    },
    signal: exit.signal,
    cleanedUp: active.cleanedUp,
  };
}

function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== undefined && !error.message.includes(code)
      ? `${error.message} (${code})`
      : error.message;
  }
  return String(error);
}
