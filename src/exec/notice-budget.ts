/**
 * The bound on fast-path notices one call may put in the audit log.
 *
 * Guards against a sandboxed process flooding the log with forged notices (it can write to its
 * escalation socket at will): a token bucket (BURST notices, refilled at RATE per second) lets
 * real exec loops through and drops the rest, counting them, so a flood costs bounded disk and
 * memory and the log says how much was left out. Time comes from the caller (pure).
 */

export const NOTICE_BURST = 10_000;
export const NOTICE_RATE_PER_SECOND = 5_000;

export class NoticeBudget {
  #tokens = NOTICE_BURST;
  #last: number;
  #dropped = 0;

  constructor(now: number) {
    this.#last = now;
  }

  /** Whether one more notice may be logged at `now` (ms); a refusal is counted. */
  take(now: number): boolean {
    this.#tokens = Math.min(
      NOTICE_BURST,
      this.#tokens + ((now - this.#last) / 1000) * NOTICE_RATE_PER_SECOND,
    );
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    this.#dropped++;
    return false;
  }

  /** Notices dropped since the last call (then reset). */
  takeDropped(): number {
    const dropped = this.#dropped;
    this.#dropped = 0;
    return dropped;
  }
}
