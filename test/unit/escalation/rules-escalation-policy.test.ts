// The decision table of the rules-based escalation policy, with fakes: a hand-made inspection
// (what the server would have found about the program) and a scripted approver. Each row says
// what the policy must answer and, where a human is involved, what the human was asked.
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type {
  ApprovalAnswer,
  ApprovalRequest,
  Approver,
  ExecApprovalRequest,
} from "../../../src/approval/approver.js";
import type { EscalationDecision, ExecRequest } from "../../../src/escalation/escalation-policy.js";
import type {
  HostLaunch,
  Interpreter,
  ProgramInspection,
  ViewedFile,
} from "../../../src/escalation/program-inspection.js";
import {
  ANONYMOUS_REASON,
  CANCELLED_REASON,
  createRulesEscalationPolicy,
  DECLINED_REASON,
  FORBIDDEN_REASON,
  type RulesEscalationPolicyOptions,
} from "../../../src/escalation/rules-escalation-policy.js";
import { parsePolicy } from "../../../src/policy/index.js";

const WORK = "/work/project";
/** A forbidden rule's deny names its file and line, after upstream's words. */
const FORBIDDEN_AT = expect.stringMatching(
  /^Execution forbidden by policy: forbidden by test\.rules:\d+$/,
) as unknown as string;
const RUN: EscalationDecision = { action: "run" };
const ESCALATE: EscalationDecision = { action: "escalate" };

/** An approver that answers from a script (or throws) and remembers what it was asked. */
class ScriptedApprover implements Approver {
  readonly asked: ExecApprovalRequest[] = [];

  constructor(private readonly answers: (ApprovalAnswer | Error)[]) {}

  ask(request: ApprovalRequest): Promise<ApprovalAnswer> {
    if (request.kind !== "exec") throw new Error("only exec questions are expected here");
    this.asked.push(request);
    const answer = this.answers.shift();
    if (answer === undefined) throw new Error(`unexpected question: ${request.reason}`);
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  }
}

function viewed(
  named: string,
  canonical: string | undefined = named,
  namedOnHost = true,
): ViewedFile {
  return { named, canonical, namedOnHost };
}

function hostLaunch(programPath: string, interpreterPaths: readonly string[] = []): HostLaunch {
  return {
    programFd: -1,
    programPath,
    script: interpreterPaths.length > 0,
    interpreterPaths,
    workdirFd: -1,
    workdirPath: WORK,
  };
}

interface InspectionParts {
  readonly program?: ViewedFile;
  readonly interpreters?: readonly Interpreter[];
  readonly anonymous?: boolean;
  /** Why what would run cannot be known (a magic-link interpreter, an unreadable file...). */
  readonly unjudgeable?: string;
  /** null: the server could not match the files on the host. */
  readonly host?: HostLaunch | null;
}

/** A request for `file argv...`, by default a plain program the host has at the same path. */
function request(
  file: string,
  args: readonly string[],
  parts: InspectionParts = {},
  faithful = true,
): ExecRequest {
  const program = parts.program ?? viewed(file);
  const host =
    parts.host === null ? undefined : (parts.host ?? hostLaunch(program.canonical ?? file));
  const inspection: ProgramInspection = {
    program,
    interpreters: parts.interpreters ?? [],
    anonymous: parts.anonymous ?? false,
    unjudgeable: parts.unjudgeable,
    host,
    hostProblem: host === undefined ? "the program is not on the host" : undefined,
    close: () => undefined,
  };
  return {
    file,
    argv: [path.basename(file), ...args],
    workdir: WORK,
    env: {},
    faithful,
    inspection,
  };
}

function policyFor(
  rules: string,
  approver: Approver,
  options: Partial<RulesEscalationPolicyOptions> = {},
): RulesEscalationPolicyOptions {
  return {
    policy: parsePolicy([{ name: "test.rules", text: rules }], {
      paths: { cwd: WORK, home: "/home/tester" },
    }),
    approver,
    // A writable root that holds none of the files these tests name, unless a test says so.
    writableRoots: ["/scratch"],
    // Git's configuration check reads the environment escalated git would get: an empty one
    // keeps the user's own ~/.gitconfig out of these tests.
    escalatedEnv: () => ({}),
    ...options,
  };
}

