/**
 * Which IP addresses are not on the public internet, and CIDR containment: text in, verdict out,
 * no I/O and no DNS.
 *
 * This guards egress that must reach "the internet" and nothing closer: not the machine itself,
 * not its LAN, not the cloud metadata service at 169.254.169.254. An IPv6 address that carries
 * an IPv4 address (IPv4-mapped `::ffff:0:0/96`, IPv4-compatible `::/96`, NAT64 `64:ff9b::/96`)
 * is judged by that IPv4 address, so `::ffff:127.0.0.1` cannot smuggle loopback past the check.
 *
 * Only canonical literals are addresses: dotted-quad IPv4 with decimal octets and no leading
 * zeros (as `net.isIP` reads them), and IPv6 with an optional `%zone`, which is ignored. Forms a
 * resolver might still accept (`010.0.0.1`, `0x7f.1`, `2130706433`) are not addresses here and
 * raise `invalid_address`: the caller checks the addresses a name resolved to, not the name.
 *
 * Error codes: `invalid_address`.
 */
import { isIP } from "node:net";

import { ExecwardError } from "../errors.js";

type IpVersion = 4 | 6;

interface Address {
  readonly version: IpVersion;
  /** The address as an unsigned 32- or 128-bit integer. */
  readonly value: bigint;
}

interface Block {
  readonly version: IpVersion;
  readonly network: bigint;
  readonly prefix: number;
}

const NON_PUBLIC_IPV4: readonly Block[] = [
  "0.0.0.0/8", // "this network", including the unspecified 0.0.0.0
  "10.0.0.0/8", // RFC 1918
  "100.64.0.0/10", // carrier-grade NAT
  "127.0.0.0/8", // loopback
  "169.254.0.0/16", // link-local, including the cloud metadata service 169.254.169.254
  "172.16.0.0/12", // RFC 1918
  "192.0.0.0/24", // IETF protocol assignments
  "192.0.2.0/24", // TEST-NET-1
  "192.168.0.0/16", // RFC 1918
  "198.18.0.0/15", // benchmarking
  "198.51.100.0/24", // TEST-NET-2
  "203.0.113.0/24", // TEST-NET-3
  "224.0.0.0/4", // multicast
  "240.0.0.0/4", // reserved, including the broadcast 255.255.255.255
].map(knownBlock);

const NON_PUBLIC_IPV6: readonly Block[] = [
  "::/128", // unspecified
  "::1/128", // loopback
  "100::/64", // discard-only
  "2001:db8::/32", // documentation
  "fc00::/7", // unique local
  "fe80::/10", // link-local
  "fec0::/10", // site-local (deprecated, still routed locally by some stacks)
  "ff00::/8", // multicast
  // Tunnelling prefixes that carry an IPv4 address somewhere inside (6to4, Teredo, local-use
  // NAT64): rare on purpose, and judging the embedded address right is not worth the risk of
  // judging it wrong, so they are not "the internet" unless allowed explicitly.
  "2002::/16", // 6to4
  "2001::/32", // Teredo
  "64:ff9b:1::/48", // local-use NAT64
].map(knownBlock);

/** IPv6 prefixes whose last 32 bits are an IPv4 address the packet ends up going to. */
const IPV4_CARRIERS: readonly Block[] = [
  "::ffff:0:0/96", // IPv4-mapped
  "::/96", // IPv4-compatible (deprecated); also covers :: and ::1, which are non-public anyway
  "64:ff9b::/96", // NAT64 well-known prefix
].map(knownBlock);

const IPV4_MAPPED = knownBlock("::ffff:0:0/96");

/** `net.isIP`, typed: 4 or 6 for an IP literal, 0 for anything else (a name, a typo). */
export function isIpLiteral(host: string): IpVersion | 0 {
  const version = isIP(host);
  return version === 4 || version === 6 ? version : 0;
}

/** True for an address that is not on the public internet; see the tables above. */
export function isNonPublicAddress(address: string): boolean {
  const parsed = parseAddressOrThrow(address);
  if (parsed.version === 4) return NON_PUBLIC_IPV4.some((block) => inBlock(block, parsed.value));
  const embedded = embeddedIpv4(parsed.value);
  if (embedded !== undefined) return NON_PUBLIC_IPV4.some((block) => inBlock(block, embedded));
  return NON_PUBLIC_IPV6.some((block) => inBlock(block, parsed.value));
}

/**
 * True when `address` lies in `cidr` (`10.0.0.0/8`, `fd00::/8`; a bare address is a /32 or
 * /128, and host bits set in the network are ignored). An IPv4-mapped IPv6 address is matched
 * against IPv4 CIDRs by its embedded IPv4 address; an IPv4 address never lies in an IPv6 CIDR.
 */
