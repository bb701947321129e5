// The audit log through the real `execward run`: every decision kind with its rule's file and
// line, the hook's fast path, the viewer's filters, a log that cannot be written, and a flood of
// forged fast-path notices from inside the sandbox (bounded, and unable to forge a decision).
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { AuditRecord, ExecAuditRecord } from "../../src/exec/audit-record.js";
import { NOTICE_BURST } from "../../src/exec/notice-budget.js";
import { requireInCi } from "../helpers/ci.js";
import { runCli } from "../helpers/run-cli.js";
import { hasTool, sandboxUnavailable } from "../helpers/sandbox.js";

const RULES = [
  `prefix_rule(pattern=["ls"], decision="allow")`,
  ``,
  `prefix_rule(pattern=["rm"], decision="forbidden", justification="use a trash folder")`,
  `prefix_rule(pattern=["touch"], decision="prompt")`,
].join("\n");

const unavailable = sandboxUnavailable ?? (hasTool("python3", "-c", "") ? undefined : "no python3");

let dir: string;
let rulesFile: string;
let logFile: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "execward-audit-"));
  rulesFile = path.join(dir, "test.rules");
  logFile = path.join(dir, "audit.jsonl");
  await writeFile(rulesFile, `${RULES}\n`);
  env = { PATH: "/usr/bin:/bin", HOME: dir, CODEX_HOME: path.join(dir, "codex-home") };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function records(): Promise<AuditRecord[]> {
  const text = await readFile(logFile, "utf8");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as AuditRecord);
}

function run(command: string, extra: readonly string[] = []): ReturnType<typeof runCli> {
  return runCli(
    ["run", "--no-discover", "-r", rulesFile, "--audit-log", logFile, ...extra, "--", command],
    { cwd: dir, env },
  );
}

