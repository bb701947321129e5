// The package's command (bin/execward.js) from the outside, as npm links it: a symlink in some
// bin directory, run from anywhere. It must start the real CLI with nothing on stderr, and it
// must be node itself that runs (sh replaced by exec, no shell left in between holding the
// protocol's pipes) with the V8 setting the memory figures depend on.
import { spawn } from "node:child_process";
import {
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  realpath,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { REPO_ROOT } from "../helpers/paths.js";
import { runCommand } from "../helpers/run-cli.js";

const COMMAND = path.join(REPO_ROOT, "bin/execward.js");

let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "execward-launcher-"));
  await mkdir(path.join(dir, "prefix/bin"), { recursive: true });
  await symlink(COMMAND, path.join(dir, "prefix/bin/execward"));
  // node is found on PATH, as a user's shell finds it; no rules leak in from the machine.
  env = {
    PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: dir,
    CODEX_HOME: path.join(dir, "codex-home"),
  };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(command: string, args: readonly string[]) {
  return runCommand(command, args, { cwd: "/", env });
}

describe("the execward command", () => {
  it("runs through npm's symlink from another directory, with nothing on stderr", async () => {
    const version = JSON.parse(await readFile(path.join(REPO_ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    const result = await run(path.join(dir, "prefix/bin/execward"), ["--version"]);
    expect(result).toEqual({ code: 0, stdout: `execward ${version.version}\n`, stderr: "" });
  });

  it("control: a launcher whose sh line is broken (as a formatter would write it) is seen", async () => {
    // The same file as Prettier would format it (`":";`): sh then runs `//` as a command and
    // complains on stderr before reaching the exec. The test above would catch that.
    const copy = path.join(dir, "broken/bin/execward.js");
    await mkdir(path.dirname(copy), { recursive: true });
    await symlink(path.join(REPO_ROOT, "dist"), path.join(dir, "broken/dist"));
    const text = await readFile(COMMAND, "utf8");
    expect(text.split("\n")[1]).toMatch(/^":" \/\/; case "\$1" in /);
    await writeFile(copy, text.replace('":" //;', '":"; //;'), { mode: 0o755 });
    const result = await run(copy, ["--version"]);
    expect(result.stderr).not.toBe("");
  });

  it("gives the flag to mcp and run only: the other commands start node as it is", async () => {
    // A `node` first on PATH that writes down its arguments, then runs the real node.
    const shim = path.join(dir, "shim");
    await mkdir(shim, { recursive: true });
    const log = path.join(dir, "node-argv.log");
    await writeFile(
      path.join(shim, "node"),
      `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${process.execPath}' "$@"\n`,
      { mode: 0o755 },
    );
    const command = path.join(dir, "prefix/bin/execward");
    const shimmed = { ...env, PATH: `${shim}:/usr/bin:/bin` };
    for (const args of [["--version"], ["rules", "--help"], ["mcp", "--help"], ["run", "--help"]]) {
      const child = spawn(command, args, { cwd: "/", env: shimmed, stdio: "ignore" });
      await new Promise((resolve) => child.on("close", resolve));
    }
    expect((await readFile(log, "utf8")).split("\n").filter(Boolean)).toEqual([
      `-- ${command} --version`,
      `-- ${command} rules --help`,
      `--max-semi-space-size=1 -- ${command} mcp --help`,
      `--max-semi-space-size=1 -- ${command} run --help`,
    ]);
  });

  it("becomes node itself, given --max-semi-space-size=1, and serves the protocol", async () => {
    const child = spawn(path.join(dir, "prefix/bin/execward"), ["mcp"], {
      cwd: "/",
      env,
      stdio: ["pipe", "pipe", "ignore"],
    });
    try {
      const firstLine = new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
          out += chunk;
          if (out.includes("\n")) resolve(out.slice(0, out.indexOf("\n")));
        });
        child.on("error", reject);
        child.on("exit", (code) => reject(new Error(`execward mcp exited (${code})`)));
      });
      child.stdin.write(
        `${JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: {
            protocolVersion: "2025-06-18",
            capabilities: {},
            clientInfo: { name: "launcher-test", version: "1" },
          },
        })}\n`,
      );
      const answer = JSON.parse(await firstLine) as { id: number; result?: unknown };
      expect(answer.id).toBe(1);
      expect(answer.result).toBeDefined();
      // The answer came from the very process spawned: sh exec'd node, nothing in between.
      const pid = child.pid;
      if (pid === undefined) throw new Error("no pid");
      expect(await readlink(`/proc/${pid}/exe`)).toBe(await realpath(process.execPath));
      const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").filter(Boolean);
      expect(argv.slice(1)).toEqual([
        "--max-semi-space-size=1",
        "--",
        path.join(dir, "prefix/bin/execward"),
        "mcp",
      ]);
    } finally {
      child.kill();
    }
  });
});
