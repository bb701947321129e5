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
