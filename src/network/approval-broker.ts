/**
 * Network approvals for one session (an MCP server's life, or one `execward run`): one question
 * per destination, never a storm of prompts. Guards:
 * - requests are keyed by (host, protocol, port): concurrent requests for one key share the
 *   first requester's prompt and its answer; other ports or protocols are other questions;
 * - "allow for the session" and an explicit "deny" are remembered for the session; "allow once"
 *   lets only the waiting requests through;
 * - anything but a human's yes (an error, no way to ask, a timeout, a cancel) is a deny, with
 *   the reason, and is not remembered: the next request may ask again.
 */
import type { NetworkProtocolLabel } from "./network-policy.js";

export interface DestinationKey {
  readonly host: string;
  readonly protocol: NetworkProtocolLabel;
  readonly port: number;
}

/** allow-always: allowed for the session here, and written down by whoever asked. */
export type BrokerAnswer = "allow-once" | "allow-session" | "allow-always" | "deny";

export type BrokerOutcome =
  { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/** `protocol://host:port`, upstream's target string (IPv6 hosts in brackets). */
export function describeDestination(key: DestinationKey): string {
  const host = key.host.includes(":") ? `[${key.host}]` : key.host;
  return `${key.protocol}://${host}:${key.port}`;
}

export class NetworkApprovalBroker {
  readonly #allowedForSession = new Set<string>();
  readonly #deniedForSession = new Set<string>();
  readonly #pending = new Map<string, Promise<BrokerOutcome>>();

  /**
   * Decides one request: from the session's memory, by joining a pending question for the same
   * destination, or by asking (`ask` runs for the first requester only).
   */
  request(key: DestinationKey, ask: () => Promise<BrokerAnswer>): Promise<BrokerOutcome> {
    const id = describeDestination(key);
    if (this.#deniedForSession.has(id))
      return Promise.resolve({
        allowed: false,
        reason: `${id} was denied earlier in this session`,
      });
    if (this.#allowedForSession.has(id)) return Promise.resolve({ allowed: true });
    const pending = this.#pending.get(id);
    if (pending !== undefined) return pending;
    const outcome = (async (): Promise<BrokerOutcome> => {
      // Registered as pending before `ask` runs, even if it fails at once.
      await Promise.resolve();
      try {
        const answer = await ask();
        if (answer === "allow-session" || answer === "allow-always")
          this.#allowedForSession.add(id);
        if (answer === "deny") this.#deniedForSession.add(id);
        return answer === "deny"
          ? { allowed: false, reason: `the user denied network access to ${id}` }
          : { allowed: true };
      } catch (error) {
        return {
          allowed: false,
          reason: `network access to ${id} was not approved: ${error instanceof Error ? error.message : String(error)}`,
        };
      } finally {
        this.#pending.delete(id);
      }
    })();
    this.#pending.set(id, outcome);
    return outcome;
  }
}
