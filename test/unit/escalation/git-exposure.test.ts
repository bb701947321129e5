// gitConfigExposure on real repositories in temporary directories: each exposed case is first
// shown to run code when the real git runs unsandboxed (a control that touches a canary), so a
// check that stopped finding it would fail; the protected case is shown to flip to exposed when
// its protection is lifted.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { gitConfigExposure, type GitExposure } from "../../../src/escalation/git-exposure.js";

let root: string;
/** The workspace: a writable root whose top-level .git is protected, as execward's sandbox. */
let work: string;
/** Another writable root (the sandbox's /tmp). */
let scratch: string;
/** The user's home, not writable by the sandbox. */
let home: string;
/** Test tools (hook scripts), not writable by the sandbox. */
let tools: string;
let canary: string;
let fsmonitor: string;

beforeEach(() => {
  root = realpathSync(mkdtempSync(path.join(os.tmpdir(), "execward-git-exposure-")));
  work = path.join(root, "work");
  scratch = path.join(root, "scratch");
  home = path.join(root, "home");
  tools = path.join(root, "tools");
  for (const dir of [work, scratch, home, tools]) mkdirSync(dir);
  canary = path.join(root, "canary");
  fsmonitor = path.join(tools, "fsmonitor.sh");
  writeFileSync(fsmonitor, `#!/bin/sh\ntouch '${canary}'\n`);
  chmodSync(fsmonitor, 0o755);
  git(work, "init", "-q");
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function within(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir + path.sep);
}

/** The sandbox's view: `roots` writable, `protectedPaths` (and below) not. */
function canWrite(
  roots: readonly string[] = [work, scratch],
  protectedPaths: readonly string[] = [path.join(work, ".git")],
): (p: string) => boolean {
  return (p) => roots.some((r) => within(p, r)) && !protectedPaths.some((q) => within(p, q));
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, ...extra };
}

const IDENTITY = {
  GIT_AUTHOR_NAME: "a",
  GIT_AUTHOR_EMAIL: "a@example.com",
  GIT_COMMITTER_NAME: "a",
  GIT_COMMITTER_EMAIL: "a@example.com",
};

/** Runs the real git, unsandboxed, with no system configuration. */
function git(cwd: string, ...args: string[]): string {
  return gitWith({}, cwd, ...args);
}

