/**
 * The three policy decisions and their order.
 *
 * Guards the one rule every later component relies on: when several rules match, the strictest
 * wins (`allow < prompt < forbidden`), exactly as codex execpolicy's derived `Ord`.
 */
import { PolicyError } from "./policy-error.js";

export type Decision = "allow" | "prompt" | "forbidden";

const RANK: Readonly<Record<Decision, number>> = { allow: 0, prompt: 1, forbidden: 2 };

/** Parses a `decision=` value of `prefix_rule`; anything but the three names is an error. */
export function parseDecision(raw: string): Decision {
  switch (raw) {
    case "allow":
    case "prompt":
    case "forbidden":
      return raw;
    default:
      throw new PolicyError("invalid_decision", `invalid decision: ${raw}`);
  }
}

/** The stricter of two decisions. */
export function stricterDecision(a: Decision, b: Decision): Decision {
  return RANK[a] >= RANK[b] ? a : b;
}

/** Rust `Debug` spelling of a decision, used inside upstream-compatible error messages. */
export function decisionDebugName(decision: Decision): string {
  switch (decision) {
    case "allow":
      return "Allow";
    case "prompt":
      return "Prompt";
    case "forbidden":
      return "Forbidden";
  }
}
