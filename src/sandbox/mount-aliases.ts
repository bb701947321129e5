/**
 * Other places the same file shows up through bind mounts (a home directory bound again at
 * /mnt/home, a container's volume): the sandbox binds `/` recursively, so a mask at a file's
 * real path would leave it readable under every other mount of the same directory. Pure:
 * `/proc/self/mountinfo` text in, candidate paths out; the caller keeps only candidates that
 * are the same file (device and inode), which also drops those covered by a later mount.
 */
import path from "node:path";

import { isWithin } from "./plan-bwrap.js";

export interface MountEntry {
  readonly device: string;
  /** The directory of the filesystem that is mounted. */
  readonly root: string;
  readonly mountpoint: string;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_all, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
}

export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    const [, , device, root, mountpoint] = fields;
    if (device === undefined || root === undefined || mountpoint === undefined) continue;
    entries.push({ device, root: unescape(root), mountpoint: unescape(mountpoint) });
  }
  return entries;
}

/**
 * Paths other than `file` (an absolute real path) where the mount table shows the same
 * filesystem location: for the mount holding `file`, every other mount of the same device
 * whose root contains it.
 */
export function aliasCandidates(file: string, mounts: readonly MountEntry[]): string[] {
  let holder: MountEntry | undefined;
  for (const mount of mounts) {
    // The deepest mount point containing the file; among equals the last (mounted on top).
    if (
      isWithin(file, mount.mountpoint) &&
      (holder === undefined || mount.mountpoint.length >= holder.mountpoint.length)
    )
      holder = mount;
  }
  if (holder === undefined) return [];
  const inFs = path.join(holder.root, path.relative(holder.mountpoint, file));
  const found = new Set<string>();
  for (const mount of mounts) {
    if (mount === holder || mount.device !== holder.device || !isWithin(inFs, mount.root)) continue;
    const alias = path.join(mount.mountpoint, path.relative(mount.root, inFs));
    if (alias !== file) found.add(alias);
  }
  return [...found];
}
