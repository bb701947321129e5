/**
 * Prefix rules and their matching, with codex execpolicy's semantics.
 *
 * A rule is keyed by its program (the first token, always a single string once first-position
 * alternatives have been expanded into separate rules); later positions are a single token or a
 * set of alternatives that stay in place (never cross-multiplied). A rule matches a command that
 * has at least as many tokens and equals it token by token (exact, case-sensitive).
 */
import { decisionDebugName, type Decision } from "./decision.js";
import { rustDebugOptionString, rustDebugString, rustDebugStringList } from "./rust-debug.js";

/** One pattern position after the first: a token, or alternatives (at least two). */
export type PatternToken =
  | { readonly kind: "single"; readonly token: string }
  | { readonly kind: "alternatives"; readonly tokens: readonly string[] };

export interface PrefixRule {
  readonly program: string;
  readonly rest: readonly PatternToken[];
  readonly decision: Decision;
  readonly justification: string | undefined;
  /** `canonical_matching=True`: tokens compare case-insensitively (see case-fold.ts). */
  readonly canonical: boolean;
}

/** One matched rule, shaped like codex's `RuleMatch::PrefixRuleMatch`. */
export interface PrefixRuleMatch {
  readonly matchedPrefix: readonly string[];
  readonly decision: Decision;
  /** The absolute program path that matched a basename rule through host-executable resolution. */
  readonly resolvedProgram?: string;
  readonly justification?: string;
}

export function createPrefixRuleMatch(
  rule: PrefixRule,
  matchedPrefix: readonly string[],
  resolvedProgram?: string,
): PrefixRuleMatch {
  return {
    matchedPrefix,
    decision: rule.decision,
    ...(resolvedProgram === undefined ? {} : { resolvedProgram }),
    ...(rule.justification === undefined ? {} : { justification: rule.justification }),
  };
}

/** Rust Debug of codex's `PrefixRule`, as printed in "unmatched examples" errors. */
export function debugPrefixRule(rule: PrefixRule): string {
  const rest = rule.rest
    .map((token) =>
      token.kind === "single"
        ? `Single(${rustDebugString(token.token)})`
        : `Alts(${rustDebugStringList(token.tokens)})`,
    )
    .join(", ");
  return (
    `PrefixRule { pattern: PrefixPattern { canonical_matching: ${String(rule.canonical)}, ` +
    `first: ${rustDebugString(rule.program)}, ` +
    `rest: [${rest}] }, decision: ${decisionDebugName(rule.decision)}, ` +
    `justification: ${rustDebugOptionString(rule.justification)} }`
  );
}

/** Rust Debug of codex's `RuleMatch::PrefixRuleMatch`, as printed in `not_match` errors. */
export function debugPrefixRuleMatch(match: PrefixRuleMatch): string {
  const resolved =
    match.resolvedProgram === undefined
      ? "None"
      : `Some(AbsolutePathBuf(${rustDebugString(match.resolvedProgram)}))`;
  return (
    `PrefixRuleMatch { matched_prefix: ${rustDebugStringList(match.matchedPrefix)}, ` +
    `decision: ${decisionDebugName(match.decision)}, resolved_program: ${resolved}, ` +
    `justification: ${rustDebugOptionString(match.justification)} }`
  );
}
