// Rules discovery on a real directory tree: layer order, regular `.rules` files only, sorted,
// project folders only when the project is trusted, and errors (never skips) for unreadable
// folders or a broken config.toml.
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { discoverRules, PolicyError } from "../../../src/policy/index.js";

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "execward-discover-"));
});
afterEach(async () => {
  await chmod(root, 0o755).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

async function touch(file: string, text = ""): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

describe("discoverRules", () => {
  it("orders system, user, then project folders from the root down to the working directory", async () => {
    const system = path.join(root, "etc");
    const home = path.join(root, "home", ".codex");
    const project = path.join(root, "repo");
    const cwd = path.join(project, "pkg", "sub");
    await mkdir(path.join(project, ".git"), { recursive: true });
    await mkdir(cwd, { recursive: true });
    const files = [
      await touch(path.join(system, "rules", "s.rules")),
      await touch(path.join(home, "rules", "a.rules")),
      await touch(path.join(home, "rules", "b.rules")),
      await touch(path.join(project, ".codex", "rules", "p.rules")),
      await touch(path.join(project, "pkg", ".codex", "rules", "q.rules")),
    ];
    await touch(path.join(home, "rules", "notes.txt"));
    await touch(path.join(root, ".codex", "rules", "above-the-root.rules"));
    await touch(
      path.join(home, "config.toml"),
      `[projects."${project}"]\ntrust_level = "trusted"\n`,
    );

    const found = await discoverRules({ cwd, codexHome: home, systemFolder: system });
    expect(found.files).toEqual(files);
    expect(found.layers.map((layer) => layer.source)).toEqual([
      "system",
      "user",
      "project",
      "project",
    ]);
    expect(found.notices).toEqual([]);
  });

  it("leaves out project rules of an untrusted project and says how to trust it", async () => {
    const home = path.join(root, "home");
    const project = path.join(root, "repo");
    await mkdir(path.join(project, ".git"), { recursive: true });
    await touch(
      path.join(project, ".codex", "rules", "evil.rules"),
      `prefix_rule(pattern=["curl"])`,
    );
    const found = await discoverRules({
      cwd: project,
      codexHome: home,
      systemFolder: path.join(root, "none"),
    });
    expect(found.files).toEqual([]);
    expect(found.notices).toHaveLength(1);
    expect(found.notices[0]?.reason).toContain(`[projects."${project}"] trust_level = "trusted"`);

    const trusted = await discoverRules({
      cwd: project,
      codexHome: home,
      systemFolder: path.join(root, "none"),
      trustProject: true,
    });
    expect(trusted.files).toEqual([path.join(project, ".codex", "rules", "evil.rules")]);
  });

  it("treats an explicit untrusted entry as untrusted", async () => {
    const home = path.join(root, "home");
    const project = path.join(root, "repo");
    await touch(path.join(project, ".codex", "rules", "x.rules"));
    await touch(
      path.join(home, "config.toml"),
      `[projects."${project}"]\ntrust_level = "untrusted"\n`,
    );
    const found = await discoverRules({
      cwd: project,
      codexHome: home,
      systemFolder: path.join(root, "none"),
    });
    expect(found.files).toEqual([]);
  });

  it("skips symlinked rules files with a notice, as codex does", async () => {
    const home = path.join(root, "home");
    const real = await touch(path.join(root, "elsewhere.rules"));
    await mkdir(path.join(home, "rules"), { recursive: true });
    await symlink(real, path.join(home, "rules", "linked.rules"));
    const found = await discoverRules({
      cwd: root,
      codexHome: home,
      systemFolder: path.join(root, "none"),
    });
    expect(found.files).toEqual([]);
    expect(found.notices.map((notice) => notice.path)).toEqual([
      path.join(home, "rules", "linked.rules"),
    ]);
  });

  it("does not load CODEX_HOME twice when it is the project's .codex", async () => {
    const project = path.join(root, "repo");
    const file = await touch(path.join(project, ".codex", "rules", "a.rules"));
    const found = await discoverRules({
      cwd: project,
      codexHome: path.join(project, ".codex"),
      systemFolder: path.join(root, "none"),
    });
    expect(found.files).toEqual([file]);
  });

  it("fails, naming the file, on a config.toml that is not TOML", async () => {
    const home = path.join(root, "home");
    const project = path.join(root, "repo");
    await touch(path.join(project, ".codex", "rules", "a.rules"));
    await touch(path.join(home, "config.toml"), "[projects\n");
    await expect(
      discoverRules({ cwd: project, codexHome: home, systemFolder: path.join(root, "none") }),
    ).rejects.toThrow(`failed to parse ${path.join(home, "config.toml")}`);
  });

  it.skipIf(process.getuid?.() === 0)(
    "fails, naming the folder, when a rules folder cannot be read (skipped as root: root reads everything)",
    async () => {
      const home = path.join(root, "home");
      await touch(path.join(home, "rules", "a.rules"));
      await chmod(path.join(home, "rules"), 0o000);
      const error = await discoverRules({
        cwd: root,
        codexHome: home,
        systemFolder: path.join(root, "none"),
      }).catch((e: unknown) => e);
      await chmod(path.join(home, "rules"), 0o755);
      expect(error).toBeInstanceOf(PolicyError);
      expect((error as PolicyError).message).toContain(path.join(home, "rules"));
    },
  );
});
