/**
 * The network proxy: HTTP (absolute-form requests and CONNECT) and SOCKS5 (CONNECT), for the
 * connections a sandbox hands over (see exec/network-channel.ts) or that reach a loopback
 * listener. Guards:
 * - every protocol turns what the client sent into one canonical destination (destination.ts)
 *   before anything else; what the policy judges, the human is asked about, the resolver
 *   resolves and the socket connects to are that one string (destination-gate.ts);
 * - nothing is resolved before the policy or a human allowed it;
 * - the connection goes to an address that was checked, and that connection is the one used:
 *   for tunnels and for plain HTTP alike (http-forward.ts), never a second lookup;
 * - plain HTTP bodies are framed unambiguously or the request is refused with 400
 *   (http-framing.ts);
 * - each client connection holds one of its command's slots (`maxConnectionsPerContext`) until
 *   it ends, a tunnel until its relay reports its end; a request head or SOCKS5 handshake must
 *   be complete within `headersTimeoutMs`, a request body within `requestTimeoutMs`; connects
 *   and idle connections time out;
 * - a refused destination gets a 403 with `x-proxy-error` (HTTP) or a SOCKS5 error reply, with
 *   the reason in the body or the log; the client is never left hanging.
 */
import { lookup } from "node:dns/promises";
import http from "node:http";
import net from "node:net";

import type { NetworkApprovalBroker } from "./approval-broker.js";
import { admit, type Admission } from "./destination-gate.js";
import { parseAuthority, parseHttpTarget, type Destination } from "./destination.js";
import { HandshakeBuffer } from "./handshake-buffer.js";
import { planRequestFraming } from "./http-framing.js";
import { forwardHttpRequest } from "./http-forward.js";
import { PROXY_ERROR_HEADER, type NetworkPolicy } from "./network-policy.js";
import type { ProxyClientContext } from "./proxy-client-context.js";
import {
  parseSocksGreeting,
  parseSocksRequest,
  SOCKS_REPLY,
  socksReply,
} from "./socks5-handshake.js";
import { connectFirst, tcpConnector, type Connector } from "./tcp-connect.js";

export type { NetworkQuestion, ProxyClientContext } from "./proxy-client-context.js";

export interface NetworkProxyOptions {
  readonly policy: NetworkPolicy;
  readonly broker: NetworkApprovalBroker;
  /** Name resolution (default: the system resolver, every address). */
  readonly resolve?: (host: string) => Promise<readonly string[]>;
  readonly log?: (message: string) => void;
  readonly connectTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  /** A request head, or a SOCKS5 handshake, must be complete this long after it may start. */
  readonly headersTimeoutMs?: number;
  /** A plain-HTTP request body must be complete this long after its head. */
  readonly requestTimeoutMs?: number;
  readonly maxConnectionsPerContext?: number;
  /** Opens connections to checked IP literals (default: TCP with the timeouts above). */
  readonly connect?: Connector;
  /**
   * Takes over an established tunnel (e.g. a kernel relay) and resolves with the function that
   * ends it, after which it calls `onEnd` exactly once when the tunnel has ended; undefined
   * leaves the tunnel to the JavaScript relay. Called after the first bytes are written.
   */
  readonly relay?: (
    client: net.Socket,
    upstream: net.Socket,
    onEnd: () => void,
  ) => Promise<(() => void) | undefined>;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_MAX_CONNECTIONS = 256;
const MAX_HEADER_BYTES = 32 * 1024;
/** A SOCKS5 greeting (2 + 255) and request (4 + 1 + 255 + 2) fit well within this. */
const MAX_SOCKS_HANDSHAKE_BYTES = 1024;

/** One accepted client connection: its command, its slot, and its deadlines. */
interface ClientConnection {
  readonly context: ProxyClientContext;
  /** Gives the command's slot back; only the first call counts. */
  readonly release: () => void;
  /** True once a relay owns the tunnel: the slot is then released by the relay's end. */
  handedOver: boolean;
  deadline: NodeJS.Timeout | undefined;
}

/** Open connections of one command; replaced (not reused) when the command ends. */
interface SlotCount {
  open: number;
}

export class NetworkProxy {
  readonly #options: NetworkProxyOptions;
  readonly #http: http.Server;
  readonly #connect: Connector;
  readonly #clients = new WeakMap<net.Socket, ClientConnection>();
  readonly #slots = new Map<ProxyClientContext, SlotCount>();
  /** Everything open on behalf of a context: client and upstream sockets, handed-over tunnels. */
  readonly #open = new Map<ProxyClientContext, Set<{ destroy(): void }>>();

