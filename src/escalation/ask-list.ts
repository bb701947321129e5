/**
 * The EXECWARD_ASK list: the program names the hook must ask the server about.
 *
 * A program whose basename is on no rule and is not looked at by the dangerous-command
 * heuristic can only get "run in the sandbox", so the hook runs it without a round trip. The
 * list always names the multi-call binaries (busybox), which run any applet in-process. The
 * list is exact or absent (absent = ask about everything): it is absent when rules are matched
 * by full path or case-insensitively, which a byte comparison of names cannot reproduce.
 */
import type { Policy } from "../policy/index.js";
import { HEURISTIC_PROGRAMS } from "./dangerous-command.js";
import { MULTI_CALL_PROGRAMS } from "./multi-call.js";

const MAX_LIST_BYTES = 200 * 1024;

export function computeAskList(policy: Policy, preserveProgramPaths: boolean): string | undefined {
  if (preserveProgramPaths) return undefined;
  const names = new Set<string>([...HEURISTIC_PROGRAMS, ...MULTI_CALL_PROGRAMS]);
  for (const rule of policy.prefixRules) {
    if (rule.canonical) return undefined;
    // A rule naming a path can never equal a basename; an empty name never matches either.
    if (rule.program !== "" && !rule.program.includes("/")) names.add(rule.program);
  }
  const list = `/${[...names].join("/")}/`;
  return Buffer.byteLength(list) > MAX_LIST_BYTES || list.includes("\0") ? undefined : list;
}
