/**
 * The filesystem half of a permission-profile sandbox (permission-profile.ts plans it): looks at
 * the disk once, before launch, and finds the writable roots and the read-only carve-outs inside
 * them that the bwrap planner binds. Guards:
 * - a writable root or carve-out the profile does not let be missing (no `skip`) must exist as
 *   asked: a missing writable root is an error, never a smaller sandbox; a missing carve-out is
 *   covered with an empty read-only directory so it cannot be created;
 * - a carve-out that is a symlink is refused (bwrap would mount over its target, and the
 *   sandbox could then replace the link itself), as for `.git` under the legacy policies;
 * - the profile's carve-outs are the only ones: it names `.git`, `.codex`, `.agents` itself.
 */
import { lstat, readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";

import { ExecwardError } from "../errors.js";
import type { ProfilePath } from "./permission-profile.js";
import { isWithin, type ProtectedSubpath, type WritableRoot } from "./plan-bwrap.js";

export interface ProfileLayoutInput {
  readonly writable: readonly ProfilePath[];
  readonly readOnly: readonly ProfilePath[];
}

export async function probeProfileWritableRoots(
  input: ProfileLayoutInput,
): Promise<WritableRoot[]> {
  const roots: { asked: string; real: string }[] = [];
  for (const root of input.writable) {
    const info = await stat(root.path).catch(() => undefined);
    if (info === undefined || !info.isDirectory()) {
      if (root.optional) continue;
      throw new ExecwardError(
        "sandbox_writable_root_missing",
        `Sandbox expected writable root ${root.path}, but it does not exist.`,
        { data: { root: root.path } },
      );
    }
    roots.push({ asked: root.path, real: await realpath(root.path) });
  }
  const byReal = new Map<string, ProtectedSubpath[]>();
  for (const root of roots) byReal.set(root.real, byReal.get(root.real) ?? []);
  for (const carve of input.readOnly) {
    // The most specific root the profile wrote it under, in that root's real location.
    const owner = roots
      .filter((root) => isWithin(carve.path, root.asked) && carve.path !== root.asked)
      .sort((a, b) => b.asked.length - a.asked.length)[0];
    if (owner === undefined) continue;
    const candidate = path.join(owner.real, path.relative(owner.asked, carve.path));
    const subpath = await probeCarveOut(candidate, carve.optional);
    if (subpath !== undefined) byReal.get(owner.real)?.push(subpath);
  }
  return [...byReal].map(([root, protectedSubpaths]) => ({ path: root, protectedSubpaths }));
}

async function probeCarveOut(
  candidate: string,
  optional: boolean,
): Promise<ProtectedSubpath | undefined> {
  const info = await lstat(candidate).catch(() => undefined);
  if (info === undefined) {
    if (optional) return undefined;
    return { kind: "missing", firstMissing: await firstMissing(candidate) };
  }
  if (info.isSymbolicLink()) {
    throw new ExecwardError(
      "sandbox_protected_symlink",
      `${candidate} is a symlink; the sandbox must keep it read-only and cannot do that for a symlink (the sandbox could replace it).`,
      { data: { path: candidate } },
    );
  }
  if (info.isDirectory() && (await readdir(candidate).catch(() => [""])).length === 0)
    return { kind: "empty", path: candidate };
  return { kind: "existing", path: candidate };
}

/** The first component of `file` that does not exist (its parents do). */
async function firstMissing(file: string): Promise<string> {
  let missing = file;
  for (let parent = path.dirname(missing); parent !== missing; parent = path.dirname(parent)) {
    if ((await lstat(parent).catch(() => undefined)) !== undefined) return missing;
    missing = parent;
  }
  return missing;
}
