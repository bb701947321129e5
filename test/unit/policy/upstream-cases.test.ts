// The cases of codex execpolicy's own tests (codex-rs/execpolicy/tests/basic.rs), as whole
// Evaluation values: basic match, justification, several files merging, first-token
// alternatives, tail alternatives not cross-multiplied, match/not_match enforcement, strictest
// decision, network domains.
import { describe, expect, it } from "vitest";

import { policyErrorFrom, policyFrom } from "../../helpers/policy.js";

describe("codex execpolicy basic.rs cases", () => {
  it("basic match", () => {
    const policy = policyFrom(`prefix_rule(\n    pattern = ["git", "status"],\n)\n`);
    expect(policy.evaluate(["git", "status"])).toEqual({
      decision: "allow",
      matchedRules: [{ matchedPrefix: ["git", "status"], decision: "allow" }],
    });
  });

  it("attaches the justification to forbidden matches", () => {
    const policy = policyFrom(
      `prefix_rule(pattern = ["rm"], decision = "forbidden", justification = "destructive command")`,
    );
    expect(policy.evaluate(["rm", "-rf", "/some/important/folder"])).toEqual({
      decision: "forbidden",
      matchedRules: [
        { matchedPrefix: ["rm"], decision: "forbidden", justification: "destructive command" },
      ],
    });
  });

  it("allows a justification on allow rules", () => {
    const policy = policyFrom(
      `prefix_rule(pattern = ["ls"], decision = "allow", justification = "safe and commonly used")`,
    );
    expect(policy.evaluate(["ls", "-l"])).toEqual({
      decision: "allow",
      matchedRules: [
        { matchedPrefix: ["ls"], decision: "allow", justification: "safe and commonly used" },
      ],
    });
  });

  it("rejects a blank justification", () => {
    const error = policyErrorFrom(
      `prefix_rule(\n    pattern = ["ls"],\n    decision = "prompt",\n    justification = "   ",\n)`,
    );
    expect([error.code, error.detail]).toEqual([
      "invalid_rule",
      "invalid rule: justification cannot be empty",
    ]);
  });

  it("merges several files, in order", () => {
    const policy = policyFrom(
      `prefix_rule(pattern = ["git"], decision = "prompt")`,
      `prefix_rule(pattern = ["git", "commit"], decision = "forbidden")`,
    );
    expect(policy.evaluate(["git", "status"])).toEqual({
      decision: "prompt",
      matchedRules: [{ matchedPrefix: ["git"], decision: "prompt" }],
    });
    expect(policy.evaluate(["git", "commit", "-m", "hi"])).toEqual({
      decision: "forbidden",
      matchedRules: [
        { matchedPrefix: ["git"], decision: "prompt" },
        { matchedPrefix: ["git", "commit"], decision: "forbidden" },
      ],
    });
  });

  it("expands only first-token alternatives into separate rules", () => {
    const policy = policyFrom(`prefix_rule(pattern = [["bash", "sh"], ["-c", "-l"]])`);
    expect(policy.prefixRules).toEqual([
      {
        program: "bash",
        rest: [{ kind: "alternatives", tokens: ["-c", "-l"] }],
        decision: "allow",
        justification: undefined,
        canonical: false,
      },
      {
        program: "sh",
        rest: [{ kind: "alternatives", tokens: ["-c", "-l"] }],
        decision: "allow",
        justification: undefined,
        canonical: false,
      },
    ]);
    expect(policy.evaluate(["bash", "-c", "echo", "hi"])).toEqual({
      decision: "allow",
      matchedRules: [{ matchedPrefix: ["bash", "-c"], decision: "allow" }],
    });
    expect(policy.evaluate(["sh", "-l", "echo", "hi"])).toEqual({
      decision: "allow",
      matchedRules: [{ matchedPrefix: ["sh", "-l"], decision: "allow" }],
    });
  });

  it("keeps tail alternatives in place instead of multiplying rules", () => {
    const policy = policyFrom(
      `prefix_rule(pattern = ["npm", ["i", "install"], ["--legacy-peer-deps", "--no-save"]])`,
    );
    expect(policy.prefixRules).toHaveLength(1);
    expect(policy.evaluate(["npm", "i", "--legacy-peer-deps"])).toEqual({
      decision: "allow",
      matchedRules: [{ matchedPrefix: ["npm", "i", "--legacy-peer-deps"], decision: "allow" }],
    });
    expect(policy.evaluate(["npm", "install", "--no-save", "leftpad"])).toEqual({
      decision: "allow",
      matchedRules: [{ matchedPrefix: ["npm", "install", "--no-save"], decision: "allow" }],
    });
    expect(policy.evaluate(["npm", "install", "--save"])).toEqual({
      decision: undefined,
      matchedRules: [],
    });
  });

  it("enforces match and not_match examples, matched positionally", () => {
    const policy = policyFrom(`prefix_rule(
    pattern = ["git", "status"],
    match = [["git", "status"], "git status"],
    not_match = [
        ["git", "--config", "color.status=always", "status"],
        "git --config color.status=always status",
    ],
)`);
    expect(policy.evaluate(["git", "--config", "color.status=always", "status"])).toEqual({
      decision: undefined,
      matchedRules: [],
    });
    expect(policy.evaluate(["git", "status"]).decision).toBe("allow");
  });

  it("fails loading when a match example does not match", () => {
    const error = policyErrorFrom(`prefix_rule(pattern = ["git", "status"], match = ["git log"])`);
    expect(error.code).toBe("example_did_not_match");
    expect(error.detail).toBe(
      'expected every example to match at least one rule. rules: ["PrefixRule { pattern: PrefixPattern { canonical_matching: false, first: \\"git\\", rest: [Single(\\"status\\")] }, decision: Allow, justification: None }"]; unmatched examples: ["git log"]',
    );
    expect(error.location).toEqual({ path: "test0.rules", line: 1, column: 1 });
  });

  it("fails loading when a not_match example matches", () => {
    const error = policyErrorFrom(`\nprefix_rule(pattern = ["git"], not_match = ["git status"])`);
    expect([error.code, error.detail, error.location?.line]).toEqual([
      "example_did_match",
      'expected example to not match rule `PrefixRuleMatch { matched_prefix: ["git"], decision: Allow, resolved_program: None, justification: None }`: git status',
      2,
    ]);
  });

  it("takes the strictest decision across matches", () => {
    const policy = policyFrom(`
prefix_rule(pattern = ["git"], decision = "prompt")
prefix_rule(pattern = ["git", "commit"], decision = "forbidden")
prefix_rule(pattern = ["git", "commit", "-m"], decision = "allow")
`);
    expect(policy.evaluate(["git", "commit", "-m", "x"])).toEqual({
      decision: "forbidden",
      matchedRules: [
        { matchedPrefix: ["git"], decision: "prompt" },
        { matchedPrefix: ["git", "commit"], decision: "forbidden" },
        { matchedPrefix: ["git", "commit", "-m"], decision: "allow" },
      ],
    });
  });

  it("compiles network rules into allowed and denied domains", () => {
    const policy = policyFrom(`
network_rule(host = "google.com", protocol = "http", decision = "allow")
network_rule(host = "api.github.com", protocol = "https", decision = "allow")
network_rule(host = "blocked.example.com", protocol = "https", decision = "deny")
network_rule(host = "prompt-only.example.com", protocol = "https", decision = "prompt")
`);
    expect(policy.networkRules.map((rule) => [rule.host, rule.protocol, rule.decision])).toEqual([
      ["google.com", "http", "allow"],
      ["api.github.com", "https", "allow"],
      ["blocked.example.com", "https", "forbidden"],
      ["prompt-only.example.com", "https", "prompt"],
    ]);
    expect(policy.compiledNetworkDomains()).toEqual({
      allowed: ["google.com", "api.github.com"],
      denied: ["blocked.example.com"],
    });
  });

  it("lets a later network rule override an earlier one for the same host", () => {
    const policy = policyFrom(`
network_rule(host = "a.com", protocol = "https", decision = "allow")
network_rule(host = "b.com", protocol = "https", decision = "allow")
network_rule(host = "A.com.", protocol = "https", decision = "forbidden")
`);
    expect(policy.compiledNetworkDomains()).toEqual({ allowed: ["b.com"], denied: ["a.com"] });
  });

  it("rejects wildcard network hosts", () => {
    expect(
      policyErrorFrom(`network_rule(host="*", protocol="http", decision="allow")`).detail,
    ).toBe("invalid rule: network_rule host must be a specific host; wildcards are not allowed");
  });
});
