/**
 * Runs an escalated program outside the sandbox with the requester's descriptors as its
 * stdio, and reports how it ended.
 *
 * Guards E2 and E5: exactly the judged file runs, and a start that fails is an exit status,
 * never an exception. The program is started by the addon (native/fd-passing/escalated_spawn.c)
 * from the host descriptors the inspection verified: executed from the program's descriptor, or
 * for a script by its path only while that is still the judged inode; no second lookup by path.
 * Its environment is execward's own plus the request's allow-listed presentation variables
 * (escalated-env.ts). It leads its own session and process group and is handed to the command's
 * process tracker, so a timeout or cancel ends it too. Its exit is read from a pidfd watched on
 * the event loop. Received descriptors are closed here once the child has its copies (or the
 * start failed).
 */
import path from "node:path";

import type { ExecRequest } from "./escalation-policy.js";
import type { FdPassing } from "../native/native-addon.js";

/** Exit statuses a shell uses for "not found" and "cannot execute". */
export const NOT_FOUND_STATUS = 127;
export const CANNOT_EXECUTE_STATUS = 126;
/** How long a program has after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 2000;

export interface EscalatedExit {
  readonly exitCode: number;
  /** The signal that killed the program, if one did. */
  readonly signal: number | undefined;
}

export interface EscalatedRun {
  readonly exit: Promise<EscalatedExit>;
  /** Ends the program's process group (SIGTERM, then SIGKILL). */
  kill(): void;
}

/**
 * A started process that a command's timeout or cancel must reach. Declared here and
 * implemented by exec/'s registry, so that escalation/ depends on no layer above it.
 */
export interface TrackedProcess {
  /** Signals the process (its whole group when it leads one); nothing once it has exited. */
  signal(signal: NodeJS.Signals): void;
  readonly running: boolean;
  /** Settles when the process has exited. */
  readonly exited: Promise<void>;
}

export interface ProcessTracker {
  add(process: TrackedProcess): void;
}

export interface EscalatedExecutor {
  /** `fds[i]` becomes descriptor `targets[i]` of the program. Takes ownership of `fds`. Never throws. */
  start(request: ExecRequest, targets: readonly number[], fds: readonly number[]): EscalatedRun;
}

export interface EscalatedExecutorOptions {
  readonly addon: FdPassing;
  readonly registry: ProcessTracker;
  /** The escalated program's environment for a request, as an environment block (escalated-env-block.ts). */
  readonly env: (request: ExecRequest) => Buffer;
  readonly log?: (message: string) => void;
}

export function createEscalatedExecutor(options: EscalatedExecutorOptions): EscalatedExecutor {
  const log = options.log ?? ((message) => process.stderr.write(`execward: ${message}\n`));
  const { addon } = options;
  return {
    start(request, targets, fds) {
      let started: { pid: number; pidfd: number };
      try {
        const host = request.inspection.host;
        if (host === undefined)
          throw new Error(request.inspection.hostProblem ?? "the program was not verified");
        const stdio = Array.from({ length: 16 }, () => -1);
        targets.forEach((target, i) => {
          stdio[target] = fds[i] ?? -1;
        });
        const env = options.env(request);
        started = addon.spawnEscalated(
          host.script ? "script" : "fd",
          host.programPath,
          host.programFd,
          host.workdirFd,
          escalatedArgv(request),
          env,
          stdio,
        );
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log(`could not start ${request.file} outside the sandbox: ${message}`);
        const stderr = fds[targets.indexOf(2)];
        if (stderr !== undefined) {
          // Never waiting: the requester's stderr may be a pipe it filled and never reads, and a
          // server blocked in a write answers nobody (its timeouts stop firing too).
          try {
            addon.writeNoWait(
              stderr,
              Buffer.from(
                `execward: could not start ${request.file} outside the sandbox: ${message}\n`,
              ),
            );
          } catch {
            // gone, full, or a kernel without RWF_NOWAIT: the exit status still says it
          }
        }
        return failedRun(CANNOT_EXECUTE_STATUS);
      } finally {
        for (const fd of fds) closeQuietly(addon, fd);
      }
      return watchExit(addon, started, options.registry, log);
    },
  };
}

/** Follows a started program through its pidfd until it has exited and been reaped. */
function watchExit(
  addon: FdPassing,
  started: { pid: number; pidfd: number },
  registry: ProcessTracker,
  log: (message: string) => void,
): EscalatedRun {
  let running = true;
  let settle: (exit: EscalatedExit) => void = () => undefined;
  const exit = new Promise<EscalatedExit>((resolve) => (settle = resolve));
  const finish = (result: EscalatedExit): void => {
    running = false;
    settle(result);
    // After the requester has its exit status (the session's reaction was queued first): the
    // descriptor and its watcher are not on the way back to the waiting process.
    queueMicrotask(() => {
      watcher.close();
      closeQuietly(addon, started.pidfd);
    });
  };
  const reap = (): void => {
    let status;
    try {
      status = addon.reapEscalated(started.pidfd);
    } catch (error) {
      // Cannot happen for our own unreaped child; if it does, say so rather than hang.
      log(`lost track of escalated process ${started.pid}: ${String(error)}`);
      finish({ exitCode: CANNOT_EXECUTE_STATUS, signal: undefined });
      return;
    }
    if (status === null) return;
    finish(
      status.signal === null
        ? { exitCode: status.code ?? 1, signal: undefined }
        : { exitCode: 128 + status.signal, signal: status.signal },
    );
  };
  const watcher = addon.watch(started.pidfd, (statusCode) => {
    if (statusCode < 0) log(`watching escalated process ${started.pid} failed: ${statusCode}`);
    reap();
  });
  watcher.start(true, false);
  const tracked: TrackedProcess = {
    get running() {
      return running;
    },
    exited: exit.then(() => undefined),
    signal(signal) {
      // Only while unreaped: until then the pid (and its group id) cannot name anything else.
      if (!running) return;
      try {
        process.kill(-started.pid, signal);
      } catch {
        // already gone
      }
    },
  };
  registry.add(tracked);
  return {
    exit,
    kill() {
      if (!running) return;
      tracked.signal("SIGTERM");
      setTimeout(() => tracked.signal("SIGKILL"), KILL_GRACE_MS).unref();
    },
  };
}

/**
 * The argv the escalated program gets. argv[0] is kept only when it names the judged program
 * (its basename is the file's as named or as it really is): rules ignore argv[0], but programs
 * do not (git runs the builtin `git-<name>` names, busybox the applet), so a free argv[0] would
 * turn `git status` into any git command.
 */
export function escalatedArgv(request: ExecRequest): string[] {
  const [first, ...rest] = request.argv;
  const names = [
    request.file,
    request.inspection.host?.programPath,
    request.inspection.program.canonical,
  ]
    .filter((name): name is string => name !== undefined)
    .map((name) => path.basename(name));
  const argv0 =
    first !== undefined && names.includes(path.basename(first))
      ? first
      : path.basename(request.file);
  return [argv0, ...rest];
}

function failedRun(exitCode: number): EscalatedRun {
  return { exit: Promise.resolve({ exitCode, signal: undefined }), kill: () => undefined };
}

function closeQuietly(addon: FdPassing, fd: number): void {
  try {
    addon.close(fd);
  } catch {
    // already closed
  }
}
