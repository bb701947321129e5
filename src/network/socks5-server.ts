/**
 * SOCKS5 serving (CONNECT only, no authentication): the greeting and request are read with a
 * bounded buffer (handshake-buffer.ts) and parsed by the pure socks5-handshake.ts, the
 * destination admitted by the gate, a checked address connected to, then the socket becomes a
 * tunnel (proxy-tunnel.ts). Guards: the handshake must complete within the connection's head
 * deadline; a refusal is a SOCKS5 error reply (proxy-refusal.ts) with the reason in the log;
 * bytes sent after the request go to the upstream first; a handshake cut short is logged (once
 * per cause) and the connection closed.
 */
import type net from "node:net";

import { HandshakeBuffer } from "./handshake-buffer.js";
import { refusalOfAdmission, refusalOfUpstream, socksRefusal } from "./proxy-refusal.js";
import type { ClientConnection } from "./proxy-connections.js";
import type { ProxyServices } from "./proxy-services.js";
import { relayTunnel } from "./proxy-tunnel.js";
import {
  parseSocksGreeting,
  parseSocksRequest,
  SOCKS_REPLY,
  socksReply,
} from "./socks5-handshake.js";

/** A SOCKS5 greeting (2 + 255) and request (4 + 1 + 255 + 2) fit well within this. */
const MAX_SOCKS_HANDSHAKE_BYTES = 1024;

export function serveSocks5(
  services: ProxyServices,
  socket: net.Socket,
  connection: ClientConnection,
): void {
  handshakeAndConnect(services, socket, connection).catch((error: unknown) => {
    services.log.failure("SOCKS5 connection", error);
    socket.destroy();
  });
}

async function handshakeAndConnect(
  services: ProxyServices,
  socket: net.Socket,
  connection: ClientConnection,
): Promise<void> {
  const reader = new HandshakeBuffer(socket, MAX_SOCKS_HANDSHAKE_BYTES);
  const greeting = await reader.parse(parseSocksGreeting);
  if (greeting.kind === "reject") {
    services.log.event(`SOCKS5 refused: ${greeting.reason}`);
    if (greeting.reply === undefined) socket.destroy();
    else socket.end(greeting.reply);
    return;
  }
  socket.write(greeting.reply);
  const request = await reader.parse(parseSocksRequest);
  clearTimeout(connection.deadline);
  if (request.kind === "reject") {
    services.log.event(`SOCKS5 refused: ${request.reason}`);
    socket.end(request.reply);
    return;
  }
  const { destination } = request;
  const auth = await services.admit(destination, "socks5-tcp", connection.context);
  if (!auth.ok) {
    services.log.event(`refused: ${auth.message}`);
    socket.end(socksRefusal(refusalOfAdmission(auth)));
    return;
  }
  let upstream: net.Socket;
  try {
    upstream = await services.connect(auth.addresses, destination.port);
  } catch (error) {
    socket.end(socksRefusal(refusalOfUpstream(error)));
    return;
  }
  socket.write(socksReply(SOCKS_REPLY.succeeded));
  const rest = reader.release();
  if (rest.length > 0) upstream.write(rest);
  await relayTunnel(services, connection, socket, upstream);
}
