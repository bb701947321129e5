/**
 * Runs an escalated program outside the sandbox with the requester's descriptors as its
 * stdio, its working directory and a sanitised environment, and reports how it ended.
 *
 * The program leads its own process group and is registered with the command's
 * ProcessRegistry, so a timeout or cancel ends it too. Received descriptors are closed here once
 * the child has its copies.
 */
import { spawn, type StdioOptions } from "node:child_process";
import os from "node:os";

import type { ProcessRegistry } from "../exec/process-registry.js";
import { sanitizeEscalatedEnv, type InsideOnlyEnv } from "./escalated-env.js";
import type { ExecRequest } from "./escalation-policy.js";
import type { FdPassing } from "./native-addon.js";

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
  /** `fds[i]` becomes descriptor `targets[i]` of the program. Takes ownership of `fds`. */
  start(request: ExecRequest, targets: readonly number[], fds: readonly number[]): EscalatedRun;
}

export function createEscalatedExecutor(
  addon: FdPassing,
  registry: ProcessRegistry,
  /** Variables only meaningful inside the sandbox (see sanitizeEscalatedEnv). */
  insideOnly?: InsideOnlyEnv,
): EscalatedExecutor {
  return {
    start(request, targets, fds) {
      const stdio: StdioOptions = ["ignore", "ignore", "ignore"];
      targets.forEach((target, i) => {
        (stdio as unknown[])[target] = fds[i];
      });
      let child;
      try {
        child = spawn(request.file, request.argv.slice(1), {
          argv0: request.argv[0] ?? request.file,
          cwd: request.workdir,
          env: sanitizeEscalatedEnv(request.env, insideOnly),
          stdio,
          detached: true,
        });
      } finally {
        for (const fd of fds) addon.close(fd);
      }
      const exit = new Promise<EscalatedExit>((resolve) => {
        child.once("error", (error: NodeJS.ErrnoException) => {
          process.stderr.write(`execward: could not start ${request.file}: ${error.message}\n`);
          resolve({ exitCode: error.code === "ENOENT" ? 127 : 126, signal: undefined });
        });
        child.once("exit", (code, signal) => {
          if (signal !== null) {
            const number = os.constants.signals[signal];
            resolve({ exitCode: 128 + number, signal: number === 0 ? undefined : number });
          } else {
            resolve({ exitCode: code ?? 1, signal: undefined });
          }
        });
      });
      registry.add(child);
      return {
        exit,
        kill() {
          if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null)
            return;
          try {
            process.kill(-child.pid, "SIGTERM");
          } catch {
            child.kill("SIGTERM");
          }
          setTimeout(() => {
            if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
              try {
                process.kill(-child.pid, "SIGKILL");
              } catch {
                child.kill("SIGKILL");
              }
            }
          }, 2000).unref();
        },
      };
    },
  };
}
