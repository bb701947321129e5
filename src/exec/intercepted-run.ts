/**
 * One command run under interception: a shell started with the exec hook (or a patched shell
 * with the execve wrapper), the escalation server that decides each of its execs, and the
 * registry that lets a timeout or cancel end all of it.
 *
 * With a prepared sandbox the shell starts inside bwrap (the hook and the escalation socket go
 * in with it; escalated programs run outside, started by the server); without one it runs with
 * the caller's own permissions (danger-full-access). When the shell exits, the server closes:
 * sessions still open end, escalated programs still running are killed, and the sandbox's
 * leftovers are released.
 */
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import os from "node:os";

import { escalatedEnvBlockFor } from "../escalation/escalated-env-block.js";
import { createEscalatedExecutor } from "../escalation/escalated-executor.js";
import type { EscalationPolicy } from "../escalation/escalation-policy.js";
import { EscalationServer } from "../escalation/escalation-server.js";
import { ExecBackstop, type BackstopNotice } from "../escalation/exec-backstop.js";
import type { NativeParts, NativePaths } from "../native/native-addon.js";
import {
  ESCALATE_SOCKET_ENV,
  EXEC_WRAPPER_ENV,
  HOOK_ASK_ENV,
  HOOK_NOTICES_ENV,
  HOOK_LIBRARY_ENV,
  HOOK_WRAPPER_ENV,
  LEGACY_BASH_EXEC_WRAPPER_ENV,
  type ExecNotice,
} from "../escalation/protocol.js";
import type { NetworkProxy, ProxyClientContext } from "../network/network-proxy.js";
import {
  proxyEnv,
  SANDBOX_HTTP_PROXY_PORT,
  SANDBOX_SOCKS_PROXY_PORT,
} from "../network/proxy-env.js";
import type { PreparedSandbox } from "../sandbox/linux-sandbox.js";
import {
  HTTP_BRIDGE_TAG,
  openNetworkChannel,
  SOCKS_BRIDGE_TAG,
  type NetworkChannel,
} from "./network-channel.js";
import { ensureDescriptorHeadroom } from "./descriptor-headroom.js";
import { ProcessRegistry } from "./process-registry.js";

export type InterceptionMode = "preload" | "exec-wrapper";

export interface InterceptedRunOptions {
  /** The native parts (addon, hook, wrapper, sandbox init, supervisor), loaded by the caller. */
  readonly native: NativeParts;
  /** The shell command string, run as `<shell> -c` (or `-lc`). */
  readonly command: string;
  /** Absolute path of the shell. */
  readonly shell: string;
  readonly login: boolean;
  readonly mode: InterceptionMode;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Variables an escalated program may take from the sandboxed request (besides the built-in allow-list). */
  readonly escalationEnvNames?: readonly string[];
  readonly policy: EscalationPolicy;
  /** EXECWARD_ASK for the hook (preload mode); undefined: ask about every program. */
  readonly askList?: string | undefined;
  /** "inherit": the caller's terminal; "pipe": stdin from /dev/null, output through child.stdout / child.stderr. */
  readonly stdio: "inherit" | "pipe";
  /** exec-wrapper mode: the wrapper to announce (default: execward-execve-wrapper). */
  readonly execWrapper?: string;
  /** Keep the shell in the caller's process group (needed to read from a terminal). */
  readonly foreground?: boolean;
  readonly log?: (message: string) => void;
  /** Where the shell runs; released when the run ends. Absent: no sandbox. */
  readonly sandbox?: PreparedSandbox;
  /**
   * The proxy a sandbox without network access reaches through its bridge, and who asks. Only
   * used with a sandbox; without one the command has the host's network anyway.
   */
  readonly network?: { readonly proxy: NetworkProxy; readonly context: ProxyClientContext };
  /** The hook's fast-path notices (undefined: a malformed one); absent: dropped. */
  readonly onNotice?: (notice: ExecNotice | undefined) => void;
  /**
   * The kernel backstop's fast-path notices (execs its C fast path continued) and the count of
   * those it dropped; absent: the supervisor sends none.
   */
  readonly onBackstopNotice?: (notice: BackstopNotice) => void;
  readonly onBackstopDropped?: (count: number, reason: string) => void;
  /**
   * The kernel exec backstop (seccomp user notification, judged by execward-exec-supervisor) for
   * a sandboxed run; on by default. Without a sandbox there is none.
   */
  readonly execBackstop?: boolean;
}

