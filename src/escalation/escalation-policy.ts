/**
 * What the escalation server asks for each intercepted exec, and the three possible answers.
 * The server owns the protocol and finds what a request really names (program-inspection.ts);
 * whoever builds an EscalationPolicy owns the decision.
 */
import type { ProgramInspection } from "./program-inspection.js";

/** One intercepted exec, as the server received, normalised and inspected it. */
export interface ExecRequest {
  /** Absolute path of the program as named (resolved against `workdir` if it was relative). */
  readonly file: string;
  /** argv, argv[0] included. */
  readonly argv: readonly string[];
  readonly workdir: string;
  readonly env: Readonly<Record<string, string>>;
  /**
   * False when the request's names or arguments are not valid UTF-8 (escaped bytes, or U+FFFD
   * for a client that sent raw bytes): such a program can be judged and run in place, but
   * cannot be shown faithfully to a human or escalated.
   */
  readonly faithful: boolean;
  /** What the request really names, in the sandbox's view and on the host. */
  readonly inspection: ProgramInspection;
}

export type EscalationDecision =
  | { readonly action: "run" }
  | { readonly action: "escalate" }
  | { readonly action: "deny"; readonly reason: string };

export interface EscalationPolicy {
  /**
   * Decides one exec. `signal` aborts when the requesting process went away (nothing will run,
   * so a pending approval can be withdrawn). A rejection is treated as a deny.
   */
  decide(request: ExecRequest, signal: AbortSignal): Promise<EscalationDecision>;
}
