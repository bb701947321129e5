/**
 * Who is behind a proxied connection (the command running in the sandbox) and the question the
 * proxy may put to a human about one destination. Types only.
 */
import type { BrokerAnswer } from "./approval-broker.js";
import type { NetworkProtocolLabel } from "./network-policy.js";

/** Who is behind a connection: the command that runs in the sandbox, and how to ask about it. */
export interface ProxyClientContext {
  /** The shell command, as the human should see it in a prompt. */
  readonly command: string;
  /** Asks the human about one destination; a rejection is a deny. */
  ask(question: NetworkQuestion): Promise<BrokerAnswer>;
  /** Told every decision about a destination (for the audit log); must not throw. */
  onDecision?(decision: NetworkDecisionRecord): void;
}

/** One network decision, as the audit log records it. */
export interface NetworkDecisionRecord {
  readonly protocol: NetworkProtocolLabel;
  readonly host: string;
  readonly port: number;
  readonly decision: "allow" | "deny";
  readonly reason: string;
  /** Set when a human was asked (or a remembered answer reused): what was answered. */
  readonly approval?: BrokerAnswer | "remembered";
}

export interface NetworkQuestion {
  readonly protocol: NetworkProtocolLabel;
  /** The canonical host (see destination.ts): what is resolved and connected after a yes. */
  readonly host: string;
  readonly port: number;
  /** `protocol://host:port`. */
  readonly target: string;
  readonly command: string;
  readonly reason: string;
}