export function cidrContains(cidr: string, address: string): boolean {
  const block = parseBlock(cidr);
  if (block === undefined) {
    throw invalidAddress(`${cidr} is not an IPv4 or IPv6 CIDR`, { cidr });
  }
  const parsed = parseAddressOrThrow(address);
  if (block.version === parsed.version) return inBlock(block, parsed.value);
  return block.version === 4 && inBlock(IPV4_MAPPED, parsed.value)
    ? inBlock(block, parsed.value & 0xffff_ffffn)
    : false;
}

function inBlock(block: Block, value: bigint): boolean {
  const shift = BigInt((block.version === 4 ? 32 : 128) - block.prefix);
  return value >> shift === block.network >> shift;
}

function embeddedIpv4(value: bigint): bigint | undefined {
  return IPV4_CARRIERS.some((block) => inBlock(block, value)) ? value & 0xffff_ffffn : undefined;
}

function parseAddressOrThrow(address: string): Address {
  const parsed = parseAddress(address);
  if (parsed === undefined) {
    throw invalidAddress(`${address} is not an IPv4 or IPv6 address`, { address });
  }
  return parsed;
}

function parseBlock(cidr: string): Block | undefined {
  const slash = cidr.indexOf("/");
  const address = parseAddress(slash < 0 ? cidr : cidr.slice(0, slash));
  if (address === undefined) return undefined;
  const bits = address.version === 4 ? 32 : 128;
  if (slash < 0) return { version: address.version, network: address.value, prefix: bits };
  const prefixText = cidr.slice(slash + 1);
  if (!/^(?:0|[1-9][0-9]{0,2})$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  return prefix > bits ? undefined : { version: address.version, network: address.value, prefix };
}

/** For the tables above, which are written correctly or the module fails to load. */
function knownBlock(cidr: string): Block {
  const block = parseBlock(cidr);
  if (block === undefined) throw new Error(`bad built-in CIDR ${cidr}`);
  return block;
}

function parseAddress(text: string): Address | undefined {
  const ipv4 = parseIpv4(text);
  if (ipv4 !== undefined) return { version: 4, value: BigInt(ipv4) };
  const groups = parseIpv6(text);
  if (groups === undefined) return undefined;
  return { version: 6, value: groups.reduce((acc, group) => (acc << 16n) | BigInt(group), 0n) };
}

/** Dotted-quad decimal, each octet 0-255 without leading zeros. */
function parseIpv4(text: string): number | undefined {
  const octets = text.split(".");
  if (octets.length !== 4) return undefined;
  let value = 0;
  for (const octet of octets) {
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(octet)) return undefined;
    const n = Number(octet);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

/** The eight 16-bit groups of an IPv6 literal (zone dropped), or undefined; see parseIpv6. */
export function ipv6Groups(text: string): readonly number[] | undefined {
  return parseIpv6(text);
}

/**
 * The eight 16-bit groups of an IPv6 literal: at most one `::` standing for one or more zero
 * groups, an optional dotted IPv4 tail standing for the last two, an optional `%zone` (with the
 * characters `net.isIP` allows), which is dropped.
 */
function parseIpv6(text: string): number[] | undefined {
  const percent = text.indexOf("%");
  if (percent >= 0 && !/^[0-9A-Za-z.:-]+$/.test(text.slice(percent + 1))) return undefined;
  const address = percent < 0 ? text : text.slice(0, percent);
  const gap = address.indexOf("::");
  if (gap < 0) {
    const groups = parseGroups(address);
    return groups?.length === 8 ? groups : undefined;
  }
  if (address.includes("::", gap + 1)) return undefined;
  const head = parseGroups(address.slice(0, gap), { ipv4Tail: false });
  const tail = parseGroups(address.slice(gap + 2));
  if (head === undefined || tail === undefined) return undefined;
  const zeros = 8 - head.length - tail.length;
  return zeros >= 1 ? [...head, ...Array<number>(zeros).fill(0), ...tail] : undefined;
}

/** Colon-separated hex groups (1-4 digits); the last one may be a dotted IPv4 address. */
function parseGroups(text: string, { ipv4Tail = true } = {}): number[] | undefined {
  if (text.length === 0) return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (const [index, part] of parts.entries()) {
    if (ipv4Tail && index === parts.length - 1 && part.includes(".")) {
      const ipv4 = parseIpv4(part);
      if (ipv4 === undefined) return undefined;
      groups.push(Math.floor(ipv4 / 0x1_0000), ipv4 % 0x1_0000);
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(part)) {
      groups.push(Number.parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

function invalidAddress(detail: string, data: Readonly<Record<string, unknown>>): ExecwardError {
  return new ExecwardError("invalid_address", `invalid address: ${detail}`, { data });
}
