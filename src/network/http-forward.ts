/**
 * Forwards one admitted plain-HTTP request over the upstream connection the proxy checked and
 * opened, and streams the response back. Guards:
 * - the request goes over exactly that socket (`createConnection` with no agent: an agent would
 *   open a connection of its own, to `localhost` when no host is given);
 * - the head is the one http-framing.ts planned (end-to-end headers, the judged Host, explicit
 *   framing, `connection: close`); the body is re-framed by Node's HTTP client from the decoded
 *   body, so no byte of it can be read upstream as another request;
 * - the upstream connection ends with the response, and with the client if it goes away first;
 *   an upstream failure is a 502 before the response starts, and logged after.
 */
import http from "node:http";
import type net from "node:net";

import type { Destination } from "./destination.js";
import { forwardedHeaders, forwardedResponseHeaders, type Framing } from "./http-framing.js";

export interface HttpForward {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  readonly destination: Destination;
  readonly path: string;
  readonly framing: Framing;
  /** The connection to the checked address; used for this one request only. */
  readonly upstream: net.Socket;
  readonly timeoutMs: number;
  /** Answers the client with a 502 when no response has started. */
  readonly fail: (error: Error) => void;
  /** Logs a failure after the response started (the client's connection is then closed). */
  readonly report: (where: string, error: Error) => void;
}

export function forwardHttpRequest(forward: HttpForward): void {
  const { req, res, upstream } = forward;
  const request = http.request({
    createConnection: () => upstream,
    method: req.method,
    path: forward.path,
    headers: forwardedHeaders(req.headers, forward.destination, forward.framing),
    setHost: false,
    timeout: forward.timeoutMs,
  });
  request.once("timeout", () => request.destroy(new Error("the upstream did not answer in time")));
  request.once("response", (response) => {
    res.writeHead(
      response.statusCode ?? 502,
      response.statusMessage,
      forwardedResponseHeaders(response.headers),
    );
    response.pipe(res);
    response.once("error", (error) => {
      forward.report("upstream response", error);
      res.destroy();
    });
    response.once("end", () => upstream.end());
  });
  request.once("error", (error) => {
    upstream.destroy();
    if (!res.headersSent) forward.fail(error);
    else {
      forward.report("upstream request", error);
      res.destroy();
    }
  });
  res.once("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(request);
}
