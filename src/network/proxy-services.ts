/**
 * What the protocol handlers (http-proxy-handler.ts, connect-tunnel.ts, socks5-server.ts) share,
 * built once by the façade (network-proxy.ts): the connection registry, the log, the one gate
 * every destination passes (destination-gate.ts), the connector to checked addresses, the tunnel
 * relay and the timeouts. Types only.
 */
import type net from "node:net";

import type { Admission } from "./destination-gate.js";
import type { Destination } from "./destination.js";
import type { NetworkProtocolLabel } from "./network-policy.js";
import type { ProxyClientContext } from "./proxy-client-context.js";
import type { ProxyConnections } from "./proxy-connections.js";
import type { ProxyLog } from "./proxy-log.js";

/**
 * Takes over an established tunnel (e.g. a kernel relay) and resolves with the function that
 * ends it, after which it calls `onEnd` exactly once when the tunnel has ended; undefined leaves
 * the tunnel to the JavaScript relay. Called after the first bytes are written.
 */
export type TunnelRelay = (
  client: net.Socket,
  upstream: net.Socket,
  onEnd: () => void,
) => Promise<(() => void) | undefined>;

export interface ProxyServices {
  readonly connections: ProxyConnections;
  readonly log: ProxyLog;
  /** The policy, then a human, then DNS and the address checks (destination-gate.ts). */
  admit(
    destination: Destination,
    protocol: NetworkProtocolLabel,
    context: ProxyClientContext,
  ): Promise<Admission>;
  /** A connection to the first of `addresses` (checked IP literals) that answers. */
  connect(addresses: readonly string[], port: number): Promise<net.Socket>;
  readonly relay: TunnelRelay | undefined;
  /** A request head or SOCKS5 handshake must be complete this long after it may start. */
  readonly headersTimeoutMs: number;
  /** A plain-HTTP request body must be complete this long after its head. */
  readonly requestTimeoutMs: number;
  /** How long an upstream may take to answer a forwarded request. */
  readonly connectTimeoutMs: number;
}