async function decide(
  rules: string,
  req: ExecRequest,
  answers: (ApprovalAnswer | Error)[] = [],
  options: Partial<RulesEscalationPolicyOptions> = {},
): Promise<{ decision: EscalationDecision; asked: ExecApprovalRequest[] }> {
  const approver = new ScriptedApprover(answers);
  const policy = createRulesEscalationPolicy(policyFor(rules, approver, options));
  const decision = await policy.decide(req, new AbortController().signal);
  return { decision, asked: approver.asked };
}

const allow = (...pattern: string[]): string =>
  `prefix_rule(pattern=${JSON.stringify(pattern)}, decision="allow")\n`;
const promptRule = (...pattern: string[]): string =>
  `prefix_rule(pattern=${JSON.stringify(pattern)}, decision="prompt")\n`;
const forbid = (...pattern: string[]): string =>
  `prefix_rule(pattern=${JSON.stringify(pattern)}, decision="forbidden")\n`;

describe("upstream's decision table", () => {
  it("denies a forbidden program, with the rule's justification", async () => {
    expect((await decide(forbid("rm"), request("/usr/bin/rm", ["-rf", "/"]))).decision).toEqual({
      action: "deny",
      reason: `${FORBIDDEN_REASON}: forbidden by test.rules:1`,
    });
    const justified = `\n\nprefix_rule(pattern=["rm"], decision="forbidden", justification="no deleting")\n`;
    expect((await decide(justified, request("/usr/bin/rm", ["x"]))).decision).toEqual({
      action: "deny",
      reason: `${FORBIDDEN_REASON}: forbidden by test.rules:3: no deleting`,
    });
  });

  it("escalates an allowed program without asking", async () => {
    const { decision, asked } = await decide(allow("ls"), request("/usr/bin/ls", ["-l"]));
    expect(decision).toEqual(ESCALATE);
    expect(asked).toEqual([]);
  });

  it("asks about a prompt rule, showing the real path, arguments and justification", async () => {
    const rules = `prefix_rule(pattern=["make"], decision="prompt", justification="builds run code")\n`;
    const { decision, asked } = await decide(rules, request("/usr/bin/make", ["all"]), ["accept"]);
    expect(decision).toEqual(ESCALATE);
    expect(asked).toEqual([
      {
        kind: "exec",
        program: "/usr/bin/make",
        args: ["all"],
        workdir: WORK,
        reason: "a rule asks for approval",
        justification: "builds run code",
        runs: "outside-sandbox",
        always: { unavailable: "this session cannot write rules" },
      },
    ]);
  });

  it.each<[ApprovalAnswer | Error, EscalationDecision]>([
    ["accept", ESCALATE],
    ["accept-for-session", ESCALATE],
    ["decline", { action: "deny", reason: DECLINED_REASON }],
    ["cancel", { action: "deny", reason: CANCELLED_REASON }],
    [new Error("no terminal"), { action: "deny", reason: "approval required, but no terminal" }],
  ])("prompt rule answered %s", async (answer, expected) => {
    expect(
      (await decide(promptRule("make"), request("/usr/bin/make", []), [answer])).decision,
    ).toEqual(expected);
  });

  it("remembers a yes for this session per exact program and arguments", async () => {
    const approver = new ScriptedApprover(["accept-for-session", "decline"]);
    const policy = createRulesEscalationPolicy(policyFor(promptRule("make"), approver));
    const signal = new AbortController().signal;
    expect(await policy.decide(request("/usr/bin/make", ["all"]), signal)).toEqual(ESCALATE);
    expect(await policy.decide(request("/usr/bin/make", ["all"]), signal)).toEqual(ESCALATE);
    expect(approver.asked).toHaveLength(1);
    // Other arguments are another question.
    expect(await policy.decide(request("/usr/bin/make", ["install"]), signal)).toEqual({
      action: "deny",
      reason: DECLINED_REASON,
    });
    expect(approver.asked).toHaveLength(2);
  });

  it("does not remember a plain yes", async () => {
    const approver = new ScriptedApprover(["accept", "decline"]);
    const policy = createRulesEscalationPolicy(policyFor(promptRule("make"), approver));
    const signal = new AbortController().signal;
    expect(await policy.decide(request("/usr/bin/make", []), signal)).toEqual(ESCALATE);
    expect(await policy.decide(request("/usr/bin/make", []), signal)).toEqual({
      action: "deny",
      reason: DECLINED_REASON,
    });
  });

  it("asks about a dangerous command no rule covers; yes runs it in the sandbox", async () => {
    const { decision, asked } = await decide(allow("ls"), request("/usr/bin/rm", ["-rf", "x"]), [
      "accept",
    ]);
    expect(decision).toEqual(RUN);
    expect(asked).toMatchObject([
      {
        program: "/usr/bin/rm",
        args: ["-rf", "x"],
        reason: "this command might be destructive (no rule covers it)",
      },
    ]);
    expect(
      (await decide(allow("ls"), request("/usr/bin/git", ["reset", "--hard"]), ["decline"]))
        .decision,
    ).toEqual({ action: "deny", reason: DECLINED_REASON });
  });

  it("runs a command no rule covers in the sandbox, without asking", async () => {
    const { decision, asked } = await decide(allow("ls"), request("/usr/bin/rm", ["x"]));
    expect(decision).toEqual(RUN);
    expect(asked).toEqual([]);
  });

  it("the stricter of several matching rules wins", async () => {
    const rules = allow("git") + forbid("git", "push");
    expect((await decide(rules, request("/usr/bin/git", ["push"]))).decision).toEqual({
      action: "deny",
      reason: FORBIDDEN_AT,
    });
  });
});

