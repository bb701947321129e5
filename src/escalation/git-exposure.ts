/**
 * Would an escalated git read configuration that the sandboxed command could have written?
 *
 * Guards invariant E3 (issue 16): an `allow` rule such as `prefix_rule(["git", "status"])` runs
 * git outside the sandbox, and git runs programs named by its configuration: `core.fsmonitor`,
 * hooks, clean/smudge filters, diff drivers, the pager, aliases starting with `!`... A repository
 * created inside the sandbox (a nested `git init`, a `.git` file pointing to /tmp, a bare
 * repository in the working directory) or a `~/.gitconfig` under a writable root would turn that
 * rule into "run anything the sandbox wrote, on the host".
 *
 * The choice (documented in docs/escalation.md): execward does not try to neutralise such a
 * configuration (git has too many ways to run a program, and they grow with every release); it
 * finds the files git would read and reports the first one the sandbox could have written. The
 * escalation policy turns an exposed git escalation into a question to the human, naming the
 * path, and denies when nobody can be asked. Uncertainty is exposure: an unknown git option, a
 * configuration this module cannot parse or read, a directory it cannot resolve.
 *
 * What is checked, in git's own order (setup.c, config.c):
 * - the starting directory: the request's workdir, then every `-C`, physically resolved;
 * - the repository: `--git-dir` / `GIT_DIR` (a `gitdir:` file is followed), else discovery
 *   upward: at each directory `.git` (a directory, or a file naming one), then the directory
 *   itself as a bare repository; every directory searched before the repository is found is
 *   exposed when the sandbox could create a `.git` or a bare repository's `HEAD` in it;
 * - the repository's files: the git directory, `commondir`, `config.worktree`, the common
 *   directory's `config`, `hooks/` (each hook and a new one), `info/attributes`; submodules:
 *   git runs inside each gitlink of the index, finding its repository through the submodule's
 *   `.git` in the work tree, so each such `.git` (and, with `.gitmodules`, the work tree) must
 *   not be writable;
 * - configuration files: system (`GIT_CONFIG_SYSTEM`, `/etc/gitconfig`), global
 *   (`GIT_CONFIG_GLOBAL`, `$XDG_CONFIG_HOME/git/config` or `~/.config/git/config`,
 *   `~/.gitconfig`), every `include.path` / `includeIf.*.path` target whatever its condition,
 *   `core.hooksPath`, `core.attributesFile`, and programs named by path in program-valued keys;
 * - `--exec-path` / `GIT_EXEC_PATH` (git's helper programs).
 * Configuration given on git's command line (`-c core.fsmonitor=...`) was matched by the user's
 * own rule, so it is not exposure by itself; the files and programs it names still are checked.
 *
 * Synchronous and read-only: lstat, realpath, readFile, readdir.
 */
import {
  lstatSync,
  closeSync,
  constants,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  readlinkSync,
  realpathSync,
  statSync,
  type Stats,
} from "node:fs";
import path from "node:path";

import { gitConfigName, parseGitConfig, type GitConfigEntry } from "./git-config-file.js";
import { indexGitlinks } from "./git-index-gitlinks.js";
import { readGitInvocation, type GitInvocation } from "./git-invocation.js";

export interface GitExposureInput {
  /** The escalated git's argv, argv[0] included. */
  readonly argv: readonly string[];
  /** Absolute host path where git starts. */
  readonly workdir: string;
  /** The environment git will get (HOME, XDG_CONFIG_HOME, GIT_* as execward passes them). */
  readonly env: Readonly<Record<string, string>>;
  /**
   * True when the sandboxed command could have written, created or replaced this absolute path
   * (for a directory: could create entries in it). Called with host paths, also for paths that
   * do not exist; symlinks are resolved here and both the link and its target are asked.
   */
  readonly sandboxCanWrite: (absolutePath: string) => boolean;
}

