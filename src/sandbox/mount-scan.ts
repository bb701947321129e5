/**
 * Which of some paths are mount points inside another bubblewrap sandbox on this host, read
 * from /proc/<pid>/mountinfo of every process named `bwrap` (a sandbox's own pid 1). Used
 * before removing mount points execward created: removing one would detach that sandbox's
 * mount. The caller's own sandboxes (by mount namespace) are left out: they are ending.
 * A process we may not inspect counts as holding every path: when in doubt, leave them.
 */
import { readdir, readFile, readlink } from "node:fs/promises";

export async function mountsHeldElsewhere(
  targets: readonly string[],
  ownNamespaces: ReadonlySet<string>,
): Promise<Set<string>> {
  const held = new Set<string>();
  if (targets.length === 0) return held;
  const byEscaped = new Map(targets.map((target) => [escapeMountinfoPath(target), target]));
  const entries = await readdir("/proc").catch(() => undefined);
  if (entries === undefined) return new Set(targets);
  const pids = entries.filter((pid) => /^\d+$/.test(pid) && Number(pid) !== process.pid);
  const verdicts = await Promise.all(pids.map((pid) => mountsOf(pid, ownNamespaces)));
  for (const verdict of verdicts) {
    if (verdict === "unknown") return new Set(targets);
    for (const line of verdict) {
      const target = byEscaped.get(line.split(" ")[4] ?? "");
      if (target !== undefined) held.add(target);
    }
  }
  return held;
}

/** The mountinfo lines of a bwrap process outside our namespaces; [] for anything else. */
async function mountsOf(
  pid: string,
  ownNamespaces: ReadonlySet<string>,
): Promise<readonly string[] | "unknown"> {
  const comm = await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "");
  if (comm.trim() !== "bwrap") return [];
  try {
    if (ownNamespaces.has(await readlink(`/proc/${pid}/ns/mnt`))) return [];
    return (await readFile(`/proc/${pid}/mountinfo`, "utf8")).split("\n");
  } catch (error) {
    // Not ours to inspect: it might hold the mounts. Anything else (ENOENT, ESRCH, or EINVAL
    // for a zombie, whose mounts are gone) means it has exited.
    const code = (error as NodeJS.ErrnoException).code;
    return code === "EACCES" || code === "EPERM" ? "unknown" : [];
  }
}

/** mountinfo writes space, tab, newline and backslash as octal escapes. */
export function escapeMountinfoPath(value: string): string {
  return value.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
}
