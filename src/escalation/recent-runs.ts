/**
 * The hook's recent "run" decisions, so the kernel backstop does not ask twice (a second prompt)
 * for an exec the hook already had judged.
 *
 * Guards: an entry is keyed by what the kernel and the server establish, never by what the
 * process says: the requester's pid (SO_PEERCRED on the hook's session; the seccomp notification
 * for the backstop), the program's device and inode as the server resolved them in that
 * process's view, and the exact argv. It is used once, and lives RECENT_RUN_TTL_MS at most, so
 * a recycled pid cannot inherit it. A miss only means the exec is judged again.
 */
export const RECENT_RUN_TTL_MS = 30_000;
const MAX_ENTRIES = 4096;

export interface RunIdentity {
  readonly pid: number;
  readonly dev: bigint;
  readonly ino: bigint;
  readonly argv: readonly string[];
}

export class RecentRuns {
  private readonly entries = new Map<string, number>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  record(run: RunIdentity): void {
    if (run.pid <= 0) return;
    this.expire();
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    const key = keyOf(run);
    this.entries.delete(key);
    this.entries.set(key, this.now() + RECENT_RUN_TTL_MS);
  }

  /** True (once) when the hook's server decided "run" for exactly this exec. */
  consume(run: RunIdentity): boolean {
    this.expire();
    const key = keyOf(run);
    const found = this.entries.has(key);
    this.entries.delete(key);
    return found;
  }

  get size(): number {
    return this.entries.size;
  }

  private expire(): void {
    const now = this.now();
    for (const [key, deadline] of this.entries) {
      if (deadline > now) break;
      this.entries.delete(key);
    }
  }
}

function keyOf(run: RunIdentity): string {
  return JSON.stringify([run.pid, String(run.dev), String(run.ino), run.argv]);
}
