/**
 * The filesystem half of a permission-profile sandbox (permission-profile.ts plans it): looks at
 * the disk once, before launch, and finds the writable roots and the read-only carve-outs inside
 * them that the bwrap planner binds. Guards:
 * - a writable root or carve-out the profile does not let be missing (no `skip`) must exist as
 *   asked: a missing writable root is an error, never a smaller sandbox; a missing carve-out is
 *   covered with an empty read-only directory so it cannot be created;
 * - a carve-out that is a symlink is refused (bwrap would mount over its target, and the
 *   sandbox could then replace the link itself), as for `.git` under the legacy policies;
 * - the profile's carve-outs are the only ones: it names `.git`, `.codex`, `.agents` itself;
 * - a denied path is hidden where it exists (its real location; a symlink is refused); a missing
 *   one without `skip` inside a writable root is covered so it cannot be created.
 */
import { lstat, readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";

import { ExecwardError } from "../errors.js";
import type { ProfilePath } from "./permission-profile.js";
import {
  isWithin,
  type HiddenPath,
  type ProtectedSubpath,
  type WritableRoot,
} from "./plan-bwrap.js";

export interface ProfileLayoutInput {
  readonly writable: readonly ProfilePath[];
  readonly readOnly: readonly ProfilePath[];
  readonly hidden: readonly ProfilePath[];
}

export interface ProfileLayout {
  readonly writableRoots: WritableRoot[];
  readonly hidden: HiddenPath[];
}

export async function probeProfileLayout(input: ProfileLayoutInput): Promise<ProfileLayout> {
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
  // The most specific root the profile wrote a path under, and the path there for real.
  const within = (file: string): { root: string; candidate: string } | undefined => {
    const owner = roots
      .filter((root) => isWithin(file, root.asked) && file !== root.asked)
      .sort((a, b) => b.asked.length - a.asked.length)[0];
    return owner === undefined
      ? undefined
      : { root: owner.real, candidate: path.join(owner.real, path.relative(owner.asked, file)) };
  };
  for (const carve of input.readOnly) {
    const owner = within(carve.path);
    if (owner === undefined) continue;
    const subpath = await probeCarveOut(owner.candidate, carve.optional);
    if (subpath !== undefined) byReal.get(owner.root)?.push(subpath);
  }
  const hidden: HiddenPath[] = [];
  for (const mask of input.hidden) {
    const info = await lstat(mask.path).catch(() => undefined);
    if (info === undefined) {
      const owner = within(mask.path);
      if (mask.optional || owner === undefined) continue;
      byReal
        .get(owner.root)
        ?.push({ kind: "missing", firstMissing: await firstMissing(owner.candidate) });
      continue;
    }
    if (info.isSymbolicLink()) {
      throw new ExecwardError(
        "sandbox_protected_symlink",
        `${mask.path} is a symlink; the sandbox must hide it and cannot do that for a symlink (the sandbox could replace it).`,
        { data: { path: mask.path } },
      );
    }
    hidden.push({
      path: await realpath(mask.path),
      kind: info.isDirectory() ? "directory" : "file",
    });
  }
  return {
    writableRoots: [...byReal].map(([root, protectedSubpaths]) => ({
      path: root,
      protectedSubpaths,
    })),
    hidden,
  };
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
