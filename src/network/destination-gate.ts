/**
 * Whether one canonical destination may be connected to, and to which addresses: the policy
 * first, then (for a destination on neither list) the human, then DNS, then the deny list and
 * the local-address check on every address the name resolved to. Guards:
 * - nothing is resolved before the policy or a human allowed the destination: a refusal, a no,
 *   a question nobody can answer, or approvals turned off never cause a DNS query (a query to an
 *   attacker's name server would carry data out without approval);
 * - what is judged, asked about and resolved is the same canonical string (destination.ts);
 * - the addresses returned are canonical IP literals that passed the checks; the caller connects
 *   to those and nothing else, never to a second lookup of the name.
 */
import {
  describeDestination,
  type BrokerAnswer,
  type NetworkApprovalBroker,
} from "./approval-broker.js";
import { canonicalAddress, type Destination } from "./destination.js";
import type { NetworkDenyReason, NetworkPolicy, NetworkProtocolLabel } from "./network-policy.js";
import type { ProxyClientContext } from "./proxy-client-context.js";

export type Admission =
  | {
      readonly ok: true;
      readonly addresses: readonly string[];
      /** Why it was allowed (the allowed-domains entry, or a human's yes). */
      readonly why?: string;
    }
  | {
      readonly ok: false;
      readonly reason: NetworkDenyReason | "unresolvable";
      readonly message: string;
    };

export interface GateDependencies {
  readonly policy: NetworkPolicy;
  readonly broker: NetworkApprovalBroker;
  /** Every address of a name (only ever called with a canonical, allowed name). */
  readonly resolve: (host: string) => Promise<readonly string[]>;
}

export async function admit(
  deps: GateDependencies,
  destination: Destination,
  protocol: NetworkProtocolLabel,
  context: ProxyClientContext,
): Promise<Admission> {
  let approval: BrokerAnswer | "remembered" | undefined;
  const admission = await judge(deps, destination, protocol, context, (answer) => {
    approval = answer;
  });
  try {
    context.onDecision?.({
      protocol,
      host: destination.host,
      port: destination.port,
      decision: admission.ok ? "allow" : "deny",
      reason: admission.ok ? (admission.why ?? "allowed") : admission.message,
      ...(approval === undefined ? {} : { approval }),
    });
  } catch {
    // the audit never changes a decision
  }
  return admission;
}

async function judge(
  deps: GateDependencies,
  destination: Destination,
  protocol: NetworkProtocolLabel,
  context: ProxyClientContext,
  answered: (answer: BrokerAnswer | "remembered") => void,
): Promise<Admission> {
  const { host, port } = destination;
  const verdict = deps.policy.decide(host);
  if (verdict.kind === "deny")
    return { ok: false, reason: verdict.reason, message: verdict.message };
  if (verdict.kind === "ask") {
    const key = { host, protocol, port };
    const target = describeDestination(key);
    let asked = false;
    const outcome = await deps.broker.request(key, async () => {
      asked = true;
      const answer = await context.ask({
        protocol,
        host,
        port,
        target,
        command: context.command,
        reason: `${host} is not in the allowed domains`,
      });
      answered(answer);
      return answer;
    });
    // Not asked here: an earlier answer for this destination was reused (or shared).
    if (!asked) answered("remembered");
    if (!outcome.allowed) return { ok: false, reason: "not_allowed", message: outcome.reason };
  }
  const why =
    verdict.kind === "allow" ? `allowed domains: ${verdict.rule}` : "approved by the user";
  let addresses: readonly string[];
  if (destination.kind === "name") {
    try {
      const resolved = await deps.resolve(host);
      addresses = [...new Set(resolved.map((address) => canonicalAddress(address) ?? ""))];
    } catch (error) {
      return {
        ok: false,
        reason: "unresolvable",
        message: `cannot resolve ${host}: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    if (addresses.includes("")) {
      return { ok: false, reason: "unresolvable", message: `${host} resolved to a non-address` };
    }
  } else {
    addresses = [host];
  }
  if (addresses.length === 0)
    return { ok: false, reason: "unresolvable", message: `no address for ${host}` };
  const checked = deps.policy.checkResolved(host, addresses);
  if (checked !== undefined && checked.kind === "deny")
    return { ok: false, reason: checked.reason, message: checked.message };
  return { ok: true, addresses, why };
}
