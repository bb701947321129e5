// What the launcher hides, looked up on a real scratch directory: real paths through symlinks,
// placeholders for what is missing (and only inside the anchor), glob expansion, nested masks,
// and deny_write as read-only subpaths of the writable roots.
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { loadFdPassing } from "../../../src/native/native-addon.js";
import { credentialLocations, listedPath } from "../../../src/sandbox/credential-locations.js";
import { outermost, probeHiddenPaths, withDenyWrite } from "../../../src/sandbox/hidden-layout.js";
import { MountpointKeeper } from "../../../src/sandbox/mountpoint-keeper.js";
import { existsSync } from "node:fs";

let dir: string;
beforeAll(async () => {
  dir = await realpath(await mkdtemp(path.join(os.tmpdir(), "execward-hidden-")));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("credentialLocations", () => {
  it("lists the documented locations, with $CODEX_HOME and $XDG_CONFIG_HOME", () => {
    const targets = credentialLocations({
      home: "/h",
      codexHome: "/c",
      xdgConfigHome: "/x",
    });
    const exact = targets.flatMap((t) => (t.kind === "exact" ? [t.path] : []));
    expect(exact).toEqual(
      expect.arrayContaining([
        "/h/.ssh",
        "/h/.aws",
        "/h/.netrc",
        "/h/.docker/config.json",
        "/h/.config/gh",
        "/h/.git-credentials",
        "/c/auth.json",
        "/h/.gnupg",
        "/h/.kube/config",
        "/h/.config/gcloud",
        "/h/.azure",
        "/h/.npmrc",
        "/h/.pypirc",
        "/x/gh",
        "/x/gcloud",
      ]),
    );
    expect(targets.filter((t) => t.kind === "prefix").map((t) => t.directory)).toEqual([
      "/h/.cargo",
      "/h/.terraform.d",
    ]);
  });

  it("never holds a placeholder for $CODEX_HOME/auth.json, even inside HOME", () => {
    const targets = credentialLocations({ home: "/h", codexHome: "/h/.codex" });
    const auth = targets.find((t) => t.kind === "exact" && t.path === "/h/.codex/auth.json");
    expect(auth).toMatchObject({ kind: "exact", type: "file", anchor: undefined });
    const ssh = targets.find((t) => t.kind === "exact" && t.path === "/h/.ssh");
    expect(ssh).toMatchObject({ anchor: "/h" });
  });
});

describe("probeHiddenPaths", () => {
  it("masks real paths, expands prefixes, and holds placeholders only inside the anchor", async () => {
    const home = path.join(dir, "home");
    await mkdir(path.join(home, ".cargo"), { recursive: true });
    await mkdir(path.join(home, "dots/ssh"), { recursive: true });
    await symlink(path.join(home, "dots/ssh"), path.join(home, ".ssh"));
    await writeFile(path.join(home, ".cargo/credentials"), "x");
    await writeFile(path.join(home, ".cargo/credentials.toml"), "x");
    const found = probeHiddenPaths(
      [
        ...credentialLocations({ home, codexHome: path.join(home, ".codex") }),
        listedPath("/nonexistent-execward/x"),
      ],
      () => true,
    );
    const byPath = new Map(found.hidden.map((h) => [h.path, h.kind]));
    expect(byPath.get(path.join(home, "dots/ssh"))).toBe("directory");
    expect(byPath.get(path.join(home, ".cargo/credentials"))).toBe("file");
    expect(byPath.get(path.join(home, ".cargo/credentials.toml"))).toBe("file");
    const held = found.placeholders.map((p) => (typeof p === "string" ? p : `${p.kind}:${p.path}`));
    expect(held).toEqual(
      expect.arrayContaining([
        `directory:${home}/.aws`,
        `file:${home}/.netrc`,
        `directory:${home}/.docker`,
        `directory:${home}/.config`,
        `directory:${home}/.terraform.d`,
      ]),
    );
    // No placeholder for $CODEX_HOME/auth.json (nor the directory leading to it).
    expect(held).not.toContain(`directory:${home}/.codex`);
    // ~/.config/gh and ~/.config/gcloud share one placeholder; nothing outside an anchor.
    expect(held.filter((p) => p.endsWith("/.config"))).toHaveLength(1);
    expect(held.some((p) => p.includes("nonexistent-execward"))).toBe(false);
    expect(held.some((p) => p.includes(".cargo"))).toBe(false);
    // A legacy match alone: the name cargo writes now is still held.
    await rm(path.join(home, ".cargo/credentials.toml"));
    const legacy = probeHiddenPaths(
      credentialLocations({ home, codexHome: `${home}/.codex` }),
      () => true,
    );
    expect(legacy.placeholders).toContainEqual({
      path: path.join(home, ".cargo/credentials.toml"),
      kind: "file",
      mode: 0o600,
    });
  });

  it("a symlink to a credential not yet there holds its target", async () => {
    const home = path.join(dir, "dangling");
    await mkdir(path.join(home, "dots"), { recursive: true });
    await symlink(path.join(home, "dots/npmrc"), path.join(home, ".npmrc"));
    const found = probeHiddenPaths(
      credentialLocations({ home, codexHome: path.join(home, ".codex") }),
      () => true,
    );
    expect(found.placeholders).toContainEqual({
      path: path.join(home, "dots/npmrc"),
      kind: "file",
      mode: 0o600,
    });
    expect(found.hidden).toContainEqual({ path: path.join(home, "dots/npmrc"), kind: "file" });
  });

  it("a HOME of / gets no placeholders", () => {
    const targets = credentialLocations({ home: "/", codexHome: "/.codex" });
    expect(targets.every((t) => t.anchor === undefined)).toBe(true);
  });

  it("a HOME that does not exist gets no placeholders", () => {
    const found = probeHiddenPaths(
      credentialLocations({
        home: "/nonexistent-execward",
        codexHome: "/nonexistent-execward/.codex",
      }),
      () => true,
    );
    expect(found.placeholders).toEqual([]);
    expect(found.hidden).toEqual([]);
  });

  it("nothing where the sandbox shows nothing (restricted reads)", async () => {
    const home = path.join(dir, "unseen");
    await mkdir(path.join(home, ".ssh"), { recursive: true });
    const found = probeHiddenPaths(
      credentialLocations({ home, codexHome: `${home}/.codex` }),
      () => false,
    );
    expect(found).toEqual({ hidden: [], placeholders: [], warnings: [] });
  });
});

describe("outermost", () => {
  it("drops masks inside a hidden directory", () => {
    expect(
      outermost([
        { path: "/h/.config/gh", kind: "directory" },
        { path: "/h/.config", kind: "directory" },
        { path: "/h/.config/x.json", kind: "file" },
        { path: "/h/.netrc", kind: "file" },
        { path: "/h/.netrc", kind: "file" },
      ]),
    ).toEqual([
      { path: "/h/.config", kind: "directory" },
      { path: "/h/.netrc", kind: "file" },
    ]);
  });
});

describe("withDenyWrite", () => {
  it("adds read-only subpaths to the writable root holding them, refuses symlinks there", async () => {
    const root = path.join(dir, "root");
    await mkdir(path.join(root, "sub"), { recursive: true });
    await writeFile(path.join(root, ".env"), "x");
    await symlink(path.join(root, ".env"), path.join(root, "link"));
    const roots = withDenyWrite(
      [{ path: root, protectedSubpaths: [] }],
      [path.join(root, ".env"), path.join(root, "sub/missing/deeper"), "/etc/hostname", root],
    );
    expect(roots[0]?.protectedSubpaths).toEqual([
      { kind: "existing", path: root },
      { kind: "existing", path: path.join(root, ".env") },
      { kind: "missing", firstMissing: path.join(root, "sub/missing") },
    ]);
    expect(() =>
      withDenyWrite([{ path: root, protectedSubpaths: [] }], [path.join(root, "link")]),
    ).toThrow(/symlink/);
  });
});

describe("MountpointKeeper placeholder files", () => {
  it("creates an empty 0600 file, removes it while empty, keeps it once written", async () => {
    const keeper = new MountpointKeeper(loadFdPassing(), 0);
    const file = path.join(dir, "placeholder.json");
    const hold = await keeper.hold([{ path: file, kind: "file", mode: 0o600 }]);
    expect(existsSync(file)).toBe(true);
    await hold.release();
    expect(existsSync(file)).toBe(false);
    const again = await keeper.hold([{ path: file, kind: "file", mode: 0o600 }]);
    await writeFile(file, "real credential");
    await again.release();
    expect(existsSync(file)).toBe(true);
  });
});
