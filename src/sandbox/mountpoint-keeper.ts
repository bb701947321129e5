/**
 * The mount points execward's sandboxes need on the host for protected names that do not exist
 * (`.git`, `.codex`, `.agents` in a writable root: bwrap can only cover a name that exists, so
 * an empty directory is created for it), kept safe across commands and across execward
 * processes by file locks on the directories themselves:
 * - every command holds a shared lock (flock LOCK_SH) on each of its mount points from before
 *   bwrap starts until it ends;
 * - a mount point is removed only under an exclusive lock, which no command can hold while
 *   another holds its shared one. Removing a mount point that a running sandbox has mounted
 *   would detach it there, and that sandbox could then create the name it must not;
 * - removal waits `cleanupDelayMs` after the last use, so a burst of calls reuses the directory.
 * Directories are removed only while empty, placeholder files only while empty (a credential
 * location that does not exist gets an empty file, credential-locations.ts); anything
 * unexpected leaves them in place. A hold that fails part-way removes what it created before
 * the error goes up.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  rmdirSync,
  unlinkSync,
} from "node:fs";

import { ExecwardError } from "../errors.js";
import type { MountpointJournal } from "./mountpoint-journal.js";

/** flock(2), as the fd-passing addon offers it. */
export interface FileLocks {
  tryLock(fd: number, exclusive: boolean): boolean;
  close(fd: number): void;
}

/**
 * A mount point to hold: a path (an empty directory, mode 0755), or a placeholder with its
 * kind and mode (credential locations: 0700 directories, 0600 empty files).
 */
export type Mountpoint =
  string | { readonly path: string; readonly kind: "directory" | "file"; readonly mode: number };

export interface MountpointHold {
  /** Ends this command's use of its mount points. */
  release(): Promise<void>;
}

const HOLD_ATTEMPTS = 50;
const HOLD_RETRY_MS = 10;
const DIRECTORY_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
/** A placeholder file, or a directory: opened without following a symlink put in its place. */
const ENTRY_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export class MountpointKeeper {
  readonly #locks: FileLocks;
  readonly #cleanupDelayMs: number;
  readonly #log: ((message: string) => void) | undefined;
  /** Mount points used since the last removal pass. */
  readonly #candidates = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  readonly #journal: MountpointJournal | undefined;

  constructor(
    locks: FileLocks,
    cleanupDelayMs: number,
    log?: (message: string) => void,
    journal?: MountpointJournal,
  ) {
    this.#locks = locks;
    this.#cleanupDelayMs = cleanupDelayMs;
    this.#log = log;
    this.#journal = journal;
  }

  /**
   * Removes the mount points crashed execward processes left (read from the journal), each as
   * any removal: only when empty and no sandbox holds it.
   */
  sweepOrphans(): void {
    const orphans = this.#journal?.takeOrphans() ?? [];
    if (orphans.length === 0) return;
    // Those still in use now are someone's: recorded as ours, their user removes them later.
    for (const orphan of orphans) {
      this.#journal?.record(orphan);
      this.#candidates.add(orphan);
    }
    this.#removeUnused(orphans);
  }

  /** Creates (if needed) and share-locks each mount point; throws if one cannot be held. */
  async hold(mountpoints: readonly Mountpoint[]): Promise<MountpointHold> {
    const fds: number[] = [];
    const created = new Set<string>();
    const paths = mountpoints.map((entry) => (typeof entry === "string" ? entry : entry.path));
    try {
      for (const entry of mountpoints)
        fds.push(
          await this.#holdOne(
            typeof entry === "string" ? { path: entry, kind: "directory", mode: 0o755 } : entry,
            created,
          ),
        );
    } catch (error) {
      // A failed hold gives back its locks first (they free descriptors the removal needs),
      // then removes what it created, under the same exclusive lock as any removal.
      for (const fd of fds) this.#locks.close(fd);
      this.#removeUnused([...created]);
      throw error;
    }
    for (const path of paths) this.#candidates.add(path);
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        for (const fd of fds) this.#locks.close(fd);
        if (this.#cleanupDelayMs <= 0) {
          this.#removeUnused(paths);
          return;
        }
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#removeUnused([...this.#candidates]);
        }, this.#cleanupDelayMs);
        this.#timer.unref();
        await Promise.resolve();
      },
    };
  }

  /** Removes every unused mount point now (a server calls this before it exits). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#removeUnused([...this.#candidates]);
    this.#journal?.close();
    return Promise.resolve();
  }

  async #holdOne(
    entry: { readonly path: string; readonly kind: "directory" | "file"; readonly mode: number },
    created: Set<string>,
  ): Promise<number> {
    const path = entry.path;
    const directory = entry.kind === "directory";
    for (let attempt = 0; attempt < HOLD_ATTEMPTS; attempt++) {
      try {
        if (directory) mkdirSync(path, { mode: entry.mode });
        else
          closeSync(
            openSync(
              path,
              constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
              entry.mode,
            ),
          );
        created.add(path);
        this.#journal?.record(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw cannotHold(path, error);
      }
      let fd: number;
      try {
        fd = openSync(path, directory ? DIRECTORY_FLAGS : ENTRY_FLAGS);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") continue; // removed meanwhile: create it again
        throw cannotHold(path, error);
      }
      // Taken only while nobody removes it; and it must still be the directory at `path`.
      if (this.#locks.tryLock(fd, false) && sameEntry(fd, path, entry.kind)) return fd;
      this.#locks.close(fd);
      await new Promise((resolve) => setTimeout(resolve, HOLD_RETRY_MS));
    }
    throw cannotHold(path, new Error("another process keeps removing or locking it"));
  }

  #removeUnused(paths: readonly string[]): void {
    for (const path of paths) {
      let fd: number;
      try {
        fd = openSync(path, ENTRY_FLAGS);
      } catch {
        this.#candidates.delete(path);
        continue;
      }
      try {
        // Synchronous from the lock to the removal: no command of ours starts in between, and
        // another process's command waits for the lock.
        if (!this.#locks.tryLock(fd, true)) continue; // in use: its user removes it later
        this.#candidates.delete(path);
        const held = fstatSync(fd);
        if (held.isDirectory() && sameEntry(fd, path, "directory")) rmdirSync(path);
        // A placeholder file goes only while empty: content means a real credential now.
        else if (held.isFile() && held.size === 0 && sameEntry(fd, path, "file")) unlinkSync(path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // Not empty, gone, or not ours to remove (another user's, in a sticky /tmp): leave it.
        if (code !== "ENOTEMPTY" && code !== "ENOENT" && code !== "EPERM" && code !== "EACCES")
          this.#log?.(
            `execward: could not remove the sandbox mount point ${path}: ${String(error)}`,
          );
      } finally {
        this.#locks.close(fd);
      }
    }
  }
}

function sameEntry(fd: number, path: string, kind: "directory" | "file"): boolean {
  try {
    const held = fstatSync(fd);
    const named = lstatSync(path);
    return (
      (kind === "directory" ? named.isDirectory() : named.isFile()) &&
      held.ino === named.ino &&
      held.dev === named.dev
    );
  } catch {
    return false;
  }
}

function cannotHold(path: string, cause: unknown): ExecwardError {
  return new ExecwardError(
    "sandbox_unavailable",
    `cannot prepare the sandbox's cover for ${path}: ${cause instanceof Error ? cause.message : String(cause)}`,
    { cause },
  );
}
