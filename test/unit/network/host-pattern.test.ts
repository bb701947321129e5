// Host normalisation and the allowed/denied host patterns: exact, `*.`, `**.`, bare `*`,
// mid-label globs and IP literals, matched and refused.
import { describe, expect, it } from "vitest";

import { isExecwardError } from "../../../src/errors.js";
import {
  describePattern,
  isExactPattern,
  matchesHost,
  normalizeHost,
  parseHostPattern,
  type HostList,
} from "../../../src/network/host-pattern.js";
import { errorCode } from "../../helpers/error-code.js";

function matches(pattern: string, host: string, list: HostList = "allowed"): boolean {
  return matchesHost(parseHostPattern(pattern, list), normalizeHost(host));
}

describe("normalizeHost", () => {
  it.each([
    ["example.com", "example.com"],
    ["  Example.COM\t", "example.com"],
    ["\u0085example.com\u3000", "example.com"],
    ["example.com:443", "example.com"],
    ["example.com.", "example.com"],
    ["example.com..", "example.com"],
    ["Example.COM.:443", "example.com"],
    ["[::1]", "::1"],
    ["[::1]:8080", "::1"],
    ["[2001:DB8::1]:443", "2001:db8::1"],
    ["::1", "::1"],
    ["2001:DB8::1", "2001:db8::1"],
    ["::ffff:127.0.0.1", "::ffff:127.0.0.1"],
    ["127.0.0.1:80", "127.0.0.1"],
    ["localhost", "localhost"],
    ["", ""],
    // ASCII case folding only: the Kelvin sign is not `k`, the dotted capital I is not `i`.
    ["\u212Aey.com", "\u212Aey.com"],
    ["\u0130nfo.com", "\u0130nfo.com"],
  ])("%j → %j", (raw, normalized) => {
    expect(normalizeHost(raw)).toBe(normalized);
  });
});