export type GitExposure =
  | {
      readonly exposed: false;
      /** The git directory git would use; undefined when it would find no repository. */
      readonly gitDir: string | undefined;
    }
  | {
      readonly exposed: true;
      /** One sentence for a person: what git would read and why that matters. */
      readonly reason: string;
      /** The file or directory the sandbox could have written. */
      readonly path: string;
    };

/** Git stops following `include.path` after this many levels (config.c MAX_INCLUDE_DEPTH). */
const MAX_INCLUDE_DEPTH = 10;

/** The kernel's limit on symlinks followed while resolving one path (MAXSYMLINKS). */
const MAX_SYMLINK_HOPS = 40;

/** A hook name, to ask whether the sandbox could create a new hook (git status runs this one). */
const PROBE_HOOK = "post-index-change";

/**
 * Keys whose value is a program (or shell command) git runs. Only a first word naming a path is
 * checked here: a bare name is looked up on the user's PATH, which the sandbox does not choose.
 */
const PROGRAM_KEYS: readonly RegExp[] = [
  /^core\.(fsmonitor|pager|editor|sshcommand|askpass|gitproxy)$/,
  /^(sequence\.editor|interactive\.difffilter|gpg\.program|gpg\.[^.]+\.program)$/,
  /^(credential\.helper|credential\..+\.helper|diff\.external)$/,
  /^(diff\..+\.(command|textconv)|filter\..+\.(clean|smudge|process)|merge\..+\.driver)$/,
  /^(pager\..+|alias\..+|remote\..+\.(uploadpack|receivepack)|sendemail\.smtpserver)$/,
  /^(mergetool\..+\.cmd|difftool\..+\.cmd|man\..+\.cmd|web\.browser|browser\..+\.cmd)$/,
  /^(uploadpack\.packobjectshook|core\.hookspath|init\.templatedir)$/,
];

/** Thrown inside the scan to stop at the first finding. */
class Exposed extends Error {
  readonly reason: string;
  readonly path: string;

  constructor(reason: string, where: string) {
    super(reason);
    this.reason = reason;
    this.path = where;
  }
}

export function gitConfigExposure(input: GitExposureInput): GitExposure {
  try {
    return { exposed: false, gitDir: new GitExposureScan(input).run() };
  } catch (error) {
    if (error instanceof Exposed) return { exposed: true, reason: error.reason, path: error.path };
    throw error;
  }
}

interface Repository {
  readonly gitDir: string;
  readonly commonDir: string;
  readonly workTree: string | undefined;
}

class GitExposureScan {
  private readonly input: GitExposureInput;
  private readonly invocation: GitInvocation;
  private readonly home: string | undefined;
  /** Paths already walked by refuseWritable() during this scan, and where they lead. */
  private readonly walked = new Map<string, string>();
  /** Paths already resolved by physical() during this scan. */
  private readonly physicalCache = new Map<string, string>();
  /** Every entry of every configuration read, in git's order. */
  private readonly entries: { entry: GitConfigEntry; file: string | undefined }[] = [];

  constructor(input: GitExposureInput) {
    this.input = input;
    this.invocation = readGitInvocation(input.argv, input.workdir, input.env, (from, to) =>
      this.changeDirectory(from, to),
    );
    this.home = input.env.HOME === "" ? undefined : input.env.HOME;
  }

  run(): string | undefined {
    const invocation = this.invocation;
    if (invocation.uncertain !== undefined) {
      throw new Exposed(
        `execward cannot tell which repository and configuration git would use (${invocation.uncertain})`,
        this.input.workdir,
      );
    }
    if (invocation.execPath !== undefined) {
      this.refuseWritable(invocation.execPath, "git runs its helper programs from");
    }
    if (invocation.systemConfigFile !== undefined) {
      this.readConfigFile(invocation.systemConfigFile, "system configuration", 0);
    }
    for (const file of invocation.globalConfigFiles) {
      this.readConfigFile(file, "global configuration", 0);
    }
    const repository = this.findRepository();
    if (repository !== undefined) this.checkRepository(repository);
    for (const entry of invocation.commandLineConfig) this.addEntry(entry, undefined, 0);
    this.checkNamedPaths(repository);
    return repository?.gitDir;
  }

