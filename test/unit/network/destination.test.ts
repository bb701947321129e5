// The canonical destination, by example: what each spelling becomes, and what is refused.
import { describe, expect, it } from "vitest";

import {
  canonicalHost,
  canonicalIpv4,
  parseAuthority,
  parseHttpTarget,
} from "../../../src/network/destination.js";

describe("canonicalHost", () => {
  it.each([
    ["Example.COM", "example.com", "name"],
    ["example.com.", "example.com", "name"],
    ["xn--bcher-kva.example", "xn--bcher-kva.example", "name"],
    ["_dmarc.example.com", "_dmarc.example.com", "name"],
    ["127.1", "127.0.0.1", "ipv4"],
    ["2130706433", "127.0.0.1", "ipv4"],
    ["0x7f.0.0.1", "127.0.0.1", "ipv4"],
    ["0177.0.0.1", "127.0.0.1", "ipv4"],
    ["0X7F000001", "127.0.0.1", "ipv4"],
    ["169.254.43518", "169.254.169.254", "ipv4"],
    ["0", "0.0.0.0", "ipv4"],
    ["0x", "0.0.0.0", "ipv4"],
    ["[::1]", "::1", "ipv6"],
    ["[0:0:0:0:0:0:0:1]", "::1", "ipv6"],
    ["::FFFF:127.0.0.1", "::ffff:7f00:1", "ipv6"],
    ["[2001:DB8:0:0:1:0:0:1]", "2001:db8::1:0:0:1", "ipv6"],
  ])("%j → %j (%s)", (raw, host, kind) => {
    expect(canonicalHost(raw)).toEqual({ ok: true, host, kind });
  });

  it.each([
    ["a NUL", "evil.test\0.allowed.test"],
    ["a trailing NUL", "allowed.test\0"],
    ["a newline", "a\n.test"],
    ["a space", "a .test"],
    ["a tab", "a\t.test"],
    ["a percent", "evil%2etest"],
    ["a slash", "a/b.test"],
    ["a backslash", "a\\b.test"],
    ["an at sign", "user@host.test"],
    ["an empty label", "a..test"],
    ["a leading dot", ".a.test"],
    ["two trailing dots", "a.test.."],
    ["Unicode (not punycode)", "bücher.example"],
    ["the Kelvin sign", "\u212Aelvin.test"],
    ["an ideographic full stop", "a\u3002test"],
    ["a 64-character label", `${"a".repeat(64)}.test`],
    ["254 characters", `${"a.".repeat(126)}ab`],
    ["a number too large", "4294967296"],
    ["an octet too large", "256.0.0.1"],
    ["five parts", "1.2.3.4.5"],
    ["a bad octal", "09.0.0.1"],
    ["a name ending in a number", "example.123"],
    ["an IPv6 zone", "[fe80::1%eth0]"],
    ["an IPv6 zone, bare", "fe80::1%25eth0"],
    ["a port", "example.com:443"],
    ["an IPv6 with a non-canonical IPv4 tail", "[::ffff:127.1]"],
    ["empty", ""],
  ])("refuses %s", (_what, raw) => {
    expect(canonicalHost(raw).ok).toBe(false);
  });
});

describe("canonicalIpv4", () => {
  it("reads inet_aton's forms by their part count", () => {
    expect(canonicalIpv4("1.2.3")).toBe("1.2.0.3");
    expect(canonicalIpv4("1.2.65535")).toBe("1.2.255.255");
    expect(canonicalIpv4("1.2.65536")).toBeUndefined();
    expect(canonicalIpv4("1.16777215")).toBe("1.255.255.255");
  });
});

describe("parseAuthority and parseHttpTarget", () => {
  it("give the same canonical destination for the same host, in every protocol", () => {
    const connect = parseAuthority("0x7F.1:8080");
    const http = parseHttpTarget("http://0x7F.1:8080/x?y");
    expect(connect).toEqual({
      ok: true,
      destination: { host: "127.0.0.1", kind: "ipv4", port: 8080 },
    });
    expect(http).toEqual({ ...connect, path: "/x?y" });
  });

  it.each([
    ["http://example.com", "example.com", 80, "/"],
    ["HTTP://Example.com:8080?q", "example.com", 8080, "/?q"],
    ["http://[::1]:81/a", "::1", 81, "/a"],
  ])("%j → %s:%d %s", (target, host, port, path) => {
    const parsed = parseHttpTarget(target);
    expect(parsed.ok && [parsed.destination.host, parsed.destination.port, parsed.path]).toEqual([
      host,
      port,
      path,
    ]);
  });

  it.each([
    "https://example.com/",
    "http://user@example.com/",
    "http://allowed.test@evil.test/",
    "http://evil.test#@allowed.test/",
    "http://evil.test\\@allowed.test/",
    "http://example.com:0/",
    "http://example.com:65536/",
    "http://example.com:/",
    "http://%65vil.test/",
    "http:///path",
    "/relative",
    "example.com:80",
  ])("refuses %j", (target) => {
    expect(parseHttpTarget(target).ok).toBe(false);
  });
});
