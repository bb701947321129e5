// Warnings for allow rules on launchers and interpreters: which programs, which decisions, where
// (file:line), and what is left alone (so the lint is not a warning on every rule).
import { describe, expect, it } from "vitest";

import {
  formatLintWarning,
  launcherReason,
  lintRulesText,
  type PatternToken,
} from "../../../src/policy/index.js";

const single = (token: string): PatternToken => ({ kind: "single", token });

describe("launcherReason", () => {
  it.each([
    "make",
    "gmake",
    "cmake",
    "ninja",
    "npm",
    "npx",
    "yarn",
    "pnpm",
    "bun",
    "deno",
    "cargo",
    "go",
    "python",
    "python3",
    "python3.12",
    "node",
    "perl",
    "ruby",
    "php",
    "sh",
    "bash",
    "dash",
    "zsh",
    "fish",
    "env",
    "xargs",
    "find",
    "sudo",
    "doas",
    "nice",
    "nohup",
    "timeout",
    "time",
    "strace",
    "gdb",
    "ssh",
    "docker",
    "pytest",
    "/usr/bin/make",
  ])("warns about %s", (program) => {
    expect(launcherReason(program, [single("x")])).toMatch(/./);
  });

  it.each(["ls", "cat", "grep", "rg", "git", "pwd", "echo", "makeself", "pythonista", "shred"])(
    "leaves %s alone",
    (program) => {
      expect(launcherReason(program, [single("x")])).toBeUndefined();
    },
  );

  it("warns about git only when every git command is allowed", () => {
    expect(launcherReason("git", [])).toMatch(/every git command/);
    expect(launcherReason("git", [single("-C")])).toMatch(/every git command/);
    expect(launcherReason("git", [{ kind: "alternatives", tokens: ["status", "-c"] }])).toMatch(
      /every git command/,
    );
    expect(launcherReason("git", [single("status")])).toBeUndefined();
  });

  it("warns about kubectl exec / run and the whole of kubectl, not kubectl get", () => {
    expect(launcherReason("kubectl", [])).toMatch(/exec/);
    expect(launcherReason("kubectl", [single("exec")])).toMatch(/exec/);
    expect(launcherReason("kubectl", [{ kind: "alternatives", tokens: ["get", "run"] }])).toMatch(
      /run/,
    );
    expect(launcherReason("kubectl", [single("get")])).toBeUndefined();
  });

  it("says why, naming the program", () => {
    expect(launcherReason("make", [])).toMatch(/^make runs .*Makefile|build files/);
    expect(launcherReason("npm", [single("test")])).toMatch(/package\.json/);
  });
});

describe("lintRulesText", () => {
  const text = [
    `prefix_rule(pattern=["git", "status"], decision="allow")`,
    `prefix_rule(pattern=["make"], decision="allow")`,
    `# a comment`,
    `prefix_rule(`,
    `    pattern=[["npm", "ls"], ["run", "test"]],`,
    `)`,
    `prefix_rule(pattern=["python3"], decision="prompt")`,
    `prefix_rule(pattern=["bash"], decision="forbidden")`,
    `prefix_rule(pattern=["git"])`,
    `network_rule(host="example.com", protocol="https", decision="allow")`,
    ``,
  ].join("\n");

  it("warns once per allowed launcher rule, at its line; prompt and forbidden are fine", () => {
    const warnings = lintRulesText("a.rules", text);
    expect(warnings.map((w) => [w.location.line, w.program, w.pattern])).toEqual([
      [2, "make", "make"],
      [4, "npm", "npm [run|test]"],
      [9, "git", "git"],
    ]);
  });

  it("formats file:line: warning: ...", () => {
    const [first] = lintRulesText("dir/a.rules", text);
    expect(first === undefined ? "" : formatLintWarning(first)).toMatch(
      /^dir\/a\.rules:2: warning: allow rule for "make" runs make outside the sandbox: make runs the commands of the build files in its working directory, which the sandboxed command can write$/,
    );
  });

  it("finds nothing in a policy without launchers", () => {
    expect(lintRulesText("b.rules", `prefix_rule(pattern=["ls"], decision="allow")\n`)).toEqual([]);
  });
});
