/**
 * One call's audit: turns its decisions (escalation server, hook notices, network) into audit
 * records for the session's sinks.
 *
 * Guards the trust boundary: server decisions are recorded from the server's own inspected
 * request and the policy's basis (`reported_by: "server"`); a hook notice is recorded as the
 * sandbox's claim (`reported_by: "sandbox"`, decision always `run`), within the call's notice
 * budget (excess dropped and counted); a malformed notice is counted, never logged verbatim.
 */
import type { DecisionBasis } from "../escalation/rules-escalation-policy.js";
import type { ExecRequest } from "../escalation/escalation-policy.js";
import type { ExecNotice } from "../escalation/protocol.js";
import type { NetworkDecisionRecord } from "../network/proxy-client-context.js";
import { NOTICE_REASON } from "./audit-record.js";
import type { ExecSession } from "./exec-session.js";
import { NoticeBudget } from "./notice-budget.js";

export interface CallAudit {
  readonly exec: (request: ExecRequest, basis: DecisionBasis) => void;
  readonly notice: (notice: ExecNotice | undefined) => void;
  readonly network: (decision: NetworkDecisionRecord) => void;
  /** The call ended: report what was dropped. */
  readonly end: () => void;
}

export function callAudit(session: ExecSession, call: number, command: string): CallAudit {
  const budget = new NoticeBudget(performance.now());
  let malformed = 0;
  const common = (): { time: string; session: string; call: number } => ({
    time: new Date().toISOString(),
    session: session.id,
    call,
  });
  const reportDropped = (): void => {
    const dropped = budget.takeDropped();
    if (dropped > 0)
      session.audit({
        ...common(),
        kind: "dropped",
        reported_by: "server",
        count: dropped,
        reason: "fast-path notices over the call's budget (a flood from inside the sandbox?)",
      });
    if (malformed > 0) {
      session.audit({
        ...common(),
        kind: "dropped",
        reported_by: "server",
        count: malformed,
        reason: "malformed fast-path notices from inside the sandbox",
      });
      malformed = 0;
    }
  };
  return {
    exec: (request, basis) => {
      const decision = basis.decision;
      session.audit({
        ...common(),
        kind: "exec",
        decision: decision.action,
        reported_by: "server",
        program: request.inspection.host?.programPath ?? request.file,
        argv: request.argv,
        workdir: request.workdir,
        reason: basis.reason,
        rule: basis.rule ?? null,
        approval: basis.approval ?? null,
      });
    },
    notice: (notice) => {
      if (notice === undefined) {
        malformed++;
        return;
      }
      if (!budget.take(performance.now())) return;
      session.audit({
        ...common(),
        kind: "exec",
        decision: "run",
        reported_by: "sandbox",
        program: notice.file,
        argv: notice.argv,
        workdir: notice.workdir,
        reason: NOTICE_REASON,
        rule: null,
        approval: null,
        ...(notice.truncated === true ? { truncated: true as const } : {}),
      });
    },
    network: (decision) => {
      session.audit({
        ...common(),
        kind: "network",
        decision: decision.decision,
        reported_by: "server",
        protocol: decision.protocol,
        host: decision.host,
        port: decision.port,
        command,
        reason: decision.reason,
        rule: null,
        approval:
          decision.approval === undefined ? null : { via: "approver", answer: decision.approval },
      });
    },
    end: reportDropped,
  };
}
