/**
 * The audit log's record shapes (one JSON object per line; docs/audit-log.md is the schema) and
 * their pure builders.
 *
 * Guards the trust boundary in the log itself: `reported_by` says who vouches for a record.
 * `server` records are the escalation server's own decisions, from requests it inspected;
 * `sandbox` records are the hook's fast-path notices, sent from inside the sandbox, so every
 * field but `time`, `session` and `call` is the sandboxed process's claim (it can forge or
 * repeat them), and their `decision` is always `run` (inside the sandbox): a notice can never
 * record an escalation or a denial. `backstop` records are the kernel backstop's fast-path
 * notices: execward's own supervisor, outside the sandbox, read them (pid from the kernel,
 * program and workdir resolved in the process's view; argv as the process's memory held it at
 * that moment), also always `run` inside the sandbox.
 */
import type { ApprovalAnswer } from "../approval/approver.js";
import type { RuleSource } from "../policy/index.js";

export interface AuditApproval {
  /** Who was asked: `terminal`, `mcp-elicitation`... */
  readonly via: string;
  /** What was answered; `remembered`: an earlier "for this session" or "always" yes was reused. */
  readonly answer:
    ApprovalAnswer | "remembered" | "allow-once" | "allow-session" | "allow-always" | "deny";
  /** The rule an "always" answer wrote. */
  readonly wrote?: string;
}

interface AuditCommon {
  /** ISO 8601, when the decision was made. */
  readonly time: string;
  /** One `execward run` or `execward mcp` process. */
  readonly session: string;
  /** The tool call (MCP) or the command (run), numbered from 1 within the session. */
  readonly call: number;
}

export interface ExecAuditRecord extends AuditCommon {
  readonly kind: "exec";
  readonly decision: "run" | "escalate" | "deny";
  /**
   * `server`: the server's own decision. `sandbox`: the hook's fast-path notice (claims).
   * `backstop`: the kernel backstop's fast-path notice (read by execward's supervisor).
   */
  readonly reported_by: "server" | "sandbox" | "backstop";
  /** Absolute path of the program. */
  readonly program: string;
  readonly argv: readonly string[];
  readonly workdir: string;
  readonly reason: string;
  readonly rule: RuleSource | null;
  readonly approval: AuditApproval | null;
  /** A notice's argv was cut to fit one datagram (backstop: at 4 KiB, or unreadable). */
  readonly truncated?: true;
  /** Backstop records: the exec'ing process (thread) id as the kernel reports it, outside the sandbox. */
  readonly pid?: number;
}

export interface NetworkAuditRecord extends AuditCommon {
  readonly kind: "network";
  readonly decision: "allow" | "deny";
  readonly reported_by: "server";
  /** `http`, `https` (CONNECT) or `socks5-tcp`. */
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
  /** The shell command whose program connected. */
  readonly command: string;
  readonly reason: string;
  readonly rule: null;
  readonly approval: AuditApproval | null;
}

/** Records left out: notices over a call's budget, or lines the writer could not keep up with. */
export interface DroppedAuditRecord extends AuditCommon {
  readonly kind: "dropped";
  readonly reported_by: "server";
  readonly count: number;
  readonly reason: string;
}

export type AuditRecord = ExecAuditRecord | NetworkAuditRecord | DroppedAuditRecord;

/** Where records go (a file, stderr with --verbose, MCP log notifications); must not throw. */
export type AuditSink = (record: AuditRecord) => void;

export const NOTICE_REASON =
  "fast path: no rule or heuristic names this program (reported by the hook inside the sandbox)";

export const BACKSTOP_NOTICE_REASON =
  "fast path: no rule or heuristic names this program (seen by execward's kernel exec backstop)";

/** The audit line: one JSON object and a newline (control characters escaped by JSON). */
export function auditLine(record: AuditRecord): string {
  return `${JSON.stringify(record)}\n`;
}
