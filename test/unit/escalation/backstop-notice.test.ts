// The kernel backstop's fast-path notices (audit log only): parsed strictly, a bad one reported
// as malformed rather than logged, and the supervisor asked for them only when told to.
import { describe, expect, it } from "vitest";

import { parseDropped, parseNotice } from "../../../src/escalation/exec-backstop.js";
import { planSupervisedLaunch } from "../../../src/sandbox/plan-exec-backstop.js";

const frame = (fields: (string | Buffer)[]): Buffer =>
  Buffer.concat(fields.flatMap((field) => [Buffer.from(field), Buffer.from([0])]));

describe("the backstop's fast-path notices", () => {
  it("parses a notice, bytes that are not UTF-8 kept as escapes", () => {
    expect(
      parseNotice(
        frame(["notice", "42", "/bin/true", "/work", "read", "true", Buffer.from([0xff])]),
      ),
    ).toEqual({
      pid: 42,
      file: "/bin/true",
      workdir: "/work",
      argv: ["true", "\udcff"],
      truncated: false,
    });
    expect(parseNotice(frame(["notice", "7", "/bin/x", "", "truncated"]))).toEqual({
      pid: 7,
      file: "/bin/x",
      workdir: "",
      argv: [],
      truncated: true,
    });
  });

  it("tells other frames from malformed notices", () => {
    expect(parseNotice(frame(["1", "42", "/a", "", "/w", "a"]))).toBeUndefined();
    expect(parseNotice(frame(["cancel", "1"]))).toBeUndefined();
    for (const bad of [
      frame(["notice", "0", "/a", "/w", "read"]),
      frame(["notice", "x", "/a", "/w", "read"]),
      frame(["notice", "42", "a", "/w", "read"]),
      frame(["notice", "42", "/a", "w", "read"]),
      frame(["notice", "42", "/a", "/w", "maybe"]),
      frame(["notice", "42", "/a", "/w"]),
      Buffer.from("notice\u000042\u0000/a\u0000/w\u0000read\u0000a"),
    ])
      expect(parseNotice(bad)).toBe("malformed");
  });

  it("parses the count of dropped notices", () => {
    expect(parseDropped(frame(["dropped", "12"]))).toBe(12);
    expect(parseDropped(frame(["dropped", "x"]))).toBeUndefined();
    expect(parseDropped(frame(["notice", "12"]))).toBeUndefined();
  });

  it("asks the supervisor for notices only when told to", () => {
    const plan = { supervisor: "/x/sup", serverFd: 5, listenerFd: 6, askList: "/rm/" };
    expect(planSupervisedLaunch(plan, "/bwrap", [], {}).args).not.toContain("--notices");
    const args = planSupervisedLaunch({ ...plan, notices: true }, "/bwrap", [], {}).args;
    expect(args.indexOf("--notices")).toBeGreaterThan(-1);
    expect(args.indexOf("--notices")).toBeLessThan(args.indexOf("--"));
  });
});
