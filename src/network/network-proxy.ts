/**
 * The network proxy: HTTP (absolute-form requests and CONNECT) and SOCKS5 (CONNECT), for the
 * connections a sandbox hands over (see exec/network-channel.ts) or that reach a loopback
 * listener. Every destination goes through the policy, then DNS, then the local-address check,
 * then (for destinations on neither list) the session's approval broker, before one byte is
 * sent. Guards:
 * - the connection goes to the address that was checked, never to a second lookup of the name
 *   (no DNS rebinding between the check and the connect);
 * - a refused destination gets a 403 with `x-proxy-error` (HTTP) or reply 0x02 (SOCKS5), with
 *   the reason in the body or the log; the client is never left hanging;
 * - data is streamed both ways with backpressure; connects and idle connections time out;
 *   request heads are size-limited; each context has a cap on open connections.
 */
import { lookup } from "node:dns/promises";
import http from "node:http";
import net from "node:net";

import { isIpLiteral } from "./address-class.js";
import type { BrokerAnswer, NetworkApprovalBroker } from "./approval-broker.js";
import { describeDestination } from "./approval-broker.js";
import { normalizeHost } from "./host-pattern.js";
import {
  PROXY_ERROR_HEADER,
  type NetworkDenyReason,
  type NetworkPolicy,
  type NetworkProtocolLabel,
} from "./network-policy.js";

/** Who is behind a connection: the command that runs in the sandbox, and how to ask about it. */
export interface ProxyClientContext {
  /** The shell command, as the human should see it in a prompt. */
  readonly command: string;
  /** Asks the human about one destination; a rejection is a deny. */
  ask(question: NetworkQuestion): Promise<BrokerAnswer>;
}

export interface NetworkQuestion {
  readonly protocol: NetworkProtocolLabel;
  readonly host: string;
  readonly port: number;
  /** `protocol://host:port`. */
  readonly target: string;
  readonly command: string;
  readonly reason: string;
}

export interface NetworkProxyOptions {
  readonly policy: NetworkPolicy;
  readonly broker: NetworkApprovalBroker;
  /** Name resolution (default: the system resolver, every address). */
  readonly resolve?: (host: string) => Promise<string[]>;
  readonly log?: (message: string) => void;
  readonly connectTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  readonly maxConnectionsPerContext?: number;
  /**
   * Takes over an established tunnel (e.g. a kernel relay) and resolves with the function that
   * ends it; undefined leaves it to the JavaScript relay. Called after the first bytes are written.
   */
  readonly relay?: (client: net.Socket, upstream: net.Socket) => Promise<(() => void) | undefined>;
}

type Authorization =
  | { readonly ok: true; readonly addresses: readonly string[] }
  | {
      readonly ok: false;
      readonly reason: NetworkDenyReason | "unresolvable";
      readonly message: string;
    };

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_MAX_CONNECTIONS = 256;
const SOCKS_HANDSHAKE_TIMEOUT_MS = 10_000;
const MAX_HEADER_BYTES = 32 * 1024;

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

export class NetworkProxy {
  readonly #options: NetworkProxyOptions;
  readonly #http: http.Server;
  readonly #contexts = new WeakMap<net.Socket, ProxyClientContext>();
  /** Everything open on behalf of a context: client and upstream sockets, handed-over tunnels. */
  readonly #open = new Map<ProxyClientContext, Set<{ destroy(): void }>>();