  constructor(options: NetworkProxyOptions) {
    this.#options = options;
    this.#connect =
      options.connect ??
      tcpConnector(
        options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      );
    this.#http = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES });
    // A failure nobody expected ends that one connection, never the process.
    this.#http.on("request", (req, res) => {
      this.#onRequest(req, res).catch((error: unknown) => {
        this.#options.log?.(`network: request failed: ${errorText(error)}`);
        res.destroy();
      });
    });
    this.#http.on("connect", (req, socket: net.Socket, head: Buffer) => {
      this.#onConnect(req, socket, head).catch((error: unknown) => {
        this.#options.log?.(`network: CONNECT failed: ${errorText(error)}`);
        socket.destroy();
      });
    });
    this.#http.on("clientError", (_error, socket: net.Socket) => {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
      else socket.destroy();
    });
  }

  /** Serves one client connection speaking `kind`, on behalf of `context`. */
  accept(socket: net.Socket, kind: "http" | "socks5", context: ProxyClientContext): void {
    const slots = this.#slots.get(context) ?? { open: 0 };
    this.#slots.set(context, slots);
    if (slots.open >= (this.#options.maxConnectionsPerContext ?? DEFAULT_MAX_CONNECTIONS)) {
      this.#options.log?.(`network: too many open connections for one command; refusing one`);
      socket.destroy();
      return;
    }
    slots.open++;
    let released = false;
    const connection: ClientConnection = {
      context,
      release: () => {
        if (released) return;
        released = true;
        slots.open--;
      },
      handedOver: false,
      deadline: undefined,
    };
    this.#clients.set(socket, connection);
    this.#track(context, socket);
    socket.on("error", () => undefined);
    socket.once("close", () => {
      clearTimeout(connection.deadline);
      if (!connection.handedOver) connection.release();
    });
    socket.setTimeout(this.#options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, () => {
      socket.destroy();
    });
    this.#startDeadline(connection, socket, this.#headersTimeoutMs, kind === "http");
    if (kind === "http") this.#http.emit("connection", socket);
    else this.#acceptSocks(socket, connection);
  }

  /** Closes every connection opened for `context` (its command ended). */
  closeContext(context: ProxyClientContext): void {
    for (const item of this.#open.get(context) ?? []) item.destroy();
    this.#open.delete(context);
    this.#slots.delete(context);
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

  get #headersTimeoutMs(): number {
    return this.#options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  }

  /** Ends the connection (with a 408 first on HTTP) unless the deadline is cleared in time. */
  #startDeadline(
    connection: ClientConnection,
    socket: net.Socket,
    ms: number,
    http408: boolean,
  ): void {
    clearTimeout(connection.deadline);
    connection.deadline = setTimeout(() => {
      this.#options.log?.(`network: a client took longer than ${ms} ms; closing it`);
      if (http408 && socket.writable) {
        socket.end(
          "HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n",
        );
        socket.destroySoon();
      } else socket.destroy();
    }, ms);
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

  #admit(
    destination: Destination,
    protocol: "http" | "https" | "socks5-tcp",
    context: ProxyClientContext,
  ): Promise<Admission> {
    return admit(
      {
        policy: this.#options.policy,
        broker: this.#options.broker,
        resolve: (host) => this.#resolve(host),
      },
      destination,
      protocol,
      context,
    );
  }

  async #resolve(host: string): Promise<readonly string[]> {
    if (this.#options.resolve !== undefined) return this.#options.resolve(host);
    const results = await lookup(host, { all: true, verbatim: true });
    return results.map((result) => result.address);
  }

  async #onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const connection = this.#clients.get(req.socket);
    if (connection === undefined) return refuseHttp(res, 400, undefined, "no client context");
    // The head is complete: no deadline while the destination is judged (a human may be asked),
    // then one for the body once it is forwarded, and a fresh head deadline after the response.
    clearTimeout(connection.deadline);
    let bodyDone = false;
    req.once("end", () => {
      bodyDone = true;
      clearTimeout(connection.deadline);
    });
    res.once("finish", () => {
      if (!req.socket.destroyed)
        this.#startDeadline(connection, req.socket, this.#headersTimeoutMs, true);
    });
    const target = parseHttpTarget(req.url ?? "");
    if (!target.ok) return refuseHttp(res, 400, undefined, `execward proxy: ${target.message}`);
    const framing = planRequestFraming(req.method ?? "", req.httpVersion, req.rawHeaders);
    if (!framing.ok) return refuseHttp(res, 400, undefined, `execward proxy: ${framing.message}`);
    const { destination } = target;
    const auth = await this.#admit(destination, "http", connection.context);
    if (!auth.ok) return this.#refuseAuthorization(res, auth);
    let upstream: net.Socket;
    try {
      upstream = await connectFirst(this.#connect, auth.addresses, destination.port);
    } catch (error) {
      return refuseHttp(res, 502, undefined, `execward proxy: ${errorText(error)}`);
    }
    this.#track(connection.context, upstream);
    if (!bodyDone) {
      this.#startDeadline(
        connection,
        req.socket,
        this.#options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        false,
      );
    }
    forwardHttpRequest({
      req,
      res,
      destination,
      path: target.path,
      framing: framing.framing,
      upstream,
      timeoutMs: this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      fail: (status, message) => refuseHttp(res, status, undefined, message),
    });
  }

  #refuseAuthorization(res: http.ServerResponse, auth: Extract<Admission, { ok: false }>): void {
    this.#options.log?.(`network: refused: ${auth.message}`);
    if (auth.reason === "unresolvable")
      refuseHttp(res, 502, undefined, `execward proxy: ${auth.message}`);
    else refuseHttp(res, 403, PROXY_ERROR_HEADER[auth.reason], `execward proxy: ${auth.message}`);
  }

  async #onConnect(req: http.IncomingMessage, socket: net.Socket, head: Buffer): Promise<void> {
    const connection = this.#clients.get(socket);
    if (connection !== undefined) clearTimeout(connection.deadline);
    const target = parseAuthority(req.url ?? "");
    if (connection === undefined || !target.ok) {
      const body = `execward proxy: ${target.ok ? "no client context" : target.message}\n`;
      socket.end(rawResponse("400 Bad Request", undefined, body));
      return;
    }
    const auth = await this.#admit(target.destination, "https", connection.context);
    if (!auth.ok) {
      this.#options.log?.(`network: refused: ${auth.message}`);
      const body = `execward proxy: ${auth.message}\n`;
      socket.end(
        auth.reason === "unresolvable"
          ? rawResponse("502 Bad Gateway", undefined, body)
          : rawResponse("403 Forbidden", PROXY_ERROR_HEADER[auth.reason], body),
      );
      return;
    }
    let upstream: net.Socket;
    try {
      upstream = await connectFirst(this.#connect, auth.addresses, target.destination.port);
    } catch (error) {
      socket.end(
        rawResponse("502 Bad Gateway", undefined, `execward proxy: ${errorText(error)}\n`),
      );
      return;
    }
    socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length > 0) upstream.write(head);
    await this.#tunnel(connection, socket, upstream);
  }

  async #tunnel(
    connection: ClientConnection,
    client: net.Socket,
    upstream: net.Socket,
  ): Promise<void> {
    const { context } = connection;
    this.#track(context, upstream);
    const relay = this.#options.relay;
    if (client.destroyed || upstream.destroyed) {
      client.destroy();
      upstream.destroy();
      return;
    }
    if (relay !== undefined) {
      let ended = false;
      let forgetRelay: (() => void) | undefined;
      const onEnd = (): void => {
        ended = true;
        forgetRelay?.();
        connection.release();
      };
      connection.handedOver = true;
      try {
        const end = await relay(client, upstream, onEnd);
        if (end !== undefined) {
          if (!ended) forgetRelay = this.#track(context, { destroy: end });
          return;
        }
        connection.handedOver = false;
      } catch (error) {
        this.#options.log?.(`network: tunnel hand-over failed: ${String(error)}`);
        client.destroy();
        upstream.destroy();
        connection.release();
        return;
      }
    }
    if (client.destroyed) connection.release();
    splice(client, upstream);
  }

  #acceptSocks(socket: net.Socket, connection: ClientConnection): void {
    const reader = new HandshakeBuffer(socket, MAX_SOCKS_HANDSHAKE_BYTES);
    void (async () => {
      try {
        const greeting = await reader.parse(parseSocksGreeting);
        if (greeting.kind === "reject") {
          this.#options.log?.(`network: SOCKS5 refused: ${greeting.reason}`);
          if (greeting.reply === undefined) socket.destroy();
          else socket.end(greeting.reply);
          return;
        }
        socket.write(greeting.reply);
        const request = await reader.parse(parseSocksRequest);
        clearTimeout(connection.deadline);
        if (request.kind === "reject") {
          this.#options.log?.(`network: SOCKS5 refused: ${request.reason}`);
          socket.end(request.reply);
          return;
        }
        const { destination } = request;
        const auth = await this.#admit(destination, "socks5-tcp", connection.context);
        if (!auth.ok) {
          this.#options.log?.(`network: refused: ${auth.message}`);
          socket.end(
            socksReply(
              auth.reason === "unresolvable" ? SOCKS_REPLY.hostUnreachable : SOCKS_REPLY.notAllowed,
            ),
          );
          return;
        }
        let upstream: net.Socket;
        try {
          upstream = await connectFirst(this.#connect, auth.addresses, destination.port);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          socket.end(
            socksReply(
              code === "ECONNREFUSED"
                ? SOCKS_REPLY.connectionRefused
                : code === "ENETUNREACH"
                  ? SOCKS_REPLY.networkUnreachable
                  : SOCKS_REPLY.hostUnreachable,
            ),
          );
          return;
        }
        socket.write(socksReply(SOCKS_REPLY.succeeded));
        const rest = reader.release();
        if (rest.length > 0) upstream.write(rest);
        await this.#tunnel(connection, socket, upstream);
      } catch {
        socket.destroy();
      }
    })();
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function rawResponse(status: string, proxyError: string | undefined, body: string): string {
  const header = proxyError === undefined ? "" : `x-proxy-error: ${proxyError}\r\n`;
  return `HTTP/1.1 ${status}\r\n${header}content-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
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
