/**
 * The canonical destination: the one string the policy judges, the resolver resolves and the
 * connection goes to, computed once from whatever a client sent (a CONNECT authority, an
 * absolute-form `http://` URL, a SOCKS5 address). Pure: text in, destination or refusal out.
 *
 * Guards:
 * - a host is an IP literal or a DNS name, nothing else: names are ASCII letters, digits, `-`
 *   and `_` in dot-separated labels of 1-63 characters, 253 at most in all, so no NUL, control
 *   character, space, `%`, `/`, `\`, `@` or non-ASCII byte can reach the policy (which would
 *   judge one name) and the resolver (which would read another). IDNs must come as punycode
 *   (`xn--...`), as browsers, curl and Node send them: Unicode is refused, never case-mapped;
 * - IPv4 in any spelling a resolver would accept (`127.1`, `2130706433`, `0x7f.0.0.1`,
 *   `0177.0.0.1`, inet_aton's rules) becomes its dotted quad, so a deny entry for `127.0.0.1`
 *   sees `127.0.0.1`; a name whose last label is a number but that is no IPv4 address is refused;
 * - IPv6 becomes its RFC 5952 text (lower case, longest zero run as `::`), zones are refused;
 * - names are lower-cased (ASCII only) and lose one trailing dot; ports are 1-65535.
 */
import { isIP } from "node:net";

import { ipv6Groups } from "./address-class.js";

export type HostKind = "ipv4" | "ipv6" | "name";

export interface Destination {
  /** Canonical: dotted-quad IPv4, RFC 5952 IPv6 (no brackets), or a lower-case DNS name. */
  readonly host: string;
  readonly kind: HostKind;
  readonly port: number;
}

export type DestinationErrorCode = "invalid_host" | "invalid_port" | "invalid_target";

export interface DestinationError {
  readonly ok: false;
  readonly code: DestinationErrorCode;
  readonly message: string;
}

export type Parsed<T> = ({ readonly ok: true } & T) | DestinationError;

const MAX_NAME_LENGTH = 253;
const LABEL = /^[a-z0-9_-]{1,63}$/;
const NUMERIC_LABEL = /^(?:0x[0-9a-f]*|[0-9]+)$/;

/** A host as a client wrote it (IPv6 with or without brackets), canonical, or why not. */
export function canonicalHost(raw: string): Parsed<{ host: string; kind: HostKind }> {
  const shown = JSON.stringify(raw);
  if (!/^[\x21-\x7e]+$/.test(raw)) {
    return refuse("invalid_host", `${shown} is not a host: empty, or not printable ASCII`);
  }
  if (raw.startsWith("[") || raw.includes(":")) {
    const inner = raw.startsWith("[") && raw.endsWith("]") ? raw.slice(1, -1) : raw;
    const ipv6 = inner.includes("%") || inner.includes("[") ? undefined : canonicalIpv6(inner);
    return ipv6 === undefined
      ? refuse("invalid_host", `${shown} is not an IPv6 literal (zones are not accepted)`)
      : { ok: true, host: ipv6, kind: "ipv6" };
  }
  const lower = raw.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const text = lower.endsWith(".") ? lower.slice(0, -1) : lower;
  const labels = text.split(".");
  if (NUMERIC_LABEL.test(labels[labels.length - 1] ?? "")) {
    const ipv4 = canonicalIpv4(text);
    return ipv4 === undefined
      ? refuse("invalid_host", `${shown} ends in a number but is not an IPv4 address`)
      : { ok: true, host: ipv4, kind: "ipv4" };
  }
  if (text.length > MAX_NAME_LENGTH) {
    return refuse("invalid_host", `${shown} is longer than ${MAX_NAME_LENGTH} characters`);
  }
  const bad = labels.find((label) => !LABEL.test(label));
  if (bad !== undefined) {
    return refuse(
      "invalid_host",
      `${shown} is not a DNS name: label ${JSON.stringify(bad)} is empty, longer than 63, or has a character other than letters, digits, - and _`,
    );
  }
  return { ok: true, host: text, kind: "name" };
}

/** A host and a port number, canonical. */
export function canonicalDestination(
  rawHost: string,
  port: number,
): Parsed<{ destination: Destination }> {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    return refuse("invalid_port", `port ${String(port)} is not in 1-65535`);
  }
  const host = canonicalHost(rawHost);
  if (!host.ok) return host;
  return { ok: true, destination: { host: host.host, kind: host.kind, port } };
}

