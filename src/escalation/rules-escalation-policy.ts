/**
 * The EscalationPolicy built on `.rules`, with upstream's decision table:
 *
 *   forbidden                       deny "Execution forbidden by policy[: justification]"
 *   allow (a rule matched)          escalate (run outside the sandbox)
 *   prompt                          ask: yes → escalate; no → "User declined execution" /
 *                                   "User cancelled execution"
 *   no rule, dangerous heuristic    ask: yes → run in the sandbox; no → deny
 *   no rule                         run in the sandbox
 *
 * The program token is the file's basename (or its full path with `preserveProgramPaths`);
 * argv[0] is ignored, as upstream. Three execward guards on top:
 * - when the file is a symlink, the target's name is judged too and the stricter outcome wins
 *   (`ln -s /bin/rm del; ./del` is `rm` to a `forbidden` rule);
 * - a program file the sandbox could write (under a writable root, as named or as a symlink's
 *   target) never escalates on a basename rule alone: it needs a `host_executable` entry listing that path, or a human's yes with the
 *   real path shown;
 * - a request that is not valid UTF-8 never escalates (it cannot be shown or spawned faithfully).
 * "Yes for this session" answers are remembered per exact program + arguments.
 */
import { realpathSync } from "node:fs";
import path from "node:path";

import type { ApprovalAnswer, Approver } from "../approval/approver.js";
import {
  stricterDecision,
  type Decision,
  type Policy,
  type PrefixRuleMatch,
} from "../policy/index.js";
import { commandMightBeDangerous } from "./dangerous-command.js";
import type { EscalationDecision, EscalationPolicy, ExecRequest } from "./escalation-policy.js";

export interface RulesEscalationPolicyOptions {
  readonly policy: Policy;
  readonly approver: Approver;
  /** Match rules against the full program path instead of its basename. */
  readonly preserveProgramPaths?: boolean;
  /** Absolute directories the sandboxed command can write. */
  readonly writableRoots: readonly string[];
}

export const FORBIDDEN_REASON = "Execution forbidden by policy";
export const DECLINED_REASON = "User declined execution";
export const CANCELLED_REASON = "User cancelled execution";

export function createRulesEscalationPolicy(
  options: RulesEscalationPolicyOptions,
): EscalationPolicy {
  const approvedForSession = new Set<string>();

  const ask = async (
    request: ExecRequest,
    reason: string,
    justification: string | undefined,
    signal: AbortSignal,
  ): Promise<ApprovalAnswer> => {
    const key = JSON.stringify([request.file, ...request.argv.slice(1)]);
    if (approvedForSession.has(key)) return "accept";
    let answer: ApprovalAnswer;
    try {
      answer = await options.approver.ask(
        {
          kind: "exec",
          program: request.file,
          args: request.argv.slice(1),
          workdir: request.workdir,
          reason,
          ...(justification === undefined ? {} : { justification }),
        },
        signal,
      );
    } catch (error) {
      throw new ApprovalUnavailable(error instanceof Error ? error.message : String(error));
    }
    if (answer === "accept-for-session") approvedForSession.add(key);
    return answer;
  };

  return {
    async decide(request, signal): Promise<EscalationDecision> {
      const evaluation = evaluateRequest(options, request);
      const command = evaluation.command;
      const justification = evaluation.matchedRules.find(
        (match) => match.decision === evaluation.decision && match.justification !== undefined,
      )?.justification;
      try {
        switch (evaluation.decision) {
          case "forbidden":
            return deny(
              justification === undefined
                ? FORBIDDEN_REASON
                : `${FORBIDDEN_REASON}: ${justification}`,
            );
          case "allow":
          case "prompt":
            return await escalateOrAsk(evaluation.decision, request, justification, signal);
          case undefined:
            if (!commandMightBeDangerous(command)) return { action: "run" };
            return answerToDecision(
              await ask(
                request,
                "this command might be destructive (no rule covers it)",
                undefined,
                signal,
              ),
              { action: "run" },
            );
        }
      } catch (error) {
        if (error instanceof ApprovalUnavailable)
          return deny(`approval required, but ${error.message}`);
        throw error;
      }
    },
  };

  async function escalateOrAsk(
    decision: Extract<Decision, "allow" | "prompt">,
    request: ExecRequest,
    justification: string | undefined,
    signal: AbortSignal,
  ): Promise<EscalationDecision> {
    if (!request.faithful) {
      return deny(
        "the command's arguments or environment are not valid UTF-8, so execward cannot show or escalate it",
      );
    }
    // The file as named and, through symlinks, as it really is: either being writable counts.
    const locations = [request.file, realPathOf(request.file)];
    const writable = options.writableRoots.some((root) =>
      locations.some((file) => isInside(file, root)),
    );
    const listed =
      options.policy.hostExecutables.get(path.basename(request.file))?.includes(request.file) ===
      true;
    if (decision === "allow" && !(writable && !listed && options.preserveProgramPaths !== true)) {
      return { action: "escalate" };
    }
    const reason =
      decision === "prompt"
        ? "a rule asks for approval"
        : `the program file ${request.file} is writable from the sandbox, so the allow rule for ${path.basename(request.file)} alone cannot vouch for it`;
    return answerToDecision(await ask(request, reason, justification, signal), {
      action: "escalate",
    });
  }
}

class ApprovalUnavailable extends Error {}

/** Evaluates the program as named and, if it is a symlink, as its target; the stricter wins. */
function evaluateRequest(
  options: RulesEscalationPolicyOptions,
  request: ExecRequest,
): { command: string[]; decision: Decision | undefined; matchedRules: readonly PrefixRuleMatch[] } {
  const token = (file: string): string =>
    options.preserveProgramPaths === true ? file : path.basename(file);
  const command = [token(request.file), ...request.argv.slice(1)];
  const named = options.policy.evaluate(command);
  let real: string;
  try {
    real = realpathSync(request.file);
  } catch {
    return { command, ...named };
  }
  if (token(real) === command[0]) return { command, ...named };
  const target = options.policy.evaluate([token(real), ...request.argv.slice(1)]);
  const decision =
    named.decision === undefined
      ? target.decision
      : target.decision === undefined
        ? named.decision
        : stricterDecision(named.decision, target.decision);
  return { command, decision, matchedRules: [...named.matchedRules, ...target.matchedRules] };
}

function answerToDecision(answer: ApprovalAnswer, onYes: EscalationDecision): EscalationDecision {
  switch (answer) {
    case "accept":
    case "accept-for-session":
      return onYes;
    case "decline":
      return deny(DECLINED_REASON);
    case "cancel":
      return deny(CANCELLED_REASON);
  }
}

function deny(reason: string): EscalationDecision {
  return { action: "deny", reason };
}

function realPathOf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

function isInside(file: string, root: string): boolean {
  const relative = path.relative(root, file);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}
