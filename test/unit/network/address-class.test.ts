// Address classes: which IP literals are non-public (IPv4, IPv6, and IPv6 forms carrying IPv4),
// CIDR containment, and the IPv6 parser agreeing with net.isIP on what an address is.
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import {
  cidrContains,
  isIpLiteral,
  isNonPublicAddress,
} from "../../../src/network/address-class.js";
import { errorCode } from "../../helpers/error-code.js";

describe("isIpLiteral", () => {
  it.each([
    ["127.0.0.1", 4],
    ["255.255.255.255", 4],
    ["::1", 6],
    ["2001:db8::1", 6],
    ["::ffff:127.0.0.1", 6],
    ["fe80::1%eth0", 6],
    ["example.com", 0],
    ["[::1]", 0],
    ["010.0.0.1", 0],
    ["1.2.3", 0],
    ["", 0],
  ] as const)("%j is %d", (host, version) => {
    expect(isIpLiteral(host)).toBe(version);
  });
});

describe("isNonPublicAddress", () => {
  it.each([
    // unspecified, "this network"
    "0.0.0.0",
    "0.255.255.255",
    "::",
    // loopback
    "127.0.0.1",
    "127.255.255.254",
    "::1",
    "0:0:0:0:0:0:0:1",
    // RFC 1918
    "10.0.0.1",
    "10.255.255.255",
    "172.16.0.0",
    "172.31.255.255",
    "192.168.0.1",
    "192.168.255.255",
    // link-local, cloud metadata
    "169.254.0.1",
    "169.254.169.254",
    "fe80::1",
    "fe80::1%eth0",
    "febf:ffff::1",
    // CGNAT
    "100.64.0.1",
    "100.127.255.255",
    // IETF protocol assignments
    "192.0.0.8",
    // TEST-NETs
    "192.0.2.1",
    "198.51.100.7",
    "203.0.113.255",
    "2001:db8::1",
    "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
    // benchmarking
    "198.18.0.1",
    "198.19.255.255",
    // multicast
    "224.0.0.1",
    "239.255.255.250",
    "ff02::1",
    "FF0E::1",
    // reserved and broadcast
    "240.0.0.1",
    "255.255.255.255",
    // unique local, site-local, discard
    "fc00::1",
    "fd12:3456:789a::1",
    "fec0::1",
    "feff::1",
    "100::1",
    "100::ffff:ffff:ffff:ffff",
    // IPv4 carried in IPv6: mapped (dotted and hex), compatible, NAT64
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::FFFF:7F00:0001",
    "0:0:0:0:0:ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:a9fe:a9fe",
    "::ffff:0.0.0.0",
    "::127.0.0.1",
    "::a00:1",
    "64:ff9b::10.0.0.1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::7f00:1",
    // tunnelling prefixes carrying an IPv4 address: never "the internet" without an allowance
    "2002:7f00:1::1", // 6to4 for 127.0.0.1
    "2002:808:808::1", // 6to4, even for a public IPv4
    "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo
    "64:ff9b:1::808:808", // local-use NAT64
  ])("%s is non-public", (address) => {
    expect(isNonPublicAddress(address)).toBe(true);
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "9.255.255.255",
    "11.0.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "128.0.0.1",
    "169.253.255.255",
    "169.255.0.1",
    "172.15.255.255",
    "172.32.0.1",
    "192.0.1.1",
    "192.0.3.1",
    "192.167.255.255",
    "192.169.0.1",
    "198.17.255.255",
    "198.20.0.0",
    "198.51.101.1",
    "203.0.112.1",
    "223.255.255.255",
    "2606:4700::1111",
    "2001:4860:4860::8888",
    "2a00:1450:4001::200e",
    "2001:db9::1",
    "100::1:0:0:0:1",
    "fbff:ffff::1",
    "fe7f::1",
    "::ffff:8.8.8.8",
    "::ffff:808:808",
    "::8.8.8.8",
    "64:ff9b::8.8.8.8",
    "64:ff9b::101:101",
    "64:ff9c::7f00:1",
  ])("%s is public", (address) => {
    expect(isNonPublicAddress(address)).toBe(false);
  });

  it.each([
    "",
    "example.com",
    "localhost",
    "[::1]",
    " 127.0.0.1",
    "127.0.0.1 ",
    "127.0.0.1/8",
    "127.0.0.1:80",
    "127.1",
    "010.0.0.1",
    "0x7f.0.0.1",
    "2130706433",
    "256.0.0.1",
    "1.2.3.4.5",
    "1.2.3.4%eth0",
    ":::",
    "1:::2",
    ":1::",
    "1::2::3",
    "12345::1",
    "g::1",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1::2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:1.2.3.4",
    "::1.2.3",
    "::1.2.3.4:5",
    "1.2.3.4::",
    "::ffff:256.0.0.1",
    "fe80::1%",
    "fe80::1%a b",
  ])("%j is not an address", (address) => {
    expect(errorCode(() => isNonPublicAddress(address))).toBe("invalid_address");
  });

  it("judges an IPv4-mapped address as its IPv4 address", () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(fc.tuple(octet, octet, octet, octet), (octets) => {
        const address = octets.join(".");
        expect(isNonPublicAddress(`::ffff:${address}`)).toBe(isNonPublicAddress(address));
      }),
      { numRuns: 5000 },
    );
  });

  it("reads the same texts as addresses as net.isIP does", () => {
    const soup = fc
      .array(
        fc.constantFrom(
          ...["0", "1", "7", "a", "F", "g", ":", ":", "::", ".", "%", "ffff", "255", "256", "01"],
          ...["1.2.3.4", "eth0", "12345"],
        ),
        { maxLength: 14 },
      )
      .map((parts) => parts.join(""));
    fc.assert(
      fc.property(soup, (text) => {
        const valid = errorCode(() => isNonPublicAddress(text)) === undefined;
        expect(valid).toBe(isIpLiteral(text) !== 0);
      }),
      { numRuns: 20_000 },
    );
  });

  it("reads every compression of an IPv6 address as the same address", () => {
    const groups = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });
    fc.assert(
      fc.property(groups, fc.nat(7), fc.nat(8), (values, start, length) => {
        const hex = values.map((g) => g.toString(16));
        const end = Math.min(8, start + Math.max(1, length));
        const zeroed = hex.map((g, i) => (i >= start && i < end ? "0" : g));
        const compressed = `${zeroed.slice(0, start).join(":")}::${zeroed.slice(end).join(":")}`;
        expect(isIpLiteral(compressed)).toBe(6);
        expect(cidrContains(`${zeroed.join(":")}/128`, compressed)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("cidrContains", () => {
  it.each([
    ["127.0.0.0/8", "127.0.0.1", true],
    ["127.0.0.0/8", "127.255.255.255", true],
    ["127.0.0.0/8", "128.0.0.0", false],
    ["10.0.0.0/8", "10.1.2.3", true],
    ["10.0.0.0/8", "11.0.0.0", false],
    ["172.16.0.0/12", "172.31.255.255", true],
    ["172.16.0.0/12", "172.32.0.1", false],
    ["192.168.1.0/24", "192.168.1.77", true],
    ["192.168.1.0/24", "192.168.2.1", false],
    ["0.0.0.0/0", "8.8.8.8", true],
    ["0.0.0.0/0", "2001:db8::1", false],
    ["10.0.0.1", "10.0.0.1", true],
    ["10.0.0.1", "10.0.0.2", false],
    ["10.0.0.1/32", "10.0.0.1", true],
    ["10.0.0.1/8", "10.200.0.1", true], // host bits in the network are ignored
    ["::1/128", "::1", true],
    ["::1/128", "0:0:0:0:0:0:0:1", true],
    ["::1/128", "::2", false],
    ["::1", "::1", true],
    ["fe80::/10", "fe80::1%eth0", true],
    ["fe80::/10", "fec0::1", false],
    ["fc00::/7", "fdff::1", true],
    ["fc00::/7", "fe00::1", false],
    ["2001:db8::/32", "2001:db8:1234::1", true],
    ["2001:db8::/32", "2001:db9::1", false],
    ["::/0", "2606:4700::1111", true],
    ["::/0", "8.8.8.8", false], // an IPv4 address never lies in an IPv6 CIDR
    ["::ffff:0:0/96", "127.0.0.1", false],
    ["::ffff:0:0/96", "::ffff:127.0.0.1", true],
    // IPv4-mapped addresses match IPv4 CIDRs by their embedded address
    ["127.0.0.0/8", "::ffff:127.0.0.1", true],
    ["127.0.0.0/8", "::ffff:7f00:1", true],
    ["127.0.0.0/8", "::ffff:8.8.8.8", false],
    ["0.0.0.0/0", "::ffff:8.8.8.8", true],
    // ...but not compatible or NAT64 ones: only mapped is the same IPv4 socket address
    ["127.0.0.0/8", "::127.0.0.1", false],
    ["127.0.0.0/8", "64:ff9b::7f00:1", false],
  ] as const)("%s contains %s: %s", (cidr, address, expected) => {
    expect(cidrContains(cidr, address)).toBe(expected);
  });

  it.each([
    "",
    "/8",
    "10.0.0.0/",
    "10.0.0.0/33",
    "10.0.0.0/-1",
    "10.0.0.0/08",
    "10.0.0.0/8/8",
    "10.0.0.0/ 8",
    "10.0.0/8",
    "::/129",
    "::1/1x",
    "example.com/8",
    "[::1]/128",
  ])("%j is not a CIDR", (cidr) => {
    expect(errorCode(() => cidrContains(cidr, "10.0.0.1"))).toBe("invalid_address");
  });

  it("rejects an address that is not one", () => {
    expect(errorCode(() => cidrContains("10.0.0.0/8", "10.0.0.256"))).toBe("invalid_address");
    expect(errorCode(() => cidrContains("::/0", "localhost"))).toBe("invalid_address");
  });
});
