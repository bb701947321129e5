/**
 * The filesystem half of planning a Linux sandbox: looks at the disk once, before launch, and
 * turns a policy into the facts the pure planner needs. Guards three things:
 * - writable roots must exist (a missing one is an error, never a silently smaller sandbox);
 * - `.git`, `.codex` and `.agents` inside a writable root stay read-only. A symlink there is
 *   refused: bwrap would mount over its target, and the sandbox could then replace the link
 *   itself with a directory of its own;
 * - with restricted reads, only the readable roots (plus platform defaults, the working
 *   directory and what execward itself needs inside) exist in the sandbox, secrets masked.
 */
import { lstatSync, readdirSync, readlinkSync, realpathSync, type Stats } from "node:fs";
import { lstat, readdir, readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";

import { ExecwardError } from "../errors.js";
import {
  isWithin,
  restrictsReads,
  type HiddenPath,
  type ProtectedSubpath,
  type ReadableView,
  type WritableRoot,
} from "./plan-bwrap.js";
import {
  LINUX_PLATFORM_READABLE_ROOTS,
  MASKED_DIRECTORIES,
  MASKED_FILE_PATTERNS,
  MASKED_FILES,
} from "./readable-defaults.js";
import { PROTECTED_SUBPATHS, writableRoots, type SandboxPolicy } from "./sandbox-policy.js";
import { probeProfileLayout, type ProfileLayoutInput } from "./profile-layout.js";

export interface LayoutInput {
  readonly policy: SandboxPolicy;
  /** The directory the policy is relative to (upstream's sandbox cwd). */
  readonly policyCwd: string;
  /** `$TMPDIR` of the command, if any. */
  readonly tmpdir: string | undefined;
  /** Files and directories that must be readable for the sandbox to work (hook, shell, init). */
  readonly required: readonly string[];
  /**
   * A permission profile's writable roots and carve-outs (permission-profile.ts): when given,
   * they replace the ones `policy` would imply; `policy` then stands for reads and network only.
   */
  readonly profile?: ProfileLayoutInput | undefined;
}

export interface SandboxLayout {
  readonly writableRoots: readonly WritableRoot[];
  readonly readable?: ReadableView;
  /** A permission profile's denied paths, as found on disk. */
  readonly hidden?: readonly HiddenPath[];
}

export async function probeSandboxLayout(input: LayoutInput): Promise<SandboxLayout> {
  const withProtection: WritableRoot[] = [];
  let hidden: HiddenPath[] | undefined;
  if (input.profile !== undefined) {
    const profile = await probeProfileLayout(input.profile);
    withProtection.push(...profile.writableRoots);
    hidden = profile.hidden;
  } else {
    const roots = await existingWritableRoots(input);
    for (const root of roots) {
      withProtection.push({ path: root, protectedSubpaths: await protectedSubpaths(root, roots) });
    }
  }
  const extra = hidden === undefined ? {} : { hidden };
  if (!restrictsReads(input.policy)) return { writableRoots: withProtection, ...extra };
  return { writableRoots: withProtection, readable: readableView(input), ...extra };
}

async function existingWritableRoots(input: LayoutInput): Promise<string[]> {
  const computed = writableRoots(input.policy, input.policyCwd, input.tmpdir);
  if (computed.everything) return [];
  // /tmp and $TMPDIR are implicit: skipped when absent. Roots the user named, and the cwd, must exist.
  const implicit = new Set(
    [input.tmpdir, "/tmp"].filter((x): x is string => x !== undefined).map((x) => path.resolve(x)),
  );
  const explicit = new Set(
    input.policy.type === "workspace-write"
      ? [...input.policy.writable_roots, input.policyCwd].map((x) => path.resolve(x))
      : [],
  );
  const found: string[] = [];
  for (const root of computed.roots) {
    const info = await stat(root).catch(() => undefined);
    if (info === undefined || !info.isDirectory()) {
      if (implicit.has(root) && !explicit.has(root)) continue;
      throw new ExecwardError(
        "sandbox_writable_root_missing",
        `Sandbox expected writable root ${root}, but it does not exist.`,
        { data: { root } },
      );
    }
    found.push(await realpath(root));
  }
  return [...new Set(found)];
}

async function protectedSubpaths(
  root: string,
  allRoots: readonly string[],
): Promise<ProtectedSubpath[]> {
  const result: ProtectedSubpath[] = [];
  for (const name of PROTECTED_SUBPATHS) {
    const candidate = path.join(root, name);
    const info = await lstat(candidate).catch(() => undefined);
    if (info === undefined) {
      result.push({ kind: "missing", firstMissing: candidate });
      continue;
    }
    if (info.isSymbolicLink()) {
      throw new ExecwardError(
        "sandbox_protected_symlink",
        `${candidate} is a symlink; execward keeps ${name} read-only inside writable roots and cannot do that for a ` +
          `symlink (the sandbox could replace it). Replace the link with the directory it points to, or run without ` +
          `${root} as a writable root.`,
        { data: { path: candidate } },
      );
    }
    if (info.isDirectory() && (await readdir(candidate).catch(() => [""])).length === 0) {
      result.push({ kind: "empty", path: candidate });
      continue;
    }
    result.push({ kind: "existing", path: candidate });
    if (name === ".git" && info.isFile()) {
      const gitdir = await pointedGitdir(candidate);
      if (gitdir !== undefined && allRoots.some((other) => isWithin(gitdir, other))) {
        result.push({ kind: "existing", path: gitdir });
      }
    }
  }
  return result;
}

/** A worktree's `.git` file says `gitdir: <path>`; that directory is protected too. */
async function pointedGitdir(gitFile: string): Promise<string | undefined> {
  const text = await readFile(gitFile, "utf8").catch(() => "");
  const match = /^gitdir:\s*(.+?)\s*$/m.exec(text);
  if (match?.[1] === undefined) return undefined;
  const target = path.resolve(path.dirname(gitFile), match[1]);
  return realpath(target).catch(() => undefined);
}

/**
 * Synchronous on purpose: a few dozen lstat/realpath calls on system paths take well under a
 * millisecond this way, against several through the thread pool, on every sandboxed call.
 */
function readableView(input: LayoutInput): ReadableView {
  const access =
    input.policy.type === "read-only"
      ? input.policy.access
      : input.policy.type === "workspace-write"
        ? input.policy.read_only_access
        : undefined;
  const requested = [
    ...(access?.type === "restricted" ? access.readable_roots : []),
    ...(access?.type === "restricted" && access.include_platform_defaults
      ? LINUX_PLATFORM_READABLE_ROOTS
      : []),
    input.policyCwd,
    ...input.required,
  ];
  const binds = new Set<string>();
  const symlinks: { path: string; target: string }[] = [];
  for (const entry of requested) {
    const absolute = path.resolve(entry);
    const info = tryLstat(absolute);
    const real = info === undefined ? undefined : tryRealpath(absolute);
    if (info === undefined || real === undefined) continue;
    binds.add(real);
    if (info.isSymbolicLink()) symlinks.push({ path: absolute, target: readlinkSync(absolute) });
  }
  // A bind under another bind adds nothing but a mount.
  const visible = [...binds].filter(
    (bind) => ![...binds].some((other) => other !== bind && isWithin(bind, other)),
  );
  const shown = (candidate: string): boolean => visible.some((bind) => isWithin(candidate, bind));
  // Through symlinks: a masked name that links elsewhere hides what it links to.
  const visibleReal = (candidate: string, kind: "file" | "directory"): string | undefined => {
    const real = tryRealpath(candidate);
    if (real === undefined || !shown(real)) return undefined;
    const info = tryLstat(real);
    return (kind === "file" ? info?.isFile() : info?.isDirectory()) === true ? real : undefined;
  };
  const maskedFiles: string[] = [];
  for (const file of MASKED_FILES) {
    const real = visibleReal(file, "file");
    if (real !== undefined) maskedFiles.push(real);
  }
  for (const pattern of MASKED_FILE_PATTERNS) {
    if (!shown(pattern.directory)) continue;
    let names: string[];
    try {
      names = readdirSync(pattern.directory);
    } catch {
      names = [];
    }
    for (const name of names.filter((n) => pattern.name.test(n)).sort()) {
      const real = visibleReal(path.join(pattern.directory, name), "file");
      if (real !== undefined) maskedFiles.push(real);
    }
  }
  const maskedDirectories: string[] = [];
  for (const dir of MASKED_DIRECTORIES) {
    const real = visibleReal(dir, "directory");
    if (real !== undefined) maskedDirectories.push(real);
  }
  return { binds: visible, symlinks, maskedFiles, maskedDirectories };
}

function tryLstat(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}

function tryRealpath(file: string): string | undefined {
  try {
    return realpathSync.native(file);
  } catch {
    return undefined;
  }
}
