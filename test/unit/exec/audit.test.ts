// The audit log's parts: the file writer (whole lines, in order, bounded, a failure reported
// once), the fast-path notice budget, the amendment lock shared with other writers, and the
// viewer's --since.
import { closeSync, openSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { parseSince } from "../../../src/cli/log-options.js";
import { loadFdPassing } from "../../../src/native/native-addon.js";
import { AuditLogFile, MAX_QUEUED_BYTES } from "../../../src/exec/audit-log.js";
import type { AuditRecord } from "../../../src/exec/audit-record.js";
import {
  NOTICE_BURST,
  NOTICE_RATE_PER_SECOND,
  NoticeBudget,
} from "../../../src/exec/notice-budget.js";
import { appendAllowPrefixRule } from "../../../src/policy/index.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "execward-audit-unit-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function record(n: number, argv: readonly string[] = ["true"]): AuditRecord {
  return {
    time: new Date(0).toISOString(),
    session: "s",
    call: n,
    kind: "exec",
    decision: "run",
    reported_by: "server",
    program: "/bin/true",
    argv,
    workdir: "/",
    reason: "test",
    rule: null,
    approval: null,
  };
}

describe("AuditLogFile", () => {
  it("appends whole lines in order, to what the file held before", async () => {
    const file = path.join(dir, "audit.jsonl");
    const first = new AuditLogFile(file, () => undefined);
    first.write(record(1));
    await first.close();
    const second = new AuditLogFile(file, () => undefined);
    for (let i = 2; i <= 500; i++) second.write(record(i));
    await second.close();
    const lines = (await readFile(file, "utf8")).split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.map((line) => (JSON.parse(line) as { call: number }).call)).toEqual(
      Array.from({ length: 500 }, (_, i) => i + 1),
    );
  });

  it("a line with control characters stays one line", async () => {
    const file = path.join(dir, "audit.jsonl");
    const log = new AuditLogFile(file, () => undefined);
    log.write(record(1, ["echo", "a\nb\r\x1b[2J"]));
    await log.close();
    const text = await readFile(file, "utf8");
    expect(text.split("\n")).toHaveLength(2);
    expect((JSON.parse(text) as { argv: string[] }).argv[1]).toBe("a\nb\r\x1b[2J");
  });

  it("drops and counts what does not fit in the queue, then says so in the log", async () => {
    const file = path.join(dir, "audit.jsonl");
    const log = new AuditLogFile(file, () => undefined);
    const big = ["x".repeat(64 * 1024)];
    const lines = Math.ceil(MAX_QUEUED_BYTES / (64 * 1024)) + 20;
    for (let i = 0; i < lines; i++) log.write(record(i, big));
    expect(log.dropped).toBeGreaterThan(0);
    await log.flush();
    log.write(record(9999));
    await log.close();
    const records = (await readFile(file, "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as AuditRecord);
    expect(records.length).toBeLessThan(lines + 2);
    expect(records.find((r) => r.kind === "dropped")).toMatchObject({ kind: "dropped" });
    expect(records.at(-1)).toMatchObject({ call: 9999 });
  });

  it("a log that cannot be written is reported once", async () => {
    const reports: string[] = [];
    const log = new AuditLogFile("/dev/full", (message) => reports.push(message));
    for (let i = 0; i < 20; i++) {
      log.write(record(i));
      await log.flush();
    }
    await log.close();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/cannot write the audit log \/dev\/full/);
  });

  it("a file that cannot be opened throws at once", () => {
    expect(
      () => new AuditLogFile(path.join(dir, "missing", "audit.jsonl"), () => undefined),
    ).toThrow(/ENOENT/);
  });
});

describe("NoticeBudget", () => {
  it("lets a burst through, then the refill rate, and counts the rest", () => {
    const budget = new NoticeBudget(0);
    let passed = 0;
    for (let i = 0; i < NOTICE_BURST + 100; i++) if (budget.take(0)) passed++;
    expect(passed).toBe(NOTICE_BURST);
    expect(budget.takeDropped()).toBe(100);
    expect(budget.takeDropped()).toBe(0);
    // One second later: the refill, no more.
    let later = 0;
    for (let i = 0; i < NOTICE_RATE_PER_SECOND * 2; i++) if (budget.take(1000)) later++;
    expect(later).toBe(NOTICE_RATE_PER_SECOND);
  });
});

describe("amendments under the rules file's lock", () => {
  it("waits for another writer's flock before it reads and appends", async () => {
    const rulesFile = path.join(dir, "rules", "default.rules");
    await mkdir(path.dirname(rulesFile));
    const addon = loadFdPassing();
    const other = openSync(rulesFile, "a+");
    expect(addon.tryLock(other, true)).toBe(true);
    let appended = false;
    const append = appendAllowPrefixRule(rulesFile, ["ls"], { lock: addon }).then(() => {
      appended = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(appended).toBe(false);
    expect(await readFile(rulesFile, "utf8")).toBe("");
    closeSync(other); // the other writer is done: its lock goes with its descriptor
    await append;
    expect(await readFile(rulesFile, "utf8")).toBe(
      `prefix_rule(pattern=["ls"], decision="allow")\n`,
    );
  });
});

describe("execward log --since", () => {
  const now = Date.parse("2026-12-02T12:00:00Z");
  it.each([
    ["30s", now - 30_000],
    ["10m", now - 600_000],
    ["2h", now - 7_200_000],
    ["7d", now - 7 * 86_400_000],
    ["2026-12-01T00:00:00Z", Date.parse("2026-12-01T00:00:00Z")],
  ])("%s", (when, expected) => {
    expect(parseSince(when, now)).toBe(expected);
  });
  it.each(["yesterday", "10", "-5m", ""])("refuses %j", (when) => {
    expect(() => parseSince(when, now)).toThrow(/--since must be/);
  });
});