  // ---- the repository ----------------------------------------------------------------------

  private findRepository(): Repository | undefined {
    const invocation = this.invocation;
    if (invocation.gitDir !== undefined) {
      const gitDir = this.followGitFile(invocation.gitDir);
      return this.repositoryAt(gitDir, invocation.workTree ?? invocation.startDir);
    }
    const start = this.physical(invocation.startDir);
    for (let dir = start; ; dir = path.dirname(dir)) {
      const dotGit = path.join(dir, ".git");
      const stats = statOrUndefined(dotGit);
      if (stats?.isFile() === true) {
        return this.repositoryAt(this.followGitFile(dotGit), invocation.workTree ?? dir);
      }
      if (stats?.isDirectory() === true && isGitDirectory(dotGit)) {
        this.refuseWritable(dotGit, "git would use the repository");
        return this.repositoryAt(this.physical(dotGit), invocation.workTree ?? dir);
      }
      this.refuseWritable(dotGit, "git looks for a repository first at");
      if (isGitDirectory(dir)) {
        this.refuseWritable(dir, "git would use the bare repository");
        return this.repositoryAt(dir, invocation.workTree);
      }
      this.refuseWritable(
        path.join(dir, "HEAD"),
        "git takes a directory for a bare repository when it has a HEAD (and objects/, refs/), as",
      );
      if (path.dirname(dir) === dir) return undefined;
    }
  }

  /** A `gitdir: <path>` file's target (relative to the file), or the path itself. */
  private followGitFile(candidate: string): string {
    const stats = statOrUndefined(candidate);
    if (stats === undefined) {
      // git itself stops here ("not a git repository"); nothing of this path is read.
      this.refuseWritable(candidate, "git would use the repository named by");
      return candidate;
    }
    if (!stats.isFile()) return this.physical(candidate);
    this.refuseWritable(candidate, "git reads where its repository is from");
    const text = readTextOrUndefined(candidate);
    const match = text === undefined ? null : /^gitdir: (.+?)\r?\n?$/.exec(text);
    if (match === null) {
      throw new Exposed(`execward cannot read the .git file ${candidate}`, candidate);
    }
    return this.physical(path.resolve(path.dirname(candidate), match[1] as string));
  }

  private repositoryAt(gitDir: string, workTree: string | undefined): Repository {
    const invocation = this.invocation;
    let commonDir = invocation.commonDir;
    const commonDirFile = path.join(gitDir, "commondir");
    if (commonDir === undefined && statOrUndefined(commonDirFile) !== undefined) {
      this.refuseWritable(commonDirFile, "git reads where the repository's shared files are from");
      const text = readTextOrUndefined(commonDirFile);
      if (text === undefined || text.trim() === "") {
        throw new Exposed(`execward cannot read ${commonDirFile}`, commonDirFile);
      }
      commonDir = path.resolve(gitDir, text.replace(/\r?\n$/, ""));
    }
    return {
      gitDir,
      commonDir: this.physical(commonDir ?? gitDir),
      workTree: workTree === undefined ? undefined : this.physical(workTree),
    };
  }

  private checkRepository(repository: Repository): void {
    const { gitDir, commonDir } = repository;
    this.refuseWritable(gitDir, "git would use the repository");
    this.refuseWritable(commonDir, "git would use the repository's shared directory");
    this.readConfigFile(path.join(commonDir, "config"), "repository configuration", 0);
    this.readConfigFile(path.join(gitDir, "config.worktree"), "worktree configuration", 0);
    this.refuseWritable(path.join(gitDir, "info", "attributes"), "git reads attributes from");
    if (commonDir !== gitDir) {
      this.refuseWritable(path.join(commonDir, "info", "attributes"), "git reads attributes from");
    }
    this.checkHooks(path.join(commonDir, "hooks"));
  }

