// The audit log meets the kernel exec backstop, through the real `execward run`: an exec made by
// a static program (busybox sh: no hook) is waved through by the supervisor's C fast path, and
// must still reach the log (reported_by "backstop"); an exec both the hook and the backstop see
// (bash, dynamic) is logged once, not twice.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { AuditRecord, ExecAuditRecord } from "../../src/exec/audit-record.js";
import { requireInCi } from "../helpers/ci.js";
import { runCli } from "../helpers/run-cli.js";
import { sandboxUnavailable } from "../helpers/sandbox.js";

const BUSYBOX = "/bin/busybox";
const unavailable =
  sandboxUnavailable ??
  (existsSync(BUSYBOX) ? undefined : "no busybox-static (apt-get install busybox-static)");

let dir: string;
let rulesFile: string;
let logFile: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "execward-audit-backstop-"));
  rulesFile = path.join(dir, "test.rules");
  logFile = path.join(dir, "audit.jsonl");
  await writeFile(rulesFile, `prefix_rule(pattern=["rm"], decision="forbidden")\n`);
  env = { PATH: "/usr/bin:/bin", HOME: dir, CODEX_HOME: path.join(dir, "codex-home") };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function execRecords(): Promise<ExecAuditRecord[]> {
  const text = await readFile(logFile, "utf8");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as AuditRecord)
    .filter((record): record is ExecAuditRecord => record.kind === "exec");
}

function run(command: string): ReturnType<typeof runCli> {
  return runCli(["run", "--no-discover", "-r", rulesFile, "--audit-log", logFile, "--", command], {
    cwd: dir,
    env,
  });
}

describe.skipIf(requireInCi(unavailable))(
  `the audit log with the kernel backstop${unavailable === undefined ? "" : ` (SKIPPED: ${unavailable})`}`,
  () => {
    it("logs the execs of a static program, which only the backstop sees", async () => {
      const result = await run(
        `exec ${BUSYBOX} sh -c '/bin/true first; /usr/bin/id -u >/dev/null; echo done'`,
      );
      expect(result.stderr).not.toContain("backstop is off");
      expect(result.stdout).toBe("done\n");
      const execs = await execRecords();
      const of = (program: string): ExecAuditRecord[] =>
        execs.filter((record) => record.program === program);
      expect(of("/bin/true")).toEqual([
        expect.objectContaining({
          decision: "run",
          reported_by: "backstop",
          argv: ["/bin/true", "first"],
          workdir: dir,
          rule: null,
          approval: null,
        }),
      ]);
      expect(of("/usr/bin/id")).toEqual([
        expect.objectContaining({
          decision: "run",
          reported_by: "backstop",
          argv: ["/usr/bin/id", "-u"],
        }),
      ]);
      const pid = of("/bin/true")[0]?.pid;
      expect(typeof pid === "number" && pid > 0).toBe(true);
    });

    it("logs each exec of a dynamic program once, though the hook and the backstop both see it", async () => {
      const result = await run("for i in 1 2 3; do /bin/true $i; done; echo done");
      expect(result.stdout).toBe("done\n");
      const trues = (await execRecords()).filter((record) => record.program === "/bin/true");
      expect(trues.map((record) => record.argv).sort()).toEqual([
        ["/bin/true", "1"],
        ["/bin/true", "2"],
        ["/bin/true", "3"],
      ]);
    });
  },
);
