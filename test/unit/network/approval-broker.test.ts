// The session's network approvals: one shared question per destination, what each answer leaves.
import { describe, expect, it } from "vitest";

import {
  describeDestination,
  NetworkApprovalBroker,
  type BrokerAnswer,
  type DestinationKey,
} from "../../../src/network/approval-broker.js";

const KEY: DestinationKey = { host: "example.com", protocol: "https", port: 443 };

/** An `ask` that counts its calls and answers after a short pause, so requests overlap. */
function asker(answer: BrokerAnswer | Error, delayMs = 20) {
  const calls: number[] = [];
  const ask = async (): Promise<BrokerAnswer> => {
    calls.push(calls.length + 1);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { ask, calls };
}

describe("describeDestination", () => {
  it.each([
    [{ host: "example.com", protocol: "https", port: 443 }, "https://example.com:443"],
    [{ host: "example.com", protocol: "http", port: 80 }, "http://example.com:80"],
    [{ host: "127.0.0.1", protocol: "socks5-tcp", port: 5432 }, "socks5-tcp://127.0.0.1:5432"],
    [{ host: "::1", protocol: "https", port: 443 }, "https://[::1]:443"],
    [{ host: "2001:db8::1", protocol: "http", port: 8080 }, "http://[2001:db8::1]:8080"],
  ] as [DestinationKey, string][])("%j → %s", (key, text) => {
    expect(describeDestination(key)).toBe(text);
  });
});

describe("NetworkApprovalBroker", () => {
  it.each(["allow-once", "allow-session", "deny"] as const)(
    "concurrent requests for one destination share one question (%s)",
    async (answer) => {
      const broker = new NetworkApprovalBroker();
      const { ask, calls } = asker(answer);
      const outcomes = await Promise.all([
        broker.request(KEY, ask),
        broker.request({ ...KEY }, ask),
        broker.request(KEY, ask),
      ]);
      expect(calls).toHaveLength(1);
      expect(outcomes[1]).toEqual(outcomes[0]);
      expect(outcomes[2]).toEqual(outcomes[0]);
      expect(outcomes[0]?.allowed).toBe(answer !== "deny");
    },
  );

  it.each([
    ["another port", { ...KEY, port: 8443 }],
    ["another protocol", { ...KEY, protocol: "socks5-tcp" }],
    ["another host", { ...KEY, host: "example.org" }],
  ] as [string, DestinationKey][])("%s is another question", async (_label, other) => {
    const broker = new NetworkApprovalBroker();
    const first = asker("allow-session");
    const second = asker("deny");
    const outcomes = await Promise.all([
      broker.request(KEY, first.ask),
      broker.request(other, second.ask),
    ]);
    expect(first.calls).toHaveLength(1);
    expect(second.calls).toHaveLength(1);
    expect(outcomes[0]).toEqual({ allowed: true });
    expect(outcomes[1]?.allowed).toBe(false);
    // Remembered per destination: neither answer spills over to the other key.
    expect(await broker.request(KEY, first.ask)).toEqual({ allowed: true });
    expect((await broker.request(other, second.ask)).allowed).toBe(false);
    expect(first.calls).toHaveLength(1);
    expect(second.calls).toHaveLength(1);
  });

  it("allow-once lets the request through, and the next request asks again", async () => {
    const broker = new NetworkApprovalBroker();
    const { ask, calls } = asker("allow-once");
    expect(await broker.request(KEY, ask)).toEqual({ allowed: true });
    expect(await broker.request(KEY, ask)).toEqual({ allowed: true });
    expect(calls).toHaveLength(2);
  });

  it("allow-session allows later requests without asking", async () => {
    const broker = new NetworkApprovalBroker();
    const { ask, calls } = asker("allow-session");
    expect(await broker.request(KEY, ask)).toEqual({ allowed: true });
    const later = asker("deny");
    expect(await broker.request(KEY, later.ask)).toEqual({ allowed: true });
    expect(await broker.request(KEY, later.ask)).toEqual({ allowed: true });
    expect(calls).toHaveLength(1);
    expect(later.calls).toHaveLength(0);
  });

  it("deny refuses later requests without asking, saying it was earlier", async () => {
    const broker = new NetworkApprovalBroker();
    const { ask, calls } = asker("deny");
    const first = await broker.request(KEY, ask);
    expect(first.allowed).toBe(false);
    expect(!first.allowed && first.reason).toContain("https://example.com:443");
    const later = asker("allow-session");
    const second = await broker.request(KEY, later.ask);
    expect(second.allowed).toBe(false);
    expect(!second.allowed && second.reason).toContain("earlier in this session");
    expect(!second.allowed && second.reason).toContain("https://example.com:443");
    expect(calls).toHaveLength(1);
    expect(later.calls).toHaveLength(0);
  });

  it.each([
    ["rejects", () => Promise.reject(new Error("approval timed out"))],
    [
      "throws synchronously",
      (): Promise<BrokerAnswer> => {
        throw new Error("approval timed out");
      },
    ],
    ["rejects after a pause", asker(new Error("approval timed out")).ask],
  ] as [string, () => Promise<BrokerAnswer>][])(
    "ask that %s is a deny with the error, not remembered",
    async (_label, failing) => {
      const broker = new NetworkApprovalBroker();
      let asked = 0;
      const counted = (): Promise<BrokerAnswer> => {
        asked++;
        return failing();
      };
      const outcomes = await Promise.all([
        broker.request(KEY, counted),
        broker.request(KEY, counted),
      ]);
      expect(asked).toBe(1);
      for (const outcome of outcomes) {
        expect(outcome.allowed).toBe(false);
        expect(!outcome.allowed && outcome.reason).toContain("approval timed out");
        expect(!outcome.allowed && outcome.reason).toContain("https://example.com:443");
      }
      const next = asker("allow-once");
      expect(await broker.request(KEY, next.ask)).toEqual({ allowed: true });
      expect(next.calls).toHaveLength(1);
    },
  );

  it("a rejection that is not an Error still names its value", async () => {
    const broker = new NetworkApprovalBroker();
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    const outcome = await broker.request(KEY, () => Promise.reject("no approver"));
    expect(!outcome.allowed && outcome.reason).toContain("no approver");
  });
});
