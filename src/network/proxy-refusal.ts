/**
 * One way to refuse a client, whatever protocol it speaks: a `Refusal` says what went wrong and
 * is rendered as an HTTP response (a 400, a 502, or a 403 with `x-proxy-error` naming the
 * policy's reason, the message in the body), as the same response written raw on a CONNECT
 * socket, or as a SOCKS5 reply code. Guards: a refused client always gets an answer and the
 * connection ends; the reasons a client can tell apart are the same on every protocol.
 */
import type http from "node:http";

import type { Admission } from "./destination-gate.js";
import { PROXY_ERROR_HEADER } from "./network-policy.js";
import { errorText } from "./proxy-log.js";
import { SOCKS_REPLY, socksReply, type SocksReplyCode } from "./socks5-handshake.js";

export interface Refusal {
  readonly status: 400 | 403 | 502;
  /** The `x-proxy-error` header (403 only). */
  readonly proxyError?: string | undefined;
  /** The SOCKS5 reply code for the same refusal. */
  readonly socksCode: SocksReplyCode;
  /** Without the "execward proxy: " prefix. */
  readonly message: string;
}

const STATUS_TEXT = { 400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway" } as const;

/** The client's request cannot be served as sent. */
export function badRequest(message: string): Refusal {
  return { status: 400, socksCode: SOCKS_REPLY.generalFailure, message };
}

/** The destination was not admitted: the policy or a human said no, or it did not resolve. */
export function refusalOfAdmission(auth: Extract<Admission, { ok: false }>): Refusal {
  if (auth.reason === "unresolvable")
    return { status: 502, socksCode: SOCKS_REPLY.hostUnreachable, message: auth.message };
  return {
    status: 403,
    proxyError: PROXY_ERROR_HEADER[auth.reason],
    socksCode: SOCKS_REPLY.notAllowed,
    message: auth.message,
  };
}

/** No connection to an admitted address could be opened (or the upstream failed). */
export function refusalOfUpstream(error: unknown): Refusal {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return {
    status: 502,
    socksCode:
      code === "ECONNREFUSED"
        ? SOCKS_REPLY.connectionRefused
        : code === "ENETUNREACH"
          ? SOCKS_REPLY.networkUnreachable
          : SOCKS_REPLY.hostUnreachable,
    message: errorText(error),
  };
}

function body(refusal: Refusal): string {
  return `execward proxy: ${refusal.message}\n`;
}

/** Answers a plain-HTTP request through Node's HTTP server. */
export function refuseHttp(res: http.ServerResponse, refusal: Refusal): void {
  const text = body(refusal);
  res.writeHead(refusal.status, {
    "content-type": "text/plain",
    "content-length": Buffer.byteLength(text),
    connection: "close",
    ...(refusal.proxyError === undefined ? {} : { "x-proxy-error": refusal.proxyError }),
  });
  res.end(text);
}

/** The same response as raw bytes, for a CONNECT socket Node's server has handed over. */
export function rawHttpRefusal(refusal: Refusal): string {
  const text = body(refusal);
  const header = refusal.proxyError === undefined ? "" : `x-proxy-error: ${refusal.proxyError}\r\n`;
  return `HTTP/1.1 ${refusal.status} ${STATUS_TEXT[refusal.status]}\r\n${header}content-type: text/plain\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`;
}

/** The SOCKS5 reply for the refusal (the message goes to the log only). */
export function socksRefusal(refusal: Refusal): Buffer {
  return socksReply(refusal.socksCode);
}