  /** A hooks directory: the directory, a new hook in it, each hook (and a symlink's target). */
  private checkHooks(dir: string): void {
    this.refuseWritable(dir, "git runs hooks from");
    this.refuseWritable(path.join(dir, PROBE_HOOK), "git runs hooks from");
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      // No hooks directory: nothing to run; its creation was asked about above.
    }
    for (const name of names) this.refuseWritable(path.join(dir, name), "git runs the hook");
  }

  // ---- configuration files -----------------------------------------------------------------

  private readConfigFile(file: string, what: string, depth: number): void {
    // GIT_CONFIG_GLOBAL=/dev/null and the like: nothing to read, whoever can write to it.
    if (file === "/dev/null") return;
    this.refuseWritable(file, `git reads its ${what} from`);
    if (statOrUndefined(file) === undefined && lstatOrUndefined(file) === undefined) return;
    let text: string;
    try {
      text = readRegularFile(file, MAX_CONFIG_BYTES).toString("utf8");
    } catch (error) {
      if (isMissing(error)) return;
      throw new Exposed(`execward cannot read git's ${what} ${file}`, file);
    }
    const parsed = parseGitConfig(text);
    if (!parsed.ok) {
      throw new Exposed(
        `execward cannot parse git's ${what} ${file} (line ${String(parsed.line)}: ${parsed.error})`,
        file,
      );
    }
    for (const entry of parsed.entries) this.addEntry(entry, file, depth);
  }

  private addEntry(entry: GitConfigEntry, file: string | undefined, depth: number): void {
    this.entries.push({ entry, file });
    const name = gitConfigName(entry).toLowerCase();
    const isInclude =
      entry.key === "path" &&
      (entry.section === "include" ||
        (entry.section === "includeif" && entry.subsection !== undefined));
    if (!isInclude || entry.value === null || entry.value === "") return;
    // Relative includes are relative to the including file; git refuses them elsewhere.
    const target = this.expandPath(
      entry.value,
      file === undefined ? undefined : path.dirname(file),
    );
    if (target === undefined) return;
    if (depth + 1 > MAX_INCLUDE_DEPTH) {
      throw new Exposed(`execward stops following ${name} deeper than git does`, target);
    }
    this.readConfigFile(target, "included configuration", depth + 1);
  }

  /** Files and programs named by the configuration: hooksPath, attributesFile, programs. */
  private checkNamedPaths(repository: Repository | undefined): void {
    const base = repository?.workTree ?? repository?.gitDir ?? this.invocation.startDir;
    let attributesFile: string | undefined;
    for (const { entry, file } of this.entries) {
      const name = gitConfigName(entry).toLowerCase();
      const value = entry.value;
      if (value === null || value === "") continue;
      if (name === "core.hookspath") {
        const dir = this.expandPath(value, base);
        if (dir !== undefined) this.checkHooks(dir);
      } else if (name === "core.attributesfile") {
        attributesFile = this.expandPath(value, base);
        if (attributesFile !== undefined) {
          this.refuseWritable(attributesFile, "git reads attributes from");
        }
      } else if (PROGRAM_KEYS.some((pattern) => pattern.test(name))) {
        const program = firstWordPath(name.startsWith("alias.") ? value.replace(/^!/, "") : value);
        // Commands run from the work tree's top, some from where git started: check both.
        for (const from of new Set([base, this.invocation.startDir])) {
          const resolved = program === undefined ? undefined : this.expandPath(program, from);
          if (resolved !== undefined) {
            this.refuseWritable(
              resolved,
              `${name}${file === undefined ? "" : ` (set in ${file})`} makes git run`,
            );
          }
        }
      }
    }
    if (attributesFile === undefined) {
      const xdg = this.input.env.XDG_CONFIG_HOME;
      const dir =
        xdg !== undefined && xdg !== ""
          ? xdg
          : this.home === undefined
            ? undefined
            : path.join(this.home, ".config");
      if (dir !== undefined) {
        this.refuseWritable(path.join(dir, "git", "attributes"), "git reads attributes from");
      }
    }
    if (repository?.workTree !== undefined) this.checkSubmodules(repository);
  }

  /**
   * git status, diff, fetch... run git again inside each populated submodule (every gitlink of
   * the index, `.gitmodules` or not), which finds its repository through the submodule's `.git`
   * in the work tree. `.gitmodules` and `modules/` also count: fetch recurses from commits.
   */
  private checkSubmodules(repository: Repository): void {
    const workTree = repository.workTree as string;
    const indexFile = this.input.env.GIT_INDEX_FILE ?? path.join(repository.gitDir, "index");
    let bytes: Uint8Array | undefined;
    try {
      bytes = readRegularFile(path.resolve(this.invocation.startDir, indexFile), Infinity);
    } catch (error) {
      if (!isMissing(error))
        throw new Exposed(`execward cannot read git's index ${indexFile}`, indexFile);
    }
    const gitlinks = bytes === undefined ? [] : indexGitlinks(bytes);
    if (gitlinks === undefined) {
      this.refuseWritable(
        workTree,
        `execward cannot read git's index ${indexFile} to find the submodules git runs inside, in the work tree`,
      );
      return;
    }
    for (const gitlink of gitlinks) {
      this.refuseWritable(
        path.join(workTree, gitlink, ".git"),
        `git runs git again in the submodule ${gitlink}, finding its repository through`,
      );
    }
    const has = (p: string): boolean => lstatOrUndefined(p) !== undefined;
    if (
      has(path.join(workTree, ".gitmodules")) ||
      has(path.join(repository.commonDir, "modules"))
    ) {
      this.refuseWritable(
        workTree,
        "git runs inside the submodules (.gitmodules) of the work tree, finding each through its .git, in",
      );
    }
  }

  // ---- paths -------------------------------------------------------------------------------

  /** `~/x` and `~` from HOME, relative paths from `base`; undefined when it cannot be placed. */
  private expandPath(value: string, base: string | undefined): string | undefined {
    if (value === "~" || value.startsWith("~/")) {
      if (this.home === undefined) return undefined;
      return path.join(this.home, value.slice(1));
    }
    if (value.startsWith("~")) {
      throw new Exposed(`execward cannot expand the path ${JSON.stringify(value)}`, value);
    }
    if (path.isAbsolute(value)) return path.normalize(value);
    return base === undefined ? undefined : path.resolve(base, value);
  }

  /** The path with symlinks resolved as far as it exists (git works on physical paths). */
  private physical(p: string): string {
    const cached = this.physicalCache.get(p);
    if (cached !== undefined) return cached;
    let existing = p;
    const rest: string[] = [];
    while (lstatOrUndefined(existing) === undefined) {
      const parent = path.dirname(existing);
      if (parent === existing) return p;
      rest.unshift(path.basename(existing));
      existing = parent;
    }
    let resolved: string;
    try {
      resolved = path.join(realpathSync.native(existing), ...rest);
    } catch {
      // A dangling or looping symlink: keep the name; refuseWritable still asks about it.
      resolved = p;
    }
    this.physicalCache.set(p, resolved);
    return resolved;
  }

  /**
   * Where git lands when it changes to `to` from the physical directory `from`, as the kernel
   * resolves it: component by component, `..` after a symlink going to the target's parent. git
   * is started by name after this check, so a symlink on the way that the sandbox can replace
   * could send it elsewhere by then: that is exposure.
   */
  private changeDirectory(from: string, to: string): string {
    return this.walk(from, to, `git starts in ${to}`, 0);
  }

  /**
   * `to` resolved from `from` through symlinks, refusing any symlink on the way that the sandbox
   * could replace; `context` says what the path is for, in the reason.
   */
  private walk(from: string, to: string, context: string, hops: number): string {
    let current = path.isAbsolute(to) ? "/" : from;
    for (const component of to.split("/")) {
      if (component === "" || component === ".") continue;
      if (component === "..") {
        current = path.dirname(current);
        continue;
      }
      const next = path.join(current, component);
      if (lstatOrUndefined(next)?.isSymbolicLink() !== true) {
        current = next;
        continue;
      }
      if (this.input.sandboxCanWrite(next)) {
        throw new Exposed(
          `${context} through the symlink ${next}, which the sandboxed command could replace`,
          next,
        );
      }
      let target: string;
      try {
        target = readlinkSync(next);
      } catch {
        throw new Exposed(`execward cannot read the symlink ${next} on git's way`, next);
      }
      if (hops >= MAX_SYMLINK_HOPS) {
        throw new Exposed(`too many symlinks on git's way at ${next}`, next);
      }
      current = this.walk(current, target, context, hops + 1);
    }
    return current;
  }

  private refuseWritable(p: string, what: string): void {
    const canWrite = this.input.sandboxCanWrite;
    let real = this.walked.get(p);
    if (real === undefined) {
      real = this.walk("/", p, `${what} ${p}`, 0);
      this.walked.set(p, real);
    }
    if (canWrite(p) || (real !== p && canWrite(real))) {
      throw new Exposed(
        `${what} ${p}${real === p ? "" : ` (${real})`}, which the sandboxed command could have written`,
        real,
      );
    }
  }
}

