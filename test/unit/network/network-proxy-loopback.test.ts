// The real proxy on loopback: HTTP forwarding, CONNECT and SOCKS5 tunnels, refusals, questions.
import { randomBytes } from "node:crypto";
import http from "node:http";
import net from "node:net";

import { afterEach, describe, expect, it } from "vitest";

import type { BrokerAnswer } from "../../../src/network/approval-broker.js";
import { NetworkApprovalBroker } from "../../../src/network/approval-broker.js";
import type { NetworkPolicyConfig } from "../../../src/network/network-policy.js";
import {
  NetworkProxy,
  type NetworkQuestion,
  type ProxyClientContext,
} from "../../../src/network/network-proxy.js";
import { policyWith } from "../../helpers/network-policy.js";

const LOOPBACK = "127.0.0.1";
/** Reaches the loopback targets without asking. */
const ALLOWED: Partial<NetworkPolicyConfig> = {
  allowedDomains: [LOOPBACK],
  allowedLocalAddresses: [LOOPBACK],
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Listens on loopback; closed (its connections destroyed) after the test. */
async function serve(server: net.Server): Promise<number> {
  const sockets = new Set<net.Socket>();
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as net.AddressInfo).port;
}

/** An HTTP server answering 207 with what it received, as JSON; counts its connections. */
async function echoHttpServer(): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = JSON.stringify({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(207, { "content-type": "application/json", "x-target": "echo" });
      res.end(body);
    });
  });
  server.on("connection", () => connections++);
  return { port: await serve(server), connections: () => connections };
}

/** A TCP server that greets, then echoes what it gets; counts its connections. */
async function echoTcpServer(): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.on("error", () => undefined);
    socket.write("hello\n");
    socket.pipe(socket);
  });
  return { port: await serve(server), connections: () => connections };
}

/** A proxy on loopback HTTP and SOCKS5 listeners; `ask` answers `answer` and records questions. */
async function startProxy(config: Partial<NetworkPolicyConfig>, answer: BrokerAnswer = "deny") {
  const proxy = new NetworkProxy({
    policy: policyWith(config),
    broker: new NetworkApprovalBroker(),
  });
  const questions: NetworkQuestion[] = [];
  const context: ProxyClientContext = {
    command: "curl http://127.0.0.1/",
    ask: (question) => {
      questions.push(question);
      return Promise.resolve(answer);
    },
  };
  const httpListener = await proxy.listen("http", context, 0);
  const socksListener = await proxy.listen("socks5", context, 0);
  cleanups.push(async () => {
    proxy.closeContext(context);
    await new Promise((resolve) => httpListener.close(resolve));
    await new Promise((resolve) => socksListener.close(resolve));
  });
  return {
    httpPort: (httpListener.address() as net.AddressInfo).port,
    socksPort: (socksListener.address() as net.AddressInfo).port,
    questions,
  };
}

