// Property tests (fast-check) for the host parser, the SOCKS5 handshake parsers, HTTP framing and
// the whole proxy, around one invariant: nothing is connected (or resolved) that the policy, or a
// human's yes, did not allow for exactly the canonical destination the client named.
import net from "node:net";

import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";

import type { BrokerAnswer } from "../../../src/network/approval-broker.js";
import { NetworkApprovalBroker } from "../../../src/network/approval-broker.js";
import { canonicalDestination, canonicalHost } from "../../../src/network/destination.js";
import { planRequestFraming } from "../../../src/network/http-framing.js";
import { NetworkPolicy } from "../../../src/network/network-policy.js";
import { NetworkProxy } from "../../../src/network/network-proxy.js";
import { parseSocksGreeting, parseSocksRequest } from "../../../src/network/socks5-handshake.js";
import {
  httpConnect,
  rawClient,
  socksConnect,
  socksDomainRequest,
  type Cleanup,
} from "./attack-harness.js";

const cleanups: Cleanup[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The WHATWG URL parser's host, as a second opinion on IP literals (brackets dropped). */
function urlHost(host: string): string | undefined {
  try {
    return new URL(`http://${host}/`).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return undefined;
  }
}

const ipv4Spelling = fc
  .tuple(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 1, max: 4 }))
  .chain(([value, parts]) => {
    const bytes = [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
    const numbers = [
      ...bytes.slice(0, parts - 1),
      bytes.slice(parts - 1).reduce((a, b) => a * 256 + b, 0),
    ];
    return fc
      .array(fc.constantFrom("dec", "oct", "hex", "HEX"), { minLength: parts, maxLength: parts })
      .map((bases) => ({
        value,
        text: numbers
          .map((n, i) =>
            bases[i] === "oct"
              ? `0${n.toString(8)}`
              : bases[i] === "hex"
                ? `0x${n.toString(16)}`
                : bases[i] === "HEX"
                  ? `0X${n.toString(16).toUpperCase()}`
                  : String(n),
          )
          .join("."),
      }));
  });

const hostChars = fc.constantFrom(
  ..."abcxyzAZ0189-_.:[]%/\\@ \t\0\n\r#?*".split(""),
  "\u212A",
  "\u00ff",
  "\u3002",
);
const hostLike = fc.oneof(
  fc.string({ unit: hostChars, maxLength: 24 }),
  fc.string({ maxLength: 24 }),
  fc.string({ unit: "grapheme", maxLength: 8 }),
  ipv4Spelling.map((spelling) => spelling.text),
);

describe("the host parser (canonicalHost)", () => {
  it("returns only canonical, printable hosts, and is idempotent", () => {
    fc.assert(
      fc.property(hostLike, (raw) => {
        const parsed = canonicalHost(raw);
        if (!parsed.ok) return;
        expect(parsed.host).toMatch(/^[a-z0-9._:-]+$/);
        expect(canonicalHost(parsed.host)).toEqual(parsed);
        if (parsed.kind === "name") {
          expect(parsed.host.length).toBeLessThanOrEqual(253);
          for (const label of parsed.host.split(".")) {
            expect(label.length).toBeGreaterThan(0);
            expect(label.length).toBeLessThanOrEqual(63);
          }
          expect(net.isIP(parsed.host)).toBe(0);
        } else {
          expect(net.isIP(parsed.host)).toBe(parsed.kind === "ipv4" ? 4 : 6);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("reads every IPv4 spelling a resolver accepts as the address it means (as WHATWG URL)", () => {
    fc.assert(
      fc.property(ipv4Spelling, ({ value, text }) => {
        const dotted = [
          value >>> 24,
          (value >>> 16) & 0xff,
          (value >>> 8) & 0xff,
          value & 0xff,
        ].join(".");
        const parsed = canonicalHost(text);
        expect(parsed).toEqual({ ok: true, host: dotted, kind: "ipv4" });
        expect(urlHost(text)).toBe(dotted);
      }),
      { numRuns: 2000 },
    );
  });

  it("writes IPv6 as WHATWG URL serialises it, whatever the spelling", () => {
    const groups = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
      minLength: 8,
      maxLength: 8,
    });
    fc.assert(
      fc.property(groups, fc.boolean(), fc.boolean(), (values, upper, padded) => {
        let text = values
          .map((v) => (padded ? v.toString(16).padStart(4, "0") : v.toString(16)))
          .join(":");
        if (upper) text = text.toUpperCase();
        const parsed = canonicalHost(`[${text}]`);
        expect(parsed.ok && parsed.host).toBe(urlHost(`[${text}]`));
        expect(canonicalHost(text)).toEqual(parsed);
      }),
      { numRuns: 2000 },
    );
  });

  it("agrees with WHATWG URL on every host both accept", () => {
    fc.assert(
      fc.property(hostLike, (raw) => {
        const parsed = canonicalHost(raw);
        const reference = urlHost(raw.includes(":") && !raw.startsWith("[") ? `[${raw}]` : raw);
        if (parsed.ok && reference !== undefined) {
          expect(parsed.host).toBe(reference.replace(/\.$/, ""));
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe("the SOCKS5 handshake parsers", () => {
  /** Runs greeting then request over `bytes` fed in the given chunk sizes. */
  function drive(bytes: Buffer, splits: readonly number[]): string {
    let buffer = Buffer.alloc(0);
    let offset = 0;
    let base = 0;
    let phase: "greeting" | "request" = "greeting";
    const chunks = [...splits, bytes.length];
    for (const size of chunks) {
      buffer = Buffer.concat([buffer, bytes.subarray(offset, offset + Math.max(1, size))]);
      offset += Math.max(1, size);
      for (;;) {
        if (phase === "greeting") {
          const step = parseSocksGreeting(buffer);
          if (step.kind === "more") break;
          if (step.kind === "reject") return `reject-greeting ${step.reply?.toString("hex")}`;
          buffer = buffer.subarray(step.consumed);
          base += step.consumed;
          phase = "request";
          continue;
        }
        const step = parseSocksRequest(buffer);
        if (step.kind === "more") break;
        if (step.kind === "reject") return `reject ${step.reply.toString("hex")}`;
        // What is left for the tunnel, counted in the whole stream, not in what was fed so far.
        return `connect ${step.destination.host} ${step.destination.port} +${bytes.length - base - step.consumed}`;
      }
      if (offset >= bytes.length) break;
    }
    return "more";
  }

  const request = fc.oneof(
    fc.uint8Array({ maxLength: 80 }).map((bytes) => Buffer.from(bytes)),
    fc
      .tuple(
        fc.constantFrom(1, 3, 4, 9),
        fc.string({ unit: hostChars, maxLength: 30 }),
        fc.integer({ min: 0, max: 65_535 }),
        fc.uint8Array({ maxLength: 8 }),
        fc.constantFrom(1, 2, 3),
      )
      .map(([type, name, port, tail, command]) => {
        const body =
          type === 3
            ? socksDomainRequest(Buffer.from(name, "utf8"), port)
            : Buffer.concat([
                Buffer.from([5, 1, 0, type]),
                Buffer.from(
                  name.padEnd(type === 4 ? 16 : 4, "\0").slice(0, type === 4 ? 16 : 4),
                  "latin1",
                ),
                Buffer.from([port >> 8, port & 0xff]),
              ]);
        body[1] = command;
        return Buffer.concat([Buffer.from([5, 2, 0, 2]), body, Buffer.from(tail)]);
      }),
  );

  it("decides the same whatever the byte stream's chunking", () => {
    fc.assert(
      fc.property(request, fc.array(fc.integer({ min: 1, max: 10 })), (bytes, splits) => {
        expect(drive(bytes, splits)).toBe(drive(bytes, []));
      }),
      { numRuns: 3000 },
    );
  });

  it("yields only canonical destinations with a port, and never a name with other bytes", () => {
    fc.assert(
      fc.property(request, (bytes) => {
        const greeting = parseSocksGreeting(bytes);
        if (greeting.kind !== "accept") return;
        const step = parseSocksRequest(bytes.subarray(greeting.consumed));
        if (step.kind !== "connect") return;
        const { host, port } = step.destination;
        expect(port).toBeGreaterThan(0);
        expect(host).toMatch(/^[a-z0-9._:-]+$/);
        expect(canonicalDestination(host, port)).toEqual({
          ok: true,
          destination: step.destination,
        });
      }),
      { numRuns: 3000 },
    );
  });
});

describe("HTTP framing", () => {
  const header = fc.oneof(
    fc.tuple(
      fc.constantFrom("Content-Length", "content-length"),
      fc.constantFrom("0", "5", "+5", "5, 5", " 7", "-1", "1e3", "99999999999999999"),
    ),
    fc.tuple(
      fc.constantFrom("Transfer-Encoding", "transfer-encoding"),
      fc.constantFrom("chunked", "Chunked", "gzip, chunked", "chunked, chunked", "identity", ""),
    ),
    fc.tuple(fc.constantFrom("x-other", "host"), fc.constantFrom("a", "chunked")),
  );

  it("frames a body one way only, and never on a method that takes none", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("GET", "HEAD", "POST", "PUT", "TRACE", "OPTIONS", "DELETE"),
        fc.constantFrom("1.0", "1.1"),
        fc.array(header, { maxLength: 4 }),
        (method, version, headers) => {
          const plan = planRequestFraming(method, version, headers.flat());
          if (!plan.ok) return;
          const lengths = headers.filter(([name]) => name.toLowerCase() === "content-length");
          const codings = headers.filter(([name]) => name.toLowerCase() === "transfer-encoding");
          expect(lengths.length === 0 || codings.length === 0).toBe(true);
          expect(lengths.length).toBeLessThanOrEqual(1);
          if (plan.framing.kind === "chunked") {
            expect(codings.map(([, value]) => value.toLowerCase())).toEqual(["chunked"]);
            expect(version).toBe("1.1");
          }
          if (plan.framing.kind === "length") expect(lengths[0]?.[1].trim()).toMatch(/^[0-9]+$/);
          const hasBody =
            plan.framing.kind === "chunked" ||
            (plan.framing.kind === "length" && plan.framing.length > 0);
          if (["GET", "HEAD", "TRACE"].includes(method)) expect(hasBody).toBe(false);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe("the proxy end to end: nothing is connected that the policy did not allow", () => {
  const NAMES: Readonly<Record<string, readonly string[]>> = {
    "a.allowed.test": ["127.0.0.1"],
    "b.allowed.test": ["127.0.0.2", "::1"],
    "deny.allowed.test": ["127.0.0.3"],
    "asked.test": ["127.0.0.4"],
    "rebind.test": ["127.0.0.1"],
    localhost: ["127.0.0.1"],
    "evil.test": ["127.0.0.5"],
  };
  const CONFIG = {
    allowedDomains: ["*.allowed.test", "127.0.0.2"],
    deniedDomains: ["deny.allowed.test", "127.0.0.1"],
    allowedLocalAddresses: ["127.0.0.0/8", "::1"],
    approvals: "ask" as const,
  };
  const hostSpelling = fc.oneof(
    fc.constantFrom(
      ...Object.keys(NAMES),
      "A.Allowed.Test",
      "a.allowed.test.",
      "evil.test\0.allowed.test",
      "evil.test%00.allowed.test",
      "evil.test .allowed.test",
      "127.1",
      "2130706433",
      "0x7f.0.0.1",
      "0177.0.0.1",
      "127.0.0.2",
      "127.0.2",
      "[::1]",
      "[::ffff:127.0.0.1]",
      "[0:0:0:0:0:0:0:1]",
      "x.allowed.test",
      "\u212Aelvin.allowed.test",
    ),
    hostLike,
  );

  it("connects only to checked addresses of the canonical destination the policy allowed", async () => {
    await fc.assert(
      fc.asyncProperty(
        hostSpelling,
        fc.integer({ min: 1, max: 65_535 }),
        fc.constantFrom("http", "connect", "socks5"),
        fc.constantFrom<BrokerAnswer | "unreachable">(
          "deny",
          "allow-once",
          "allow-session",
          "unreachable",
        ),
        async (rawHost, port, protocol, answer) => {
          const local: Cleanup[] = [];
          const events: string[] = [];
          const policy = new NetworkPolicy(CONFIG);
          const proxy = new NetworkProxy({
            policy,
            broker: new NetworkApprovalBroker(),
            resolve: (host) => {
              events.push(`resolve ${host}`);
              const addresses = NAMES[host];
              return addresses === undefined
                ? Promise.reject(new Error("ENOTFOUND"))
                : Promise.resolve(addresses);
            },
            connect: (address, connectPort) => {
              events.push(`connect ${address} ${connectPort}`);
              return Promise.reject(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }));
            },
          });
          const context = {
            command: "property",
            ask: () => {
              events.push(`ask ${answer}`);
              return answer === "unreachable"
                ? Promise.reject(new Error("nobody"))
                : Promise.resolve(answer);
            },
          };
          const httpListener = await proxy.listen("http", context, 0);
          const socksListener = await proxy.listen("socks5", context, 0);
          local.push(async () => {
            proxy.closeContext(context);
            await new Promise((resolve) => httpListener.close(resolve));
            await new Promise((resolve) => socksListener.close(resolve));
          });
          try {
            const httpPort = (httpListener.address() as net.AddressInfo).port;
            const socksPort = (socksListener.address() as net.AddressInfo).port;
            const bracketed =
              rawHost.includes(":") && !rawHost.startsWith("[") ? `[${rawHost}]` : rawHost;
            if (protocol === "connect") {
              await httpConnect(local, httpPort, `${bracketed}:${port}`);
            } else if (protocol === "http") {
              const client = await rawClient(local, httpPort);
              client.send(`GET http://${bracketed}:${port}/ HTTP/1.1\r\nhost: x\r\n\r\n`);
              await client.untilText("\r\n\r\n");
            } else {
              const name = rawHost.replace(/^\[|\]$/g, "");
              if (Buffer.byteLength(name, "latin1") <= 255) {
                await socksConnect(
                  local,
                  socksPort,
                  socksDomainRequest(Buffer.from(name, "latin1"), port),
                );
              }
            }
            // SOCKS5 sends latin1 bytes: judge by what actually went over the wire.
            const sent =
              protocol === "socks5"
                ? Buffer.from(rawHost.replace(/^\[|\]$/g, ""), "latin1").toString("latin1")
                : rawHost;
            checkInvariant(policy, reference(sent, port, protocol), answer, events);
          } finally {
            for (const cleanup of local.reverse()) await cleanup();
          }
        },
      ),
      { numRuns: 400 },
    );
  }, 120_000);

  /**
   * What the client meant, by a second opinion: for plain HTTP, what WHATWG URL makes of the
   * whole URL (`http://a?:1/` is host `a`, port 80); for CONNECT and SOCKS5, what it makes of a
   * strictly spelled host, on the port sent. Undefined when there is no such destination.
   */
  function reference(
    rawHost: string,
    port: number,
    protocol: string,
  ): { host: string; port: number } | undefined {
    if (protocol === "http") {
      const bracketed =
        rawHost.includes(":") && !rawHost.startsWith("[") ? `[${rawHost}]` : rawHost;
      try {
        const url = new URL(`http://${bracketed}:${port}/`);
        const host = url.hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "");
        return host === "" ? undefined : { host, port: url.port === "" ? 80 : Number(url.port) };
      } catch {
        return undefined;
      }
    }
    const bracketed = /^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*$/.test(rawHost) ? `[${rawHost}]` : rawHost;
    const strict = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)$/.test(bracketed);
    const host = strict ? urlHost(bracketed)?.replace(/\.$/, "") : undefined;
    return host === undefined || host === "" ? undefined : { host, port };
  }

  /**
   * The model: the destination may be resolved only after an allow or a yes, and connected
   * only at an address of it that passes the deny list and the local check, on its port.
   * Refusing more than the model would allow is fine; touching anything else is not.
   */
  function checkInvariant(
    policy: NetworkPolicy,
    destination: { host: string; port: number } | undefined,
    answer: BrokerAnswer | "unreachable",
    events: readonly string[],
  ): void {
    const touched = events.filter((event) => !event.startsWith("ask"));
    if (destination === undefined) {
      expect(touched).toEqual([]);
      return;
    }
    const { host: reference, port } = destination;
    const verdict = policy.decide(reference);
    const yes = answer === "allow-once" || answer === "allow-session";
    const allowed = verdict.kind === "allow" || (verdict.kind === "ask" && yes);
    if (!allowed) {
      expect(touched).toEqual([]);
      return;
    }
    const isName = net.isIP(reference) === 0;
    const addresses = isName ? (NAMES[reference] ?? []) : [reference];
    for (const event of touched) {
      if (event.startsWith("resolve ")) {
        expect(isName).toBe(true);
        expect(event).toBe(`resolve ${reference}`);
        continue;
      }
      const [, address, connectPort] = event.split(" ");
      expect(Number(connectPort)).toBe(port);
      expect(addresses).toContain(address);
      expect(policy.checkResolved(reference, addresses)?.kind).not.toBe("deny");
    }
  }
});
