/**
 * A child's real state, read from the kernel rather than inferred from events Node has not
 * delivered yet: after the server was stopped (SIGSTOP, a suspended laptop), a timer can run
 * before the exit of a command that finished meanwhile is processed.
 *
 * Linux only (/proc/<pid>/stat); elsewhere, or when /proc cannot be read, a child counts as
 * running, which keeps the previous behaviour (the timeout applies).
 */
import { readFileSync } from "node:fs";

/** True when `pid` (our child, not yet reaped) has exited: a zombie, or gone. */
export function hasExited(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" && process.platform === "linux";
  }
  return processStateOf(stat) === "Z";
}

/** The state letter of a /proc/<pid>/stat line (the comm field may hold spaces and parens). */
export function processStateOf(stat: string): string | undefined {
  const end = stat.lastIndexOf(")");
  if (end < 0) return undefined;
  return stat.slice(end + 2, end + 3) || undefined;
}