export interface RunExit {
  readonly exitCode: number;
  readonly signal: NodeJS.Signals | null;
}

export interface InterceptedRun {
  readonly child: ChildProcess;
  readonly exit: Promise<RunExit>;
  /** Settles after `exit`, once the sandbox's leftovers are released (off the call's path). */
  readonly cleanedUp: Promise<void>;
  /** Ends everything started for this command. */
  kill(): Promise<void>;
}

/** The shell's descriptor number for the escalation socket. */
const SOCKET_FD_IN_SHELL = 3;
/** The network bridge's channel to the proxy (sandboxed runs with a proxy only). */
const CHANNEL_FD = 4;
/** The exec supervisor's private channel to the backstop server (not passed on to bwrap). */
const BACKSTOP_SERVER_FD = 5;
/** Where the supervisor puts, in bwrap and the sandbox init, the way out for the listener. */
const BACKSTOP_LISTENER_FD = 6;

export function startInterceptedRun(options: InterceptedRunOptions): InterceptedRun {
  const { addon, paths } = options.native;
  const registry = new ProcessRegistry();
  const proxied = options.sandbox?.sandboxed === true && options.network !== undefined;
  const sandboxProxyEnv = proxied
    ? proxyEnv(SANDBOX_HTTP_PROXY_PORT, SANDBOX_SOCKS_PROXY_PORT)
    : {};
  // Escalated programs get execward's own environment (options.env, from before the sandbox:
  // no in-sandbox proxy address, no sandbox-chosen HOME or PATH) plus allow-listed variables.
  const server = new EscalationServer({
    addon,
    policy: options.policy,
    executor: createEscalatedExecutor({
      addon,
      registry,
      env: escalatedEnvBlockFor(options.env, options.escalationEnvNames),
      ...(options.log === undefined ? {} : { log: options.log }),
    }),
    ...(options.log === undefined ? {} : { log: options.log }),
    ...(options.onNotice === undefined ? {} : { onNotice: options.onNotice }),
  });
  let cleanedUp: () => void = () => undefined;
  const cleaned = new Promise<void>((resolve) => (cleanedUp = resolve));
  const release = (): void => {
    void (options.sandbox?.release() ?? Promise.resolve())
      .catch((error: unknown) => options.log?.(`sandbox cleanup failed: ${String(error)}`))
      .finally(cleanedUp);
  };
  let channel: NetworkChannel | undefined;
  let backstop: ExecBackstop | undefined;
  let child: ChildProcess;
  // From the escalation socket to the spawn, one scope: whatever fails (a descriptor limit, the
  // network channel, the bwrap wrap, the spawn), every descriptor is closed and the sandbox
  // released before the error goes up.
  try {
    const clientFd = server.start();

    const env: Record<string, string> = {
      ...options.env,
      [ESCALATE_SOCKET_ENV]: String(SOCKET_FD_IN_SHELL),
    };
    if (options.mode === "preload") {
      env.LD_PRELOAD = [
        paths.hook,
        ...(options.env.LD_PRELOAD ?? "").split(/[: ]/).filter((x) => x !== "" && x !== paths.hook),
      ].join(":");
      env[HOOK_LIBRARY_ENV] = paths.hook;
      env[HOOK_WRAPPER_ENV] = paths.wrapper;
      if (options.askList !== undefined) env[HOOK_ASK_ENV] = options.askList;
      if (options.onNotice !== undefined) env[HOOK_NOTICES_ENV] = "1";
      else delete env[HOOK_NOTICES_ENV];
    } else {
      env[EXEC_WRAPPER_ENV] = options.execWrapper ?? paths.wrapper;
      env[LEGACY_BASH_EXEC_WRAPPER_ENV] = options.execWrapper ?? paths.wrapper;
    }

    // Piped runs get /dev/null as stdin: bash treats a socket on stdin (Node's pipes are
    // socketpairs) as an ssh session and would source ~/.bashrc.
    const stdio: StdioOptions =
      options.stdio === "inherit"
        ? ["inherit", "inherit", "inherit", clientFd]
        : ["ignore", "pipe", "pipe", clientFd];
    const sandboxed = options.sandbox?.sandboxed === true;
    if (sandboxed && options.network !== undefined) {
      channel = openNetworkChannel(addon, options.network.proxy, options.network.context);
      stdio.push(channel.childFd);
      Object.assign(env, sandboxProxyEnv);
    }
    if (sandboxed && options.execBackstop !== false) {
      backstop = new ExecBackstop({
        addon,
        policy: options.policy,
        recentRuns: server.recentRuns,
        ...(options.log === undefined ? {} : { log: options.log }),
        ...(options.onBackstopNotice === undefined
          ? {}
          : { onNotice: options.onBackstopNotice, beforeNotice: () => server.drain() }),
        ...(options.onBackstopDropped === undefined
          ? {}
          : { onNoticesDropped: options.onBackstopDropped }),
      });
      while (stdio.length < BACKSTOP_SERVER_FD) stdio.push("ignore");
      stdio.push(backstop.start());
    }
    const shellArgv = [options.shell, options.login ? "-lc" : "-c", options.command];
    const launch = options.sandbox?.wrap({
      command: shellArgv,
      env,
      insideOnly: ["LD_PRELOAD"],
      ...(backstop === undefined
        ? {}
        : {
            execBackstop: {
              supervisor: paths.supervisor,
              serverFd: BACKSTOP_SERVER_FD,
              listenerFd: BACKSTOP_LISTENER_FD,
              askList: options.askList,
              notices: options.onBackstopNotice !== undefined,
            },
          }),
      ...(channel === undefined
        ? {}
        : {
            bridges: [
              { fd: CHANNEL_FD, port: SANDBOX_HTTP_PROXY_PORT, tag: HTTP_BRIDGE_TAG },
              { fd: CHANNEL_FD, port: SANDBOX_SOCKS_PROXY_PORT, tag: SOCKS_BRIDGE_TAG },
            ],
          }),
    }) ?? {
      file: options.shell,
      args: shellArgv.slice(1),
      env,
    };
    ensureDescriptorHeadroom();
    child = spawn(launch.file, launch.args, {
      cwd: options.cwd,
      env: launch.env,
      stdio,
      detached: options.foreground !== true,
    });
  } catch (error) {
    server.close();
    channel?.close();
    backstop?.close();
    release();
    throw error;
  } finally {
    server.releaseClientFd();
    channel?.releaseChildFd();
    backstop?.releaseChildFd();
  }
  registry.addChild(child, { groupLeader: options.foreground !== true });

  const exit = new Promise<RunExit>((resolve, reject) => {
    child.once("error", (error) => {
      // A spawn that failed (EMFILE, ENOENT) leaves Node's pipes to the child open.
      for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.destroy();
      server.close();
      channel?.close();
      backstop?.close();
      release();
      reject(error);
    });
    child.once("close", (code, signal) => {
      // What was sent before the end is read before the channels close (the last notices).
      backstop?.drain();
      server.drain();
      server.close();
      channel?.close();
      backstop?.close();
      void registry
        .killAll()
        .then(release)
        .then(() =>
          resolve({ exitCode: code ?? (signal === null ? 1 : 128 + signalNumber(signal)), signal }),
        );
    });
  });
  return {
    child,
    exit,
    cleanedUp: cleaned,
    async kill() {
      await registry.killAll();
      server.close();
      channel?.close();
      backstop?.close();
    },
  };
}

/** What a sandbox with restricted reads must still show for the run to work. */
export function runRequirements(
  shell: string,
  execWrapper: string | undefined,
  paths: NativePaths,
): string[] {
  return [shell, paths.hook, paths.wrapper, ...(execWrapper === undefined ? [] : [execWrapper])];
}

function signalNumber(signal: NodeJS.Signals): number {
  return os.constants.signals[signal];
}
