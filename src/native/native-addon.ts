/**
 * Loads the fd-passing addon and locates the native executables for the running platform
 * (native-location.ts: built from source, or prebuilt inside the package). A missing part is a
 * clear error that says how to rebuild, never a silent fallback: without them nothing can be
 * intercepted.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

import { ExecwardError } from "../errors.js";
import { locateNative } from "./native-location.js";

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
  /** pwritev2(RWF_NOWAIT): bytes written; throws (EAGAIN...) rather than wait for a full pipe. */
  writeNoWait(fd: number, data: Buffer): number;
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
  /**
   * openat2(2) (close-on-exec) and, of the descriptor it opened, fstat(2) and the canonical path
   * (/proc/self/fd); null when the file cannot be opened or described. The descriptor is the
   * caller's.
   */
  openViewed(
    dirfd: number,
    path: Buffer,
    flags: number,
    resolve: number,
  ): { fd: number; dev: bigint; ino: bigint; canonical: string; regular: boolean } | null;
  /** Whether the path opens (as openViewed would) the file with that device and inode. */
  sameFileAt(
    dirfd: number,
    path: Buffer,
    flags: number,
    resolve: number,
    dev: bigint,
    ino: bigint,
  ): boolean;
  /** The first `maxBytes` (<= 4096) of the file behind an O_PATH descriptor; null: unreadable. */
  readHead(fd: number, maxBytes: number): Buffer | null;
  /**
   * Starts an escalated program from the judged host descriptors (clone with CLONE_VM |
   * CLONE_VFORK, its own session): `stdio[t]` becomes its descriptor t (-1: none). "fd" executes
   * `programFd` itself; "script" executes `path` only while it is still `programFd`'s inode.
   * Its exit is read from `pidfd` (close-on-exec) with reapEscalated.
   */
  spawnEscalated(
    mode: "fd" | "script",
    path: string,
    programFd: number,
    workdirFd: number,
    argv: readonly string[],
    /** `NAME=value` entries, each ended by a NUL byte (escalated-env-block.ts). */
    env: Buffer,
    stdio: readonly number[],
  ): { pid: number; pidfd: number };
  /** null while the program runs; then how it ended (exactly one of the two is a number). */
  reapEscalated(pidfd: number): { code: number | null; signal: number | null } | null;
  watch(
    fd: number,
    callback: (status: number, readable: boolean, writable: boolean) => void,
  ): FdWatcher;
}

const PACKAGE_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export function loadFdPassing(): FdPassing {
  const layout = locateNative(PACKAGE_ROOT);
  try {
    return createRequire(import.meta.url)(layout.addon) as FdPassing;
  } catch (error) {
    throw new ExecwardError(
      "native_unavailable",
      `the fd-passing addon (${layout.origin}, ${layout.addon}) does not load here: ` +
        `${error instanceof Error ? error.message : String(error)}; run \`npm rebuild execward\` ` +
        "to build it from source (needs make, a C compiler and python3 for node-gyp)",
    );
  }
}

export interface NativePaths {
  /** The LD_PRELOAD exec hook. */
  readonly hook: string;
  /** execward-execve-wrapper. */
  readonly wrapper: string;
  /** execward-sandbox-init: the first program inside bwrap (seccomp filter, then exec). */
  readonly sandboxInit: string;
  /** execward-exec-supervisor: the kernel exec backstop, outside the sandbox. */
  readonly supervisor: string;
}

export function nativePaths(): NativePaths {
  return locateNative(PACKAGE_ROOT).executables;
}

/**
 * Everything native a session needs, loaded once by the command that builds the session and
 * passed down (exec/ and below never load native parts themselves).
 */
export interface NativeParts {
  readonly addon: FdPassing;
  readonly paths: NativePaths;
}

export function loadNativeParts(): NativeParts {
  return { addon: loadFdPassing(), paths: nativePaths() };
}
