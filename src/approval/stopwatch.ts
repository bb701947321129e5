/**
 * A command's time limit that stops counting while a human is being asked.
 *
 * Guards the rule that waiting for a person never counts against a command's timeout: pauses are
 * reference-counted (two overlapping approvals keep it paused until both end), the clock starts
 * at creation, and `onExpire` fires once, when running time reaches the limit. Time comes from
 * an injected clock so tests need no real waiting.
 */

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class Stopwatch {
  private elapsedBefore = 0;
  private runningSince: number | undefined;
  private pauses = 0;
  private timer: unknown;
  private expired = false;
  private stopped = false;

  constructor(
    private readonly limitMs: number,
    private readonly onExpire: () => void,
    private readonly clock: Clock = systemClock,
  ) {
    this.runningSince = clock.now();
    this.arm();
  }

  /** Running time so far (paused intervals excluded). */
  elapsedMs(): number {
    return (
      this.elapsedBefore +
      (this.runningSince === undefined ? 0 : this.clock.now() - this.runningSince)
    );
  }

  get hasExpired(): boolean {
    return this.expired;
  }

  /** Stops the clock until the matching `resume` (nested pauses count). */
  pause(): void {
    this.pauses++;
    if (this.pauses !== 1 || this.runningSince === undefined) return;
    this.elapsedBefore += this.clock.now() - this.runningSince;
    this.runningSince = undefined;
    this.disarm();
  }

  resume(): void {
    if (this.pauses === 0) return;
    this.pauses--;
    if (this.pauses !== 0 || this.stopped || this.expired) return;
    this.runningSince = this.clock.now();
    this.arm();
  }

  /** Pauses while `work` is pending. */
  async pauseFor<T>(work: Promise<T>): Promise<T> {
    this.pause();
    try {
      return await work;
    } finally {
      this.resume();
    }
  }

  /** The command finished: never fire. */
  stop(): void {
    this.stopped = true;
    this.disarm();
    if (this.runningSince !== undefined) {
      this.elapsedBefore += this.clock.now() - this.runningSince;
      this.runningSince = undefined;
    }
  }

  private arm(): void {
    this.disarm();
    const remaining = Math.max(0, this.limitMs - this.elapsedMs());
    this.timer = this.clock.setTimeout(() => this.check(), remaining);
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    this.timer = undefined;
    if (this.stopped || this.expired || this.runningSince === undefined) return;
    if (this.elapsedMs() >= this.limitMs) {
      this.expired = true;
      this.onExpire();
    } else {
      this.arm();
    }
  }
}
