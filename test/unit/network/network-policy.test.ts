// NetworkPolicy: deny wins, allow/ask/deny per host, local IP literals, the after-DNS check.
import { describe, expect, it } from "vitest";

import {
  NetworkPolicy,
  PROXY_ERROR_HEADER,
  type NetworkPolicyConfig,
  type NetworkVerdict,
} from "../../../src/network/network-policy.js";
import { errorCode } from "../../helpers/error-code.js";

function policy(config: Partial<NetworkPolicyConfig> = {}): NetworkPolicy {
  return new NetworkPolicy({
    allowedDomains: [],
    deniedDomains: [],
    allowedLocalAddresses: [],
    approvals: "ask",
    ...config,
  });
}

/** The verdict's kind, and the deny reason if any: `allow`, `ask`, `deny:denied`. */
function summary(verdict: NetworkVerdict | undefined): string | undefined {
  if (verdict === undefined) return undefined;
  return verdict.kind === "deny" ? `deny:${verdict.reason}` : verdict.kind;
}

describe("NetworkPolicy.decide", () => {
  it.each([
    // deny wins over allow
    [
      { allowedDomains: ["example.com"], deniedDomains: ["example.com"] },
      "example.com",
      "deny:denied",
    ],
    [
      { allowedDomains: ["api.example.com"], deniedDomains: ["**.example.com"] },
      "api.example.com",
      "deny:denied",
    ],
    [{ allowedDomains: ["*"], deniedDomains: ["evil.com"] }, "EVIL.com.:443", "deny:denied"],
    [
      {
        allowedDomains: ["127.0.0.1"],
        deniedDomains: ["127.0.0.1"],
        allowedLocalAddresses: ["127.0.0.0/8"],
      },
      "127.0.0.1",
      "deny:denied",
    ],
    // allowed: exact and wildcard
    [{ allowedDomains: ["example.com"] }, "example.com", "allow"],
    [{ allowedDomains: ["example.com"] }, "Example.COM:443", "allow"],
    [{ allowedDomains: ["*.example.com"] }, "api.example.com", "allow"],
    [{ allowedDomains: ["**.example.com"] }, "example.com", "allow"],
    [{ allowedDomains: ["*"] }, "anything.org", "allow"],
    [{ allowedDomains: ["8.8.8.8"] }, "8.8.8.8", "allow"],
    // unknown: asked, or refused when approvals are off
    [{}, "example.com", "ask"],
    [{ allowedDomains: ["*.example.com"] }, "example.com", "ask"],
    [{ allowedDomains: ["example.com"] }, "www.example.com", "ask"],
    [{ approvals: "never" }, "example.com", "deny:not_allowed"],
    [{ allowedDomains: ["example.com"], approvals: "never" }, "example.org", "deny:not_allowed"],
    [{}, "8.8.8.8", "ask"],
    // non-public IP literals: refused before anything else, even under approvals
    [{}, "127.0.0.1", "deny:not_allowed_local"],
    [{}, "10.1.2.3", "deny:not_allowed_local"],
    [{}, "169.254.169.254", "deny:not_allowed_local"],
    [{}, "::1", "deny:not_allowed_local"],
    [{}, "[::1]", "deny:not_allowed_local"],
    [{}, "[::1]:8080", "deny:not_allowed_local"],
    [{}, "::ffff:127.0.0.1", "deny:not_allowed_local"],
    [{ allowedDomains: ["*"] }, "127.0.0.1", "deny:not_allowed_local"],
    [{ allowedDomains: ["*"] }, "[::1]", "deny:not_allowed_local"],
    // ...unless named exactly, or inside an allowed local range
    [{ allowedDomains: ["127.0.0.1"] }, "127.0.0.1", "allow"],
    [{ allowedDomains: ["::1"] }, "[::1]", "allow"],
    [{ allowedLocalAddresses: ["127.0.0.0/8"] }, "127.0.0.1", "ask"],
    [{ allowedLocalAddresses: ["127.0.0.0/8"] }, "10.1.2.3", "deny:not_allowed_local"],
    [
      { allowedLocalAddresses: ["127.0.0.0/8"], approvals: "never" },
      "127.0.0.1",
      "deny:not_allowed",
    ],
    [
      { allowedLocalAddresses: ["127.0.0.0/8"], allowedDomains: ["127.0.0.1"] },
      "127.0.0.1",
      "allow",
    ],
    [{ allowedLocalAddresses: ["::1"] }, "[::1]", "ask"],
    [{ allowedLocalAddresses: ["169.254.169.254/32"] }, "169.254.169.254", "ask"],
  ] as [Partial<NetworkPolicyConfig>, string, string][])(
    "%j: %j → %s",
    (config, host, expected) => {
      expect(summary(policy(config).decide(host))).toBe(expected);
    },
  );

  it("names the matching allowed rule", () => {
    expect(
      policy({ allowedDomains: ["example.com", "*.Example.COM"] }).decide("api.example.com"),
    ).toEqual({
      kind: "allow",
      rule: "*.example.com",
    });
  });

  it("names the host and the denying pattern", () => {
    const verdict = policy({
      allowedDomains: ["api.example.com"],
      deniedDomains: ["**.example.com"],
    }).decide("API.example.com");
    expect(verdict.kind).toBe("deny");
    expect(verdict.kind === "deny" && verdict.message).toContain("api.example.com");
    expect(verdict.kind === "deny" && verdict.message).toContain("**.example.com");
  });

  it("names a refused local address", () => {
    const verdict = policy().decide("169.254.169.254");
    expect(verdict.kind === "deny" && verdict.message).toContain("169.254.169.254");
  });
});

