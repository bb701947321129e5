/**
 * Where the network policy comes from, merged in one place: `[network_proxy]` in a TOML config
 * file (upstream's keys: `[network_proxy.policy] allowed_domains / denied_domains`; execward adds
 * `allowed_local_addresses` and `[network_proxy] approvals = "ask" | "never"`), `network_rule`
 * entries of the .rules files, and command-line flags. Lists are concatenated (deny still wins
 * at decision time); a wrong type or unknown key is an error naming the file and key, never
 * ignored. `configured` says whether any source said anything: only then does a sandbox without
 * network access get the proxy instead of no network at all.
 */
import { parse as parseToml } from "smol-toml";
import { z } from "zod";

import { ExecwardError } from "../errors.js";
import type { NetworkPolicyConfig } from "./network-policy.js";

export interface NetworkConfigPart {
  readonly allowedDomains?: readonly string[];
  readonly deniedDomains?: readonly string[];
  readonly allowedLocalAddresses?: readonly string[];
  readonly approvals?: "ask" | "never";
  /** A config section that turns the proxy on even with empty lists (everything is asked). */
  readonly enabled?: boolean;
}

export interface NetworkConfig extends NetworkPolicyConfig {
  readonly configured: boolean;
}

const TomlSchema = z
  .object({
    network_proxy: z
      .object({
        enabled: z.boolean().optional(),
        approvals: z.enum(["ask", "never"]).optional(),
        policy: z
          .object({
            allowed_domains: z.array(z.string()).optional(),
            denied_domains: z.array(z.string()).optional(),
            allowed_local_addresses: z.array(z.string()).optional(),
          })
          .strict()
          .optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

/** The `[network_proxy]` part of a config file's text; undefined when the file has none. */
export function parseNetworkConfigToml(
  text: string,
  source: string,
): NetworkConfigPart | undefined {
  let value: unknown;
  try {
    value = parseToml(text);
  } catch (error) {
    throw new ExecwardError(
      "invalid_network_config",
      `${source}: not valid TOML: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const parsed = TomlSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ExecwardError(
      "invalid_network_config",
      `${source}: ${issue?.path.join(".") ?? "network_proxy"}: ${issue?.message ?? "invalid"}`,
    );
  }
  const section = parsed.data.network_proxy;
  if (section === undefined || section.enabled === false) return undefined;
  return {
    ...(section.policy?.allowed_domains === undefined
      ? {}
      : { allowedDomains: section.policy.allowed_domains }),
    ...(section.policy?.denied_domains === undefined
      ? {}
      : { deniedDomains: section.policy.denied_domains }),
    ...(section.policy?.allowed_local_addresses === undefined
      ? {}
      : { allowedLocalAddresses: section.policy.allowed_local_addresses }),
    ...(section.approvals === undefined ? {} : { approvals: section.approvals }),
    enabled: true,
  };
}

/** Merges parts in order; a later `approvals` wins. */
export function mergeNetworkConfig(
  parts: readonly (NetworkConfigPart | undefined)[],
): NetworkConfig {
  const present = parts.filter((part): part is NetworkConfigPart => part !== undefined);
  const configured = present.some(
    (part) =>
      (part.allowedDomains?.length ?? 0) > 0 ||
      (part.deniedDomains?.length ?? 0) > 0 ||
      (part.allowedLocalAddresses?.length ?? 0) > 0 ||
      part.approvals !== undefined ||
      part.enabled === true,
  );
  return {
    configured,
    allowedDomains: present.flatMap((part) => part.allowedDomains ?? []),
    deniedDomains: present.flatMap((part) => part.deniedDomains ?? []),
    allowedLocalAddresses: present.flatMap((part) => part.allowedLocalAddresses ?? []),
    approvals: present.reduce<"ask" | "never">((mode, part) => part.approvals ?? mode, "ask"),
  };
}
