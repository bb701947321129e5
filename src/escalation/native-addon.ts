/**
 * Loads the fd-passing addon (native/fd-passing, built by node-gyp at install time) and locates
 * the native executables (native/Makefile). A missing build is a clear error that says how to
 * rebuild, never a silent fallback: without them nothing can be intercepted.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

import { ExecwardError } from "../errors.js";

export interface FdWatcher {
  /** Watch for readability and/or writability; (false, false) pauses. */
  start(readable: boolean, writable: boolean): void;
  close(): void;
}

export interface FdPassing {
  socketpair(stream: boolean): [number, number];
  setNonBlocking(fd: number): void;
  /** null: would block. `data.length === 0` and no fds on a stream: end of stream. */
  recvmsg(fd: number, maxBytes: number): { data: Buffer; fds: number[] } | null;
  /** Bytes written; 0 if it would block. */
  sendmsg(fd: number, data: Buffer, fds?: readonly number[]): number;
  close(fd: number): void;
  /** flock(2) without waiting: true when taken, false when a conflicting lock is held. */
  tryLock(fd: number, exclusive: boolean): boolean;
  /**
   * Relays between two stream sockets in the kernel; owns duplicates of both descriptors.
   * Ends after `idleMs` without traffic (0: never). Returns a function that ends it at once.
   */
  relay(
    fdA: number,
    fdB: number,
    idleMs: number,
    done: (error: string | null, bytesAtoB: number, bytesBtoA: number) => void,
  ): (() => void) | undefined;
  /** The pid of a Unix socket's peer as this process sees it (0: in a pid namespace not visible here). */
  peerPid(fd: number): number;
  /** openat2(2) (close-on-exec): `dirfd` -100 is AT_FDCWD; `resolve` takes RESOLVE_* flags. */
  openAt2(dirfd: number, path: Buffer, flags: number, resolve: number): number;
  watch(
    fd: number,
    callback: (status: number, readable: boolean, writable: boolean) => void,
  ): FdWatcher;
}

const PACKAGE_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const REBUILD_HINT =
  "run `npm rebuild execward` (or `npm ci` in a checkout); it needs make, a C compiler and node-gyp";

export function loadFdPassing(): FdPassing {
  const path = `${PACKAGE_ROOT}build/Release/fd_passing.node`;
  if (!existsSync(path)) {
    throw new ExecwardError(
      "native_unavailable",
      `the fd-passing addon is not built (${path}); ${REBUILD_HINT}`,
    );
  }
  return createRequire(import.meta.url)(path) as FdPassing;
}

export interface NativePaths {
  /** The LD_PRELOAD exec hook. */
  readonly hook: string;
  /** execward-execve-wrapper. */
  readonly wrapper: string;
  /** execward-sandbox-init: the first program inside bwrap (seccomp filter, then exec). */
  readonly sandboxInit: string;
  /** execward-escalated-launcher: starts an escalated program from the judged inode. */
  readonly launcher: string;
  /** execward-exec-supervisor: the kernel exec backstop, outside the sandbox. */
  readonly supervisor: string;
}

export function nativePaths(): NativePaths {
  const paths = {
    hook: `${PACKAGE_ROOT}build/native/execward-hook.so`,
    wrapper: `${PACKAGE_ROOT}build/native/execward-execve-wrapper`,
    sandboxInit: `${PACKAGE_ROOT}build/native/execward-sandbox-init`,
    launcher: `${PACKAGE_ROOT}build/native/execward-escalated-launcher`,
    supervisor: `${PACKAGE_ROOT}build/native/execward-exec-supervisor`,
  };
  for (const path of Object.values(paths)) {
    if (!existsSync(path)) {
      throw new ExecwardError("native_unavailable", `${path} is not built; ${REBUILD_HINT}`);
    }
  }
  return paths;
}