describe("what the program really is", () => {
  it("refuses a program with no name, even one a rule would allow", async () => {
    const req = request("/proc/self/fd/3", [], { anonymous: true, host: null });
    expect((await decide(allow("3"), req)).decision).toEqual({
      action: "deny",
      reason: ANONYMOUS_REASON,
    });
  });

  it("refuses a program whose interpreter or chain cannot be known, even with no rule at all", async () => {
    const req = request("/scratch/s", [], {
      unjudgeable: "the interpreter /dev/fd/5 cannot be resolved in the sandbox's view",
    });
    const decision = (await decide("", req)).decision;
    expect(decision.action).toBe("deny");
    expect(decision.action === "deny" && decision.reason).toMatch(/\/dev\/fd\/5/);
  });

  it("judges the canonical path too: a link to a forbidden program is forbidden", async () => {
    const req = request("/scratch/x", ["-rf", "/"], {
      program: viewed("/scratch/x", "/usr/bin/rm"),
    });
    expect((await decide(forbid("rm") + allow("x"), req)).decision).toEqual({
      action: "deny",
      reason: FORBIDDEN_AT,
    });
  });

  it("judges the name as given too: an allowed canonical program named by a forbidden name", async () => {
    const req = request("/usr/local/bin/danger", [], {
      program: viewed("/usr/local/bin/danger", "/usr/bin/true"),
    });
    expect((await decide(allow("true") + forbid("danger"), req)).decision).toEqual({
      action: "deny",
      reason: FORBIDDEN_AT,
    });
  });

  it("judges a #! interpreter with the kernel's argv [interpreter, arg, script, args]", async () => {
    const script = request("/usr/local/bin/tool", ["--go"], {
      interpreters: [{ file: viewed("/usr/bin/env"), arg: "python3" }],
      host: hostLaunch("/usr/local/bin/tool", ["/usr/bin/env"]),
    });
    // `env python3 /usr/local/bin/tool --go`: a rule on the interpreter's full argv matches.
    const rules = forbid("env", "python3", "/usr/local/bin/tool", "--go");
    expect((await decide(rules, script)).decision).toEqual({
      action: "deny",
      reason: FORBIDDEN_AT,
    });
    // Without the `#!` argument the kernel argv is [interpreter, script, args].
    const plain = request("/usr/local/bin/tool", ["--go"], {
      interpreters: [{ file: viewed("/bin/sh"), arg: undefined }],
      host: hostLaunch("/usr/local/bin/tool", ["/bin/sh"]),
    });
    expect((await decide(forbid("sh", "/usr/local/bin/tool"), plain)).decision).toEqual({
      action: "deny",
      reason: FORBIDDEN_AT,
    });
    expect((await decide(forbid("sh", "--go"), plain)).decision).toEqual(RUN);
  });

  it("judges nested interpreters, each seeing the outer one's argv", async () => {
    // tool: `#!/usr/local/bin/wrap`; wrap: `#!/bin/sh -e`. The kernel runs
    // [/bin/sh, -e, /usr/local/bin/wrap, /usr/local/bin/tool, arg].
    const req = request("/usr/local/bin/tool", ["arg"], {
      interpreters: [
        { file: viewed("/usr/local/bin/wrap"), arg: undefined },
        { file: viewed("/bin/sh"), arg: "-e" },
      ],
      host: hostLaunch("/usr/local/bin/tool", ["/usr/local/bin/wrap", "/bin/sh"]),
    });
    const rules = forbid("sh", "-e", "/usr/local/bin/wrap", "/usr/local/bin/tool", "arg");
    expect((await decide(rules, req)).decision).toEqual({
      action: "deny",
      reason: FORBIDDEN_AT,
    });
  });

  it("an interpreter's forbidden rule beats the script's allow", async () => {
    const req = request("/usr/local/bin/tool", [], {
      interpreters: [{ file: viewed("/usr/bin/python3"), arg: undefined }],
      host: hostLaunch("/usr/local/bin/tool", ["/usr/bin/python3"]),
    });
    expect((await decide(allow("tool") + forbid("python3"), req)).decision).toEqual({
      action: "deny",
      reason: FORBIDDEN_AT,
    });
  });
});

