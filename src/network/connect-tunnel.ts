/**
 * HTTP CONNECT: the authority is parsed into the one canonical destination, admitted by the gate,
 * connected to a checked address, then the socket becomes a tunnel (proxy-tunnel.ts). Node's
 * HTTP server has handed the raw socket over, so answers are written raw (proxy-refusal.ts).
 * Guards: no byte reaches the upstream before the destination was admitted; bytes the client
 * sent after its CONNECT head go to that upstream first; a refusal answers and closes.
 */
import type http from "node:http";
import type net from "node:net";

import { parseAuthority } from "./destination.js";
import {
  badRequest,
  rawHttpRefusal,
  refusalOfAdmission,
  refusalOfUpstream,
} from "./proxy-refusal.js";
import type { ProxyServices } from "./proxy-services.js";
import { relayTunnel } from "./proxy-tunnel.js";

export async function handleConnect(
  services: ProxyServices,
  req: http.IncomingMessage,
  socket: net.Socket,
  head: Buffer,
): Promise<void> {
  const connection = services.connections.of(socket);
  if (connection !== undefined) clearTimeout(connection.deadline);
  const target = parseAuthority(req.url ?? "");
  if (connection === undefined || !target.ok) {
    socket.end(rawHttpRefusal(badRequest(target.ok ? "no client context" : target.message)));
    return;
  }
  const auth = await services.admit(target.destination, "https", connection.context);
  if (!auth.ok) {
    services.log.event(`refused: ${auth.message}`);
    socket.end(rawHttpRefusal(refusalOfAdmission(auth)));
    return;
  }
  let upstream: net.Socket;
  try {
    upstream = await services.connect(auth.addresses, target.destination.port);
  } catch (error) {
    socket.end(rawHttpRefusal(refusalOfUpstream(error)));
    return;
  }
  socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
  if (head.length > 0) upstream.write(head);
  await relayTunnel(services, connection, socket, upstream);
}