function gitWith(extraEnv: Record<string, string>, cwd: string, ...args: string[]): string {
  const result = spawnSync("git", args, {
    cwd,
    env: { ...env(extraEnv), GIT_CONFIG_NOSYSTEM: "1", ...IDENTITY },
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** The control: does git, run for real, touch the canary? */
function runsCode(extraEnv: Record<string, string>, cwd: string, ...args: string[]): boolean {
  rmSync(canary, { force: true });
  spawnSync("git", args, {
    cwd,
    env: { ...env(extraEnv), GIT_CONFIG_NOSYSTEM: "1" },
    stdio: "ignore",
  });
  return existsSync(canary);
}

function exposure(
  argv: readonly string[],
  workdir: string,
  options: { env?: Record<string, string>; canWrite?: (p: string) => boolean } = {},
): GitExposure {
  return gitConfigExposure({
    argv,
    workdir,
    env: options.env ?? env(),
    sandboxCanWrite: options.canWrite ?? canWrite(),
  });
}

function expectExposed(result: GitExposure, at: string, reason?: RegExp): void {
  expect(result).toMatchObject({ exposed: true, path: at });
  if (reason !== undefined && result.exposed) expect(result.reason).toMatch(reason);
}

describe("gitConfigExposure: the protected workspace repository", () => {
  it("is not exposed, and is exposed once its .git is writable (the control)", () => {
    git(work, "config", "core.fsmonitor", fsmonitor);
    expect(runsCode({}, work, "status")).toBe(true);
    expect(exposure(["git", "status"], work)).toEqual({
      exposed: false,
      gitDir: path.join(work, ".git"),
    });
    expectExposed(
      exposure(["git", "status"], work, { canWrite: canWrite([work, scratch], []) }),
      path.join(work, ".git"),
      /could have written/,
    );
  });

  it("is not exposed with no repository anywhere and nothing writable on the way", () => {
    const plain = path.join(home, "plain");
    mkdirSync(plain);
    expect(exposure(["git", "status"], plain)).toEqual({ exposed: false, gitDir: undefined });
  });
});

describe("gitConfigExposure: repositories the sandbox made", () => {
  it("finds a nested repository with core.fsmonitor", () => {
    const sub = path.join(work, "sub");
    mkdirSync(sub);
    git(sub, "init", "-q");
    git(sub, "config", "core.fsmonitor", fsmonitor);
    expect(runsCode({}, sub, "status")).toBe(true);
    expectExposed(exposure(["git", "status"], sub), path.join(sub, ".git"));
  });

  it("takes a directory named ..x for a directory, not for a parent", () => {
    const dotted = path.join(work, "..x");
    mkdirSync(dotted);
    git(dotted, "init", "-q");
    git(dotted, "config", "core.fsmonitor", fsmonitor);
    expect(runsCode({}, dotted, "status")).toBe(true);
    expectExposed(exposure(["git", "status"], dotted), path.join(dotted, ".git"));
    expectExposed(exposure(["git", "-C", "..x", "status"], work), path.join(dotted, ".git"));
  });

  it("finds a directory below the workspace where a .git could be created", () => {
    const src = path.join(work, "src");
    mkdirSync(src);
    // The control: a .git created there is what git uses (and it runs the fsmonitor).
    git(src, "init", "-q");
    git(src, "config", "core.fsmonitor", fsmonitor);
    expect(runsCode({}, src, "status")).toBe(true);
    rmSync(path.join(src, ".git"), { recursive: true });
    expectExposed(
      exposure(["git", "status"], src),
      path.join(src, ".git"),
      /looks for a repository first/,
    );
  });

  it("follows a .git file to a writable git directory", () => {
    const linked = path.join(home, "linked");
    const real = path.join(scratch, "real.git");
    git(home, "init", "-q", `--separate-git-dir=${real}`, linked);
    gitWith({}, linked, "config", "core.fsmonitor", fsmonitor);
    expect(runsCode({}, linked, "status")).toBe(true);
    expectExposed(exposure(["git", "status"], linked), real);
  });

  it("finds a bare repository in the working directory itself", () => {
    const bare = path.join(scratch, "bare");
    git(scratch, "init", "-q", "--bare", bare);
    git(bare, "config", "alias.st", `!${fsmonitor}`);
    expect(runsCode({}, bare, "st")).toBe(true);
    expectExposed(exposure(["git", "st"], bare), path.join(bare, ".git"), /first/);
    // With .git creation ruled out, the bare repository itself is what is found.
    const noDotGit = (p: string): boolean =>
      canWrite()(p) && p !== path.join(bare, ".git") && p !== path.join(bare, "HEAD");
    expectExposed(exposure(["git", "st"], bare, { canWrite: noDotGit }), bare, /bare/);
  });

  it("reads a worktree's commondir", () => {
    const main = path.join(scratch, "main");
    mkdirSync(main);
    git(main, "init", "-q");
    git(main, "commit", "-q", "--allow-empty", "-m", "x");
    const tree = path.join(home, "tree");
    git(main, "worktree", "add", "-q", tree);
    git(main, "config", "core.fsmonitor", fsmonitor);
    expect(runsCode({}, tree, "status")).toBe(true);
    const gitDir = path.join(main, ".git", "worktrees", "tree");
    // Only the common directory is writable: the worktree's own git directory is protected.
    const commonOnly = canWrite([scratch], [gitDir]);
    expectExposed(
      exposure(["git", "status"], tree, { canWrite: commonOnly }),
      path.join(main, ".git"),
    );
  });

  it("honours -C, cumulatively", () => {
    const nested = path.join(scratch, "a", "nested");
    mkdirSync(nested, { recursive: true });
    git(nested, "init", "-q");
    git(nested, "config", "core.fsmonitor", fsmonitor);
    expect(runsCode({}, work, "-C", scratch, "-C", "a/nested", "status")).toBe(true);
    expectExposed(
      exposure(["git", "-C", scratch, "-C", "a/nested", "status"], work),
      path.join(nested, ".git"),
    );
    expect(exposure(["git", "-C", "", "status"], work)).toMatchObject({ exposed: false });
  });

  it("honours --git-dir, GIT_DIR and a .git file named by them", () => {
    const evil = path.join(scratch, "evil.git");
    git(scratch, "init", "-q", "--bare", evil);
    git(evil, "config", "core.bare", "false");
    git(evil, "config", "core.fsmonitor", fsmonitor);
    expect(runsCode({}, work, `--git-dir=${evil}`, "status")).toBe(true);
    expectExposed(exposure(["git", `--git-dir=${evil}`, "status"], work), evil);
    expectExposed(exposure(["git", "--git-dir", evil, "status"], work), evil);
    expectExposed(exposure(["git", "status"], work, { env: env({ GIT_DIR: evil }) }), evil);
    const pointer = path.join(home, "pointer");
    writeFileSync(pointer, `gitdir: ${evil}\n`);
    expectExposed(exposure(["git", "--git-dir", pointer, "status"], work), evil);
  });
});

describe("gitConfigExposure: configuration outside the repository", () => {
  it("finds ~/.gitconfig when HOME is under a writable root", () => {
    const sandboxHome = path.join(scratch, "h");
    mkdirSync(sandboxHome);
    writeFileSync(path.join(sandboxHome, ".gitconfig"), `[core]\n\tfsmonitor = ${fsmonitor}\n`);
    expect(runsCode({ HOME: sandboxHome }, work, "status")).toBe(true);
    const result = exposure(["git", "status"], work, { env: env({ HOME: sandboxHome }) });
    expect(result).toMatchObject({ exposed: true });
    expect(result.exposed && within(result.path, sandboxHome)).toBe(true);
    // A writable home is exposed even before a .gitconfig exists: the sandbox can create it.
    rmSync(path.join(sandboxHome, ".gitconfig"));
    expect(exposure(["git", "status"], work, { env: env({ HOME: sandboxHome }) })).toMatchObject({
      exposed: true,
    });
  });

  it("reads GIT_CONFIG_GLOBAL instead of ~/.gitconfig, and nothing from /dev/null", () => {
    const sandboxHome = path.join(scratch, "h");
    const everyDevice = (p: string): boolean => canWrite()(p) || p.startsWith("/dev/");
    const result = exposure(["git", "status"], work, {
      env: env({ HOME: sandboxHome, GIT_CONFIG_GLOBAL: "/dev/null", XDG_CONFIG_HOME: home }),
      canWrite: everyDevice,
    });
    expect(result).toMatchObject({ exposed: false });
    const global = path.join(scratch, "global.gitconfig");
    expectExposed(
      exposure(["git", "status"], work, { env: env({ GIT_CONFIG_GLOBAL: global }) }),
      global,
    );
  });

  it("finds $XDG_CONFIG_HOME/git/config", () => {
    const xdg = path.join(scratch, "xdg");
    mkdirSync(path.join(xdg, "git"), { recursive: true });
    writeFileSync(path.join(xdg, "git", "config"), `[core]\n\tfsmonitor = ${fsmonitor}\n`);
    expect(runsCode({ XDG_CONFIG_HOME: xdg }, work, "status")).toBe(true);
    expectExposed(
      exposure(["git", "status"], work, { env: env({ XDG_CONFIG_HOME: xdg }) }),
      path.join(xdg, "git", "config"),
    );
  });

  it("follows include.path and includeIf to a writable file", () => {
    const included = path.join(scratch, "inc.gitconfig");
    writeFileSync(included, `[core]\n\tfsmonitor = ${fsmonitor}\n`);
    writeFileSync(path.join(home, ".gitconfig"), `[include]\n\tpath = ${included}\n`);
    expect(runsCode({}, work, "status")).toBe(true);
    expectExposed(exposure(["git", "status"], work), included, /included/);
    writeFileSync(
      path.join(home, ".gitconfig"),
      `[includeIf "gitdir:/nowhere/"]\n\tpath = ../scratch/inc.gitconfig\n`,
    );
    expectExposed(exposure(["git", "status"], work), included);
    // The control for the check itself: a protected include target is fine.
    writeFileSync(path.join(home, ".gitconfig"), `[include]\n\tpath = ${fsmonitor}.cfg\n`);
    expect(exposure(["git", "status"], work)).toMatchObject({ exposed: false });
  });

  it("fails closed on a configuration it cannot parse", () => {
    writeFileSync(path.join(home, ".gitconfig"), `[core]\n\tfsmonitor = ${fsmonitor}\n`);
    expect(exposure(["git", "status"], work)).toMatchObject({ exposed: false });
    writeFileSync(path.join(home, ".gitconfig"), `[core\n\tfsmonitor = "${fsmonitor}\n`);
    expectExposed(exposure(["git", "status"], work), path.join(home, ".gitconfig"), /cannot parse/);
  });

  it("finds a core.hooksPath in the writable work tree", () => {
    const hooks = path.join(work, ".husky");
    mkdirSync(hooks);
    writeFileSync(path.join(hooks, "pre-commit"), `#!/bin/sh\ntouch '${canary}'\n`);
    chmodSync(path.join(hooks, "pre-commit"), 0o755);
    git(work, "config", "core.hooksPath", ".husky");
    expect(runsCode({}, work, "hook", "run", "pre-commit")).toBe(true);
    expectExposed(exposure(["git", "commit"], work), hooks, /hooks/);
  });

  it("finds hooks that a protected .git links into the writable work tree", () => {
    const shared = path.join(work, "githooks");
    mkdirSync(shared);
    writeFileSync(path.join(shared, "pre-commit"), `#!/bin/sh\ntouch '${canary}'\n`);
    chmodSync(path.join(shared, "pre-commit"), 0o755);
    rmSync(path.join(work, ".git", "hooks"), { recursive: true });
    symlinkSync("../githooks", path.join(work, ".git", "hooks"));
    expect(runsCode({}, work, "hook", "run", "pre-commit")).toBe(true);
    expectExposed(exposure(["git", "commit"], work), shared, /hooks/);
  });

  it("finds a program named by a protected configuration in a writable place", () => {
    const script = path.join(work, "tools", "fsmonitor.sh");
    mkdirSync(path.dirname(script));
    writeFileSync(script, `#!/bin/sh\ntouch '${canary}'\n`);
    chmodSync(script, 0o755);
    git(work, "config", "core.fsmonitor", "./tools/fsmonitor.sh");
    expect(runsCode({}, work, "status")).toBe(true);
    expectExposed(exposure(["git", "status"], work), script, /core\.fsmonitor/);
    // The same setting naming a protected program is fine.
    git(work, "config", "core.fsmonitor", fsmonitor);
    expect(exposure(["git", "status"], work)).toMatchObject({ exposed: false });
  });

  it("finds a writable --exec-path, and include.path given with -c", () => {
    const helper = path.join(scratch, "git-hello");
    writeFileSync(helper, `#!/bin/sh\ntouch '${canary}'\n`);
    chmodSync(helper, 0o755);
    expect(runsCode({}, work, `--exec-path=${scratch}`, "hello")).toBe(true);
    expectExposed(exposure(["git", `--exec-path=${scratch}`, "status"], work), scratch, /helper/);
    const included = path.join(scratch, "inc");
    expectExposed(exposure(["git", "-c", `include.path=${included}`, "status"], work), included);
    expect(exposure(["git", "-c", `core.fsmonitor=${fsmonitor}`, "status"], work)).toMatchObject({
      exposed: false,
    });
  });

  it("finds a gitlink whose .git is in the writable work tree, without .gitmodules", () => {
    const embedded = path.join(work, "vendor");
    mkdirSync(embedded);
    git(embedded, "init", "-q");
    git(embedded, "commit", "-q", "--allow-empty", "-m", "x");
    git(work, "add", "vendor");
    expect(exposure(["git", "status"], work)).toMatchObject({ exposed: true });
    git(embedded, "config", "core.fsmonitor", fsmonitor);
    // git status in the top-level repository runs git in the embedded one, and its fsmonitor.
    expect(runsCode({}, work, "status")).toBe(true);
    // Its .git protected (as a top-level one is), it is not exposed.
    const vendorProtected = canWrite(
      [work, scratch],
      [path.join(work, ".git"), path.join(embedded, ".git")],
    );
    expect(exposure(["git", "status"], work, { canWrite: vendorProtected })).toMatchObject({
      exposed: false,
    });
    expectExposed(
      exposure(["git", "status"], work),
      path.join(embedded, ".git"),
      /submodule vendor/,
    );
  });

  it("treats submodules in a writable work tree as exposed", () => {
    writeFileSync(path.join(work, ".gitmodules"), `[submodule "s"]\n\tpath = s\n\turl = x\n`);
    expectExposed(exposure(["git", "status"], work), work, /submodule/);
  });

  it("does not take a URL for a program path", () => {
    git(work, "config", "remote.origin.url", "https://example.com/x.git");
    git(work, "config", "credential.helper", "cache --timeout=60");
    git(work, "config", "remote.origin.proxy", "http://proxy.example:8080/");
    git(work, "config", "core.askPass", "https://not-a-program/");
    expect(exposure(["git", "status"], work)).toMatchObject({ exposed: false });
  });

  it("refuses a working directory reached through a symlink the sandbox can replace", () => {
    const link = path.join(scratch, "link");
    symlinkSync(work, link);
    expectExposed(exposure(["git", "status"], link), link, /symlink/);
    // A symlink the sandbox cannot touch is fine.
    const safeLink = path.join(home, "link");
    symlinkSync(work, safeLink);
    expect(exposure(["git", "status"], safeLink)).toMatchObject({ exposed: false });
  });

  it("follows -C through symlinks as the kernel does, .. included", () => {
    // home/deep/inner -> scratch/evil/inner: "-C home/deep/inner/.." lands in scratch/evil.
    const evil = path.join(scratch, "evil");
    mkdirSync(path.join(evil, "inner"), { recursive: true });
    git(evil, "init", "-q");
    git(evil, "config", "core.fsmonitor", fsmonitor);
    mkdirSync(path.join(home, "deep"));
    symlinkSync(path.join(evil, "inner"), path.join(home, "deep", "inner"));
    const argv = ["git", "-C", path.join(home, "deep", "inner") + "/..", "status"];
    expect(runsCode({}, work, ...argv.slice(1))).toBe(true);
    // Judged lexically, this would be home/deep, where nothing is writable.
    expectExposed(exposure(argv, work), path.join(evil, ".git"));
  });

  it("refuses a writable symlink anywhere in a chain of symlinks", () => {
    const hop = path.join(scratch, "hop");
    symlinkSync(work, hop);
    const first = path.join(home, "first");
    symlinkSync(hop, first);
    expectExposed(exposure(["git", "status"], first), hop, /symlink/);
  });

  it("refuses a configuration file reached through a symlink the sandbox can replace", () => {
    // ~/.gitconfig -> scratch/hop -> tools/real.gitconfig: both ends are safe, the hop is not.
    const real = path.join(tools, "real.gitconfig");
    writeFileSync(real, `[user]\n\tname = a\n`);
    const hop = path.join(scratch, "hop");
    symlinkSync(real, hop);
    symlinkSync(hop, path.join(home, ".gitconfig"));
    expectExposed(exposure(["git", "status"], work), hop, /global configuration.*symlink/);
  });

  it("fails closed on an option it does not know", () => {
    expectExposed(exposure(["git", "--frobnicate", "status"], work), work, /--frobnicate/);
  });
});
