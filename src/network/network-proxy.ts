/**
 * The network proxy's façade: HTTP (absolute-form requests and CONNECT) and SOCKS5 (CONNECT), for
 * the connections a sandbox hands over (see exec/network-channel.ts) or that reach a loopback
 * listener. It builds what the protocol handlers share (proxy-services.ts) and routes each
 * accepted connection: HTTP through Node's HTTP server to http-proxy-handler.ts (requests) and
 * connect-tunnel.ts (CONNECT), SOCKS5 to socks5-server.ts. Guards, each in the file named:
 * - every protocol turns what the client sent into one canonical destination (destination.ts)
 *   before anything else; what the policy judges, the human is asked about, the resolver
 *   resolves and the socket connects to are that one string (destination-gate.ts);
 * - nothing is resolved before the policy or a human allowed it;
 * - the connection goes to an address that was checked, and that connection is the one used:
 *   for tunnels (proxy-tunnel.ts) and for plain HTTP alike (http-forward.ts), never a second
 *   lookup;
 * - plain HTTP bodies are framed unambiguously or the request is refused with 400
 *   (http-framing.ts);
 * - each client connection holds one of its command's slots (`maxConnectionsPerContext`) until
 *   it ends, a tunnel until its relay reports its end; a request head or SOCKS5 handshake must
 *   be complete within `headersTimeoutMs`, a request body within `requestTimeoutMs`; connects
 *   and idle connections time out (proxy-connections.ts, tcp-connect.ts);
 * - a refused destination gets a 403 with `x-proxy-error` (HTTP) or a SOCKS5 error reply, with
 *   the reason in the body or the log (proxy-refusal.ts); the client is never left hanging;
 * - a failure nobody expected ends that one connection, never the process, and is logged
 *   (proxy-log.ts: decisions every time, peer failures once per cause).
 */
import { lookup } from "node:dns/promises";
import http from "node:http";
import net from "node:net";

import type { NetworkApprovalBroker } from "./approval-broker.js";
import { handleConnect } from "./connect-tunnel.js";
import { admit } from "./destination-gate.js";
import { handleHttpRequest } from "./http-proxy-handler.js";
import type { NetworkPolicy } from "./network-policy.js";
import type { ProxyClientContext } from "./proxy-client-context.js";
import { ProxyConnections } from "./proxy-connections.js";
import { errorText, ProxyLog } from "./proxy-log.js";
import type { ProxyServices, TunnelRelay } from "./proxy-services.js";
import { serveSocks5 } from "./socks5-server.js";
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
  readonly relay?: TunnelRelay;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_MAX_CONNECTIONS = 256;
const MAX_HEADER_BYTES = 32 * 1024;

export class NetworkProxy {
  readonly #http: http.Server;
  readonly #services: ProxyServices;

  constructor(options: NetworkProxyOptions) {
    const log = new ProxyLog(options.log);
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    const connector = options.connect ?? tcpConnector(connectTimeoutMs, idleTimeoutMs);
    const resolve =
      options.resolve ??
      (async (host: string): Promise<readonly string[]> => {
        const results = await lookup(host, { all: true, verbatim: true });
        return results.map((result) => result.address);
      });
    const services: ProxyServices = {
      connections: new ProxyConnections({
        maxPerContext: options.maxConnectionsPerContext ?? DEFAULT_MAX_CONNECTIONS,
        idleTimeoutMs,
        log,
      }),
      log,
      admit: (destination, protocol, context) =>
        admit(
          { policy: options.policy, broker: options.broker, resolve },
          destination,
          protocol,
          context,
        ),
      connect: (addresses, port) => connectFirst(connector, addresses, port),
      relay: options.relay,
      headersTimeoutMs: options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      connectTimeoutMs,
    };
    this.#services = services;
    this.#http = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES });
    // A failure nobody expected ends that one connection, never the process.
    this.#http.on("request", (req, res) => {
      handleHttpRequest(services, req, res).catch((error: unknown) => {
        log.event(`request failed: ${errorText(error)}`);
        res.destroy();
      });
    });
    this.#http.on("connect", (req, socket: net.Socket, head: Buffer) => {
      handleConnect(services, req, socket, head).catch((error: unknown) => {
        log.event(`CONNECT failed: ${errorText(error)}`);
        socket.destroy();
      });
    });
    this.#http.on("clientError", (error, socket: net.Socket) => {
      log.failure("HTTP client", error);
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
      else socket.destroy();
    });
  }

  /** Serves one client connection speaking `kind`, on behalf of `context`. */
  accept(socket: net.Socket, kind: "http" | "socks5", context: ProxyClientContext): void {
    const { connections, headersTimeoutMs } = this.#services;
    const connection = connections.open(socket, context);
    if (connection === undefined) return;
    connections.startDeadline(connection, headersTimeoutMs, kind === "http");
    if (kind === "http") this.#http.emit("connection", socket);
    else serveSocks5(this.#services, socket, connection);
  }

  /** Closes every connection opened for `context` (its command ended). */
  closeContext(context: ProxyClientContext): void {
    this.#services.connections.closeContext(context);
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
}
