// Host-executable resolution (a program path matching basename rules) and canonical_matching,
// with codex's semantics: exact rules first, relative and `~` paths resolved, lexical
// normalisation, host_executable lists gating the rule's program, later definitions replacing.
import { describe, expect, it } from "vitest";

import { policyFrom, TEST_PATHS } from "../../helpers/policy.js";

const RESOLVE = { resolveHostExecutables: TEST_PATHS };

describe("host executable resolution", () => {
  const basename = `prefix_rule(pattern=["git", "status"], decision="prompt")`;

  it("matches a path only when resolution is asked for", () => {
    const policy = policyFrom(basename);
    expect(policy.evaluate(["/usr/bin/git", "status"])).toEqual({
      decision: undefined,
      matchedRules: [],
    });
    expect(policy.evaluate(["/usr/bin/git", "status"], RESOLVE)).toEqual({
      decision: "prompt",
      matchedRules: [
        { matchedPrefix: ["git", "status"], decision: "prompt", resolvedProgram: "/usr/bin/git" },
      ],
    });
  });

  it.each([
    ["./git", "/work/project/git"],
    ["bin/git", "/work/project/bin/git"],
    ["../git", "/work/git"],
    ["~/git", "/home/tester/git"],
    ["//usr/bin/../bin/./git/", "/usr/bin/git"],
    ["git/", "/work/project/git"],
  ])("resolves %s to %s", (program, resolved) => {
    expect(policyFrom(basename).evaluate([program, "status"], RESOLVE).matchedRules).toEqual([
      { matchedPrefix: ["git", "status"], decision: "prompt", resolvedProgram: resolved },
    ]);
  });

  it("takes the basename after resolution (`.` is the working directory's name)", () => {
    const policy = policyFrom(`prefix_rule(pattern=["project"])\nprefix_rule(pattern=["tester"])`);
    expect(policy.evaluate(["."], RESOLVE).matchedRules[0]?.resolvedProgram).toBe("/work/project");
    expect(policy.evaluate(["~"], RESOLVE).matchedRules[0]?.resolvedProgram).toBe("/home/tester");
  });

  it("uses exact rules and skips resolution when one matches", () => {
    const policy = policyFrom(
      `prefix_rule(pattern=["git"], decision="prompt")\nprefix_rule(pattern=["/usr/bin/git"], decision="forbidden")`,
    );
    expect(policy.evaluate(["/usr/bin/git"], RESOLVE)).toEqual({
      decision: "forbidden",
      matchedRules: [{ matchedPrefix: ["/usr/bin/git"], decision: "forbidden" }],
    });
  });

  it("lets only listed paths through when host_executable names the program", () => {
    const policy = policyFrom(
      `host_executable(name="git", paths=["/usr/bin/git", "/usr/bin/../bin/git"])\n${basename}`,
    );
    expect(policy.hostExecutables.get("git")).toEqual(["/usr/bin/git"]);
    expect(policy.evaluate(["/usr/bin/git", "status"], RESOLVE).decision).toBe("prompt");
    expect(policy.evaluate(["/tmp/git", "status"], RESOLVE).decision).toBeUndefined();
    expect(policy.evaluate(["./git", "status"], RESOLVE).decision).toBeUndefined();
  });

  it("blocks every path with an empty list, and a later definition replaces an earlier one", () => {
    expect(
      policyFrom(`host_executable(name="git", paths=[])\n${basename}`).evaluate(
        ["/usr/bin/git", "status"],
        RESOLVE,
      ).decision,
    ).toBeUndefined();
    const replaced = policyFrom(
      `host_executable(name="git", paths=["/usr/bin/git"])`,
      `host_executable(name="git", paths=["/opt/git"])\n${basename}`,
    );
    expect(replaced.evaluate(["/usr/bin/git", "status"], RESOLVE).decision).toBeUndefined();
    expect(replaced.evaluate(["/opt/git", "status"], RESOLVE).decision).toBe("prompt");
  });

  it("counts host_executable in match examples even when it is defined after the rule", () => {
    expect(() =>
      policyFrom(
        `prefix_rule(pattern=["git"], match=["/usr/bin/git status"])\nhost_executable(name="git", paths=["/usr/bin/git"])`,
      ),
    ).not.toThrow();
  });
});

describe("canonical_matching", () => {
  it("matches every token case-insensitively with full case folding", () => {
    const policy = policyFrom(
      `prefix_rule(pattern=["Git", ["Status", "straße"]], canonical_matching=True)`,
    );
    expect(policy.evaluate(["GIT", "status"]).matchedRules).toEqual([
      { matchedPrefix: ["GIT", "status"], decision: "allow" },
    ]);
    expect(policy.evaluate(["git", "STRASSE"]).decision).toBe("allow");
    expect(policy.evaluate(["ｇｉｔ", "status"]).decision).toBeUndefined();
  });

  it("lists rules spelled like the command first", () => {
    const policy = policyFrom(`
prefix_rule(pattern=["git"], justification="p1")
prefix_rule(pattern=["GIT"], canonical_matching=True, justification="c1")
prefix_rule(pattern=["git", "status"], justification="p2")
prefix_rule(pattern=["git"], canonical_matching=True, justification="c2")
`);
    expect(policy.evaluate(["git", "status"]).matchedRules.map((m) => m.justification)).toEqual([
      "p1",
      "p2",
      "c2",
      "c1",
    ]);
    expect(policy.evaluate(["GIT", "status"]).matchedRules.map((m) => m.justification)).toEqual([
      "c1",
      "c2",
    ]);
  });

  it("gates resolved paths by the rule's own program name", () => {
    const policy = policyFrom(
      `host_executable(name="GIT", paths=["/usr/bin/GIT"])\nprefix_rule(pattern=["git"], canonical_matching=True)`,
    );
    expect(policy.evaluate(["/opt/git"], RESOLVE).matchedRules).toEqual([
      { matchedPrefix: ["git"], decision: "allow", resolvedProgram: "/opt/git" },
    ]);
    const gated = policyFrom(
      `host_executable(name="git", paths=["/usr/bin/git"])\nprefix_rule(pattern=["git"], canonical_matching=True)`,
    );
    expect(gated.evaluate(["/usr/bin/GIT"], RESOLVE).decision).toBeUndefined();
  });
});