describe.skipIf(requireInCi(unavailable))(
  `execward run --audit-log${unavailable === undefined ? "" : ` (SKIPPED: ${unavailable})`}`,
  () => {
    it("logs every decision with the rule's file and line, and the fast path as the sandbox's claim", async () => {
      const result = await run(
        "cat /dev/null; ls / >/dev/null; rm -f nothing; touch made; echo done",
      );
      expect(result.stdout).toBe("done\n");
      // The denial names the rule, after upstream's words.
      expect(result.stderr).toContain(
        `Execution denied: Execution forbidden by policy: forbidden by ${rulesFile}:3: use a trash folder`,
      );
      const execs = (await records()).filter(
        (record): record is ExecAuditRecord => record.kind === "exec",
      );
      const byProgram = (name: string): ExecAuditRecord | undefined =>
        execs.find((record) => path.basename(record.program) === name);
      expect(byProgram("cat")).toMatchObject({
        decision: "run",
        reported_by: "sandbox",
        argv: ["cat", "/dev/null"],
        workdir: dir,
        rule: null,
      });
      expect(byProgram("ls")).toMatchObject({
        decision: "escalate",
        reported_by: "server",
        argv: ["ls", "/"],
        rule: { file: rulesFile, line: 1 },
        approval: null,
      });
      expect(byProgram("rm")).toMatchObject({
        decision: "deny",
        reported_by: "server",
        rule: { file: rulesFile, line: 3 },
      });
      // No terminal: the prompt rule is a deny, and the log says which rule asked.
      expect(byProgram("touch")).toMatchObject({
        decision: "deny",
        rule: { file: rulesFile, line: 4 },
      });
      for (const record of execs) {
        expect(Number.isNaN(Date.parse(record.time))).toBe(false);
        expect(record.call).toBe(1);
        expect(path.isAbsolute(record.program)).toBe(true);
      }
    });

    it("execward log shows and filters the records", async () => {
      await run("cat /dev/null; ls / >/dev/null; rm -f nothing; true");
      const all = await runCli(["log", logFile], { env });
      expect(all.code).toBe(0);
      expect(all.stdout).toMatch(/ESCALATE \/\S*ls \/ {2}rule \S+test\.rules:1/);
      expect(all.stdout).toMatch(/DENY {5}\/\S*rm -f nothing {2}rule \S+test\.rules:3/);
      expect(all.stdout).toContain("(claimed by the sandbox)");
      const denied = await runCli(["log", "--denied", logFile], { env });
      expect(denied.stdout.trim().split("\n")).toHaveLength(1);
      expect(denied.stdout).toContain("rm -f nothing");
      const escalated = await runCli(["log", "--escalated", "--json", logFile], { env });
      const lines = escalated.stdout.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] as string)).toMatchObject({ decision: "escalate" });
      const future = await runCli(["log", "--since", "2999-01-01T00:00:00Z", logFile], { env });
      expect(future.stdout).toBe("");
      const recent = await runCli(["log", "--since", "1h", "--denied", logFile], { env });
      expect(recent.stdout).toContain("rm -f nothing");
      const none = await runCli(["log"], { env });
      expect(none.code).toBe(2);
      expect(none.stderr).toContain("no FILE given, and no audit_log");
      const bad = await runCli(["log", "--since", "yesterday", logFile], { env });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("--since must be");
    });

    it("audit_log in execward.toml turns the log on without the flag", async () => {
      const fromSettings = path.join(dir, "from-settings.jsonl");
      await mkdir(path.join(dir, "codex-home"), { recursive: true });
      await writeFile(
        path.join(dir, "codex-home", "execward.toml"),
        `audit_log = ${JSON.stringify(fromSettings)}\n`,
      );
      const result = await runCli(
        ["run", "--no-discover", "-r", rulesFile, "--", "ls / >/dev/null; echo done"],
        { cwd: dir, env },
      );
      expect(result.stdout).toBe("done\n");
      expect(await readFile(fromSettings, "utf8")).toMatch(/"decision":"escalate"/);
      // execward log without FILE reads the same log.
      const shown = await runCli(["log", "--escalated"], { env });
      expect(shown.stdout).toMatch(/ESCALATE \/\S*ls \//);
    });

    it("the hook sends fast-path notices only when something records them", async () => {
      const probe = "printf '[%s]\\n' \"${EXECWARD_HOOK_NOTICES-}\"";
      const logged = await run(probe);
      expect(logged.stdout).toContain("[1]");
      // Without --audit-log (or --verbose) the hot path sends nothing: the switch is off.
      const quiet = await runCli(["run", "--no-discover", "-r", rulesFile, "--", probe], {
        cwd: dir,
        env,
      });
      expect(quiet.stdout).toContain("[]");
    });

    it("--verbose prints decisions on stderr as they happen", async () => {
      const result = await run("ls / >/dev/null; rm -f nothing", ["--verbose"]);
      expect(result.stderr).toMatch(/execward: ESCALATE \/\S*ls \/ {2}rule \S+test\.rules:1/);
      expect(result.stderr).toMatch(/execward: DENY {5}\/\S*rm -f nothing/);
    });

    it("a log that cannot be written is reported once, and the command still runs", async () => {
      const result = await runCli(
        [
          "run",
          "--no-discover",
          "-r",
          rulesFile,
          "--audit-log",
          "/dev/full",
          "--",
          "for i in 1 2 3 4 5; do cat /dev/null; ls / >/dev/null; done; echo done",
        ],
        { cwd: dir, env },
      );
      expect(result.stdout).toBe("done\n");
      expect(result.code).toBe(0);
      expect(result.stderr.match(/cannot write the audit log \/dev\/full/g)).toHaveLength(1);
    });

    it("forged fast-path notices from inside the sandbox are bounded and cannot record a decision", async () => {
      // The attack: write notice datagrams straight to the inherited escalation socket, claiming
      // an escalation and a denial, as fast as possible.
      const flood = `
import os, socket, json
s = socket.socket(fileno=os.dup(int(os.environ["CODEX_ESCALATE_SOCKET"])))
forged = json.dumps({"file": "/forged/escalated", "workdir": "/", "argv": ["x"], "decision": "escalate", "reported_by": "server"}).encode()
for i in range(${NOTICE_BURST * 2 + 2000}):
    s.send(b"\\x01" + forged)
for i in range(50):
    s.send(b"\\x01not json")
print("sent")
`;
      await writeFile(path.join(dir, "flood.py"), flood);
      const result = await run("python3 flood.py");
      expect(result.stdout).toBe("sent\n");
      const all = await records();
      const forged = all.filter(
        (record): record is ExecAuditRecord =>
          record.kind === "exec" && record.program === "/forged/escalated",
      );
      // Control: the forged notices did reach the server (the attack was delivered)...
      expect(forged.length).toBeGreaterThan(0);
      // ...but only ever as the sandbox's claim of a run inside it, never as a decision.
      for (const record of forged) {
        expect(record.reported_by).toBe("sandbox");
        expect(record.decision).toBe("run");
      }
      // Bounded: at most the budget's burst plus its refill during the call; the rest counted.
      expect(forged.length).toBeLessThan(NOTICE_BURST * 2 + 2000);
      const dropped = all.filter((record) => record.kind === "dropped");
      expect(dropped.length).toBeGreaterThan(0);
    });
  },
);