/**
 * The program a command-valued setting starts with, when it is written as a path: the first
 * shell word, unquoted. Bare names come from the user's PATH and are not the sandbox's choice.
 */
function firstWordPath(value: string): string | undefined {
  const trimmed = value.trimStart();
  const quote = trimmed[0] === '"' || trimmed[0] === "'" ? trimmed[0] : undefined;
  const word =
    quote === undefined
      ? (/^\S+/.exec(trimmed)?.[0] ?? "")
      : trimmed.slice(1, Math.max(1, trimmed.indexOf(quote, 1)));
  return word.includes("/") && !word.includes("://") ? word : undefined;
}

/**
 * git's is_git_directory(): a HEAD, and objects/ and refs/ in the directory or in the common
 * directory its `commondir` names.
 */
function isGitDirectory(dir: string): boolean {
  if (lstatOrUndefined(path.join(dir, "HEAD")) === undefined) return false;
  let common = dir;
  const pointer = readTextOrUndefined(path.join(dir, "commondir"));
  if (pointer !== undefined) common = path.resolve(dir, pointer.replace(/\r?\n$/, ""));
  return (
    statOrUndefined(path.join(common, "objects"))?.isDirectory() === true &&
    statOrUndefined(path.join(common, "refs"))?.isDirectory() === true
  );
}

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function readTextOrUndefined(p: string): string | undefined {
  if (statOrUndefined(p) === undefined) return undefined;
  try {
    return readRegularFile(p, MAX_CONFIG_BYTES).toString("utf8");
  } catch {
    return undefined;
  }
}

/** Configuration files larger than this are not read (an exposure: execward cannot vouch). */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * Reads a regular file, never anything else: a FIFO or a device the sandbox put where git looks
 * (`.git/commondir` as a FIFO, a config linked to /dev/zero) would block or exhaust the server,
 * and with it every session. Opened non-blocking, checked with fstat, read up to its size.
 */
function readRegularFile(file: string, maxBytes: number): Buffer {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      throw Object.assign(new Error(`${file} is not a regular file`), { code: "ENOTREG" });
    }
    if (stats.size > maxBytes) {
      throw Object.assign(new Error(`${file} is larger than ${maxBytes} bytes`), { code: "EFBIG" });
    }
    const buffer = Buffer.alloc(stats.size);
    let offset = 0;
    while (offset < buffer.length) {
      const read = readSync(fd, buffer, offset, buffer.length - offset, offset);
      if (read === 0) break;
      offset += read;
    }
    return buffer.subarray(0, offset);
  } finally {
    closeSync(fd);
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}
