/**
 * One way to ask a human, shared by exec and network approvals, MCP and TTY alike.
 *
 * Contract: `ask` resolves with the human's answer; anything else (an error, no way to ask, a
 * timeout, the request being withdrawn) is the caller's deny. Implementations show only escaped
 * text (see display.ts): an agent must not be able to paint over a prompt.
 */

export interface ExecApprovalRequest {
  readonly kind: "exec";
  /** The program's real absolute path. */
  readonly program: string;
  /** Its arguments after argv[0]. */
  readonly args: readonly string[];
  readonly workdir: string;
  /** The matching rule's justification, if any. */
  readonly justification?: string;
  /** Why a human is asked (a prompt rule, a dangerous command, a writable program file...). */
  readonly reason: string;
  /** Where a yes runs the program: inside the sandbox (the dangerous-command question) or outside it. */
  readonly runs: "inside-sandbox" | "outside-sandbox";
  /**
   * What "always" would write and what that changes, or why it is not offered (then "always" is
   * not a choice; e.g. a prompt rule asks every time whatever allow rules say).
   */
  readonly always: AlwaysOffer;
}

export type AlwaysOffer =
  { readonly rule: string; readonly effect: string } | { readonly unavailable: string };

export interface NetworkApprovalRequest {
  readonly kind: "network";
  /** `http`, `https` (CONNECT) or `socks5-tcp`. */
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
  /** `protocol://host:port`. */
  readonly target: string;
  /** The shell command whose program asked for the connection. */
  readonly command: string;
  readonly reason: string;
  /** What "always" would write, or why it is not offered. */
  readonly always: AlwaysOffer;
}

export type ApprovalRequest = ExecApprovalRequest | NetworkApprovalRequest;

/**
 * accept: yes, this once. accept-for-session: yes, and the same again without asking until the
 * command (TTY) or session (MCP) ends. accept-always: yes, and written down as a rule (only when
 * the request offers it; otherwise it counts as accept-for-session). decline / cancel: no.
 */
export type ApprovalAnswer =
  "accept" | "accept-for-session" | "accept-always" | "decline" | "cancel";

export interface Approver {
  /** Who answers, for the audit log: `terminal`, `mcp-elicitation`, `fixed`... */
  readonly via?: string;
  ask(request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalAnswer>;
}

/** Whether `answer` is a yes. */
export function isYes(answer: ApprovalAnswer): boolean {
  return answer === "accept" || answer === "accept-for-session" || answer === "accept-always";
}

/** An approver that cannot ask: every question is a deny, with `reason`. */
export class UnavailableApprover implements Approver {
  constructor(readonly reason: string) {}

  ask(): Promise<ApprovalAnswer> {
    return Promise.reject(new Error(this.reason));
  }
}