describe("NetworkPolicy.checkResolved", () => {
  it.each([
    // public addresses: nothing to say
    [{}, "example.com", ["93.184.216.34"], undefined],
    [{}, "example.com", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"], undefined],
    [{}, "example.com", [], undefined],
    // a name counts by what it resolves to
    [{}, "internal.example", ["10.0.0.5"], "deny:not_allowed_local"],
    [{}, "metadata.example", ["169.254.169.254"], "deny:not_allowed_local"],
    [{}, "v6.example", ["fd00::1"], "deny:not_allowed_local"],
    [{}, "mapped.example", ["::ffff:127.0.0.1"], "deny:not_allowed_local"],
    [{}, "mixed.example", ["93.184.216.34", "10.0.0.5"], "deny:not_allowed_local"],
    [{ allowedDomains: ["*"] }, "internal.example", ["10.0.0.5"], "deny:not_allowed_local"],
    // an exact allowed entry naming the host lets it be local; a wildcard does not
    [{ allowedDomains: ["internal.example"] }, "internal.example", ["10.0.0.5"], undefined],
    [{ allowedDomains: ["Internal.Example."] }, "INTERNAL.example:443", ["10.0.0.5"], undefined],
    [{ allowedDomains: ["*.example"] }, "internal.example", ["10.0.0.5"], "deny:not_allowed_local"],
    [
      { allowedDomains: ["**.internal.example"] },
      "internal.example",
      ["10.0.0.5"],
      "deny:not_allowed_local",
    ],
    [
      { allowedDomains: ["intern*.example"] },
      "internal.example",
      ["10.0.0.5"],
      "deny:not_allowed_local",
    ],
    [
      { allowedDomains: ["other.example"] },
      "internal.example",
      ["10.0.0.5"],
      "deny:not_allowed_local",
    ],
    // every non-public address inside the allowed local ranges
    [{ allowedLocalAddresses: ["10.0.0.0/8"] }, "internal.example", ["10.0.0.5"], undefined],
    [
      { allowedLocalAddresses: ["10.0.0.0/8"] },
      "internal.example",
      ["10.0.0.5", "10.200.0.1", "93.184.216.34"],
      undefined,
    ],
    [
      { allowedLocalAddresses: ["10.0.0.0/8", "fd00::/8"] },
      "internal.example",
      ["10.0.0.5", "fd00::1"],
      undefined,
    ],
    [
      { allowedLocalAddresses: ["10.0.0.0/8"] },
      "internal.example",
      ["192.168.1.1"],
      "deny:not_allowed_local",
    ],
    [
      { allowedLocalAddresses: ["10.0.0.0/8"] },
      "internal.example",
      ["192.168.1.1", "10.0.0.5"],
      "deny:not_allowed_local",
    ],
  ] as [Partial<NetworkPolicyConfig>, string, string[], string | undefined][])(
    "%j: %j at %j → %s",
    (config, host, addresses, expected) => {
      expect(summary(policy(config).checkResolved(host, addresses))).toBe(expected);
    },
  );

  it("names the address that was refused, not an allowed one", () => {
    const verdict = policy({ allowedLocalAddresses: ["10.0.0.0/8"] }).checkResolved(
      "mixed.example",
      ["10.0.0.5", "192.168.1.1"],
    );
    expect(verdict?.kind === "deny" && verdict.message).toContain("192.168.1.1");
    expect(verdict?.kind === "deny" && verdict.message).not.toContain("10.0.0.5");
  });

  it.each([
    ["internal.example", ["10.0.0.5"], "10.0.0.5"],
    ["mixed.example", ["93.184.216.34", "10.0.0.5"], "10.0.0.5"],
    ["mixed.example", ["2606:2800:220:1:248:1893:25c8:1946", "::1"], "::1"],
  ])("%j at %j: the message names the host and %s", (host, addresses, named) => {
    const verdict = policy().checkResolved(host, addresses);
    expect(verdict?.kind).toBe("deny");
    const message = verdict?.kind === "deny" ? verdict.message : "";
    expect(message).toContain(host);
    expect(message).toContain(`address ${named}`);
  });
});

describe("NetworkPolicy construction", () => {
  it.each([
    [{ allowedDomains: ["https://example.com"] }, "invalid_host_pattern"],
    [{ allowedDomains: ["example.com/path"] }, "invalid_host_pattern"],
    [{ allowedDomains: [""] }, "invalid_host_pattern"],
    [{ allowedDomains: ["exa mple.com"] }, "invalid_host_pattern"],
    [{ allowedDomains: ["ex?mple.com"] }, "invalid_host_pattern"],
    [{ allowedDomains: ["*.*"] }, "invalid_host_pattern"],
    [{ deniedDomains: ["*"] }, "invalid_host_pattern"],
    [{ deniedDomains: ["a..example.com"] }, "invalid_host_pattern"],
    [{ allowedLocalAddresses: ["10.0.0.0/33"] }, "invalid_address"],
    [{ allowedLocalAddresses: ["::1/129"] }, "invalid_address"],
    [{ allowedLocalAddresses: ["localhost"] }, "invalid_address"],
    [{ allowedLocalAddresses: ["010.0.0.0/8"] }, "invalid_address"],
    [{ allowedLocalAddresses: ["10.0.0.0/"] }, "invalid_address"],
    [{ allowedLocalAddresses: [""] }, "invalid_address"],
  ] as [Partial<NetworkPolicyConfig>, string][])("%j throws %s", (config, code) => {
    expect(errorCode(() => policy(config))).toBe(code);
  });

  it.each([
    [
      {
        allowedDomains: [
          "*",
          "example.com",
          "*.example.com",
          "**.example.com",
          "10.0.0.1",
          "[::1]",
        ],
      },
    ],
    [{ deniedDomains: ["example.com", "*.example.com", "region*.example.com", "::1"] }],
    [{ allowedLocalAddresses: ["10.0.0.0/8", "127.0.0.1", "fd00::/8", "::1", "0.0.0.0/0"] }],
  ] as [Partial<NetworkPolicyConfig>][])("%j is accepted", (config) => {
    expect(errorCode(() => policy(config))).toBeUndefined();
  });
});

describe("PROXY_ERROR_HEADER", () => {
  it("maps each deny reason to upstream's x-proxy-error value", () => {
    expect(PROXY_ERROR_HEADER).toEqual({
      denied: "blocked-by-denylist",
      not_allowed: "blocked-by-allowlist",
      not_allowed_local: "blocked-by-policy",
    });
  });
});
