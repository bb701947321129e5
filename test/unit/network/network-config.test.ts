// The [network_proxy] TOML section (refused when malformed, naming the file) and the merge.
import { describe, expect, it } from "vitest";

import { isExecwardError } from "../../../src/errors.js";
import {
  mergeNetworkConfig,
  parseNetworkConfigToml,
  type NetworkConfigPart,
} from "../../../src/network/network-config.js";

const SOURCE = "/home/me/.execward/config.toml";

function failure(text: string): { code: string; message: string } | undefined {
  try {
    parseNetworkConfigToml(text, SOURCE);
  } catch (error) {
    return isExecwardError(error)
      ? { code: error.code, message: error.message }
      : { code: `not an ExecwardError: ${String(error)}`, message: "" };
  }
  return undefined;
}

describe("parseNetworkConfigToml", () => {
  it.each([
    ["an empty file", ""],
    ["other sections only", '[sandbox]\nmode = "read-only"\n\n[other]\nx = 1\n'],
    ["a disabled section", "[network_proxy]\nenabled = false\n"],
    [
      "a disabled section with lists",
      '[network_proxy]\nenabled = false\napprovals = "never"\n' +
        '[network_proxy.policy]\nallowed_domains = ["example.com"]\n',
    ],
  ])("%s → undefined", (_label, text) => {
    expect(parseNetworkConfigToml(text, SOURCE)).toBeUndefined();
  });

  it("maps a full section's keys and turns it on", () => {
    const text = [
      'model = "anything"',
      "",
      "[network_proxy]",
      "enabled = true",
      'approvals = "never"',
      "",
      "[network_proxy.policy]",
      'allowed_domains = ["example.com", "*.github.com"]',
      'denied_domains = ["evil.example.com"]',
      'allowed_local_addresses = ["10.0.0.0/8", "::1"]',
      "",
    ].join("\n");
    expect(parseNetworkConfigToml(text, SOURCE)).toEqual({
      allowedDomains: ["example.com", "*.github.com"],
      deniedDomains: ["evil.example.com"],
      allowedLocalAddresses: ["10.0.0.0/8", "::1"],
      approvals: "never",
      enabled: true,
    });
  });

  it.each([
    ["an empty section", "[network_proxy]\n", { enabled: true }],
    [
      "approvals alone",
      '[network_proxy]\napprovals = "ask"\n',
      { approvals: "ask", enabled: true },
    ],
    [
      "a policy table alone",
      '[network_proxy.policy]\ndenied_domains = ["evil.com"]\n',
      { deniedDomains: ["evil.com"], enabled: true },
    ],
    [
      "empty lists",
      "[network_proxy.policy]\nallowed_domains = []\n",
      { allowedDomains: [], enabled: true },
    ],
    [
      "an inline table",
      'network_proxy = { policy = { allowed_domains = ["a.com"] } }\n',
      { allowedDomains: ["a.com"], enabled: true },
    ],
    // Keys of upstream's [network_proxy] that execward does not read are not errors.
    ["another upstream key", '[network_proxy]\nmode = "limited"\n', { enabled: true }],
  ] as [string, string, NetworkConfigPart][])("%s", (_label, text, expected) => {
    expect(parseNetworkConfigToml(text, SOURCE)).toEqual(expected);
  });

  it("an empty section makes the merged config configured", () => {
    const merged = mergeNetworkConfig([parseNetworkConfigToml("[network_proxy]\n", SOURCE)]);
    expect(merged).toEqual({
      configured: true,
      allowedDomains: [],
      deniedDomains: [],
      allowedLocalAddresses: [],
      approvals: "ask",
    });
  });

  it.each([
    ["invalid TOML", "[network_proxy\nenabled = true\n", "not valid TOML"],
    ["a duplicate key", "[network_proxy]\nenabled = true\nenabled = false\n", "not valid TOML"],
    [
      "a string list",
      '[network_proxy.policy]\nallowed_domains = "example.com"\n',
      "allowed_domains",
    ],
    ["a number in a list", "[network_proxy.policy]\ndenied_domains = [1]\n", "denied_domains"],
    [
      "a table for ranges",
      "[network_proxy.policy.allowed_local_addresses]\nx = 1\n",
      "allowed_local_addresses",
    ],
    [
      "an unknown policy key",
      '[network_proxy.policy]\nallowed_hosts = ["example.com"]\n',
      "allowed_hosts",
    ],
    ["an unknown approvals value", '[network_proxy]\napprovals = "sometimes"\n', "approvals"],
    ["a string enabled", '[network_proxy]\nenabled = "yes"\n', "enabled"],
    ["a scalar section", "network_proxy = 1\n", "network_proxy"],
    ["a scalar policy", 'network_proxy = { policy = "open" }\n', "policy"],
  ])("%s is invalid_network_config, naming the file and %j", (_label, text, mentioned) => {
    const error = failure(text);
    expect(error?.code).toBe("invalid_network_config");
    expect(error?.message).toContain(SOURCE);
    expect(error?.message).toContain(mentioned);
  });
});

describe("mergeNetworkConfig", () => {
  it("concatenates lists in order; the last approvals wins", () => {
    expect(
      mergeNetworkConfig([
        { allowedDomains: ["a.com"], deniedDomains: ["x.com"], approvals: "never" },
        undefined,
        { allowedDomains: ["b.com", "c.com"], allowedLocalAddresses: ["10.0.0.0/8"] },
        { deniedDomains: ["y.com"], allowedLocalAddresses: ["::1"], approvals: "ask" },
        { allowedDomains: ["d.com"] },
      ]),
    ).toEqual({
      configured: true,
      allowedDomains: ["a.com", "b.com", "c.com", "d.com"],
      deniedDomains: ["x.com", "y.com"],
      allowedLocalAddresses: ["10.0.0.0/8", "::1"],
      approvals: "ask",
    });
  });

  it.each([
    [[{ approvals: "ask" }, { approvals: "never" }], "never"],
    [[{ approvals: "never" }, { approvals: "ask" }], "ask"],
    [[{ approvals: "never" }, {}], "never"],
    [[{ approvals: "never" }, undefined], "never"],
    [[{}, { allowedDomains: ["a.com"] }], "ask"],
    [[], "ask"],
  ] as [(NetworkConfigPart | undefined)[], string][])("%j: approvals %s", (parts, approvals) => {
    expect(mergeNetworkConfig(parts).approvals).toBe(approvals);
  });

  it.each([
    [[], false],
    [[undefined, undefined], false],
    [[{}, {}], false],
    [[{ allowedDomains: [], deniedDomains: [], allowedLocalAddresses: [] }], false],
    [[{ enabled: false }], false],
    [[{ allowedDomains: ["a.com"] }], true],
    [[{}, { deniedDomains: ["a.com"] }], true],
    [[{ allowedLocalAddresses: ["10.0.0.0/8"] }], true],
    [[{ approvals: "ask" }], true],
    [[{ approvals: "never" }], true],
    [[{ enabled: true }], true],
  ] as [(NetworkConfigPart | undefined)[], boolean][])("%j: configured %s", (parts, configured) => {
    expect(mergeNetworkConfig(parts).configured).toBe(configured);
  });

  it("an all-empty merge is unconfigured, with empty lists and approvals asked", () => {
    expect(mergeNetworkConfig([undefined, {}])).toEqual({
      configured: false,
      allowedDomains: [],
      deniedDomains: [],
      allowedLocalAddresses: [],
      approvals: "ask",
    });
  });
});
