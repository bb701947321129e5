/**
 * The SOCKS5 handshake (RFC 1928, no authentication, CONNECT only) as pure parsers over the
 * bytes a client has sent so far: each says "need more", "refuse with this reply", or "done,
 * having consumed n bytes". Guards: a destination comes out only through canonicalDestination,
 * so a domain name with a NUL, a control character, a space or a non-ASCII byte is refused
 * before anything judges or resolves it; an empty name, port 0, an unknown address type or
 * command, and a wrong version or reserved byte are refused; nothing beyond the request is
 * consumed (it belongs to the tunnel).
 */
import { canonicalDestination, canonicalIpv6, type Destination } from "./destination.js";

/** RFC 1928 reply codes the proxy sends. */
export const SOCKS_REPLY = {
  succeeded: 0,
  generalFailure: 1,
  notAllowed: 2,
  networkUnreachable: 3,
  hostUnreachable: 4,
  connectionRefused: 5,
  commandNotSupported: 7,
  addressTypeNotSupported: 8,
} as const;

export type SocksReplyCode = (typeof SOCKS_REPLY)[keyof typeof SOCKS_REPLY];

export type GreetingParse =
  | { readonly kind: "more" }
  /** Refuse: write `reply` (if any) and close. */
  | { readonly kind: "reject"; readonly reply: Buffer | undefined; readonly reason: string }
  | { readonly kind: "accept"; readonly consumed: number; readonly reply: Buffer };

export type RequestParse =
  | { readonly kind: "more" }
  | { readonly kind: "reject"; readonly reply: Buffer; readonly reason: string }
  | { readonly kind: "connect"; readonly consumed: number; readonly destination: Destination };

const NO_AUTHENTICATION = 0;
const NO_ACCEPTABLE_METHOD = 0xff;

/** Version 5, n methods, the methods; "no authentication" must be among them. */
export function parseSocksGreeting(bytes: Buffer): GreetingParse {
  if (bytes.length < 1) return { kind: "more" };
  if (bytes[0] !== 5) return { kind: "reject", reply: undefined, reason: "not SOCKS version 5" };
  if (bytes.length < 2) return { kind: "more" };
  const count = bytes[1] ?? 0;
  if (bytes.length < 2 + count) return { kind: "more" };
  const methods = bytes.subarray(2, 2 + count);
  if (!methods.includes(NO_AUTHENTICATION)) {
    return {
      kind: "reject",
      reply: Buffer.from([5, NO_ACCEPTABLE_METHOD]),
      reason: "the client offers no method without authentication",
    };
  }
  return { kind: "accept", consumed: 2 + count, reply: Buffer.from([5, NO_AUTHENTICATION]) };
}

/** Version 5, CONNECT, reserved 0, an address (IPv4, name or IPv6) and a port. */
export function parseSocksRequest(bytes: Buffer): RequestParse {
  if (bytes.length < 4) return { kind: "more" };
  const [version, command, reserved, addressType] = bytes;
  if (version !== 5 || reserved !== 0) {
    return reject(SOCKS_REPLY.generalFailure, "malformed SOCKS5 request");
  }
  let hostEnd: number;
  let host: string;
  if (addressType === 1) {
    hostEnd = 8;
    if (bytes.length < hostEnd + 2) return { kind: "more" };
    host = [...bytes.subarray(4, 8)].join(".");
  } else if (addressType === 4) {
    hostEnd = 20;
    if (bytes.length < hostEnd + 2) return { kind: "more" };
    const groups: string[] = [];
    for (let i = 4; i < 20; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
    host = canonicalIpv6(groups.join(":")) ?? "";
  } else if (addressType === 3) {
    if (bytes.length < 5) return { kind: "more" };
    hostEnd = 5 + (bytes[4] ?? 0);
    if (bytes.length < hostEnd + 2) return { kind: "more" };
    // latin1 keeps every byte as one character, so canonicalDestination sees each of them.
    host = bytes.subarray(5, hostEnd).toString("latin1");
  } else {
    return reject(SOCKS_REPLY.addressTypeNotSupported, "unknown SOCKS5 address type");
  }
  if (command !== 1) {
    return reject(SOCKS_REPLY.commandNotSupported, "only SOCKS5 CONNECT is supported");
  }
  const parsed = canonicalDestination(host, bytes.readUInt16BE(hostEnd));
  if (!parsed.ok) return reject(SOCKS_REPLY.generalFailure, parsed.message);
  return { kind: "connect", consumed: hostEnd + 2, destination: parsed.destination };
}

/** A reply with the given code and an all-zero IPv4 bound address. */
export function socksReply(code: SocksReplyCode): Buffer {
  return Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
}

function reject(code: SocksReplyCode, reason: string): RequestParse {
  return { kind: "reject", reply: socksReply(code), reason };
}
