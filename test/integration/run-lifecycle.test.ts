// Ending a command ends everything started for it, escalated programs included; and
// `execward run` from the command line: exit status, and prompts denied without a terminal.
import { loadNativeParts } from "../../src/native/native-addon.js";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { FixedApprover } from "../../src/approval/fixed-approver.js";
import { createRulesEscalationPolicy } from "../../src/escalation/rules-escalation-policy.js";
import { startInterceptedRun } from "../../src/exec/intercepted-run.js";
import { parsePolicy } from "../../src/policy/index.js";
import { runCli } from "../helpers/run-cli.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "execward-run-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function isAlive(pattern: string): boolean {
  try {
    execFileSync("pgrep", ["-f", pattern], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("killing a run", () => {
  it("ends the shell, its descendants and escalated programs", async () => {
    const marker = `execward-kill-test-${process.pid}`;
    const policy = parsePolicy(
      [{ name: "t.rules", text: `prefix_rule(pattern=["sleep"], decision="allow")` }],
      {
        paths: { cwd: "/", home: "/root" },
      },
    );
    const run = startInterceptedRun({
      native: loadNativeParts(),
      command: `sleep 300 ${marker}-escalated & /bin/sh -c 'exec -a ${marker}-local cat' & wait`,
      shell: "/bin/bash",
      login: false,
      mode: "preload",
      cwd: dir,
      env: { PATH: "/usr/bin:/bin" },
      policy: createRulesEscalationPolicy({
        policy,
        approver: new FixedApprover("decline"),
        writableRoots: [],
      }),
      stdio: "pipe",
      log: () => undefined,
    });
    for (
      let i = 0;
      i < 100 && !(isAlive(`${marker}-escalated`) && isAlive(`${marker}-local`));
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect([isAlive(`${marker}-escalated`), isAlive(`${marker}-local`)]).toEqual([true, true]);
    await run.kill();
    await run.exit;
    expect([isAlive(`${marker}-escalated`), isAlive(`${marker}-local`)]).toEqual([false, false]);
  });
});

describe("execward run", () => {
  it("exits with the command's status and denies prompts without a terminal", async () => {
    const rules = path.join(dir, "r.rules");
    await writeFile(rules, `prefix_rule(pattern=["touch"], decision="prompt")\n`);
    const result = await runCli(
      ["run", "--no-discover", "--rules", rules, "--", "touch x; echo status=$?; exit 3"],
      {
        cwd: dir,
        env: { PATH: "/usr/bin:/bin", HOME: dir },
      },
    );
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("status=1\n");
    expect(result.stderr).toContain(
      "Execution denied: approval required, but there is no terminal to ask on",
    );
  });
});
