/**
 * The filesystem half of hiding paths the user never lets a sandbox read (credentials by
 * default, `deny_read`) or write (`deny_write`): looks at the disk once, before launch, and
 * says what to mask and which placeholders to hold. Guards:
 * - a path is masked where it really is (its real path: a symlink to a key hides the key, and
 *   any other name reaching it inside the sandbox, a symlink or /proc/self/root, meets the mask),
 *   and wherever a bind mount shows the same file again (mount-aliases.ts);
 * - a directory is hidden whole (an empty read-only tmpfs), anything else behind /dev/null;
 * - a path that does not exist (or a symlink to a target that does not) gets a placeholder on the host for the call (an empty 0700
 *   directory, or an empty 0600 file for a location that is a file), masked like an existing
 *   one, so what appears there during the call (written by the host, or by the sandbox through
 *   a writable root) stays hidden. Where this user cannot create it, nobody of ours can: skipped;
 * - `deny_write` paths inside a writable root are bound read-only (a missing one is covered with
 *   an empty read-only directory, so it cannot be created); a symlink there is refused, as for
 *   `.git`, since the sandbox could replace the link.
 * Hard links made before the call are other names for the same file that no path mask reaches:
 * a credential file with more than one link is reported (warnings), not hidden by its other names.
 */
import {
  accessSync,
  constants,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
  type Stats,
} from "node:fs";
import path from "node:path";

import { ExecwardError } from "../errors.js";
import type { HideTarget } from "./credential-locations.js";
import { aliasCandidates, parseMountinfo, type MountEntry } from "./mount-aliases.js";
import type { Mountpoint } from "./mountpoint-keeper.js";
import {
  isWithin,
  type HiddenPath,
  type ProtectedSubpath,
  type WritableRoot,
} from "./plan-bwrap.js";

export interface FilesystemRules {
  /** Hidden inside the sandbox: the credential locations (unless visible) and `deny_read`. */
  readonly hide: readonly HideTarget[];
  /** Read-only inside the sandbox (`deny_write`), absolute. */
  readonly readOnly: readonly string[];
}

export interface HiddenLayout {
  /** Masks, placeholders included (they exist once held). */
  readonly hidden: HiddenPath[];
  /** Placeholders to create and hold until the command ends (mountpoint-keeper.ts). */
  readonly placeholders: Mountpoint[];
  readonly warnings: string[];
}

/**
 * `visible`: whether the sandbox shows anything at or under this real path (false for what
 * restricted reads leave out: no mask, no placeholder is needed there).
 */
export function probeHiddenPaths(
  targets: readonly HideTarget[],
  visible: (realPath: string) => boolean,
  mountinfo: string = readMountinfo(),
): HiddenLayout {
  const hidden: HiddenPath[] = [];
  let mounts: MountEntry[] | undefined;
  /** `real`, and each other path showing the same file (same device and inode) through a bind. */
  const everywhere = (real: string, info: Stats): string[] => {
    if (targets.length === 0) return [real];
    mounts ??= parseMountinfo(mountinfo);
    const same = aliasCandidates(real, mounts).filter((alias) => {
      const other = tryStat(alias);
      return other !== undefined && other.dev === info.dev && other.ino === info.ino;
    });
    return [real, ...same];
  };
  const placeholders: Mountpoint[] = [];
  const warnings: string[] = [];
  const mask = (file: string): void => {
    const info = tryLstat(file);
    const real = info === undefined ? undefined : tryRealpath(file);
    const target = real === undefined ? undefined : tryLstat(real);
    if (real === undefined || target === undefined) return; // a dangling symlink: nothing to read
    if (!visible(real)) return;
    if (target.isFile() && target.nlink > 1)
      warnings.push(
        `${file} has ${target.nlink} hard links; the sandbox cannot see it by this name, but may by the others`,
      );
    const kind = target.isDirectory() ? "directory" : "file";
    for (const place of everywhere(real, target))
      if (visible(place)) hidden.push({ path: place, kind });
  };
  const hold = (file: string, kind: "file" | "directory", anchor: string | undefined): void => {
    if (anchor === undefined) return;
    const missing = firstMissing(file);
    if (missing === undefined || missing.path === anchor || !isWithin(missing.path, anchor)) return;
    const parent = tryRealpath(path.dirname(missing.path));
    const parentInfo = parent === undefined ? undefined : tryStat(parent);
    if (parent === undefined || parentInfo === undefined || !visible(parent) || !writable(parent))
      return;
    const placeholder = path.join(parent, path.basename(missing.path));
    const placeholderKind = missing.path === file ? kind : "directory";
    if (placeholders.some((p) => typeof p !== "string" && p.path === placeholder)) return;
    placeholders.push({
      path: placeholder,
      kind: placeholderKind,
      mode: placeholderKind === "file" ? 0o600 : 0o700,
    });
    for (const place of everywhere(parent, parentInfo))
      if (visible(place))
        hidden.push({ path: path.join(place, path.basename(missing.path)), kind: placeholderKind });
  };
  for (const target of targets) {
    if (target.kind === "exact") {
      const kind = target.type === "file" ? "file" : "directory";
      const dangling = danglingTarget(target.path);
      // A symlink to nothing yet: what appears at its target during the call must stay hidden.
      if (dangling !== undefined) hold(dangling, kind, path.dirname(dangling));
      else if (tryLstat(target.path) !== undefined) mask(target.path);
      else hold(target.path, kind, target.anchor);
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(target.directory);
    } catch {
      hold(target.directory, "directory", target.anchor);
      continue;
    }
    const matches = names.filter((name) => name.startsWith(target.prefix)).sort();
    for (const name of matches) mask(path.join(target.directory, name));
    // The name the tool writes is held while missing, even beside a legacy match.
    if (!matches.includes(target.placeholder))
      hold(path.join(target.directory, target.placeholder), "file", target.anchor);
  }
  return { hidden: outermost(hidden), placeholders, warnings };
}