  constructor(options: NetworkProxyOptions) {
    this.#options = options;
    this.#http = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 60_000 });
    this.#http.on("request", (req, res) => void this.#onRequest(req, res));
    this.#http.on("connect", (req, socket: net.Socket, head: Buffer) => {
      void this.#onConnect(req, socket, head);
    });
    this.#http.on("clientError", (_error, socket: net.Socket) => {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
      else socket.destroy();
    });
  }

  /** Serves one client connection speaking `kind`, on behalf of `context`. */
  accept(socket: net.Socket, kind: "http" | "socks5", context: ProxyClientContext): void {
    if (
      (this.#open.get(context)?.size ?? 0) >=
      (this.#options.maxConnectionsPerContext ?? DEFAULT_MAX_CONNECTIONS)
    ) {
      this.#options.log?.(`network: too many open connections for one command; refusing one`);
      socket.destroy();
      return;
    }
    this.#track(context, socket);
    socket.on("error", () => undefined);
    socket.setTimeout(this.#options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, () => {
      socket.destroy();
    });
    this.#contexts.set(socket, context);
    if (kind === "http") this.#http.emit("connection", socket);
    else this.#acceptSocks(socket, context);
  }

  /** Closes every connection opened for `context` (its command ended). */
  closeContext(context: ProxyClientContext): void {
    for (const item of this.#open.get(context) ?? []) item.destroy();
    this.#open.delete(context);
  }

  /** Remembers a socket (or a tunnel's end function) until it closes or the context ends. */
  #track(context: ProxyClientContext, item: net.Socket | { destroy(): void }): () => void {
    const open = this.#open.get(context) ?? new Set();
    this.#open.set(context, open);
    open.add(item);
    const forget = (): void => {
      open.delete(item);
      if (open.size === 0 && this.#open.get(context) === open) this.#open.delete(context);
    };
    if ("once" in item) item.once("close", forget);
    return forget;
  }

  /** Listens on a loopback TCP port (benchmarks, and clients outside any sandbox). */
  listen(
    kind: "http" | "socks5",
    context: ProxyClientContext,
    port = 0,
    host = "127.0.0.1",
  ): Promise<net.Server> {
    const server = net.createServer((socket) => this.accept(socket, kind, context));
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve(server));
    });
  }

  async #authorize(
    protocol: NetworkProtocolLabel,
    rawHost: string,
    port: number,
    context: ProxyClientContext,
  ): Promise<Authorization> {
    const host = normalizeHost(rawHost);
    const verdict = this.#options.policy.decide(host);
    if (verdict.kind === "deny")
      return { ok: false, reason: verdict.reason, message: verdict.message };
    let addresses: string[];
    try {
      addresses = isIpLiteral(host) !== 0 ? [host] : await this.#resolve(host);
    } catch (error) {
      return {
        ok: false,
        reason: "unresolvable",
        message: `cannot resolve ${host}: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    const local = this.#options.policy.checkResolved(host, addresses);
    if (local !== undefined && local.kind === "deny")
      return { ok: false, reason: local.reason, message: local.message };
    if (addresses.length === 0)
      return { ok: false, reason: "unresolvable", message: `no address for ${host}` };
    if (verdict.kind === "allow") return { ok: true, addresses };
    const key = { host, protocol, port };
    const target = describeDestination(key);
    const outcome = await this.#options.broker.request(key, () =>
      context.ask({
        protocol,
        host,
        port,
        target,
        command: context.command,
        reason: `${host} is not in the allowed domains`,
      }),
    );
    if (!outcome.allowed) return { ok: false, reason: "not_allowed", message: outcome.reason };
    return { ok: true, addresses };
  }

  async #resolve(host: string): Promise<string[]> {
    if (this.#options.resolve !== undefined) return this.#options.resolve(host);
    const results = await lookup(host, { all: true, verbatim: true });
    return results.map((result) => result.address);
  }

  /** Connects to the first of the checked addresses that answers. */
  async #connect(addresses: readonly string[], port: number): Promise<net.Socket> {
    let last: unknown = new Error("no address");
    for (const address of addresses) {
      try {
        return await this.#connectOne(address, port);
      } catch (error) {
        last = error;
      }
    }
    throw last;
  }

  #connectOne(address: string, port: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const upstream = net.connect({ host: address, port });
      const timer = setTimeout(() => {
        upstream.destroy();
        reject(new Error(`connecting to ${address}:${port} timed out`));
      }, this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
      upstream.once("connect", () => {
        clearTimeout(timer);
        upstream.setTimeout(this.#options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, () =>
          upstream.destroy(),
        );
        resolve(upstream);
      });
      upstream.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  async #onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const context = this.#contexts.get(req.socket);
    let url: URL;
    try {
      url = new URL(req.url ?? "");
    } catch {
      return refuseHttp(
        res,
        400,
        "blocked-by-policy",
        "execward proxy: an absolute http:// URL is required",
      );
    }
    if (context === undefined || url.protocol !== "http:") {
      return refuseHttp(
        res,
        400,
        "blocked-by-policy",
        `execward proxy: only http:// URLs are proxied (use CONNECT for ${url.protocol})`,
      );
    }
    const port = url.port === "" ? 80 : Number(url.port);
    const auth = await this.#authorize("http", url.hostname, port, context);
    if (!auth.ok) return this.#refuseAuthorization(res, auth);
    // The Host the server sees is the one the policy judged (RFC 9112 3.2.2): never the client's.
    const headers = endToEndHeaders(req.headers);
    headers.host = url.host;
    let connection: net.Socket;
    try {
      connection = await this.#connect(auth.addresses, port);
    } catch (error) {
      return refuseHttp(
        res,
        502,
        undefined,
        `execward proxy: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    this.#track(context, connection);
    const upstream = http.request({
      createConnection: () => connection,
      port,
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers,
      setHost: false,
      agent: false,
      timeout: this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    });
    upstream.once("timeout", () => upstream.destroy(new Error("upstream timed out")));
    upstream.once("response", (response) => {
      res.writeHead(
        response.statusCode ?? 502,
        response.statusMessage,
        endToEndHeaders(response.headers),
      );
      response.pipe(res);
      response.once("error", () => res.destroy());
      // One upstream connection per request: it ends with the response.
      response.once("end", () => connection.end());
    });
    upstream.once("error", (error) => {
      if (!res.headersSent) refuseHttp(res, 502, undefined, `execward proxy: ${error.message}`);
      else res.destroy();
    });
    req.pipe(upstream);
  }

  #refuseAuthorization(
    res: http.ServerResponse,
    auth: Extract<Authorization, { ok: false }>,
  ): void {
    this.#options.log?.(`network: refused: ${auth.message}`);
    if (auth.reason === "unresolvable")
      refuseHttp(res, 502, undefined, `execward proxy: ${auth.message}`);
    else refuseHttp(res, 403, PROXY_ERROR_HEADER[auth.reason], `execward proxy: ${auth.message}`);
  }

  async #onConnect(req: http.IncomingMessage, socket: net.Socket, head: Buffer): Promise<void> {
    const context = this.#contexts.get(socket);
    const target = parseAuthority(req.url ?? "");
    if (context === undefined || target === undefined) {
      socket.end("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    const auth = await this.#authorize("https", target.host, target.port, context);
    if (!auth.ok) {
      this.#options.log?.(`network: refused: ${auth.message}`);
      const body = `execward proxy: ${auth.message}\n`;
      const status = auth.reason === "unresolvable" ? "502 Bad Gateway" : "403 Forbidden";
      const header =
        auth.reason === "unresolvable"
          ? ""
          : `x-proxy-error: ${PROXY_ERROR_HEADER[auth.reason]}\r\n`;
      socket.end(
        `HTTP/1.1 ${status}\r\n${header}content-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    let upstream: net.Socket;
    try {
      upstream = await this.#connect(auth.addresses, target.port);
    } catch (error) {
      const body = `execward proxy: ${error instanceof Error ? error.message : String(error)}\n`;
      socket.end(
        `HTTP/1.1 502 Bad Gateway\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length > 0) upstream.write(head);
    await this.#tunnel(context, socket, upstream);
  }

  async #tunnel(
    context: ProxyClientContext,
    client: net.Socket,
    upstream: net.Socket,
  ): Promise<void> {
    this.#track(context, upstream);
    const relay = this.#options.relay;
    if (relay !== undefined) {
      try {
        const end = await relay(client, upstream);
        if (end !== undefined) {
          this.#track(context, { destroy: end });
          return;
        }
      } catch (error) {
        this.#options.log?.(`network: tunnel hand-over failed: ${String(error)}`);
        client.destroy();
        upstream.destroy();
        return;
      }
    }
    splice(client, upstream);
  }

  #acceptSocks(socket: net.Socket, context: ProxyClientContext): void {
    const reader = new ByteReader(socket);
    const handshake = setTimeout(() => socket.destroy(), SOCKS_HANDSHAKE_TIMEOUT_MS);
    void (async () => {
      try {
        const [version, methodCount] = await reader.read(2);
        if (version !== 5 || methodCount === undefined) throw new Error("not SOCKS5");
        const methods = await reader.read(methodCount);
        if (!methods.includes(0)) {
          socket.end(Buffer.from([5, 0xff]));
          return;
        }
        socket.write(Buffer.from([5, 0]));
        const [, command, , addressType] = await reader.read(4);
        let host: string;
        if (addressType === 1) host = [...(await reader.read(4))].join(".");
        else if (addressType === 4) host = ipv6Text(await reader.read(16));
        else if (addressType === 3) {
          const [length] = await reader.read(1);
          host = (await reader.read(length ?? 0)).toString("latin1");
        } else {
          socket.end(socksReply(8));
          return;
        }
        const portBytes = await reader.read(2);
        const port = portBytes.readUInt16BE(0);
        clearTimeout(handshake);
        if (command !== 1) {
          socket.end(socksReply(7));
          return;
        }
        const auth = await this.#authorize("socks5-tcp", host, port, context);
        if (!auth.ok) {
          this.#options.log?.(`network: refused: ${auth.message}`);
          socket.end(socksReply(auth.reason === "unresolvable" ? 4 : 2));
          return;
        }
        let upstream: net.Socket;
        try {
          upstream = await this.#connect(auth.addresses, port);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          socket.end(socksReply(code === "ECONNREFUSED" ? 5 : code === "ENETUNREACH" ? 3 : 4));
          return;
        }
        socket.write(socksReply(0));
        const rest = reader.release();
        if (rest.length > 0) upstream.write(rest);
        await this.#tunnel(context, socket, upstream);
      } catch {
        clearTimeout(handshake);
        socket.destroy();
      }
    })();
  }
}

/** Headers without the hop-by-hop ones, including those the Connection header names. */
function endToEndHeaders(incoming: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = new Set(
    String(incoming.connection ?? "")
      .split(",")
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ""),
  );
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (!HOP_BY_HOP.has(name) && !named.has(name) && value !== undefined) out[name] = value;
  }
  return out;
}

function refuseHttp(
  res: http.ServerResponse,
  status: number,
  proxyError: string | undefined,
  message: string,
): void {
  const body = `${message}\n`;
  res.writeHead(status, {
    "content-type": "text/plain",
    "content-length": Buffer.byteLength(body),
    connection: "close",
    ...(proxyError === undefined ? {} : { "x-proxy-error": proxyError }),
  });
  res.end(body);
}

/** Pipes both ways with backpressure; either side ending or failing ends both. */
function splice(a: net.Socket, b: net.Socket): void {
  a.pipe(b);
  b.pipe(a);
  const destroy = (): void => {
    a.destroy();
    b.destroy();
  };
  a.once("error", destroy);
  b.once("error", destroy);
  a.once("close", destroy);
  b.once("close", destroy);
}

/** `host:port` or `[v6]:port` of a CONNECT request. */
export function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-fA-F:.%]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(authority);
  if (match === null) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1] ?? match[2] ?? "", port };
}

function socksReply(code: number): Buffer {
  return Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
}

function ipv6Text(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(":");
}

/** Reads exact byte counts from a socket during a handshake, keeping what came beyond. */
class ByteReader {
  #buffer = Buffer.alloc(0);
  #waiting: (() => void) | undefined;
  #ended = false;
  readonly #socket: net.Socket;
  readonly #onData = (chunk: Buffer): void => {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    if (this.#buffer.length > 1024) this.#socket.destroy();
    this.#waiting?.();
  };
  readonly #onEnd = (): void => {
    this.#ended = true;
    this.#waiting?.();
  };

  constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on("data", this.#onData);
    socket.once("end", this.#onEnd);
    socket.once("close", this.#onEnd);
  }

  async read(count: number): Promise<Buffer> {
    while (this.#buffer.length < count) {
      if (this.#ended) throw new Error("connection ended during the handshake");
      await new Promise<void>((resolve) => (this.#waiting = resolve));
      this.#waiting = undefined;
    }
    const out = this.#buffer.subarray(0, count);
    this.#buffer = this.#buffer.subarray(count);
    return out;
  }

  /** Stops reading; returns the bytes received beyond the handshake. */
  release(): Buffer {
    this.#socket.off("data", this.#onData);
    this.#socket.off("end", this.#onEnd);
    this.#socket.off("close", this.#onEnd);
    this.#socket.pause();
    return this.#buffer;
  }
}
