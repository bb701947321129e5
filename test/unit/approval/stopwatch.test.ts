// The stopwatch of upstream's tests (stopwatch.rs): it fires at its limit, a pause delays it, and
// overlapping pauses keep it paused until both end; on a fake clock, so nothing really waits.
import { describe, expect, it } from "vitest";

import { Stopwatch, type Clock } from "../../../src/approval/stopwatch.js";

class FakeClock implements Clock {
  private time = 0;
  private timers = new Map<number, { at: number; callback: () => void }>();
  private nextId = 1;

  now(): number {
    return this.time;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = end;
  }
}

describe("Stopwatch", () => {
  it("fires once the limit of running time is reached", () => {
    const clock = new FakeClock();
    let fired = 0;
    new Stopwatch(50, () => fired++, clock);
    clock.advance(49);
    expect(fired).toBe(0);
    clock.advance(1);
    expect(fired).toBe(1);
    clock.advance(1000);
    expect(fired).toBe(1);
  });

  it("does not count paused time", () => {
    const clock = new FakeClock();
    let fired = 0;
    const watch = new Stopwatch(50, () => fired++, clock);
    clock.advance(20);
    watch.pause();
    clock.advance(100);
    expect([fired, watch.elapsedMs()]).toEqual([0, 20]);
    watch.resume();
    clock.advance(29);
    expect(fired).toBe(0);
    clock.advance(1);
    expect(fired).toBe(1);
  });

  it("stays paused until overlapping pauses all end", () => {
    const clock = new FakeClock();
    let fired = 0;
    const watch = new Stopwatch(50, () => fired++, clock);
    watch.pause();
    clock.advance(10);
    watch.pause();
    clock.advance(80);
    watch.resume();
    clock.advance(100);
    expect(fired).toBe(0);
    watch.resume();
    clock.advance(49);
    expect(fired).toBe(0);
    clock.advance(1);
    expect(fired).toBe(1);
  });

  it("never fires after stop, and pauseFor resumes when the work settles", async () => {
    const clock = new FakeClock();
    let fired = 0;
    const watch = new Stopwatch(50, () => fired++, clock);
    let finish: (value: string) => void = () => undefined;
    const pending = watch.pauseFor(new Promise<string>((resolve) => (finish = resolve)));
    clock.advance(500);
    finish("answered");
    expect(await pending).toBe("answered");
    expect(watch.elapsedMs()).toBe(0);
    watch.stop();
    clock.advance(500);
    expect(fired).toBe(0);
  });
});
