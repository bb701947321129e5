/**
 * The network decision for one destination, before and after DNS (pure). Guards:
 * - deny wins: a host on the denied list is refused even if the allowed list also matches, and
 *   so is a name that resolves to an address on the denied list;
 * - non-public destinations (loopback, private ranges, link-local and the cloud metadata
 *   address, ...) are refused unless explicitly allowed: by an exact (wildcard-free) allowed
 *   entry naming the host, or by an allowed local address range. A name counts by what it
 *   resolves to, so `metadata.example` pointing at 169.254.169.254 is local;
 * - a destination on neither list is a question for a human (`ask`), unless approvals are off
 *   (`never`), then it is refused.
 * Reasons are upstream's codes (`denied`, `not_allowed`, `not_allowed_local`).
 */
import { cidrContains, isIpLiteral, isNonPublicAddress } from "./address-class.js";
import {
  describePattern,
  isExactPattern,
  matchesHost,
  normalizeHost,
  parseHostPattern,
  type HostPattern,
} from "./host-pattern.js";

export type NetworkProtocolLabel = "http" | "https" | "socks5-tcp";

export interface NetworkPolicyConfig {
  readonly allowedDomains: readonly string[];
  readonly deniedDomains: readonly string[];
  /** CIDRs (or single addresses) of non-public destinations that may be reached. */
  readonly allowedLocalAddresses: readonly string[];
  /** `ask`: unknown destinations go to a human; `never`: they are refused without asking. */
  readonly approvals: "ask" | "never";
}

export type NetworkVerdict =
  | { readonly kind: "allow"; readonly rule: string }
  | { readonly kind: "ask" }
  | { readonly kind: "deny"; readonly reason: NetworkDenyReason; readonly message: string };

export type NetworkDenyReason = "denied" | "not_allowed" | "not_allowed_local";

/** The `x-proxy-error` header value for each reason, as upstream's proxy. */
export const PROXY_ERROR_HEADER: Readonly<Record<NetworkDenyReason, string>> = {
  denied: "blocked-by-denylist",
  not_allowed: "blocked-by-allowlist",
  not_allowed_local: "blocked-by-policy",
};

export class NetworkPolicy {
  readonly config: NetworkPolicyConfig;
  readonly #allowed: readonly HostPattern[];
  readonly #denied: readonly HostPattern[];

  constructor(config: NetworkPolicyConfig) {
    this.config = config;
    this.#allowed = config.allowedDomains.map((raw) => parseHostPattern(raw, "allowed"));
    this.#denied = config.deniedDomains.map((raw) => parseHostPattern(raw, "denied"));
    // Validate the ranges now, not at the first connection.
    for (const cidr of config.allowedLocalAddresses) cidrContains(cidr, "127.0.0.1");
  }

  /** Before DNS: from the host name (or IP literal) alone. */
  decide(rawHost: string): NetworkVerdict {
    const host = normalizeHost(rawHost);
    const denied = this.#denied.find((pattern) => matchesHost(pattern, host));
    if (denied !== undefined) {
      return {
        kind: "deny",
        reason: "denied",
        message: `${host} is denied by the network policy (${describePattern(denied)})`,
      };
    }
    if (isIpLiteral(host) !== 0 && isNonPublicAddress(host) && !this.#explicitlyLocal(host, [host]))
      return this.#localDenied(host, host);
    const allowed = this.#allowed.find((pattern) => matchesHost(pattern, host));
    if (allowed !== undefined) return { kind: "allow", rule: describePattern(allowed) };
    if (this.config.approvals === "never") {
      return {
        kind: "deny",
        reason: "not_allowed",
        message: `${host} is not in the allowed domains, and network approvals are off`,
      };
    }
    return { kind: "ask" };
  }

  /**
   * After DNS: refuses a destination any of whose addresses is on the denied list (an IP entry,
   * matched by value), or is non-public and not allowed.
   */
  checkResolved(rawHost: string, addresses: readonly string[]): NetworkVerdict | undefined {
    const host = normalizeHost(rawHost);
    for (const address of addresses) {
      const denied = this.#denied.find(
        (pattern) => pattern.kind === "ip" && matchesHost(pattern, address),
      );
      if (denied !== undefined) {
        return {
          kind: "deny",
          reason: "denied",
          message: `${host} resolves to ${address}, which is denied by the network policy (${describePattern(denied)})`,
        };
      }
    }
    if (this.#explicitlyLocal(host, addresses)) return undefined;
    const refused = addresses.find(
      (address) =>
        isNonPublicAddress(address) &&
        !this.config.allowedLocalAddresses.some((cidr) => cidrContains(cidr, address)),
    );
    return refused === undefined ? undefined : this.#localDenied(host, refused);
  }

  #explicitlyLocal(host: string, addresses: readonly string[]): boolean {
    const named = this.#allowed.some(
      (pattern) => isExactPattern(pattern) && matchesHost(pattern, host),
    );
    if (named) return true;
    return addresses.every(
      (address) =>
        !isNonPublicAddress(address) ||
        this.config.allowedLocalAddresses.some((cidr) => cidrContains(cidr, address)),
    );
  }

  #localDenied(host: string, address: string): NetworkVerdict {
    return {
      kind: "deny",
      reason: "not_allowed_local",
      message:
        host === address
          ? `${host} is a local or private address, which the network policy does not allow`
          : `${host} resolves to the local or private address ${address}, which the network policy does not allow`,
    };
  }
}
