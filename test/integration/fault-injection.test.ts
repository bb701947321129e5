// Faults injected into real execward processes (issue 18): a squeezed descriptor limit, a client
// that goes away mid-call and mid-prompt, a server stopped while its command finishes, a
// read-only /tmp, rules locations that cannot be used, an empty PATH. Each checks that the
// result tells the truth, the next call works, and no process, descriptor or mount point stays.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { locateBwrap } from "../../src/sandbox/bwrap-capabilities.js";
import { requireInCi } from "../helpers/ci.js";
import { CLI_PATH } from "../helpers/paths.js";
import { RawMcp, toolText } from "../helpers/raw-mcp.js";
import { runCli } from "../helpers/run-cli.js";

const PROTECTED = [".git", ".codex", ".agents"];
const isRoot = process.getuid?.() === 0;
const bwrapMissing = await locateBwrap(undefined, "/usr/bin:/bin").then(
  () => undefined,
  (error: unknown) => (error as Error).message,
);

let base: string;
let home: string;
beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), "execward-fault-"));
  home = path.join(base, "home");
  await mkdir(path.join(home, "rules"), { recursive: true });
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

let counter = 0;
/** A fresh workspace and TMPDIR, with no protected names in them. */
async function freshDirs(): Promise<{ work: string; tmp: string }> {
  counter++;
  const work = path.join(base, `work-${counter}`);
  const tmp = path.join(base, `tmp-${counter}`);
  await mkdir(work);
  await mkdir(tmp);
  return { work, tmp };
}

function leftovers(...dirs: string[]): string[] {
  return dirs.flatMap((dir) =>
    PROTECTED.filter((name) => existsSync(path.join(dir, name))).map((name) =>
      path.join(dir, name),
    ),
  );
}

function serverEnv(tmp: string): Record<string, string> {
  return { PATH: "/usr/bin:/bin", HOME: home, CODEX_HOME: home, TMPDIR: tmp };
}

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function describeFds(pid: number): string {
  return readdirSync(`/proc/${pid}/fd`)
    .map((fd) => {
      try {
        return `${fd}=${readlinkSync(`/proc/${pid}/fd/${fd}`)}`;
      } catch {
        return fd;
      }
    })
    .join(" ");
}

