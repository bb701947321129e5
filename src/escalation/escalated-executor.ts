/**
 * Runs an escalated program outside the sandbox with the requester's descriptors as its
 * stdio, and reports how it ended.
 *
 * Guards E2 and E5: exactly the judged file runs, and a start that fails is an exit status,
 * never an exception. The program is started by execward-escalated-launcher from the host
 * descriptors the inspection verified (program on descriptor 16, working directory on 17): no
 * second lookup by path. Its environment is execward's own plus the request's allow-listed
 * presentation variables (escalated-env.ts). It leads its own process group and is registered
 * with the command's ProcessRegistry, so a timeout or cancel ends it too. Received descriptors
 * are closed here once the child has its copies (or the start failed).
 */
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import type { ProcessRegistry } from "../exec/process-registry.js";
import type { ExecRequest } from "./escalation-policy.js";
import type { FdPassing } from "./native-addon.js";

/** Where the launcher finds the judged program and working directory. */
const PROGRAM_FD = 16;
const WORKDIR_FD = 17;
/** Exit statuses a shell uses for "not found" and "cannot execute". */
export const NOT_FOUND_STATUS = 127;
export const CANNOT_EXECUTE_STATUS = 126;

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

export interface EscalatedExecutor {
  /** `fds[i]` becomes descriptor `targets[i]` of the program. Takes ownership of `fds`. Never throws. */
  start(request: ExecRequest, targets: readonly number[], fds: readonly number[]): EscalatedRun;
}

export interface EscalatedExecutorOptions {
  readonly addon: FdPassing;
  readonly registry: ProcessRegistry;
  /** execward-escalated-launcher. */
  readonly launcher: string;
  /** The escalated program's environment for a request. */
  readonly env: (request: ExecRequest) => Readonly<Record<string, string>>;
  readonly log?: (message: string) => void;
}

export function createEscalatedExecutor(options: EscalatedExecutorOptions): EscalatedExecutor {
  const log = options.log ?? ((message) => process.stderr.write(`execward: ${message}\n`));
  return {
    start(request, targets, fds) {
      let child: ChildProcess;
      try {
        const host = request.inspection.host;
        if (host === undefined)
          throw new Error(request.inspection.hostProblem ?? "the program was not verified");
        const stdio: StdioOptions = Array.from({ length: WORKDIR_FD + 1 }, () => "ignore");
        targets.forEach((target, i) => {
          (stdio as unknown[])[target] = fds[i];
        });
        (stdio as unknown[])[PROGRAM_FD] = host.programFd;
        (stdio as unknown[])[WORKDIR_FD] = host.workdirFd;
        child = spawn(
          options.launcher,
          [host.script ? "script" : "fd", host.programPath, "--", ...escalatedArgv(request)],
          {
            argv0: "execward-escalated-launcher",
            cwd: "/",
            env: { ...options.env(request) },
            stdio,
            detached: true,
          },
        );
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log(`could not start ${request.file} outside the sandbox: ${message}`);
        const stderr = fds[targets.indexOf(2)];
        if (stderr !== undefined) {
          try {
            writeSync(
              stderr,
              `execward: could not start ${request.file} outside the sandbox: ${message}\n`,
            );
          } catch {
            // the requester's stderr is gone; the exit status still says it
          }
        }
        return failedRun(CANNOT_EXECUTE_STATUS);
      } finally {
        for (const fd of fds) closeQuietly(options.addon, fd);
      }
      const started = child;
      const exit = new Promise<EscalatedExit>((resolve) => {
        started.once("error", (error: NodeJS.ErrnoException) => {
          log(`could not start ${request.file}: ${error.message}`);
          resolve({
            exitCode: error.code === "ENOENT" ? NOT_FOUND_STATUS : CANNOT_EXECUTE_STATUS,
            signal: undefined,
          });
        });
        started.once("exit", (code, signal) => {
          if (signal !== null) {
            const number = os.constants.signals[signal];
            resolve({ exitCode: 128 + number, signal: number === 0 ? undefined : number });
          } else {
            resolve({ exitCode: code ?? 1, signal: undefined });
          }
        });
      });
      options.registry.add(started);
      return {
        exit,
        kill() {
          if (started.pid === undefined || started.exitCode !== null || started.signalCode !== null)
            return;
          signalGroup(started, "SIGTERM");
          setTimeout(() => {
            if (started.exitCode === null && started.signalCode === null)
              signalGroup(started, "SIGKILL");
          }, 2000).unref();
        },
      };
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

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

function closeQuietly(addon: FdPassing, fd: number): void {
  try {
    addon.close(fd);
  } catch {
    // already closed
  }
}
