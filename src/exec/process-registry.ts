/**
 * Everything started for one command (its shell, and each program escalated outside the
 * sandbox), so that a timeout or a cancellation can end all of it.
 *
 * A process registered as a group leader (spawned with `detached`) is signalled as a group, so
 * its descendants are reached too; others (a shell kept in the terminal's foreground group) are
 * signalled alone. `killAll` sends SIGTERM, then SIGKILL after a grace period to whatever is
 * still running.
 */
import type { ChildProcess } from "node:child_process";

export class ProcessRegistry {
  private readonly children = new Set<ChildProcess>();
  private readonly leaders = new WeakSet<ChildProcess>();
  private killed = false;

  /** Tracks `child` until it exits; a child registered after killAll() is killed at once. */
  add(child: ChildProcess, options: { groupLeader: boolean } = { groupLeader: true }): void {
    if (child.pid === undefined) return;
    this.children.add(child);
    if (options.groupLeader) this.leaders.add(child);
    child.once("exit", () => this.children.delete(child));
    if (this.killed) this.signal(child, "SIGKILL");
  }

  get size(): number {
    return this.children.size;
  }

  /** Ends every tracked process group: SIGTERM now, SIGKILL after `graceMs`. */
  async killAll(graceMs = 2000): Promise<void> {
    this.killed = true;
    const running = [...this.children];
    for (const child of running) this.signal(child, "SIGTERM");
    if (running.length === 0) return;
    const exited = Promise.all(running.map((child) => waitForExit(child)));
    const timer = new Promise<"timeout">((resolve) =>
      setTimeout(() => resolve("timeout"), graceMs).unref(),
    );
    if ((await Promise.race([exited, timer])) === "timeout") {
      for (const child of this.children) this.signal(child, "SIGKILL");
      await exited;
    }
  }

  private signal(child: ChildProcess, signal: NodeJS.Signals): void {
    signalProcess(child, signal, this.leaders.has(child));
  }
}

function signalProcess(child: ChildProcess, signal: NodeJS.Signals, group: boolean): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (group) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // already gone
  }
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}
