/**
 * One call's audit: turns its decisions (escalation server, hook notices, network) into audit
 * records for the session's sinks.
 *
 * Guards the trust boundary: server decisions are recorded from the server's own inspected
 * request and the policy's basis (`reported_by: "server"`); a hook notice is recorded as the
 * sandbox's claim (`reported_by: "sandbox"`, decision always `run`), within the call's notice
 * budget (excess dropped and counted); a malformed notice is counted, never logged verbatim.
 * A kernel backstop notice (an exec its C fast path let through, read by execward's supervisor
 * outside the sandbox) is recorded as `reported_by: "backstop"`, decision `run`, within its own
 * budget (a flood of forged hook notices cannot crowd it out), unless the hook's side already
 * recorded that exec (seen-execs.ts): each exec once.
 */
import path from "node:path";

import type { DecisionBasis } from "../escalation/rules-escalation-policy.js";
import type { EscalationPolicy, ExecRequest } from "../escalation/escalation-policy.js";
import type { BackstopNotice } from "../escalation/exec-backstop.js";
import type { ExecNotice } from "../escalation/protocol.js";
import type { NetworkDecisionRecord } from "../network/proxy-client-context.js";
import { BACKSTOP_NOTICE_REASON, NOTICE_REASON } from "./audit-record.js";
import type { ExecSession } from "./exec-session.js";
import { NoticeBudget } from "./notice-budget.js";
import { SeenExecs } from "./seen-execs.js";

export interface CallAudit {
  /** Who answers this call's questions (named in network records). */
  readonly setApprover: (via: string | undefined) => void;
  /**
   * `policy`, with decisions that fail (the server then denies: "execward could not decide")
   * recorded as denials too.
   */
  readonly failures: (policy: EscalationPolicy) => EscalationPolicy;
  readonly exec: (request: ExecRequest, basis: DecisionBasis) => void;
  readonly notice: (notice: ExecNotice | undefined) => void;
  readonly backstopNotice: (notice: BackstopNotice) => void;
  /** Records left out before they reached here (the supervisor's full channel). */
  readonly dropped: (count: number, reason: string) => void;
  readonly network: (decision: NetworkDecisionRecord) => void;
  /** The call ended: report what was dropped. */
  readonly end: () => void;
}

export function callAudit(session: ExecSession, call: number, command: string): CallAudit {
  const budget = new NoticeBudget(performance.now());
  const backstopBudget = new NoticeBudget(performance.now());
  const seen = new SeenExecs();
  let malformed = 0;
  let via = "approver";
  const common = (): { time: string; session: string; call: number } => ({
    time: new Date().toISOString(),
    session: session.id,
    call,
  });
  const droppedRecord = (count: number, reason: string): void => {
    session.audit({ ...common(), kind: "dropped", reported_by: "server", count, reason });
  };
  const reportDropped = (): void => {
    const backstopDropped = backstopBudget.takeDropped();
    if (backstopDropped > 0)
      droppedRecord(backstopDropped, "exec backstop notices over the call's budget");
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
  const exec = (request: ExecRequest, basis: DecisionBasis): void => {
    const decision = basis.decision;
    if (decision.action === "run") seen.add(request.file, request.argv, performance.now());
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
  };
  return {
    setApprover: (name) => {
      via = name ?? "approver";
    },
    failures: (policy) => ({
      decide: (request, signal) =>
        policy.decide(request, signal).catch((error: unknown) => {
          const reason = `execward could not decide: ${error instanceof Error ? error.message : String(error)}`;
          exec(request, { decision: { action: "deny", reason }, reason });
          throw error;
        }),
    }),
    exec,
    notice: (notice) => {
      if (notice === undefined) {
        malformed++;
        return;
      }
      const now = performance.now();
      seen.add(path.resolve(notice.workdir, notice.file), notice.argv, now);
      if (!budget.take(now)) return;
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
    backstopNotice: (notice) => {
      const now = performance.now();
      if (seen.take(path.resolve(notice.file), notice.argv, now)) return;
      if (!backstopBudget.take(now)) return;
      session.audit({
        ...common(),
        kind: "exec",
        decision: "run",
        reported_by: "backstop",
        program: notice.file,
        argv: notice.argv,
        workdir: notice.workdir,
        reason: BACKSTOP_NOTICE_REASON,
        rule: null,
        approval: null,
        pid: notice.pid,
        ...(notice.truncated ? { truncated: true as const } : {}),
      });
    },
    dropped: droppedRecord,
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
        approval: decision.approval === undefined ? null : { via, answer: decision.approval },
      });
    },
    end: reportDropped,
  };
}
