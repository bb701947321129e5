// The pure parts of the kernel exec backstop's server side: the loader's and busybox's program,
// the question/answer wire format, the memory of the hook's "run" answers, and the planned
// launch (supervisor around bwrap, the init's --exec-listener).
import { describe, expect, it } from "vitest";

import { encodeAnswer, parseQuestion } from "../../../src/escalation/exec-backstop.js";
import { isLoaderName, loadedProgramIndex } from "../../../src/escalation/loader-invocation.js";
import { appletCommand, isMultiCallName } from "../../../src/escalation/multi-call.js";
import { RECENT_RUN_TTL_MS, RecentRuns } from "../../../src/escalation/recent-runs.js";
import { planSupervisedLaunch } from "../../../src/sandbox/plan-exec-backstop.js";

describe("the dynamic loader run as a program", () => {
  it("is recognised by its names, not by look-alikes", () => {
    for (const name of [
      "/lib64/ld-linux-x86-64.so.2",
      "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
      "/lib/ld-linux-aarch64.so.1",
      "/lib/ld-musl-x86_64.so.1",
      "/lib/ld.so.1",
      "/lib/ld64.so.2",
    ])
      expect(isLoaderName(name), name).toBe(true);
    for (const name of [
      "/usr/bin/ld",
      "/usr/bin/ldd",
      "/usr/bin/ld.bfd",
      "/usr/bin/rm",
      "ldconfig",
    ])
      expect(isLoaderName(name), name).toBe(false);
  });

  it("runs the first word after its options", () => {
    expect(loadedProgramIndex(["ld.so", "/usr/bin/rm", "f"])).toBe(1);
    expect(
      loadedProgramIndex(["ld.so", "--inhibit-cache", "--argv0", "x", "/usr/bin/rm", "f"]),
    ).toBe(4);
    expect(
      loadedProgramIndex(["ld.so", "--library-path", "/tmp", "--preload", "a.so", "--list", "rm"]),
    ).toBe(6);
    expect(loadedProgramIndex(["ld.so", "--audit", "--list", "rm"])).toBe(3);
  });

  it("refuses options it does not know, and runs nothing without a program", () => {
    expect(loadedProgramIndex(["ld.so", "--future", "/usr/bin/rm"])).toBe("unknown");
    expect(loadedProgramIndex(["ld.so", "-x", "/usr/bin/rm"])).toBe("unknown");
    expect(loadedProgramIndex(["ld.so"])).toBeUndefined();
    expect(loadedProgramIndex(["ld.so", "--preload"])).toBeUndefined();
  });
});

describe("busybox", () => {
  it("runs its first argument as an applet", () => {
    expect(isMultiCallName("/bin/busybox")).toBe(true);
    expect(isMultiCallName("/usr/bin/rm")).toBe(false);
    expect(appletCommand(["busybox", "rm", "-rf", "x"])).toEqual(["rm", "-rf", "x"]);
    expect(appletCommand(["busybox", "--list"])).toBeUndefined();
    expect(appletCommand(["busybox"])).toBeUndefined();
  });
});

describe("the supervisor's questions", () => {
  const question = (fields: (string | Buffer)[]): Buffer =>
    Buffer.concat(fields.flatMap((field) => [Buffer.from(field), Buffer.from([0])]));

  it("parses a question, bytes that are not UTF-8 kept as escapes", () => {
    const parsed = parseQuestion(
      question([
        "18446744073709551615",
        "42",
        "/usr/bin/rm",
        "",
        "/work",
        "rm",
        Buffer.from([0xff]),
      ]),
    );
    expect(parsed).toEqual({
      id: "18446744073709551615",
      pid: 42,
      file: "/usr/bin/rm",
      resolved: undefined,
      workdir: "/work",
      argv: ["rm", "\udcff"],
    });
  });

  it("refuses malformed questions", () => {
    expect(parseQuestion(question(["x", "42", "/a", "", "/w", "a"]))).toBeUndefined();
    expect(parseQuestion(question(["1", "0", "/a", "", "/w", "a"]))).toBeUndefined();
    expect(parseQuestion(question(["1", "42", "a", "", "/w", "a"]))).toBeUndefined();
    expect(parseQuestion(question(["1", "42", "/a", "", "w", "a"]))).toBeUndefined();
    expect(parseQuestion(question(["1", "42", "/a", "", "/w"]))).toBeUndefined();
    expect(parseQuestion(Buffer.from("1\u000042\u0000/a\u0000\u0000/w\u0000a"))).toBeUndefined();
  });

  it("answers continue for run and escalate, deny with the reason", () => {
    const deny = encodeAnswer("7", { action: "deny", reason: "Execution forbidden by policy" });
    expect(deny.readUInt32LE(0)).toBe(deny.length - 4);
    expect(deny.subarray(4).toString()).toBe("7\u0000deny\u0000Execution forbidden by policy");
    expect(encodeAnswer("7", { action: "escalate" }).subarray(4).toString()).toBe(
      "7\u0000continue\u0000",
    );
  });
});

describe("the hook's recent run answers", () => {
  const run = { pid: 10, dev: 1n, ino: 2n, argv: ["rm", "-f", "x"] };

  it("match once, for the same process, inode and argv only", () => {
    const recent = new RecentRuns();
    recent.record(run);
    expect(recent.consume({ ...run, pid: 11 })).toBe(false);
    expect(recent.consume({ ...run, ino: 3n })).toBe(false);
    expect(recent.consume({ ...run, argv: ["rm", "-rf", "x"] })).toBe(false);
    expect(recent.consume(run)).toBe(true);
    expect(recent.consume(run)).toBe(false);
  });

  it("expire, and ignore processes execward cannot see", () => {
    let now = 0;
    const recent = new RecentRuns(() => now);
    recent.record(run);
    recent.record({ ...run, pid: 0 });
    expect(recent.size).toBe(1);
    now += RECENT_RUN_TTL_MS;
    expect(recent.consume(run)).toBe(false);
  });
});

describe("the supervised launch", () => {
  it("puts the supervisor around bwrap, with its channel, listener descriptor and ask list", () => {
    const launch = planSupervisedLaunch(
      { supervisor: "/x/sup", serverFd: 5, listenerFd: 6, askList: "/rm/git/" },
      "/usr/bin/bwrap",
      ["--die-with-parent", "--", "/x/init", "--exec-listener", "6", "--", "bash"],
      { A: "1" },
    );
    expect(launch).toEqual({
      file: "/x/sup",
      args: [
        "--server",
        "5",
        "--listener-fd",
        "6",
        "--ask",
        "/rm/git/",
        "--",
        "/usr/bin/bwrap",
        "--die-with-parent",
        "--",
        "/x/init",
        "--exec-listener",
        "6",
        "--",
        "bash",
      ],
      env: { A: "1" },
    });
    const askAll = planSupervisedLaunch(
      { supervisor: "/x/sup", serverFd: 5, listenerFd: 6, askList: undefined },
      "/usr/bin/bwrap",
      [],
      {},
    );
    expect(askAll.args).toEqual(["--server", "5", "--listener-fd", "6", "--", "/usr/bin/bwrap"]);
  });
});
