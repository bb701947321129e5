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

/** Where a rule was written: its rules file and 1-based line (absent for rules made in code). */
export interface RuleSource {
  readonly file: string;
  readonly line: number;
}

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
  /** Where it was written (non-enumerable, see `withSource`). */
  readonly source?: RuleSource;
}

/** One matched rule, shaped like codex's `RuleMatch::PrefixRuleMatch`. */
export interface PrefixRuleMatch {
  readonly matchedPrefix: readonly string[];
  readonly decision: Decision;
  /** The absolute program path that matched a basename rule through host-executable resolution. */
  readonly resolvedProgram?: string;
  readonly justification?: string;
  /** The matched rule's file and line (non-enumerable, see `withSource`; not in codex's output). */
  readonly source?: RuleSource;
}

/**
 * `value` with `source` attached as a non-enumerable property: rules and matches keep codex's
 * shape in JSON (`rules check` output) and in structural comparisons, and still say where
 * they were written.
 */
export function withSource<T extends object>(value: T, source: RuleSource | undefined): T {
  if (source !== undefined)
    Object.defineProperty(value, "source", { value: source, enumerable: false });
  return value;
}

export function createPrefixRuleMatch(
  rule: PrefixRule,
  matchedPrefix: readonly string[],
  resolvedProgram?: string,
): PrefixRuleMatch {
  return withSource(
    {
      matchedPrefix,
      decision: rule.decision,
      ...(resolvedProgram === undefined ? {} : { resolvedProgram }),
      ...(rule.justification === undefined ? {} : { justification: rule.justification }),
    },
    rule.source,
  );
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
