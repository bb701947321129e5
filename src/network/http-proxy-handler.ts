/**
 * Plain HTTP through the proxy (absolute-form requests): the target is parsed into the one
 * canonical destination, the body's framing planned (http-framing.ts), the destination admitted
 * by the gate, a checked address connected to, and the request forwarded over exactly that
 * connection (http-forward.ts). Guards: an unparsable target or ambiguous framing is a 400
 * before anything is judged; a refusal is a 403 with `x-proxy-error` (or a 502 for a name that
 * did not resolve or an upstream that failed), never a hang; deadlines: none while a human may
 * be deciding, `requestTimeoutMs` for the body once forwarded, a fresh head deadline after the
 * response.
 */
import type http from "node:http";
import type net from "node:net";

import { parseHttpTarget } from "./destination.js";
import { forwardHttpRequest } from "./http-forward.js";
import { planRequestFraming } from "./http-framing.js";
import { badRequest, refusalOfAdmission, refusalOfUpstream, refuseHttp } from "./proxy-refusal.js";
import type { ProxyServices } from "./proxy-services.js";

export async function handleHttpRequest(
  services: ProxyServices,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const { connections } = services;
  const connection = connections.of(req.socket);
  if (connection === undefined) return refuseHttp(res, badRequest("no client context"));
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
      connections.startDeadline(connection, services.headersTimeoutMs, true);
  });
  const target = parseHttpTarget(req.url ?? "");
  if (!target.ok) return refuseHttp(res, badRequest(target.message));
  const framing = planRequestFraming(req.method ?? "", req.httpVersion, req.rawHeaders);
  if (!framing.ok) return refuseHttp(res, badRequest(framing.message));
  const { destination } = target;
  const auth = await services.admit(destination, "http", connection.context);
  if (!auth.ok) {
    services.log.event(`refused: ${auth.message}`);
    return refuseHttp(res, refusalOfAdmission(auth));
  }
  let upstream: net.Socket;
  try {
    upstream = await services.connect(auth.addresses, destination.port);
  } catch (error) {
    return refuseHttp(res, refusalOfUpstream(error));
  }
  connections.track(connection.context, upstream);
  if (!bodyDone) connections.startDeadline(connection, services.requestTimeoutMs, false);
  forwardHttpRequest({
    req,
    res,
    destination,
    path: target.path,
    framing: framing.framing,
    upstream,
    timeoutMs: services.connectTimeoutMs,
    fail: (error) => refuseHttp(res, refusalOfUpstream(error)),
    report: (where, error) => services.log.failure(where, error),
  });
}
