// The library's public surface (src/index.ts): the runtime exports are pinned, so adding or
// removing one is a visible, deliberate change; the type exports are checked by the compiler
// when this file is type-checked (a removed type breaks the import below).
import { describe, expect, it } from "vitest";

import * as api from "../../src/index.js";
import type {
  Decision,
  DiscoveredRules,
  DiscoverRulesOptions,
  ErrorCode,
  Evaluation,
  MatchOptions,
  NetworkRule,
  PathContext,
  PrefixRule,
  PrefixRuleMatch,
  SourceLocation,
} from "../../src/index.js";

describe("public API", () => {
  it("exports exactly these values", () => {
    expect(Object.keys(api).sort()).toEqual([
      "ExecwardError",
      "Policy",
      "PolicyError",
      "appendAllowPrefixRule",
      "appendNetworkRule",
      "discoverRules",
      "formatCheckOutput",
      "isExecwardError",
      "loadPolicy",
      "parseDecision",
      "parsePolicy",
      "stricterDecision",
    ]);
  });

  it("evaluates a policy end to end through the public names only", () => {
    const policy = api.parsePolicy(
      [{ name: "a.rules", text: `prefix_rule(pattern=["rm"], decision="forbidden")` }],
      { paths: { cwd: "/", home: "/root" } },
    );
    const evaluation: Evaluation = policy.evaluate(["rm", "-rf", "x"]);
    const decision: Decision | undefined = evaluation.decision;
    expect(decision).toBe("forbidden");
    expect(api.stricterDecision("allow", "prompt")).toBe("prompt");
  });
});

// Types only: each must stay exported (this list is the type half of the surface).
export type PublicTypes = [
  Decision,
  DiscoveredRules,
  DiscoverRulesOptions,
  ErrorCode,
  Evaluation,
  MatchOptions,
  NetworkRule,
  PathContext,
  PrefixRule,
  PrefixRuleMatch,
  SourceLocation,
];
