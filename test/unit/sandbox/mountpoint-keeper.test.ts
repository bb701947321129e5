// Mount points held with real file locks (flock through the fd-passing addon): created when
// missing, removed after the last user, and never removed while any holder, in this process or
// another one, still has it.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { loadFdPassing } from "../../../src/native/native-addon.js";
import { MountpointJournal } from "../../../src/sandbox/mountpoint-journal.js";
import { MountpointKeeper } from "../../../src/sandbox/mountpoint-keeper.js";

const locks = loadFdPassing();
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "execward-keeper-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("MountpointKeeper", () => {
  it("creates a missing mount point, and removes it when its last user is done", async () => {
    const keeper = new MountpointKeeper(locks, 0);
    const target = path.join(dir, ".git");
    const first = await keeper.hold([target]);
    const second = await keeper.hold([target]);
    expect(existsSync(target)).toBe(true);
    await first.release();
    expect(existsSync(target)).toBe(true);
    await second.release();
    expect(existsSync(target)).toBe(false);
  });

  it("with a delay, keeps it for the next command and removes it on flush", async () => {
    const keeper = new MountpointKeeper(locks, 60_000);
    const target = path.join(dir, ".codex");
    await (await keeper.hold([target])).release();
    expect(existsSync(target)).toBe(true);
    await keeper.flush();
    expect(existsSync(target)).toBe(false);
  });

  it("leaves a directory that is no longer empty", async () => {
    const keeper = new MountpointKeeper(locks, 0);
    const target = path.join(dir, ".agents");
    const hold = await keeper.hold([target]);
    await writeFile(path.join(target, "note"), "mine");
    await hold.release();
    expect(existsSync(path.join(target, "note"))).toBe(true);
  });

  it("does not remove a mount point another process holds", async () => {
    const target = path.join(dir, ".git");
    await mkdir(target);
    // Another process takes the shared lock, as another execward would for its sandbox.
    const holder = spawn("flock", ["--shared", target, "sh", "-c", "echo locked; sleep 30"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    try {
      await new Promise((resolve) => holder.stdout.once("data", resolve));
      const keeper = new MountpointKeeper(locks, 0);
      await (await keeper.hold([target])).release();
      expect(existsSync(target)).toBe(true);
    } finally {
      holder.kill("SIGKILL");
    }
  });

  it("placeholder files: not removed while another process holds one", async () => {
    const target = path.join(dir, ".netrc");
    await writeFile(target, "");
    const holder = spawn("flock", ["--shared", target, "sh", "-c", "echo locked; sleep 30"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    try {
      await new Promise((resolve) => holder.stdout.once("data", resolve));
      const keeper = new MountpointKeeper(locks, 0);
      await (await keeper.hold([{ path: target, kind: "file", mode: 0o600 }])).release();
      expect(existsSync(target)).toBe(true);
    } finally {
      holder.kill("SIGKILL");
    }
  });

  it("a crashed process's placeholders: empty ones removed by the next, written ones kept", async () => {
    const journalDir = path.join(dir, "journal");
    const empty = path.join(dir, ".npmrc");
    const written = path.join(dir, ".pypirc");
    const emptyDir = path.join(dir, ".aws");
    // What a killed execward (a pid that no longer runs) recorded.
    const crashed = new MountpointJournal(journalDir, undefined, 2 ** 22 + 1);
    for (const file of [empty, written]) {
      await writeFile(file, "");
      crashed.record(file);
    }
    await mkdir(emptyDir);
    crashed.record(emptyDir);
    await writeFile(written, "token");
    new MountpointKeeper(locks, 0, undefined, new MountpointJournal(journalDir)).sweepOrphans();
    expect(existsSync(empty)).toBe(false);
    expect(existsSync(emptyDir)).toBe(false);
    expect(existsSync(written)).toBe(true);
  });
});
