// `execward rules check` through the real binary: JSON on stdout, located errors on stderr,
// exit statuses, and discovery of the user's rules when no --rules is given.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { runCli } from "../helpers/run-cli.js";

let dir: string;
let rules: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "execward-cli-"));
  rules = path.join(dir, "a.rules");
  await writeFile(
    rules,
    `prefix_rule(pattern=["git", ["push", "fetch"]], decision="prompt", justification="network")\n`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("execward rules check", () => {
  it("prints codex's JSON for a match", async () => {
    const result = await runCli([
      "rules",
      "check",
      "--rules",
      rules,
      "--",
      "git",
      "push",
      "origin",
    ]);
    expect(result).toEqual({
      code: 0,
      stdout: `{"matchedRules":[{"prefixRuleMatch":{"matchedPrefix":["git","push"],"decision":"prompt","justification":"network"}}],"decision":"prompt"}\n`,
      stderr: "",
    });
  });

  it("prints an empty match list, pretty-printed on request", async () => {
    const result = await runCli(["rules", "check", "-r", rules, "--pretty", "--", "ls"]);
    expect(result).toEqual({ code: 0, stdout: `{\n  "matchedRules": []\n}\n`, stderr: "" });
  });

  it("resolves absolute program paths with --resolve-host-executables", async () => {
    const result = await runCli([
      "rules",
      "check",
      `--rules=${rules}`,
      "--resolve-host-executables",
      "--",
      "/usr/bin/git",
      "fetch",
    ]);
    expect(JSON.parse(result.stdout)).toEqual({
      matchedRules: [
        {
          prefixRuleMatch: {
            matchedPrefix: ["git", "fetch"],
            decision: "prompt",
            resolvedProgram: "/usr/bin/git",
            justification: "network",
          },
        },
      ],
      decision: "prompt",
    });
  });

  it("reports an invalid rules file with its location and exits 1", async () => {
    const bad = path.join(dir, "bad.rules");
    await writeFile(bad, `\nprefix_rule(pattern=["git"], decision="maybe")\n`);
    const result = await runCli(["rules", "check", "--rules", rules, "--rules", bad, "--", "git"]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `execward: failed to parse policy at ${bad}\n  ${bad}:2:1: invalid decision: maybe\n`,
    });
  });

  it("names a missing rules file", async () => {
    const missing = path.join(dir, "missing.rules");
    const result = await runCli(["rules", "check", "--rules", missing, "--", "git"]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `execward: failed to read policy at ${missing}: No such file or directory (os error 2)\n`,
    });
  });

  it("rejects a bad command line with exit 2", async () => {
    expect((await runCli(["rules", "check", "--rules", rules])).code).toBe(2);
    expect((await runCli(["rules", "check", "--bogus", "--", "git"])).code).toBe(2);
    expect((await runCli(["nonsense"])).code).toBe(2);
  });

  it("without --rules, loads $CODEX_HOME/rules", async () => {
    const codexHome = path.join(dir, "codex-home");
    await mkdir(path.join(codexHome, "rules"), { recursive: true });
    await writeFile(
      path.join(codexHome, "rules", "default.rules"),
      `prefix_rule(pattern=["rm"], decision="forbidden")\n`,
    );
    const result = await runCli(["rules", "check", "--", "rm", "-rf", "/"], {
      cwd: dir,
      env: { ...process.env, CODEX_HOME: codexHome },
    });
    expect(result.stdout).toBe(
      `{"matchedRules":[{"prefixRuleMatch":{"matchedPrefix":["rm"],"decision":"forbidden"}}],"decision":"forbidden"}\n`,
    );
  });

  it("prints its version", async () => {
    const result = await runCli(["--version"]);
    expect(result.stdout).toMatch(/^execward \d+\.\d+\.\d+\n$/);
  });
});

describe("execward rules check: launcher warnings", () => {
  let launchers: string;
  beforeAll(async () => {
    launchers = path.join(dir, "launchers.rules");
    await writeFile(
      launchers,
      [
        `prefix_rule(pattern=["git", "status"], decision="allow")`,
        `prefix_rule(pattern=["make"], decision="allow")`,
        `prefix_rule(pattern=["npm", "test"], decision="prompt")`,
        `prefix_rule(pattern=["python3"])`,
        ``,
      ].join("\n"),
    );
  });

  it("--lint warns about every allowed launcher, with file:line, and exits 0", async () => {
    const result = await runCli(["rules", "check", "--lint", "--rules", launchers]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      `${launchers}:2: warning: allow rule for "make" runs make outside the sandbox: make runs ` +
        "the commands of the build files in its working directory, which the sandboxed command " +
        "can write",
    );
    expect(lines[1]).toMatch(new RegExp(`^${launchers}:4: warning: allow rule for "python3"`));
  });

  it("--lint with a command still prints codex's JSON, and only it, on stdout", async () => {
    const result = await runCli(["rules", "check", "--lint", "-r", launchers, "--", "make", "x"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `{"matchedRules":[{"prefixRuleMatch":{"matchedPrefix":["make"],"decision":"allow"}}],"decision":"allow"}\n`,
    );
    expect(result.stderr.split("\n").filter((l) => l.includes("warning:"))).toHaveLength(2);
  });

  it("without --lint, warns when the command checked is allowed through a launcher rule", async () => {
    const make = await runCli(["rules", "check", "-r", launchers, "--", "make", "install"]);
    expect(make.code).toBe(0);
    expect(make.stdout).toBe(
      `{"matchedRules":[{"prefixRuleMatch":{"matchedPrefix":["make"],"decision":"allow"}}],"decision":"allow"}\n`,
    );
    expect(make.stderr).toMatch(/^execward: warning: allow rule for "make" runs make outside/);
    // The control: an allowed command that is not a launcher gets no warning.
    const status = await runCli(["rules", "check", "-r", launchers, "--", "git", "status"]);
    expect(status.stderr).toBe("");
    const npm = await runCli(["rules", "check", "-r", launchers, "--", "npm", "test"]);
    expect(npm.stderr).toBe("");
  });

  it("--lint on a clean policy prints nothing", async () => {
    const result = await runCli(["rules", "check", "--lint", "--rules", rules]);
    expect(result).toEqual({ code: 0, stdout: "", stderr: "" });
  });
});