function processesWith(token: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "latin1").includes(token))
        found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function until(check: () => boolean, what: string, tries = 400): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting: ${what}`);
}

function state(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
}

function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "latin1").trim();
  return text === "" ? [] : text.split(/\s+/).map(Number);
}

describe.skipIf(requireInCi(bwrapMissing))("execward mcp under faults", () => {
  it("a squeezed descriptor limit gives tool errors, and every descriptor and mount point back", async () => {
    const { work, tmp } = await freshDirs();
    const server = new RawMcp(["--sandbox", "workspace-write"], {
      cwd: work,
      env: serverEnv(tmp),
    });
    await server.initialize();
    const warm = toolText(await server.shell({ command: "true", workdir: work }));
    expect(warm.isError).toBe(false);
    await until(() => leftovers(work).length === 3, "the warm-up call's mount points");
    const baseline = openFds(server.pid);
    const open = new Set(readdirSync(`/proc/${server.pid}/fd`).map(Number));
    // The lowest free descriptor numbers: a limit of free[k] leaves exactly k of them usable.
    const free: number[] = [];
    for (let fd = 0; free.length <= 16; fd++) if (!open.has(fd)) free.push(fd);
    const softLimit = /Max open files\s+(\d+)/.exec(
      readFileSync(`/proc/${server.pid}/limits`, "latin1"),
    )?.[1];
    expect(softLimit).toBeDefined();
    const outcomes: string[] = [];
    // Each limit lets a few more descriptors open: the call fails at a different step each time.
    for (const limit of free) {
      execFileSync("prlimit", ["--pid", String(server.pid), `--nofile=${limit}:`]);
      const response = await server.shell({ command: "echo ran", workdir: work });
      // Never a JSON-RPC error: a tool error with the reason, or the command's result.
      const { text, isError } = toolText(response);
      if (isError) expect(text).toMatch(/^execward: .+ The command did not run\.$/s);
      outcomes.push(isError ? "error" : "ran");
      execFileSync("prlimit", ["--pid", String(server.pid), `--nofile=${softLimit ?? ""}:`]);
      // Every lock and descriptor of that call is given back.
      await until(
        () => openFds(server.pid) <= baseline,
        `descriptors back to ${baseline} after limit ${limit} (${text}): ${describeFds(server.pid)}`,
      );
    }
    expect(outcomes).toContain("error");
    const next = toolText(await server.shell({ command: "echo next", workdir: work }));
    expect(next).toEqual({
      text: expect.stringContaining('"exit_code":0') as string,
      isError: false,
    });
    await server.disconnect();
    expect(leftovers(work, tmp)).toEqual([]);
  });

  it("a client that closes stdin mid-call leaves no process and no mount point", async () => {
    const { work, tmp } = await freshDirs();
    const token = `61.${process.pid}${counter}`;
    const server = new RawMcp(["--sandbox", "workspace-write"], {
      cwd: work,
      env: serverEnv(tmp),
    });
    await server.initialize();
    void server.shell({
      command: `touch started; sleep ${token}`,
      workdir: work,
      timeout_ms: 120000,
    });
    await until(() => existsSync(path.join(work, "started")), "the command to start");
    expect(processesWith(token).length).toBeGreaterThan(0);
    expect(await server.disconnect()).toBe(0);
    expect(processesWith(token)).toEqual([]);
    expect(leftovers(work, tmp)).toEqual([]);
  });

  it("a client that closes stdin mid-prompt leaves no process and no mount point", async () => {
    const { work, tmp } = await freshDirs();
    const rules = path.join(base, `prompt-${counter}.rules`);
    await writeFile(rules, `prefix_rule(pattern=["touch"], decision="prompt")\n`);
    const server = new RawMcp(["--sandbox", "workspace-write", "--rules", rules], {
      cwd: work,
      env: serverEnv(tmp),
    });
    await server.initialize({ elicitation: {} });
    void server.shell({ command: "touch asked", workdir: work, timeout_ms: 120000 });
    const question = await server.nextServerRequest();
    expect(question.method).toBe("elicitation/create");
    expect(await server.disconnect()).toBe(0);
    expect(existsSync(path.join(work, "asked"))).toBe(false);
    expect(leftovers(work, tmp)).toEqual([]);
  });

  it("a server started after one that was killed removes the mount points it left", async () => {
    const { work, tmp } = await freshDirs();
    const token = `62.${process.pid}${counter}`;
    const options = { cwd: work, env: serverEnv(tmp) };
    const killed = new RawMcp(["--sandbox", "workspace-write"], options);
    await killed.initialize();
    void killed.shell({
      command: `touch started; sleep ${token}`,
      workdir: work,
      timeout_ms: 120000,
    });
    await until(() => existsSync(path.join(work, "started")), "the command to start");
    killed.child.kill("SIGKILL");
    await killed.exited;
    // The sandbox dies with its server (bwrap --die-with-parent); its mount points stay.
    await until(() => processesWith(token).length === 0, "the sandbox to die with its server");
    expect(leftovers(work).length).toBe(3);
    const next = new RawMcp(["--sandbox", "workspace-write"], options);
    await next.initialize();
    // The sweep runs at start-up, right after `initialize` is answered (early-initialize.ts).
    await until(() => leftovers(work, tmp).length === 0, "the start-up sweep");
    expect(toolText(await next.shell({ command: "echo next", workdir: work })).text).toContain(
      '"exit_code":0',
    );
    await next.disconnect();
    expect(leftovers(work, tmp)).toEqual([]);
  });

  it("a server stopped while its command finishes reports the command's exit, not a timeout", async () => {
    const { work, tmp } = await freshDirs();
    const server = new RawMcp(["--sandbox", "workspace-write"], {
      cwd: work,
      env: serverEnv(tmp),
    });
    await server.initialize();
    const timeoutMs = 2000;
    const answer = server.shell({
      command: "touch started; while [ ! -e go ]; do sleep 0.02; done; echo finished",
      workdir: work,
      timeout_ms: timeoutMs,
    });
    await until(() => existsSync(path.join(work, "started")), "the command to start");
    const [sandbox] = childrenOf(server.pid);
    expect(sandbox).toBeDefined();
    process.kill(server.pid, "SIGSTOP");
    try {
      await writeFile(path.join(work, "go"), "");
      // The command ends while the server cannot notice: its sandbox is a zombie.
      await until(() => state(sandbox ?? 0) === "Z", "the command to exit");
      // Let the call's time limit pass while the server is stopped.
      await new Promise((resolve) => setTimeout(resolve, timeoutMs + 500));
    } finally {
      process.kill(server.pid, "SIGCONT");
    }
    const result = JSON.parse(toolText(await answer).text) as Record<string, unknown>;
    expect(result).toMatchObject({ exit_code: 0, timed_out: false, output: "finished\n" });
    const next = toolText(await server.shell({ command: "echo next", workdir: work }));
    expect(next.text).toContain('"exit_code":0');
    await server.disconnect();
    expect(leftovers(work, tmp)).toEqual([]);
  });

  it("refuses to start when CODEX_HOME is a regular file, naming it", async () => {
    const file = path.join(base, "codex-home-file");
    await writeFile(file, "");
    const server = new RawMcp([], {
      cwd: base,
      env: { PATH: "/usr/bin:/bin", HOME: home, CODEX_HOME: file },
    });
    const code = await server.exited;
    expect(code).not.toBe(0);
    expect(server.stderr).toContain(file);
    expect(server.stderr).toMatch(/not a directory/);
  });
});

describe.skipIf(requireInCi(bwrapMissing))("execward run under faults", () => {
  it("refuses a CODEX_HOME that is a regular file, with the path and the reason", async () => {
    const { work } = await freshDirs();
    const file = path.join(base, "codex-home-file-run");
    await writeFile(file, "");
    const result = await runCli(["run", "--", "echo ran"], {
      cwd: work,
      env: { PATH: "/usr/bin:/bin", HOME: home, CODEX_HOME: file },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(file);
    expect(result.stderr).toMatch(/not a directory/);
  });

  it("refuses a *.rules entry that is not a regular file, with the path and the reason", async () => {
    const { work } = await freshDirs();
    const codexHome = path.join(base, `home-dir-entry-${counter}`);
    await mkdir(path.join(codexHome, "rules", "team.rules"), { recursive: true });
    await writeFile(
      path.join(codexHome, "rules", "default.rules"),
      `prefix_rule(pattern=["rm"], decision="forbidden")\n`,
    );
    const result = await runCli(["run", "--", "echo ran"], {
      cwd: work,
      env: { PATH: "/usr/bin:/bin", HOME: home, CODEX_HOME: codexHome },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(path.join(codexHome, "rules", "team.rules"));
    expect(result.stderr).toMatch(/not a regular file/);
  });

  it("runs with an empty PATH (the sandbox probe uses absolute paths)", async () => {
    const { work, tmp } = await freshDirs();
    const result = await runCli(["run", "--no-discover", "--bash", "/bin/bash", "--", "echo ran"], {
      cwd: work,
      env: { PATH: "", HOME: home, TMPDIR: tmp },
    });
    expect(result.stderr).toBe("");
    expect(result).toMatchObject({ code: 0, stdout: "ran\n" });
  });

  it.skipIf(!isRoot)(
    "a read-only /tmp fails the run with the reason and removes the mount points it created",
    async () => {
      // The workspace must not be under the /tmp this test replaces.
      const work = await mkdtemp(path.join("/var/tmp", "execward-fault-ro-"));
      try {
        // /tmp itself made read-only (a bind of itself), not replaced: the checkout under test
        // may live in /tmp, as CI's fresh clone can.
        const script =
          'mount --make-rprivate / && mount --bind /tmp /tmp && mount -o remount,bind,ro /tmp && exec "$@"';
        const child = spawn(
          "unshare",
          [
            "-m",
            "sh",
            "-c",
            script,
            "sh",
            process.execPath,
            CLI_PATH,
            "run",
            "--no-discover",
            "--",
            "echo ran",
          ],
          {
            cwd: work,
            env: { PATH: "/usr/bin:/bin", HOME: home },
            stdio: ["ignore", "pipe", "pipe"],
          },
        );
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
        const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
        expect(stdout).toBe("");
        expect(stderr).toMatch(/\/tmp\/\.(git|codex|agents)/);
        expect(stderr).toMatch(/read-only file system/i);
        expect(code).toBe(1);
        expect(leftovers(work)).toEqual([]);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
  );
});