describe("escalation only of what the host has", () => {
  it("denies when the server could not match the files on the host", async () => {
    const req = request("/usr/bin/ls", [], { host: null });
    expect((await decide(allow("ls"), req)).decision).toEqual({
      action: "deny",
      reason:
        "a rule would run this program outside the sandbox, but the program is not on the host",
    });
  });

  it("denies when only a sandbox-only name matched an allow rule", async () => {
    // /dev/shm/ls exists only in the sandbox's view and links to /usr/bin/cat.
    const req = request("/dev/shm/ls", [], {
      program: viewed("/dev/shm/ls", "/usr/bin/cat", false),
      host: hostLaunch("/usr/bin/cat"),
    });
    const { decision, asked } = await decide(allow("ls"), req, ["accept"]);
    expect(decision).toEqual({
      action: "deny",
      reason:
        "the rule matched /dev/shm/ls, a name this program (/usr/bin/cat) has only inside the sandbox",
    });
    expect(asked).toEqual([]);
  });

  it("escalates on the canonical name when the name as given is sandbox-only", async () => {
    const req = request("/dev/shm/ls", [], {
      program: viewed("/dev/shm/ls", "/usr/bin/ls", false),
      host: hostLaunch("/usr/bin/ls"),
    });
    expect((await decide(allow("ls"), req)).decision).toEqual(ESCALATE);
  });

  it("escalates on a name the host gives the program too", async () => {
    const req = request("/usr/local/bin/ll", [], {
      program: viewed("/usr/local/bin/ll", "/usr/bin/ls", true),
      host: hostLaunch("/usr/bin/ls"),
    });
    expect((await decide(allow("ll"), req)).decision).toEqual(ESCALATE);
  });

  it("denies escalating a request that is not valid UTF-8, even when a human could be asked", async () => {
    const req = request("/usr/bin/ls", ["\\xff"], {}, false);
    const { decision, asked } = await decide(allow("ls"), req, ["accept"]);
    expect(decision).toEqual({
      action: "deny",
      reason:
        "the command's name or arguments are not valid UTF-8, so execward cannot show or escalate it",
    });
    expect(asked).toEqual([]);
    // Run in the sandbox, it needs no faithful display.
    expect((await decide(allow("cat"), req)).decision).toEqual(RUN);
  });
});

