/**
 * How a proxied HTTP request's body is framed toward the upstream, decided from the request head
 * alone (pure). Guards: the upstream must read exactly the request the proxy judged, never a
 * second one hidden in its body (request smuggling), so every ambiguity is a 400:
 * - Content-Length and Transfer-Encoding together; more than one Content-Length; a length that
 *   is not plain decimal digits;
 * - a Transfer-Encoding other than exactly `chunked` (the proxy decodes chunked and re-encodes
 *   it; it cannot frame anything else), or chunked on HTTP/1.0, which has no chunked coding;
 * - a body on GET, HEAD, TRACE or CONNECT, methods whose bodies servers commonly ignore, leaving
 *   the body's bytes to be read as the next request;
 * - any version but HTTP/1.0 and 1.1 (a request line broken by a bare LF parses as HTTP/0.9).
 * The forwarded head carries only end-to-end headers, the framing chosen here, the Host the
 * policy judged, and `connection: close` (one request per upstream connection).
 */
import type http from "node:http";

import { describeAuthority, type Destination } from "./destination.js";

export type Framing =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" };

export type FramingPlan =
  | { readonly ok: true; readonly framing: Framing }
  | { readonly ok: false; readonly message: string };

const BODILESS_METHODS = new Set(["GET", "HEAD", "TRACE", "CONNECT"]);

/** Hop-by-hop headers a proxy must not forward (RFC 9110 7.6.1), plus proxy credentials. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Headers the proxy sets itself on the upstream request. */
const REPLACED = new Set(["host", "content-length", "expect"]);

/** `rawHeaders` is Node's flat [name, value, name, value, ...] list, as received. */
export function planRequestFraming(
  method: string,
  httpVersion: string,
  rawHeaders: readonly string[],
): FramingPlan {
  // Node's parser reads `GET http://a\na:1/ HTTP/1.1` as an HTTP/0.9 request for http://a with
  // a header `a: 1/ HTTP/1.1`: not what the client meant, so not forwarded.
  if (httpVersion !== "1.1" && httpVersion !== "1.0") {
    return refuse(`HTTP/${httpVersion} requests are not forwarded`);
  }
  const lengths: string[] = [];
  const codings: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? "").toLowerCase();
    const value = (rawHeaders[i + 1] ?? "").trim();
    if (name === "content-length") lengths.push(value);
    if (name === "transfer-encoding") codings.push(...value.split(","));
  }
  if (lengths.length > 0 && codings.length > 0) {
    return refuse("a request with both Content-Length and Transfer-Encoding is ambiguous");
  }
  let framing: Framing = { kind: "none" };
  if (codings.length > 0) {
    const tokens = codings.map((token) => token.trim().toLowerCase());
    if (tokens.length !== 1 || tokens[0] !== "chunked") {
      return refuse(`Transfer-Encoding ${JSON.stringify(codings.join(","))} is not just chunked`);
    }
    if (httpVersion !== "1.1") return refuse(`chunked is not defined for HTTP/${httpVersion}`);
    framing = { kind: "chunked" };
  } else if (lengths.length > 0) {
    const [length] = lengths;
    if (lengths.length !== 1 || length === undefined || !/^[0-9]{1,15}$/.test(length)) {
      return refuse(`Content-Length ${JSON.stringify(lengths.join(","))} is not one length`);
    }
    framing = { kind: "length", length: Number(length) };
  }
  const hasBody = framing.kind === "chunked" || (framing.kind === "length" && framing.length > 0);
  if (hasBody && BODILESS_METHODS.has(method.toUpperCase())) {
    return refuse(`a ${method} request with a body is not forwarded`);
  }
  return { ok: true, framing };
}

/**
 * The upstream request's headers: the client's end-to-end headers, minus those the Connection
 * header names, plus Host (the judged destination), the framing and `connection: close`.
 */
export function forwardedHeaders(
  incoming: http.IncomingHttpHeaders,
  destination: Destination,
  framing: Framing,
): http.OutgoingHttpHeaders {
  const named = connectionNamed(incoming);
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || REPLACED.has(name) || named.has(name))
      continue;
    out[name] = value;
  }
  out.host = describeAuthority(destination, destination.port !== 80);
  if (framing.kind === "length") out["content-length"] = String(framing.length);
  if (framing.kind === "chunked") out["transfer-encoding"] = "chunked";
  out.connection = "close";
  return out;
}

/** The response's headers for the client: the upstream's end-to-end headers. */
export function forwardedResponseHeaders(
  incoming: http.IncomingHttpHeaders,
): http.OutgoingHttpHeaders {
  const named = connectionNamed(incoming);
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !named.has(name)) out[name] = value;
  }
  return out;
}

function connectionNamed(incoming: http.IncomingHttpHeaders): Set<string> {
  return new Set(
    String(incoming.connection ?? "")
      .split(",")
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ""),
  );
}

function refuse(message: string): FramingPlan {
  return { ok: false, message };
}
