/**
 * What the escalation server asks for each intercepted exec, and the three possible answers.
 * The server owns the protocol; whoever builds an EscalationPolicy owns the decision.
 */

/** One intercepted exec, as the server received and normalised it. */
export interface ExecRequest {
  /** Absolute path of the program (resolved against `workdir` if it was relative). */
  readonly file: string;
  /** argv, argv[0] included. */
  readonly argv: readonly string[];
  readonly workdir: string;
  readonly env: Readonly<Record<string, string>>;
  /**
   * False when the request's bytes were not valid UTF-8 (shown here with U+FFFD): such a program
   * can run in place, but cannot be shown faithfully to a human or escalated.
   */
  readonly faithful: boolean;
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
