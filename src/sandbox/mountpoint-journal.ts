/**
 * A record of the mount points an execward process created, so that the next one can remove
 * what a crashed (killed, out-of-memory) process left behind.
 *
 * Each process appends the paths it creates to its own file, `<dir>/<pid>.list`, and deletes
 * the file when it exits cleanly. At start, a process reads the files of processes that no
 * longer exist and hands their paths to the keeper, which removes each only as it removes its
 * own: empty, under the exclusive lock no running sandbox lets it take.
 *
 * Guards: the directory is the user's own (created 0700, refused when another user owns it or
 * others can write it), so nobody else can list paths for us to remove; a line that is not an
 * absolute path is ignored.
 */
import {
  appendFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  unlinkSync,
} from "node:fs";
import path from "node:path";

export class MountpointJournal {
  readonly #dir: string;
  readonly #file: string;
  readonly #log: ((message: string) => void) | undefined;
  #usable: boolean | undefined;

  constructor(dir: string, log?: (message: string) => void, pid = process.pid) {
    this.#dir = dir;
    this.#file = path.join(dir, `${pid}.list`);
    this.#log = log;
  }

  /** Notes a mount point this process created (best effort: a failure is logged). */
  record(mountpoint: string): void {
    if (!this.#ensureDir()) return;
    try {
      appendFileSync(this.#file, `${mountpoint}\n`, { mode: 0o600 });
    } catch (error) {
      this.#log?.(`cannot record the mount point ${mountpoint} in ${this.#file}: ${String(error)}`);
    }
  }

  /** Paths recorded by processes that no longer run; their files are deleted. */
  takeOrphans(): string[] {
    if (!this.#ensureDir()) return [];
    const paths: string[] = [];
    for (const name of readdirSync(this.#dir)) {
      const match = /^(\d+)\.list$/.exec(name);
      if (match === null || isAlive(Number(match[1]))) continue;
      const file = path.join(this.#dir, name);
      try {
        for (const line of readFileSync(file, "utf8").split("\n"))
          if (path.isAbsolute(line) && !paths.includes(line)) paths.push(line);
        unlinkSync(file);
      } catch (error) {
        // Another process starting at the same time took it first.
        if ((error as NodeJS.ErrnoException).code !== "ENOENT")
          this.#log?.(`cannot read the mount point record ${file}: ${String(error)}`);
      }
    }
    return paths;
  }

  /** This process is done (every mount point it made is removed or in use by others). */
  close(): void {
    try {
      unlinkSync(this.#file);
    } catch {
      // never written, or already gone
    }
  }

  #ensureDir(): boolean {
    if (this.#usable !== undefined) return this.#usable;
    try {
      mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
      const info = lstatSync(this.#dir);
      const uid = process.getuid?.();
      this.#usable =
        info.isDirectory() && (uid === undefined || info.uid === uid) && (info.mode & 0o022) === 0;
      if (!this.#usable)
        this.#log?.(
          `not recording mount points in ${this.#dir}: it must be a directory of yours that others cannot write`,
        );
    } catch (error) {
      this.#usable = false;
      this.#log?.(`not recording mount points in ${this.#dir}: ${String(error)}`);
    }
    return this.#usable;
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