describe("files the sandbox could write", () => {
  const writable = { writableRoots: [WORK] };

  it("asks before escalating a writable program on a basename rule", async () => {
    const req = request(`${WORK}/ls`, []);
    const { decision, asked } = await decide(allow("ls"), req, ["decline"], writable);
    expect(decision).toEqual({ action: "deny", reason: DECLINED_REASON });
    expect(asked).toMatchObject([
      {
        program: `${WORK}/ls`,
        reason: `the file ${WORK}/ls is writable from the sandbox, so the allow rule for ls alone cannot vouch for it`,
      },
    ]);
  });

  it("escalates a writable program that host_executable lists", async () => {
    const rules = `host_executable(name="ls", paths=["${WORK}/ls"])\n${allow("ls")}`;
    const { decision, asked } = await decide(rules, request(`${WORK}/ls`, []), [], writable);
    expect(decision).toEqual(ESCALATE);
    expect(asked).toEqual([]);
  });

  it("a host_executable list naming another path does not vouch for it", async () => {
    const rules = `host_executable(name="ls", paths=["/usr/bin/ls"])\n${allow("ls")}`;
    const { decision } = await decide(rules, request(`${WORK}/ls`, []), ["decline"], writable);
    expect(decision).toEqual({ action: "deny", reason: DECLINED_REASON });
  });

  it("asks when the link naming the program is writable", async () => {
    const req = request(`${WORK}/ls`, [], {
      program: viewed(`${WORK}/ls`, "/usr/bin/ls"),
      host: hostLaunch("/usr/bin/ls"),
    });
    const { asked } = await decide(allow("ls"), req, ["accept"], writable);
    expect(asked.map((question) => question.reason)).toEqual([
      expect.stringContaining(`the file ${WORK}/ls is writable from the sandbox`),
    ]);
  });

  it("asks when a #! interpreter is writable", async () => {
    const req = request("/usr/local/bin/tool", [], {
      interpreters: [{ file: viewed(`${WORK}/python`), arg: undefined }],
      host: hostLaunch("/usr/local/bin/tool", [`${WORK}/python`]),
    });
    const { decision, asked } = await decide(allow("tool"), req, ["cancel"], writable);
    expect(decision).toEqual({ action: "deny", reason: CANCELLED_REASON });
    expect(asked.map((question) => question.reason)).toEqual([
      expect.stringContaining(`the file ${WORK}/python is writable from the sandbox`),
    ]);
  });

  it("files under a writable root's protected names are not writable", async () => {
    const req = request(`${WORK}/.git/hooks/ls`, []);
    expect((await decide(allow("ls"), req, [], writable)).decision).toEqual(ESCALATE);
  });

  it("a prompt rule and a writable file make one question with both reasons", async () => {
    const { asked } = await decide(
      promptRule("ls"),
      request(`${WORK}/ls`, []),
      ["accept"],
      writable,
    );
    expect(asked.map((question) => question.reason)).toEqual([
      expect.stringMatching(/^a rule asks for approval; the file .* is writable from the sandbox/),
    ]);
  });
});

