/**
 * execward as a library: the pieces of the engine another agent can embed.
 * Explicit named exports only; test/unit/public-api.test.ts pins this list.
 */
export { ExecwardError, isExecwardError } from "./errors.js";
export type { ErrorCode } from "./errors.js";
export {
  Policy,
  PolicyError,
  appendAllowPrefixRule,
  appendNetworkRule,
  discoverRules,
  formatCheckOutput,
  loadPolicy,
  parsePolicy,
  parseDecision,
  stricterDecision,
} from "./policy/index.js";
export type {
  Decision,
  DiscoveredRules,
  DiscoverRulesOptions,
  Evaluation,
  MatchOptions,
  NetworkRule,
  PathContext,
  PrefixRule,
  PrefixRuleMatch,
  SourceLocation,
} from "./policy/index.js";
