// The built `execward` binary's command line from the outside: --help on every command (stdout,
// exit 0), usage errors as one line plus a pointer (stderr, exit 2), `run`'s extra words reaching
// the shell exactly, and --version / --help loading none of the heavy modules.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { CLI_PATH } from "../helpers/paths.js";
import { runCli } from "../helpers/run-cli.js";

let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "execward-cli-usage-"));
  // No user or project rules leak in from the developer's machine.
  env = { ...process.env, CODEX_HOME: path.join(dir, "codex-home"), HOME: dir };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("--help", () => {
  it.each([
    [["--help"], "Usage: execward <COMMAND>"],
    [["-h"], "Usage: execward <COMMAND>"],
    [["run", "--help"], "Usage: execward run [OPTIONS]"],
    [["run", "-h", "--", "x"], "Usage: execward run [OPTIONS]"],
    [["mcp", "--help"], "Usage: execward mcp [OPTIONS]"],
    [["rules", "--help"], "Usage: execward rules <COMMAND>"],
    [["rules", "-h"], "Usage: execward rules <COMMAND>"],
    [["rules", "check", "--help"], "Usage: execward rules check [OPTIONS]"],
  ])("%j prints its help to stdout and exits 0", async (args, first) => {
    const result = await runCli(args, { env });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout.startsWith(first)).toBe(true);
  });
});

describe("usage errors", () => {
  it.each([
    [["run", "--foo", "--", "ls"], "execward run: unknown option --foo"],
    [["run"], "execward run: no command given (execward run [OPTIONS] -- <COMMAND STRING>)"],
    [
      ["run", "--shell", "fish", "--", "ls"],
      "execward run: --shell must be bash, zsh or sh (got fish)",
    ],
    [["run", "--bash", "a", "--bash", "b", "--", "ls"], "execward run: --bash given twice"],
    [
      ["run", "--sandbox", "read-only", "--writable-root", "/tmp", "--", "ls"],
      "execward run: --writable-root needs --sandbox workspace-write",
    ],
    [["mcp", "--bogus"], "execward mcp: unknown option --bogus"],
    [["mcp", "stray"], 'execward mcp: unexpected argument "stray"'],
    [["rules"], "execward rules: no subcommand given"],
    [["rules", "lint"], 'execward rules: unknown subcommand "lint"'],
    [["rules", "check", "--rules"], "execward rules check: --rules needs a value (FILE)"],
    [["nonsense"], 'execward: unknown command "nonsense"'],
    [[], "execward: no command given"],
  ])("%j: one line, a pointer at --help, exit 2", async (args, line) => {
    const result = await runCli(args, { env, cwd: dir });
    const command = line.slice(0, line.indexOf(":"));
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: `${line}\nTry '${command} --help' for more information.\n`,
    });
  });
});

describe("execward run -- WORD...", () => {
  it("gives the shell exactly the words, however nasty", async () => {
    const words = [
      "a b",
      "it's",
      "$HOME",
      "`id`",
      "back\\slash",
      "",
      "line\nbreak",
      "日本 🙂",
      "--help",
    ];
    const result = await runCli(
      [
        "run",
        "--no-discover",
        "--sandbox",
        "danger-full-access",
        "--",
        "printf",
        "[%s]\\n",
        ...words,
      ],
      { env, cwd: dir },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(words.map((word) => `[${word}]\n`).join(""));
  });

  it("takes a single argument as the command string, as before", async () => {
    const result = await runCli(
      ["run", "--no-discover", "--sandbox", "danger-full-access", "--", "echo a b | tr a-z A-Z"],
      { env, cwd: dir },
    );
    expect(result).toMatchObject({ code: 0, stdout: "A B\n" });
  });
});

describe("--version and --help stay light", () => {
  const HEAVY =
    /@modelcontextprotocol|\/zod\/|smol-toml|\/dist\/(sandbox|network|mcp|exec|escalation)\//;

  /** The module URLs node resolved while running `execward ARGS` (an ESM resolve hook logs them). */
  async function loadedModules(args: string[]): Promise<string[]> {
    const log = path.join(dir, `modules-${args.join("_").replace(/\W/g, "")}.log`);
    const hooks = path.join(dir, "hooks.mjs");
    const register = path.join(dir, "register.mjs");
    await writeFile(
      hooks,
      `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.EXECWARD_MODULE_LOG, result.url + "\\n");
  return result;
}
`,
    );
    await writeFile(
      register,
      `import { register } from "node:module";\nregister(${JSON.stringify(`file://${hooks}`)});\n`,
    );
    await writeFile(log, "");
    try {
      execFileSync(process.execPath, ["--import", register, CLI_PATH, ...args], {
        env: { ...env, EXECWARD_MODULE_LOG: log },
        cwd: dir,
        stdio: "ignore",
      });
    } catch {
      // Usage errors exit 2; the log is what matters.
    }
    return (await readFile(log, "utf8")).split("\n").filter((line) => line !== "");
  }

  it.each([
    [["--version"]],
    [["--help"]],
    [["run", "--help"]],
    [["mcp", "--help"]],
    [["mcp", "-V"]],
    [["rules", "check", "--help"]],
    [["run", "--foo"]],
  ])("%j loads no sandbox, network, exec or MCP module, nor zod", async (args) => {
    const modules = await loadedModules(args);
    expect(modules.some((url) => url.endsWith("/dist/cli/main.js"))).toBe(true);
    expect(modules.filter((url) => HEAVY.test(url))).toEqual([]);
  });

  it("control: the hook does see the heavy modules once a command runs", async () => {
    const modules = await loadedModules([
      "run",
      "--no-discover",
      "--sandbox-policy",
      '{"type":"bogus"}',
      "--",
      "true",
    ]);
    expect(modules.filter((url) => HEAVY.test(url))).not.toEqual([]);
  });
});
