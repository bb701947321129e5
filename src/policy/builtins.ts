/**
 * The three builtins a rules file calls: `prefix_rule`, `network_rule`, `host_executable`.
 *
 * Each turns bound arguments into policy data or throws a PolicyError with codex's wording, and
 * checks values in codex's order (for `prefix_rule`: decision, justification, pattern, `match`,
 * `not_match`). Nothing is added to the policy unless the whole call is valid.
 */
import { bindArguments, listArgument, stringArgument, type BuiltinSpec } from "./arguments.js";
import type { CallArgument } from "./ast.js";
import { parseDecision } from "./decision.js";
import { parseHostExecutablePath, validateHostExecutableName } from "./host-executable.js";
import {
  normalizeNetworkRuleHost,
  parseNetworkDecision,
  parseNetworkProtocol,
  type NetworkRule,
} from "./network-rule.js";
import { PolicyError } from "./policy-error.js";
import type { PatternToken, PrefixRule } from "./rule.js";
import { rustTrim } from "./rust-str.js";
import { shlexSplit } from "./shlex.js";
import type { StarlarkValue } from "./starlark-value.js";

export const PREFIX_RULE: BuiltinSpec = {
  name: "prefix_rule",
  parameters: [
    { name: "pattern", type: "list", required: true },
    { name: "decision", type: "str", required: false },
    { name: "match", type: "list", required: false },
    { name: "not_match", type: "list", required: false },
    { name: "justification", type: "str", required: false },
    { name: "canonical_matching", type: "bool", required: false },
  ],
};

export const NETWORK_RULE: BuiltinSpec = {
  name: "network_rule",
  parameters: [
    { name: "host", type: "str", required: true },
    { name: "protocol", type: "str", required: true },
    { name: "decision", type: "str", required: true },
    { name: "justification", type: "str", required: false },
  ],
};

export const HOST_EXECUTABLE: BuiltinSpec = {
  name: "host_executable",
  parameters: [
    { name: "name", type: "str", required: true },
    { name: "paths", type: "list", required: true },
  ],
};

export const BUILTIN_NAMES: ReadonlySet<string> = new Set([
  PREFIX_RULE.name,
  NETWORK_RULE.name,
  HOST_EXECUTABLE.name,
]);

type EvaluatedArgument = CallArgument & { readonly evaluated: StarlarkValue };

/** What one `prefix_rule` call defines: its rules and the examples to check them against. */
export interface PrefixRuleCall {
  readonly rules: readonly PrefixRule[];
  readonly matches: readonly (readonly string[])[];
  readonly notMatches: readonly (readonly string[])[];
}

export function callPrefixRule(args: readonly EvaluatedArgument[]): PrefixRuleCall {
  const bound = bindArguments(PREFIX_RULE, args);
  const rawDecision = stringArgument(bound, "decision");
  const decision = rawDecision === undefined ? "allow" : parseDecision(rawDecision);
  const justification = parseJustification(stringArgument(bound, "justification"));
  const pattern = parsePattern(listArgument(bound, "pattern") ?? []);
  const matches = (listArgument(bound, "match") ?? []).map(parseExample);
  const notMatches = (listArgument(bound, "not_match") ?? []).map(parseExample);
  const canonicalValue = bound.get("canonical_matching");
  const canonical = canonicalValue?.type === "bool" && canonicalValue.value;

  const [first, ...rest] = pattern;
  const heads = first === undefined ? [] : first.kind === "single" ? [first.token] : first.tokens;
  const rules = heads.map((program): PrefixRule => ({
    program,
    rest,
    decision,
    justification,
    canonical,
  }));
  return { rules, matches, notMatches };
}

export function callNetworkRule(args: readonly EvaluatedArgument[]): NetworkRule {
  const bound = bindArguments(NETWORK_RULE, args);
  const protocol = parseNetworkProtocol(stringArgument(bound, "protocol") ?? "");
  const decision = parseNetworkDecision(stringArgument(bound, "decision") ?? "");
  const justification = parseJustification(stringArgument(bound, "justification"));
  const host = normalizeNetworkRuleHost(stringArgument(bound, "host") ?? "");
  return { host, protocol, decision, justification };
}

/** The name and its allowed paths (normalised, duplicates dropped). */
export function callHostExecutable(args: readonly EvaluatedArgument[]): {
  name: string;
  paths: string[];
} {
  const bound = bindArguments(HOST_EXECUTABLE, args);
  const name = stringArgument(bound, "name") ?? "";
  validateHostExecutableName(name);
  const paths: string[] = [];
  for (const value of listArgument(bound, "paths") ?? []) {
    if (value.type !== "string") {
      throw new PolicyError(
        "invalid_rule",
        `invalid rule: host_executable paths must be strings (got ${value.type})`,
      );
    }
    const path = parseHostExecutablePath(name, value.value);
    if (!paths.includes(path)) paths.push(path);
  }
  return { name, paths };
}

function parseJustification(raw: string | undefined): string | undefined {
  if (raw !== undefined && rustTrim(raw).length === 0) {
    throw new PolicyError("invalid_rule", "invalid rule: justification cannot be empty");
  }
  return raw;
}

function parsePattern(elements: readonly StarlarkValue[]): PatternToken[] {
  const tokens = elements.map(parsePatternToken);
  if (tokens.length === 0) throw invalidPattern("pattern cannot be empty");
  return tokens;
}

function parsePatternToken(value: StarlarkValue): PatternToken {
  if (value.type === "string") return { kind: "single", token: value.value };
  if (value.type !== "list") {
    throw invalidPattern(`pattern element must be a string or list of strings (got ${value.type})`);
  }
  const alternatives = value.items.map((item) => {
    if (item.type !== "string") {
      throw invalidPattern(`pattern alternative must be a string (got ${item.type})`);
    }
    return item.value;
  });
  const [only] = alternatives;
  if (only === undefined) throw invalidPattern("pattern alternatives cannot be empty");
  return alternatives.length === 1
    ? { kind: "single", token: only }
    : { kind: "alternatives", tokens: alternatives };
}

function parseExample(value: StarlarkValue): string[] {
  if (value.type === "string") {
    const tokens = shlexSplit(value.value);
    if (tokens === undefined) throw invalidExample("example string has invalid shell syntax");
    if (tokens.length === 0) throw invalidExample("example cannot be an empty string");
    return tokens;
  }
  if (value.type !== "list") {
    throw invalidExample(`example must be a string or list of strings (got ${value.type})`);
  }
  const tokens = value.items.map((item) => {
    if (item.type !== "string") {
      throw invalidExample(`example tokens must be strings (got ${item.type})`);
    }
    return item.value;
  });
  if (tokens.length === 0) throw invalidExample("example cannot be an empty list");
  return tokens;
}

function invalidPattern(detail: string): PolicyError {
  return new PolicyError("invalid_pattern", `invalid pattern element: ${detail}`);
}

function invalidExample(detail: string): PolicyError {
  return new PolicyError("invalid_example", `invalid example: ${detail}`);
}