/**
 * `deny_write`: each path inside a writable root becomes one of its read-only subpaths (bound
 * read-only if it exists, covered if not); outside every writable root it is read-only already.
 */
export function withDenyWrite(
  roots: readonly WritableRoot[],
  paths: readonly string[],
): WritableRoot[] {
  const result = roots.map((root) => ({ ...root, protectedSubpaths: [...root.protectedSubpaths] }));
  for (const file of paths) {
    const info = tryLstat(file);
    if (info?.isSymbolicLink() === true && roots.some((root) => isWithin(file, root.path)))
      throw new ExecwardError(
        "sandbox_protected_symlink",
        `${file} is a symlink; deny_write keeps it read-only inside the sandbox and cannot do that for a symlink (the sandbox could replace it). Name the file it points to.`,
        { data: { path: file } },
      );
    let real: string | undefined;
    let missingPath: string | undefined;
    if (info !== undefined) real = tryRealpath(file);
    else {
      const missing = firstMissing(file);
      const parent = missing === undefined ? undefined : tryRealpath(path.dirname(missing.path));
      if (missing !== undefined && parent !== undefined)
        missingPath = path.join(parent, path.basename(missing.path));
    }
    const located = real ?? missingPath;
    if (located === undefined) continue;
    const owner = result
      .filter((root) => isWithin(located, root.path))
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (owner === undefined) continue;
    const subpath: ProtectedSubpath =
      real !== undefined
        ? { kind: "existing", path: real }
        : { kind: "missing", firstMissing: located };
    // A writable root named itself: read-only wins, bound before the covers inside it.
    if (located === owner.path) owner.protectedSubpaths.unshift(subpath);
    else owner.protectedSubpaths.push(subpath);
  }
  return result;
}

/** Only the outermost of nested masks: bwrap cannot mount inside a read-only tmpfs. */
export function outermost(paths: readonly HiddenPath[]): HiddenPath[] {
  const unique = [...new Map(paths.map((p) => [p.path, p])).values()];
  return unique.filter(
    (candidate) =>
      !unique.some(
        (other) =>
          other.path !== candidate.path &&
          other.kind === "directory" &&
          isWithin(candidate.path, other.path),
      ),
  );
}

/** Where a symlink that leads nowhere (yet) would lead; undefined for anything else. */
function danglingTarget(file: string): string | undefined {
  let current = file;
  for (let hops = 0; hops < 40; hops++) {
    const info = tryLstat(current);
    if (info === undefined) return current === file ? undefined : current;
    if (!info.isSymbolicLink()) return undefined;
    if (tryRealpath(current) !== undefined) return undefined;
    let link: string;
    try {
      link = readlinkSync(current);
    } catch {
      return undefined;
    }
    const parent = tryRealpath(path.dirname(current)) ?? path.dirname(current);
    current = path.resolve(parent, link);
  }
  return undefined;
}

/** The first component of `file` that does not exist (undefined: it all exists). */
function firstMissing(file: string): { path: string } | undefined {
  if (tryLstat(file) !== undefined) return undefined;
  let missing = file;
  for (let parent = path.dirname(missing); parent !== missing; parent = path.dirname(parent)) {
    if (tryLstat(parent) !== undefined) return { path: missing };
    missing = parent;
  }
  return { path: missing };
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function tryLstat(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}

function tryStat(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

/** The mount table as this process sees it (empty where there is none: no aliases found). */
function readMountinfo(): string {
  try {
    return readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return "";
  }
}

function tryRealpath(file: string): string | undefined {
  try {
    return realpathSync.native(file);
  } catch {
    return undefined;
  }
}
