/**
 * The JSON that `execward rules check` prints, byte for byte what `codex execpolicy check` prints:
 * `{"matchedRules":[{"prefixRuleMatch":{"matchedPrefix":[...],"decision":"...",
 * "resolvedProgram"?:...,"justification"?:...}}],"decision":"..."}`, `decision` omitted when no
 * rule matched, compact or (`pretty`) indented by two spaces as serde_json does.
 */
import type { Evaluation } from "./policy.js";

export function formatCheckOutput(evaluation: Evaluation, pretty: boolean): string {
  const output = {
    matchedRules: evaluation.matchedRules.map((match) => ({
      prefixRuleMatch: {
        matchedPrefix: match.matchedPrefix,
        decision: match.decision,
        ...(match.resolvedProgram === undefined ? {} : { resolvedProgram: match.resolvedProgram }),
        ...(match.justification === undefined ? {} : { justification: match.justification }),
      },
    })),
    ...(evaluation.decision === undefined ? {} : { decision: evaluation.decision }),
  };
  return pretty ? JSON.stringify(output, null, 2) : JSON.stringify(output);
}