describe("git whose configuration the sandbox could have written", () => {
  let root: string;

  beforeEach(() => {
    root = realpathSync(mkdtempSync(path.join(os.tmpdir(), "execward-rules-policy-")));
    mkdirSync(path.join(root, "work"));
    mkdirSync(path.join(root, "home"));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  function gitIn(workdir: string): ExecRequest {
    const req = request("/usr/bin/git", ["status"]);
    const host = req.inspection.host as HostLaunch;
    return {
      ...req,
      workdir,
      inspection: { ...req.inspection, host: { ...host, workdirPath: workdir } },
    };
  }

  const options = (writableRoots: string[]): Partial<RulesEscalationPolicyOptions> => ({
    writableRoots,
    escalatedEnv: () => ({ HOME: path.join(root, "home") }),
  });

  it("asks, naming the path, when the sandbox could create the repository git would find", async () => {
    const workdir = path.join(root, "work");
    const { decision, asked } = await decide(
      allow("git", "status"),
      gitIn(workdir),
      ["decline"],
      options([workdir]),
    );
    expect(decision).toEqual({ action: "deny", reason: DECLINED_REASON });
    expect(asked).toHaveLength(1);
    expect(asked[0]?.reason).toContain(workdir);
  });

  it("is refused when nobody can be asked", async () => {
    const workdir = path.join(root, "work");
    const { decision } = await decide(
      allow("git", "status"),
      gitIn(workdir),
      [new Error("no terminal")],
      options([workdir]),
    );
    expect(decision).toEqual({ action: "deny", reason: "approval required, but no terminal" });
  });

  it("escalates without asking when nothing git reads is writable", async () => {
    const { decision, asked } = await decide(
      allow("git", "status"),
      gitIn(path.join(root, "work")),
      [],
      options([path.join(root, "elsewhere")]),
    );
    expect(decision).toEqual(ESCALATE);
    expect(asked).toEqual([]);
  });
});

describe("vouching and the heuristic see every name", () => {
  it("a host_executable entry for the program does not vouch for a writable interpreter", async () => {
    const rules = `host_executable(name="tool", paths=["/usr/local/bin/tool"])\n${allow("tool")}`;
    const req = request("/usr/local/bin/tool", [], {
      interpreters: [{ file: viewed(`${WORK}/python`), arg: undefined }],
      host: hostLaunch("/usr/local/bin/tool", [`${WORK}/python`]),
    });
    const { asked } = await decide(rules, req, ["accept"], { writableRoots: [WORK] });
    expect(asked).toHaveLength(1);
  });
  it("with preserveProgramPaths, a writable interpreter still makes escalation ask", async () => {
    const req = request("/usr/local/bin/tool", [], {
      interpreters: [{ file: viewed(`${WORK}/python`), arg: undefined }],
      host: hostLaunch("/usr/local/bin/tool", [`${WORK}/python`]),
    });
    const { asked } = await decide(allow("/usr/local/bin/tool"), req, ["accept"], {
      writableRoots: [WORK],
      preserveProgramPaths: true,
    });
    expect(asked).toHaveLength(1);
  });
  it("the dangerous-command heuristic sees the canonical name (a link to rm)", async () => {
    const req = request("/scratch/x", ["-rf", "/"], {
      program: viewed("/scratch/x", "/usr/bin/rm"),
    });
    const { asked } = await decide(allow("ls"), req, ["decline"]);
    expect(asked).toHaveLength(1);
  });
});

describe('"always allow"', () => {
  const written: (readonly string[])[] = [];
  const allowAlways = (prefix: readonly string[]): Promise<void> => {
    written.push(prefix);
    return Promise.resolve();
  };
  beforeEach(() => {
    written.length = 0;
  });

  it("is offered for the dangerous-command question, says what changes, and writes program and arguments", async () => {
    const { decision, asked } = await decide(
      allow("ls"),
      request("/usr/bin/rm", ["-rf", "x"]),
      ["accept-always"],
      { allowAlways },
    );
    expect(decision).toEqual(RUN);
    expect(asked[0]?.runs).toBe("inside-sandbox");
    expect(asked[0]?.always).toEqual({
      rule: 'prefix_rule(pattern=["rm", "-rf", "x"], decision="allow")',
      effect: expect.stringContaining("OUTSIDE the sandbox") as unknown,
    });
    expect(written).toEqual([["rm", "-rf", "x"]]);
  });

  it("is not offered for a prompt rule (the stricter rule would still ask), and counts as this session", async () => {
    const approver = new ScriptedApprover(["accept-always"]);
    const policy = createRulesEscalationPolicy(
      policyFor(promptRule("make"), approver, { allowAlways }),
    );
    const signal = new AbortController().signal;
    expect(await policy.decide(request("/usr/bin/make", ["all"]), signal)).toEqual(ESCALATE);
    expect(approver.asked[0]?.runs).toBe("outside-sandbox");
    expect(approver.asked[0]?.always).toEqual({
      unavailable: expect.stringMatching(
        /a prompt rule \(test\.rules:1\) asks every time/,
      ) as unknown,
    });
    expect(written).toEqual([]);
    // ...yet the yes holds for the session: not asked again.
    expect(await policy.decide(request("/usr/bin/make", ["all"]), signal)).toEqual(ESCALATE);
    expect(approver.asked).toHaveLength(1);
  });

  it("is not offered for a program file the sandbox can write", async () => {
    const { asked } = await decide(
      allow("tool"),
      request("/scratch/tool", [], { host: hostLaunch("/scratch/tool") }),
      ["accept-always"],
      { allowAlways },
    );
    expect(asked[0]?.always).toEqual({
      unavailable: expect.stringContaining("checked every time") as unknown,
    });
    expect(written).toEqual([]);
  });

  it("never writes a rule for an interpreter or launcher", async () => {
    const { asked } = await decide(
      "",
      request("/usr/bin/sudo", ["rm", "-rf", "/x"]),
      ["accept-always"],
      { allowAlways },
    );
    expect(asked).toHaveLength(1);
    expect(asked[0]?.always).toEqual({
      unavailable: expect.stringContaining("an allow rule for sudo") as unknown,
    });
    expect(written).toEqual([]);
  });
});
