/**
 * The execs a call's audit already recorded from the hook's side (its fast-path notices, the
 * server's "run" answers to it), so the kernel backstop's notice of the same exec does not add a
 * second record.
 *
 * Guards the rule "every exec once": a dynamically linked program's exec is seen by the hook
 * (which reports it before the system call) and then by the backstop; a static program's only
 * by the backstop. An entry is keyed by the program as named (absolute) and the exact argv, is
 * used once, lives SEEN_EXEC_TTL_MS at most, and there are at most MAX_SEEN of them (the oldest
 * go first): bounded whatever the sandbox sends. A miss only means a second record, never a
 * lost one. Time comes from the caller (pure).
 */
export const SEEN_EXEC_TTL_MS = 5_000;
const MAX_SEEN = 4096;

export class SeenExecs {
  /** key -> [deadline, count], in insertion order (oldest first). */
  readonly #entries = new Map<string, { deadline: number; count: number }>();

  /** The hook's side recorded this exec at `now` (ms). */
  add(file: string, argv: readonly string[], now: number): void {
    this.#expire(now);
    const key = keyOf(file, argv);
    const entry = this.#entries.get(key);
    this.#entries.delete(key);
    if (this.#entries.size >= MAX_SEEN) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { deadline: now + SEEN_EXEC_TTL_MS, count: (entry?.count ?? 0) + 1 });
  }

  /** True (once per add) when the hook's side already recorded this exec. */
  take(file: string, argv: readonly string[], now: number): boolean {
    this.#expire(now);
    const key = keyOf(file, argv);
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    if (entry.count <= 1) this.#entries.delete(key);
    else entry.count--;
    return true;
  }

  get size(): number {
    return this.#entries.size;
  }

  #expire(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.deadline > now) break;
      this.#entries.delete(key);
    }
  }
}

function keyOf(file: string, argv: readonly string[]): string {
  return JSON.stringify([file, argv]);
}
