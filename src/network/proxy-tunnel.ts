/**
 * Relaying an established tunnel (after CONNECT or SOCKS5 CONNECT) between the client and the
 * checked upstream: handed to the kernel relay when there is one, else piped in JavaScript.
 * Guards: the command's slot is released exactly once, when the tunnel has ended (the relay
 * reports it) or could not start; both sockets are remembered for `closeContext`; either side
 * ending or failing ends both, and a failure is logged (once per cause).
 */
import type net from "node:net";

import type { ClientConnection } from "./proxy-connections.js";
import type { ProxyServices } from "./proxy-services.js";

export async function relayTunnel(
  services: ProxyServices,
  connection: ClientConnection,
  client: net.Socket,
  upstream: net.Socket,
): Promise<void> {
  const { context } = connection;
  const { connections, log, relay } = services;
  connections.track(context, upstream);
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
        if (!ended) forgetRelay = connections.track(context, { destroy: end });
        return;
      }
      connection.handedOver = false;
    } catch (error) {
      log.event(`tunnel hand-over failed: ${String(error)}`);
      client.destroy();
      upstream.destroy();
      connection.release();
      return;
    }
  }
  if (client.destroyed) connection.release();
  splice(services, client, upstream);
}

/** Pipes both ways with backpressure; either side ending or failing ends both. */
function splice(services: ProxyServices, a: net.Socket, b: net.Socket): void {
  a.pipe(b);
  b.pipe(a);
  const destroy = (): void => {
    a.destroy();
    b.destroy();
  };
  const fail = (error: Error): void => {
    services.log.failure("tunnel", error);
    destroy();
  };
  a.once("error", fail);
  b.once("error", fail);
  a.once("close", destroy);
  b.once("close", destroy);
}
