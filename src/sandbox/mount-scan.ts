/**
 * Whether a path is a mount point inside some other bubblewrap sandbox on this host, read from
 * /proc/<pid>/mountinfo of every process named `bwrap` (the sandbox's own pid 1). Used before
 * removing a mount point execward created: removing it would detach that sandbox's mount.
 * A mountinfo we may not read counts as "mounted": when in doubt, leave the empty directory.
 */
import { readdir, readFile } from "node:fs/promises";

export async function isMountedInAnotherSandbox(target: string): Promise<boolean> {
  const escaped = escapeMountinfoPath(target);
  const entries = await readdir("/proc").catch(() => undefined);
  if (entries === undefined) return true;
  for (const pid of entries) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const comm = await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "");
    if (comm.trim() !== "bwrap") continue;
    let mountinfo: string;
    try {
      mountinfo = await readFile(`/proc/${pid}/mountinfo`, "utf8");
    } catch (error) {
      // Not ours to read: it might hold the mount. Anything else (ENOENT, ESRCH, or EINVAL for
      // a zombie, whose mounts are gone) means it has exited.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EACCES" || code === "EPERM") return true;
      continue;
    }
    for (const line of mountinfo.split("\n")) {
      if (line.split(" ")[4] === escaped) return true;
    }
  }
  return false;
}

/** mountinfo writes space, tab, newline and backslash as octal escapes. */
export function escapeMountinfoPath(value: string): string {
  return value.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
}
