/** The .rules policy engine's public surface. */
export {
  allowPrefixRuleLine,
  appendAllowPrefixRule,
  appendNetworkRule,
  LOCK_WAIT_MS,
} from "./amend.js";
export type {
  AmendNetworkDecision,
  AmendNetworkProtocol,
  AmendOptions,
  FileLocker,
} from "./amend.js";
export { formatCheckOutput } from "./check-output.js";
export { parseDecision, stricterDecision } from "./decision.js";
export type { Decision } from "./decision.js";
export { discoverRules } from "./discover-rules.js";
export type {
  DiscoveredRules,
  DiscoverRulesOptions,
  DiscoveryNotice,
  RulesLayer,
  RulesLayerSource,
} from "./discover-rules.js";
export type { PathContext } from "./host-executable.js";
export { formatLintWarning, launcherReason, lintPrefixRule, lintRulesText } from "./lint-rules.js";
export type { LintWarning } from "./lint-rules.js";
export { loadPolicy, parsePolicy, processPathContext } from "./load-policy.js";
export type { LoadPolicyOptions } from "./load-policy.js";
export type { NetworkProtocol, NetworkRule } from "./network-rule.js";
export { Policy } from "./policy.js";
export type { Evaluation, MatchOptions, NetworkDomains } from "./policy.js";
export { PolicyError, formatLocation } from "./policy-error.js";
export type { PolicyErrorCode, SourceLocation } from "./policy-error.js";
export type { PatternToken, PrefixRule, PrefixRuleMatch, RuleSource } from "./rule.js";
export { shlexJoin, shlexSplit } from "./shlex.js";