describe("parseHostPattern and matchesHost", () => {
  it.each([
    // exact, case-insensitive, after normalizing both sides
    ["example.com", "example.com", true],
    ["example.com", "EXAMPLE.com", true],
    ["Example.COM", "example.com.", true],
    ["example.com.", "example.com:443", true],
    ["example.com", "www.example.com", false],
    ["example.com", "badexample.com", false],
    ["example.com", "example.co", false],
    ["example.com", "example.com.evil.net", false],
    // subdomains only
    ["*.example.com", "api.example.com", true],
    ["*.example.com", "a.b.example.com", true],
    ["*.Example.com", "API.example.COM", true],
    ["*.example.com", "example.com", false],
    ["*.example.com", "badexample.com", false],
    ["*.example.com", "example.com.evil.net", false],
    ["*.example.com", ".example.com", false],
    // apex and subdomains
    ["**.example.com", "example.com", true],
    ["**.example.com", "api.example.com", true],
    ["**.example.com", "a.b.example.com", true],
    ["**.example.com", "badexample.com", false],
    ["**.example.com", "example.org", false],
    ["**.example.com", ".example.com", false],
    // everything
    ["*", "example.com", true],
    ["*", "10.0.0.1", true],
    ["*", "::1", true],
    // mid-label globs: within one label, never across a dot
    ["region*.example.com", "region-1.example.com", true],
    ["region*.example.com", "region1.example.com", true],
    ["region*.example.com", "region.example.com", true],
    ["region*.example.com", "a.region1.example.com", false],
    ["region*.example.com", "region1.x.example.com", false],
    ["region*.example.com", "xregion1.example.com", false],
    ["region*.example.com", "example.com", false],
    ["*-api.example.com", "eu-api.example.com", true],
    ["*-api.example.com", "-api.example.com", true],
    ["*-api.example.com", "eu.x-api.example.com", false],
    ["a*b*c.example.com", "abc.example.com", true],
    ["a*b*c.example.com", "a1b2c.example.com", true],
    ["a*b*c.example.com", "abbc.example.com", true],
    ["a*b*c.example.com", "acb.example.com", false],
    ["a*b*c.example.com", "ab.example.com", false],
    ["api.*.example.com", "api.eu.example.com", true],
    ["api.*.example.com", "api.example.com", false],
    ["api.*.example.com", "api.a.b.example.com", false],
    ["api.*.example.com", "api..example.com", false],
    ["*.region*.example.com", "a.b.region7.example.com", true],
    ["*.region*.example.com", "region7.example.com", false],
    ["**.region*.example.com", "region7.example.com", true],
    ["example.*", "example.org", true],
    ["example.*", "example.co.uk", false],
    // IP literals are exact, compared by value
    ["127.0.0.1", "127.0.0.1", true],
    ["127.0.0.1", "127.0.0.2", false],
    ["127.0.0.1", "127.0.0.1:8080", true],
    ["127.0.0.1", "::ffff:127.0.0.1", true],
    ["127.0.0.1", "localhost", false],
    ["::1", "::1", true],
    ["[::1]", "[::1]:8080", true],
    ["::1", "0:0:0:0:0:0:0:1", true],
    ["::1", "::2", false],
    ["::1", "127.0.0.1", false],
    ["2001:DB8::1", "2001:db8:0::1", true],
    // a domain pattern never matches an IPv6 literal
    ["**.1", "::1", false],
  ] as const)("%j matches %j: %s", (pattern, host, expected) => {
    expect(matches(pattern, host)).toBe(expected);
    if (pattern !== "*") expect(matches(pattern, host, "denied")).toBe(expected);
  });

  it.each([
    ["example.com", "example.com", "domain", true],
    ["EXAMPLE.com.:443", "example.com", "domain", true],
    ["*.example.com", "*.example.com", "domain", false],
    ["**.example.com", "**.example.com", "domain", false],
    ["region*.example.com", "region*.example.com", "domain", false],
    ["*", "*", "any", false],
    ["10.0.0.1", "10.0.0.1", "ip", true],
    ["[::1]:443", "::1", "ip", true],
    ["FE80::1", "fe80::1", "ip", true],
    ["10.0.0.*", "10.0.0.*", "domain", false],
  ] as const)("%j is %j (%s, exact: %s)", (raw, text, kind, exact) => {
    const pattern = parseHostPattern(raw, "allowed");
    expect(describePattern(pattern)).toBe(text);
    expect(pattern.kind).toBe(kind);
    expect(isExactPattern(pattern)).toBe(exact);
  });

  it("keeps the labels after the leading wildcard", () => {
    expect(parseHostPattern("**.Example.com", "denied")).toEqual({
      kind: "domain",
      text: "**.example.com",
      reach: "apex-and-subdomains",
      labels: ["example", "com"],
    });
    expect(parseHostPattern("*.example.com", "allowed")).toMatchObject({
      reach: "subdomains",
      labels: ["example", "com"],
    });
    expect(parseHostPattern("::ffff:10.0.0.1", "allowed")).toEqual({
      kind: "ip",
      text: "::ffff:10.0.0.1",
      version: 6,
    });
  });

  it.each([
    ["", "allowed"],
    ["   ", "allowed"],
    ["*", "denied"],
    [" * ", "denied"],
    ["https://example.com", "allowed"],
    ["http://example.com", "denied"],
    ["example.com/path", "allowed"],
    ["/", "allowed"],
    ["exa mple.com", "allowed"],
    ["example.com\tfoo", "denied"],
    ["example\u00a0com", "allowed"],
    ["*.", "allowed"],
    ["*:443", "allowed"],
    ["[*]", "allowed"],
    ["**", "allowed"],
    ["**.", "allowed"],
    ["*.*", "allowed"],
    ["**.*", "denied"],
    ["*.**", "allowed"],
    ["a.**.example.com", "allowed"],
    ["**example.com", "allowed"],
    ["example..com", "allowed"],
    [".example.com", "allowed"],
    ["*..example.com", "allowed"],
    [".", "allowed"],
    [":443", "allowed"],
    ["exa?ple.com", "allowed"],
    ["[ab].example.com", "allowed"],
    ["{a,b}.example.com", "allowed"],
    ["user@example.com", "allowed"],
    ["fe80::*", "allowed"],
    ["bücher.de", "allowed"],
    ["\u212Aey.com", "denied"],
  ] as const)("%j is not a valid %s pattern", (raw, list) => {
    expect(errorCode(() => parseHostPattern(raw, list))).toBe("invalid_host_pattern");
  });

  it("names the pattern and the list in the error", () => {
    try {
      parseHostPattern("*", "denied");
      expect.unreachable();
    } catch (error) {
      expect(isExecwardError(error) && error.data).toEqual({ pattern: "*", list: "denied" });
      expect((error as Error).message).toContain("only valid in the allowed list");
    }
  });
});
