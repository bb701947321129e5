/**
 * Everything started for one command (its shell, and each program escalated outside the
 * sandbox), so that a timeout or a cancellation can end all of it.
 *
 * A process registered as a group leader (spawned with `detached`, or an escalated program,
 * which leads its own session) is signalled as a group, so its descendants are reached too;
 * others (a shell kept in the terminal's foreground group) are signalled alone. `killAll` sends
 * SIGTERM, then SIGKILL after a grace period to whatever is still running. Escalated programs
 * come as escalation/'s `TrackedProcess`; Node children are wrapped by `trackChild`.
 */
import type { ChildProcess } from "node:child_process";

import type { ProcessTracker, TrackedProcess } from "../escalation/escalated-executor.js";

export class ProcessRegistry implements ProcessTracker {
  private readonly processes = new Set<TrackedProcess>();
  private killed = false;

  /** Tracks `process` until it exits; a process registered after killAll() is killed at once. */
  add(tracked: TrackedProcess): void {
    if (!tracked.running) return;
    this.processes.add(tracked);
    void tracked.exited.then(() => this.processes.delete(tracked));
    if (this.killed) tracked.signal("SIGKILL");
  }

  /** Tracks a Node child process (not at all if it never started). */
  addChild(child: ChildProcess, options: { groupLeader: boolean } = { groupLeader: true }): void {
    if (child.pid === undefined) return;
    this.add(trackChild(child, options.groupLeader));
  }

  get size(): number {
    return this.processes.size;
  }

  /** Ends every tracked process group: SIGTERM now, SIGKILL after `graceMs`. */
  async killAll(graceMs = 2000): Promise<void> {
    this.killed = true;
    const running = [...this.processes];
    for (const tracked of running) tracked.signal("SIGTERM");
    if (running.length === 0) return;
    const exited = Promise.all(running.map((tracked) => tracked.exited));
    const timer = new Promise<"timeout">((resolve) =>
      setTimeout(() => resolve("timeout"), graceMs).unref(),
    );
    if ((await Promise.race([exited, timer])) === "timeout") {
      for (const tracked of this.processes) tracked.signal("SIGKILL");
      await exited;
    }
  }
}

function trackChild(child: ChildProcess, group: boolean): TrackedProcess {
  const running = (): boolean =>
    child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  const exited = running()
    ? new Promise<void>((resolve) => child.once("exit", () => resolve()))
    : Promise.resolve();
  return {
    get running() {
      return running();
    },
    exited,
    signal(signal) {
      if (!running()) return;
      try {
        if (group) process.kill(-(child.pid as number), signal);
        else child.kill(signal);
      } catch {
        // already gone
      }
    },
  };
}
