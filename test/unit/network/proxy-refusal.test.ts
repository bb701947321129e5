// One refusal, three renderings (src/network/proxy-refusal.ts): Node's HTTP response, the raw
// response on a CONNECT socket and the SOCKS5 reply say the same thing; and the proxy's log
// (src/network/proxy-log.ts) reports a peer failure once per cause, a decision every time.
import http from "node:http";
import net, { type AddressInfo } from "node:net";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  badRequest,
  rawHttpRefusal,
  refusalOfAdmission,
  refusalOfUpstream,
  refuseHttp,
  socksRefusal,
  type Refusal,
} from "../../../src/network/proxy-refusal.js";
import { ProxyLog } from "../../../src/network/proxy-log.js";
import { NetworkApprovalBroker } from "../../../src/network/approval-broker.js";
import { NetworkProxy } from "../../../src/network/network-proxy.js";
import { policyWith } from "../../helpers/network-policy.js";
import { SOCKS_REPLY } from "../../../src/network/socks5-handshake.js";

let server: http.Server;
let current: Refusal;
beforeAll(async () => {
  server = http.createServer((_req, res) => refuseHttp(res, current));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function viaNode(
  refusal: Refusal,
): Promise<{ status: number; header: unknown; body: string }> {
  current = refusal;
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port }, (response) => {
        let body = "";
        response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
        response.once("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            header: response.headers["x-proxy-error"],
            body,
          }),
        );
      })
      .once("error", reject);
  });
}

/** The raw response parsed the same way. */
function viaRaw(refusal: Refusal): { status: number; header: unknown; body: string } {
  const text = rawHttpRefusal(refusal);
  const [head, body] = text.split("\r\n\r\n") as [string, string];
  const lines = head.split("\r\n");
  const header = lines.find((line) => line.startsWith("x-proxy-error: "));
  const length = lines.find((line) => line.startsWith("content-length: "));
  expect(Number(length?.slice("content-length: ".length))).toBe(Buffer.byteLength(body));
  return {
    status: Number(lines[0]!.split(" ")[1]),
    header: header?.slice("x-proxy-error: ".length),
    body,
  };
}

describe("refusals", () => {
  it.each([
    [
      "the deny list",
      refusalOfAdmission({ ok: false, reason: "denied", message: "evil.example is denied" }),
      { status: 403, header: "blocked-by-denylist", socks: SOCKS_REPLY.notAllowed },
    ],
    [
      "not on the allow list",
      refusalOfAdmission({ ok: false, reason: "not_allowed", message: "x is not allowed" }),
      { status: 403, header: "blocked-by-allowlist", socks: SOCKS_REPLY.notAllowed },
    ],
    [
      "a name that does not resolve",
      refusalOfAdmission({ ok: false, reason: "unresolvable", message: "no such host" }),
      { status: 502, header: undefined, socks: SOCKS_REPLY.hostUnreachable },
    ],
    [
      "a refused upstream",
      refusalOfUpstream(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })),
      { status: 502, header: undefined, socks: SOCKS_REPLY.connectionRefused },
    ],
    [
      "an unreachable network",
      refusalOfUpstream(Object.assign(new Error("connect ENETUNREACH"), { code: "ENETUNREACH" })),
      { status: 502, header: undefined, socks: SOCKS_REPLY.networkUnreachable },
    ],
    [
      "a bad request",
      badRequest("malformed target"),
      { status: 400, header: undefined, socks: SOCKS_REPLY.generalFailure },
    ],
  ])("%s: the same answer over HTTP, raw CONNECT and SOCKS5", async (_name, refusal, expected) => {
    const node = await viaNode(refusal);
    expect(node).toEqual({
      status: expected.status,
      header: expected.header,
      body: `execward proxy: ${refusal.message}\n`,
    });
    expect(viaRaw(refusal)).toEqual(node);
    expect([...socksRefusal(refusal)]).toEqual([5, expected.socks, 0, 1, 0, 0, 0, 0, 0, 0]);
  });
});

describe("the proxy log", () => {
  it("logs a peer failure once per cause, and decisions every time", () => {
    const lines: string[] = [];
    const log = new ProxyLog((message) => lines.push(message));
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    log.failure("tunnel", reset);
    log.failure(
      "tunnel",
      Object.assign(new Error("read ECONNRESET again"), { code: "ECONNRESET" }),
    );
    log.failure("tunnel", Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
    log.failure("client connection", reset);
    log.event("refused: x");
    log.event("refused: x");
    expect(lines).toEqual([
      "network: tunnel: read ECONNRESET (logged once; later ones like it are not)",
      "network: tunnel: write EPIPE (logged once; later ones like it are not)",
      "network: client connection: read ECONNRESET (logged once; later ones like it are not)",
      "network: refused: x",
      "network: refused: x",
    ]);
  });
});

describe("failures the proxy used to swallow", () => {
  it("a SOCKS5 handshake cut short is logged (once), and the proxy keeps serving", async () => {
    const lines: string[] = [];
    const proxy = new NetworkProxy({
      policy: policyWith({}),
      broker: new NetworkApprovalBroker(),
      log: (message) => lines.push(message),
    });
    const context = { command: "test", ask: () => Promise.resolve("deny" as const) };
    const listener = await proxy.listen("socks5", context);
    const { port } = listener.address() as AddressInfo;
    try {
      for (let i = 0; i < 2; i++) {
        const client = net.connect(port, "127.0.0.1");
        await new Promise<void>((resolve) => client.once("connect", () => resolve()));
        // Half a greeting (version 5, two methods, only one given), then the client goes away.
        client.end(Buffer.from([5, 2, 0]));
        await new Promise<void>((resolve) => client.once("close", () => resolve()));
      }
      for (let i = 0; i < 100 && lines.length === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(lines).toEqual([
        "network: SOCKS5 connection: connection ended during the handshake (logged once; later ones like it are not)",
      ]);
    } finally {
      listener.close();
    }
  });
});
