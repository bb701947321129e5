// probeSandboxLayout on a real directory tree: writable roots (real paths, /tmp and $TMPDIR,
// missing roots), protected subpaths (.git, .codex, .agents) and the restricted-read view.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { probeSandboxLayout, type LayoutInput } from "../../../src/sandbox/sandbox-layout.js";
import { parseSandboxPolicy } from "../../../src/sandbox/sandbox-policy.js";

let root: string;
let cwd: string;

beforeEach(async () => {
  root = await realpath(await mkdtemp(path.join(os.tmpdir(), "execward-layout-")));
  cwd = path.join(root, "work");
  await mkdir(cwd);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function input(policy: unknown, extra: Partial<LayoutInput> = {}): LayoutInput {
  return {
    policy: parseSandboxPolicy(policy),
    policyCwd: cwd,
    tmpdir: undefined,
    required: [],
    ...extra,
  };
}

async function rootsOf(layoutInput: LayoutInput): Promise<string[]> {
  return (await probeSandboxLayout(layoutInput)).writableRoots.map((r) => r.path);
}

async function protectedOf(layoutInput: LayoutInput, rootPath: string): Promise<unknown> {
  const layout = await probeSandboxLayout(layoutInput);
  return layout.writableRoots.find((r) => r.path === rootPath)?.protectedSubpaths;
}

describe("probeSandboxLayout: writable roots", () => {
  it("read-only writes nowhere and, with full reads, has no readable view", async () => {
    expect(await probeSandboxLayout(input({ type: "read-only" }))).toEqual({ writableRoots: [] });
  });

  it("workspace-write: the working directory (as its real path) and /tmp", async () => {
    const link = path.join(root, "link");
    await symlink(cwd, link);
    expect(await rootsOf(input({ type: "workspace-write" }, { policyCwd: link }))).toEqual([
      cwd,
      await realpath("/tmp"),
    ]);
  });

  it("leaves /tmp out with exclude_slash_tmp", async () => {
    expect(await rootsOf(input({ type: "workspace-write", exclude_slash_tmp: true }))).toEqual([
      cwd,
    ]);
  });

  it("adds $TMPDIR unless exclude_tmpdir_env_var", async () => {
    const tmpdir = path.join(root, "tmpdir");
    await mkdir(tmpdir);
    const policy = { type: "workspace-write", exclude_slash_tmp: true };
    expect(await rootsOf(input(policy, { tmpdir }))).toEqual([cwd, tmpdir]);
    expect(await rootsOf(input({ ...policy, exclude_tmpdir_env_var: true }, { tmpdir }))).toEqual([
      cwd,
    ]);
  });

  it("skips a $TMPDIR that does not exist", async () => {
    const tmpdir = path.join(root, "no-such-tmpdir");
    expect(
      await rootsOf(input({ type: "workspace-write", exclude_slash_tmp: true }, { tmpdir })),
    ).toEqual([cwd]);
  });

  it("refuses a named writable root that does not exist", async () => {
    const missing = path.join(root, "missing");
    await expect(
      probeSandboxLayout(input({ type: "workspace-write", writable_roots: [missing] })),
    ).rejects.toMatchObject({
      code: "sandbox_writable_root_missing",
      message: `Sandbox expected writable root ${missing}, but it does not exist.`,
    });
  });
});

describe("probeSandboxLayout: protected subpaths", () => {
  const policy = { type: "workspace-write", exclude_slash_tmp: true };

  it("an existing .git, a missing .codex and an empty .agents", async () => {
    await mkdir(path.join(cwd, ".git"));
    await writeFile(path.join(cwd, ".git", "HEAD"), "ref: refs/heads/main\n");
    await mkdir(path.join(cwd, ".agents"));
    expect(await protectedOf(input(policy), cwd)).toEqual([
      { kind: "existing", path: path.join(cwd, ".git") },
      { kind: "missing", firstMissing: path.join(cwd, ".codex") },
      { kind: "empty", path: path.join(cwd, ".agents") },
    ]);
  });

  it("refuses a symlinked .git", async () => {
    const elsewhere = path.join(root, "elsewhere");
    await mkdir(elsewhere);
    await writeFile(path.join(elsewhere, "HEAD"), "x\n");
    await symlink(elsewhere, path.join(cwd, ".git"));
    await expect(probeSandboxLayout(input(policy))).rejects.toMatchObject({
      code: "sandbox_protected_symlink",
    });
  });

  it("a .git file protects itself and the gitdir it names inside a writable root", async () => {
    const gitdir = path.join(root, "main", ".git", "worktrees", "work");
    await mkdir(gitdir, { recursive: true });
    await writeFile(path.join(gitdir, "HEAD"), "x\n");
    await writeFile(path.join(cwd, ".git"), `gitdir: ${gitdir}\n`);
    const layoutInput = input({ ...policy, writable_roots: [path.join(root, "main")] });
    expect(await protectedOf(layoutInput, cwd)).toEqual([
      { kind: "existing", path: path.join(cwd, ".git") },
      { kind: "existing", path: gitdir },
      { kind: "missing", firstMissing: path.join(cwd, ".codex") },
      { kind: "missing", firstMissing: path.join(cwd, ".agents") },
    ]);
  });

  it("a .git file naming a gitdir outside every writable root protects only the file", async () => {
    const gitdir = path.join(root, "main", ".git", "worktrees", "work");
    await mkdir(gitdir, { recursive: true });
    await writeFile(path.join(cwd, ".git"), `gitdir: ${gitdir}\n`);
    expect(await protectedOf(input(policy), cwd)).toEqual([
      { kind: "existing", path: path.join(cwd, ".git") },
      { kind: "missing", firstMissing: path.join(cwd, ".codex") },
      { kind: "missing", firstMissing: path.join(cwd, ".agents") },
    ]);
  });
});

describe("probeSandboxLayout: restricted reads", () => {
  function restricted(includePlatformDefaults: boolean, readableRoots: string[]): unknown {
    return {
      type: "read-only",
      access: {
        type: "restricted",
        include_platform_defaults: includePlatformDefaults,
        readable_roots: readableRoots,
      },
    };
  }

  it("without platform defaults: just the readable roots and the working directory", async () => {
    const shared = path.join(root, "shared");
    await mkdir(shared);
    const layout = await probeSandboxLayout(
      input(restricted(false, [shared, path.join(root, "missing")])),
    );
    expect(layout).toEqual({
      writableRoots: [],
      readable: { binds: [shared, cwd], symlinks: [], maskedFiles: [], maskedDirectories: [] },
    });
  });

  it("with platform defaults: the system directories as well", async () => {
    const layout = await probeSandboxLayout(input(restricted(true, [])));
    expect(layout.readable?.binds).toEqual(expect.arrayContaining(["/usr", "/etc", cwd]));
    const without = await probeSandboxLayout(input(restricted(false, [])));
    expect(without.readable?.binds).toEqual([cwd]);
  });

  it("a symlinked readable root: its real path bound, the link recreated", async () => {
    const target = path.join(root, "target");
    await mkdir(target);
    const link = path.join(root, "link");
    await symlink(target, link);
    const layout = await probeSandboxLayout(input(restricted(false, [link])));
    expect(layout.readable?.binds).toEqual([target, cwd]);
    expect(layout.readable?.symlinks).toEqual([{ path: link, target }]);
  });

  it("drops binds nested inside another bind", async () => {
    const layout = await probeSandboxLayout(input(restricted(false, [root])));
    expect(layout.readable?.binds).toEqual([root]);
  });

  it("binds a required file unless another bind already shows it", async () => {
    const hook = path.join(root, "hook.so");
    await writeFile(hook, "");
    const inCwd = path.join(cwd, "init");
    await writeFile(inCwd, "");
    const layout = await probeSandboxLayout(
      input(restricted(false, []), { required: [hook, inCwd] }),
    );
    expect(layout.readable?.binds).toEqual([cwd, hook]);
  });

  it.skipIf(!existsSync("/etc/shadow"))(
    "masks /etc/shadow when /etc is visible (skipped: this host has no /etc/shadow)",
    async () => {
      const layout = await probeSandboxLayout(input(restricted(true, [])));
      expect(layout.readable?.maskedFiles).toContain("/etc/shadow");
    },
  );
});
