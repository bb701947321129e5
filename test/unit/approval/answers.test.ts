// What each approval question offers and how answers are read: the terminal's letters and the
// MCP `decision` enum, with "always" present only when the question offers it.
import { describe, expect, it } from "vitest";

import type { ExecApprovalRequest } from "../../../src/approval/approver.js";
import { parseAnswer, promptText } from "../../../src/approval/tty-approver.js";
import { acceptedAnswer, requestedSchema } from "../../../src/mcp/elicitation-approver.js";

const base: ExecApprovalRequest = {
  kind: "exec",
  program: "/usr/bin/rm",
  args: ["-rf", "x\x1b[2J"],
  workdir: "/w",
  reason: "this command might be destructive (no rule covers it)",
  runs: "inside-sandbox",
  always: {
    rule: 'prefix_rule(pattern=["rm", "-rf", "x"], decision="allow")',
    effect: "from then on it runs OUTSIDE the sandbox",
  },
};
const noAlways: ExecApprovalRequest = {
  ...base,
  runs: "outside-sandbox",
  always: { unavailable: "a prompt rule asks every time" },
};

describe("the terminal", () => {
  it("reads y / s / a / n, Enter as no, and a only when offered", () => {
    expect(parseAnswer("y", true)).toBe("accept");
    expect(parseAnswer(" YES ", true)).toBe("accept");
    expect(parseAnswer("s", true)).toBe("accept-for-session");
    expect(parseAnswer("a", true)).toBe("accept-always");
    expect(parseAnswer("a", false)).toBeUndefined();
    expect(parseAnswer("", true)).toBe("decline");
    expect(parseAnswer("n", false)).toBe("decline");
    expect(parseAnswer("maybe", true)).toBeUndefined();
  });

  it("says where a yes runs, each answer's scope, and escapes the command", () => {
    const text = promptText(base);
    expect(text).toContain("run inside the sandbox");
    expect(text).toContain("[y] yes, this once");
    expect(text).toContain("[s] yes, for this run");
    expect(text).toContain("[a] always: write prefix_rule");
    expect(text).toContain("\\x1b[2J");
    expect(text).not.toContain("\x1b");
    expect(promptText(noAlways)).toContain("run OUTSIDE the sandbox");
    expect(promptText(noAlways)).toContain("[a] always: not offered here (a prompt rule");
  });
});

describe("MCP elicitation", () => {
  it("offers a decision enum Codex accepts, with allow-always only when offered", () => {
    const schema = requestedSchema(base);
    expect(Object.keys(schema).sort()).toEqual(["properties", "type"]);
    expect(schema).toMatchObject({
      properties: {
        decision: {
          type: "string",
          enum: ["allow-once", "allow-session", "allow-always", "deny"],
          default: "allow-once",
        },
      },
    });
    expect(requestedSchema(noAlways)).toMatchObject({
      properties: { decision: { enum: ["allow-once", "allow-session", "deny"] } },
    });
  });

  it("reads the decision; an accept with no content is once", () => {
    expect(acceptedAnswer(undefined)).toBe("accept");
    expect(acceptedAnswer({})).toBe("accept");
    expect(acceptedAnswer({ reason: "fine" })).toBe("accept");
    expect(acceptedAnswer({ decision: "allow-once" })).toBe("accept");
    expect(acceptedAnswer({ decision: "allow-session" })).toBe("accept-for-session");
    expect(acceptedAnswer({ decision: "allow-always" })).toBe("accept-always");
    expect(acceptedAnswer({ decision: "deny" })).toBe("decline");
  });
});