interface Reply {
  readonly status: number | undefined;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** An absolute-form request through the proxy, with node:http. */
function proxiedRequest(
  proxyPort: number,
  url: string,
  options: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: LOOPBACK,
        port: proxyPort,
        method: options.method ?? "GET",
        path: url,
        headers: { host: new URL(url).host, ...options.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Everything a socket receives (starting with `head`), and waits for enough of it. */
function collect(socket: net.Socket, head: Buffer = Buffer.alloc(0)) {
  let received = head;
  let closed = false;
  const waiters: (() => void)[] = [];
  const wake = (): void => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  socket.on("data", (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    wake();
  });
  socket.on("error", () => undefined);
  socket.on("close", () => {
    closed = true;
    wake();
  });
  const wait = () => new Promise<void>((resolve) => waiters.push(resolve));
  return {
    /** Resolves once `length` bytes have come (or the socket closed first). */
    async until(length: number): Promise<Buffer> {
      while (received.length < length && !closed) await wait();
      return received;
    },
    /** Resolves with everything, once the socket has closed. */
    async all(): Promise<Buffer> {
      while (!closed) await wait();
      return received;
    },
  };
}

/** A CONNECT through the proxy, with node:http: the reply, and the socket with what followed. */
function proxiedConnect(proxyPort: number, authority: string) {
  return new Promise<{ reply: Reply; socket: net.Socket; head: Buffer }>((resolve, reject) => {
    const req = http.request({
      host: LOOPBACK,
      port: proxyPort,
      method: "CONNECT",
      path: authority,
      headers: { host: authority },
      agent: false,
    });
    req.once("connect", (res: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      cleanups.push(() => Promise.resolve(void socket.destroy()));
      resolve({ reply: { status: res.statusCode, headers: res.headers, body: "" }, socket, head });
    });
    req.once("error", reject);
    req.end();
  });
}

/** A SOCKS5 CONNECT by hand to an IPv4 target: no authentication, then the request. */
async function socksConnect(socksPort: number, address: string, port: number) {
  const socket = net.connect(socksPort, LOOPBACK);
  cleanups.push(() => Promise.resolve(void socket.destroy()));
  const received = collect(socket);
  socket.write(Buffer.from([0x05, 0x01, 0x00]));
  const method = await received.until(2);
  const request = Buffer.from([0x05, 0x01, 0x00, 0x01, ...address.split(".").map(Number), 0, 0]);
  request.writeUInt16BE(port, request.length - 2);
  socket.write(request);
  const reply = (await received.until(12)).subarray(2, 12);
  return { socket, received, method: method.subarray(0, 2), reply };
}

/** Sends a large random payload through a tunnel to the echo server; checks it all came back. */
async function roundTrip(
  socket: net.Socket,
  received: ReturnType<typeof collect>,
  already: number,
): Promise<void> {
  const payload = randomBytes(256 * 1024);
  socket.write(payload);
  const echoed = await received.until(already + payload.length);
  expect(echoed.length).toBe(already + payload.length);
  expect(echoed.subarray(already).equals(payload)).toBe(true);
}

describe("NetworkProxy on loopback: HTTP", () => {
  it("forwards an allowed absolute-form request, without hop-by-hop headers", async () => {
    const target = await echoHttpServer();
    const proxy = await startProxy(ALLOWED);
    const reply = await proxiedRequest(
      proxy.httpPort,
      `http://${LOOPBACK}:${target.port}/path/x?q=1&r=two`,
      {
        method: "POST",
        headers: {
          "proxy-connection": "keep-alive",
          "proxy-authorization": "Basic c2VjcmV0",
          "x-custom": "forwarded",
          "content-type": "text/plain",
        },
        body: "request body",
      },
    );
    expect(reply.status).toBe(207);
    expect(reply.headers["x-target"]).toBe("echo");
    const seen = JSON.parse(reply.body) as {
      method: string;
      url: string;
      headers: http.IncomingHttpHeaders;
      body: string;
    };
    expect(seen.method).toBe("POST");
    expect(seen.url).toBe("/path/x?q=1&r=two");
    expect(seen.body).toBe("request body");
    expect(seen.headers["x-custom"]).toBe("forwarded");
    expect(seen.headers.host).toBe(`${LOOPBACK}:${target.port}`);
    expect(seen.headers["proxy-connection"]).toBeUndefined();
    expect(seen.headers["proxy-authorization"]).toBeUndefined();
    expect(proxy.questions).toEqual([]);
  });

  it("sends the Host the policy judged, not the client's, and drops Connection-named headers", async () => {
    const target = await echoHttpServer();
    const proxy = await startProxy({ ...ALLOWED, deniedDomains: ["evil.example"] });
    const reply = await proxiedRequest(proxy.httpPort, `http://${LOOPBACK}:${target.port}/`, {
      headers: { host: "evil.example", connection: "close, x-secret", "x-secret": "hop" },
    });
    const seen = JSON.parse(reply.body) as { headers: http.IncomingHttpHeaders };
    expect(seen.headers.host).toBe(`${LOOPBACK}:${target.port}`);
    expect(seen.headers["x-secret"]).toBeUndefined();
  });

  it.each([
    ["denied", { ...ALLOWED, deniedDomains: [LOOPBACK] }, "blocked-by-denylist"],
    ["local, not allowed", {}, "blocked-by-policy"],
    [
      "unknown, approvals off",
      { allowedLocalAddresses: [LOOPBACK], approvals: "never" },
      "blocked-by-allowlist",
    ],
  ] as [string, Partial<NetworkPolicyConfig>, string][])(
    "refuses a request to a %s target with 403, x-proxy-error: %s",
    async (_label, config, header) => {
      const target = await echoHttpServer();
      const proxy = await startProxy(config);
      const reply = await proxiedRequest(proxy.httpPort, `http://${LOOPBACK}:${target.port}/`);
      expect(reply.status).toBe(403);
      expect(reply.headers["x-proxy-error"]).toBe(header);
      expect(reply.body).toContain(LOOPBACK);
      expect(target.connections()).toBe(0);
      expect(proxy.questions).toEqual([]);
    },
  );

  it("asks once about an unknown destination; allow-once is not remembered", async () => {
    const target = await echoHttpServer();
    const proxy = await startProxy({ allowedLocalAddresses: [LOOPBACK] }, "allow-once");
    const url = `http://${LOOPBACK}:${target.port}/first`;
    const reply = await proxiedRequest(proxy.httpPort, url);
    expect(reply.status).toBe(207);
    expect(proxy.questions).toEqual([
      {
        protocol: "http",
        host: LOOPBACK,
        port: target.port,
        target: `http://${LOOPBACK}:${target.port}`,
        command: "curl http://127.0.0.1/",
        reason: expect.stringContaining(LOOPBACK) as unknown,
      },
    ]);
    expect((await proxiedRequest(proxy.httpPort, url)).status).toBe(207);
    expect(proxy.questions).toHaveLength(2);
  });

  it("refuses an unknown destination the user denies: 403, blocked-by-allowlist", async () => {
    const target = await echoHttpServer();
    const proxy = await startProxy({ allowedLocalAddresses: [LOOPBACK] }, "deny");
    const reply = await proxiedRequest(proxy.httpPort, `http://${LOOPBACK}:${target.port}/`);
    expect(reply.status).toBe(403);
    expect(reply.headers["x-proxy-error"]).toBe("blocked-by-allowlist");
    expect(proxy.questions).toHaveLength(1);
    expect(target.connections()).toBe(0);
  });
});

describe("NetworkProxy on loopback: CONNECT", () => {
  it("tunnels bytes both ways to an allowed target", async () => {
    const target = await echoTcpServer();
    const proxy = await startProxy(ALLOWED);
    const { reply, socket, head } = await proxiedConnect(
      proxy.httpPort,
      `${LOOPBACK}:${target.port}`,
    );
    expect(reply.status).toBe(200);
    const received = collect(socket, head);
    expect((await received.until(6)).toString()).toBe("hello\n");
    await roundTrip(socket, received, 6);
    expect(target.connections()).toBe(1);
    expect(proxy.questions).toEqual([]);
  });

  it.each([
    ["denied", { ...ALLOWED, deniedDomains: [LOOPBACK] }, "blocked-by-denylist"],
    ["local, not allowed", {}, "blocked-by-policy"],
    [
      "unknown, approvals off",
      { allowedLocalAddresses: [LOOPBACK], approvals: "never" },
      "blocked-by-allowlist",
    ],
  ] as [string, Partial<NetworkPolicyConfig>, string][])(
    "refuses a %s target with 403, x-proxy-error: %s",
    async (_label, config, header) => {
      const target = await echoTcpServer();
      const proxy = await startProxy(config);
      const { reply, socket, head } = await proxiedConnect(
        proxy.httpPort,
        `${LOOPBACK}:${target.port}`,
      );
      expect(reply.status).toBe(403);
      expect(reply.headers["x-proxy-error"]).toBe(header);
      const body = (await collect(socket, head).all()).toString();
      expect(body).toContain(LOOPBACK);
      expect(target.connections()).toBe(0);
    },
  );

  it("asks about an unknown destination as https, and tunnels on allow-once", async () => {
    const target = await echoTcpServer();
    const proxy = await startProxy({ allowedLocalAddresses: [LOOPBACK] }, "allow-once");
    const { reply, socket, head } = await proxiedConnect(
      proxy.httpPort,
      `${LOOPBACK}:${target.port}`,
    );
    expect(reply.status).toBe(200);
    expect((await collect(socket, head).until(6)).toString()).toBe("hello\n");
    expect(proxy.questions.map((question) => question.target)).toEqual([
      `https://${LOOPBACK}:${target.port}`,
    ]);
  });
});

describe("NetworkProxy on loopback: SOCKS5", () => {
  it("connects to an allowed target (reply 0) and tunnels bytes both ways", async () => {
    const target = await echoTcpServer();
    const proxy = await startProxy(ALLOWED);
    const { socket, received, method, reply } = await socksConnect(
      proxy.socksPort,
      LOOPBACK,
      target.port,
    );
    expect([...method]).toEqual([0x05, 0x00]);
    expect([...reply.subarray(0, 2)]).toEqual([0x05, 0x00]);
    expect((await received.until(18)).subarray(12).toString()).toBe("hello\n");
    await roundTrip(socket, received, 18);
    expect(target.connections()).toBe(1);
    expect(proxy.questions).toEqual([]);
  });

  it.each([
    ["denied", { ...ALLOWED, deniedDomains: [LOOPBACK] }],
    ["local, not allowed", {}],
    ["unknown, approvals off", { allowedLocalAddresses: [LOOPBACK], approvals: "never" }],
  ] as [string, Partial<NetworkPolicyConfig>][])(
    "refuses a %s target with reply 2 and closes",
    async (_label, config) => {
      const target = await echoTcpServer();
      const proxy = await startProxy(config);
      const { received, reply } = await socksConnect(proxy.socksPort, LOOPBACK, target.port);
      expect([...reply.subarray(0, 2)]).toEqual([0x05, 0x02]);
      expect((await received.all()).length).toBe(12);
      expect(target.connections()).toBe(0);
    },
  );

  it("asks about an unknown destination as socks5-tcp, and tunnels on allow-once", async () => {
    const target = await echoTcpServer();
    const proxy = await startProxy({ allowedLocalAddresses: [LOOPBACK] }, "allow-once");
    const { received, reply } = await socksConnect(proxy.socksPort, LOOPBACK, target.port);
    expect([...reply.subarray(0, 2)]).toEqual([0x05, 0x00]);
    expect((await received.until(18)).subarray(12).toString()).toBe("hello\n");
    expect(proxy.questions.map((question) => question.target)).toEqual([
      `socks5-tcp://${LOOPBACK}:${target.port}`,
    ]);
  });
});
