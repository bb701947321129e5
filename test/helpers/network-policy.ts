/** A network policy for tests: nothing allowed, denied or local, approvals asked, plus `config`. */
import { NetworkPolicy, type NetworkPolicyConfig } from "../../src/network/network-policy.js";

export function policyWith(config: Partial<NetworkPolicyConfig>): NetworkPolicy {
  return new NetworkPolicy({
    allowedDomains: [],
    deniedDomains: [],
    allowedLocalAddresses: [],
    approvals: "ask",
    ...config,
  });
}