/** `host:port` or `[v6]:port`: a CONNECT request's authority (the port is required). */
export function parseAuthority(authority: string): Parsed<{ destination: Destination }> {
  const match = /^(\[[^\]]*\]|[^:[\]]*):([0-9]{1,5})$/.exec(authority);
  if (match === null) {
    return refuse("invalid_target", `${JSON.stringify(authority)} is not host:port or [IPv6]:port`);
  }
  return canonicalDestination(match[1] ?? "", Number(match[2]));
}

/**
 * An absolute-form `http://host[:port][/path][?query]` request target: the destination, and the
 * origin-form path to send upstream. No user info, no fragment, no percent-encoded host, and the
 * path only visible ASCII.
 */
export function parseHttpTarget(
  target: string,
): Parsed<{ destination: Destination; path: string }> {
  const match = /^http:\/\/([^/?#]*)([^#]*)$/i.exec(target);
  if (match === null) {
    return refuse(
      "invalid_target",
      `${JSON.stringify(target)} is not an absolute http:// URL (use CONNECT for anything else)`,
    );
  }
  const authority = match[1] ?? "";
  const rest = match[2] ?? "";
  if (authority.includes("@")) {
    return refuse("invalid_target", `${JSON.stringify(target)} carries user information`);
  }
  if (!/^[\x21-\x7e]*$/.test(rest)) {
    return refuse(
      "invalid_target",
      `${JSON.stringify(target)} has a path that is not visible ASCII`,
    );
  }
  const path = rest === "" ? "/" : rest.startsWith("?") ? `/${rest}` : rest;
  const explicitPort = /^(\[[^\]]*\]|[^:[\]]*)(?::([0-9]{1,5}))?$/.exec(authority);
  if (explicitPort === null) {
    return refuse("invalid_target", `${JSON.stringify(authority)} is not host[:port]`);
  }
  const destination = canonicalDestination(
    explicitPort[1] ?? "",
    explicitPort[2] === undefined ? 80 : Number(explicitPort[2]),
  );
  return destination.ok ? { ...destination, path } : destination;
}

/** `host:port`, with IPv6 in brackets: for messages, questions and the Host header. */
export function describeAuthority(destination: Destination, withPort = true): string {
  const host = destination.kind === "ipv6" ? `[${destination.host}]` : destination.host;
  return withPort ? `${host}:${destination.port}` : host;
}

/**
 * inet_aton's reading of 1-4 dot-separated numbers (decimal, `0x` hex, `0` octal; the last one
 * fills the remaining bytes), as dotted-quad text; undefined when it is none.
 */
export function canonicalIpv4(text: string): string | undefined {
  const parts = text.split(".");
  if (parts.length > 4) return undefined;
  const values: bigint[] = [];
  for (const part of parts) {
    const value = ipv4Number(part);
    if (value === undefined) return undefined;
    values.push(value);
  }
  const last = values.pop() ?? -1n;
  if (values.some((value) => value > 255n)) return undefined;
  const lastBits = BigInt(8 * (4 - values.length));
  if (last < 0n || last >= 1n << lastBits) return undefined;
  let address = values.reduce((acc, value) => (acc << 8n) | value, 0n);
  address = (address << lastBits) | last;
  return [24n, 16n, 8n, 0n].map((shift) => String((address >> shift) & 0xffn)).join(".");
}

function ipv4Number(part: string): bigint | undefined {
  if (/^0x[0-9a-f]*$/i.test(part)) return part.length === 2 ? 0n : BigInt(part);
  if (/^0[0-7]+$/.test(part)) return BigInt(`0o${part.slice(1)}`);
  if (/^(?:0|[1-9][0-9]*)$/.test(part)) return part.length > 12 ? 1n << 40n : BigInt(part);
  return undefined;
}

/** RFC 5952 text of an IPv6 literal (no zone); undefined when it is none. */
export function canonicalIpv6(text: string): string | undefined {
  if (text.includes("%")) return undefined;
  const groups = ipv6Groups(text);
  if (groups === undefined) return undefined;
  let best = { start: -1, length: 1 };
  for (let start = 0; start < 8;) {
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > best.length) best = { start, length: end - start };
    start = end === start ? start + 1 : end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (best.start < 0) return hex.join(":");
  const head = hex.slice(0, best.start).join(":");
  const tail = hex.slice(best.start + best.length).join(":");
  return `${head}::${tail}`;
}

/** Canonical text of any IP literal a resolver returned; undefined for anything else. */
export function canonicalAddress(text: string): string | undefined {
  const version = isIP(text);
  return version === 4 ? text : version === 6 ? canonicalIpv6(text) : undefined;
}

function refuse(code: DestinationErrorCode, message: string): DestinationError {
  return { ok: false, code, message };
}
