// The addon's kernel relay on real socketpairs: bytes both ways, half-close passed on, and
// cancel() ending both connections at once (what the proxy does when a command ends).
import net from "node:net";

import { describe, expect, it } from "vitest";

import { loadFdPassing } from "../../../src/native/native-addon.js";

const addon = loadFdPassing();

function pair(): [net.Socket, number] {
  const [mine, theirs] = addon.socketpair(true);
  return [new net.Socket({ fd: mine, readable: true, writable: true }), theirs];
}

function nextData(socket: net.Socket): Promise<string> {
  return new Promise((resolve) =>
    socket.once("data", (chunk: Buffer) => resolve(chunk.toString())),
  );
}

function ended(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => socket.once("end", resolve));
}

function relay(idleMs = 0): {
  left: net.Socket;
  right: net.Socket;
  cancel: () => void;
  done: Promise<string | null>;
} {
  const [left, leftFar] = pair();
  const [right, rightFar] = pair();
  let finished!: (error: string | null) => void;
  const done = new Promise<string | null>((resolve) => (finished = resolve));
  const cancel = addon.relay(leftFar, rightFar, idleMs, (error) => finished(error));
  addon.close(leftFar);
  addon.close(rightFar);
  if (cancel === undefined) throw new Error("relay returned no cancel function");
  return { left, right, cancel, done };
}

describe("fd relay", () => {
  it("moves bytes both ways and passes an end of stream on", async () => {
    const { left, right, done } = relay();
    const toRight = nextData(right);
    left.write("ping");
    expect(await toRight).toBe("ping");
    const toLeft = nextData(left);
    right.write("pong");
    expect(await toLeft).toBe("pong");
    const rightEnded = ended(right);
    left.end();
    await rightEnded;
    const leftEnded = ended(left);
    right.end();
    await leftEnded;
    expect(await done).toBeNull();
  });

  it("ends a tunnel that stays idle for its idle time, and not one that keeps talking", async () => {
    // Traffic every 100 ms for 1.5 s, longer than the 1 s idle time: it must stay up, as each
    // exchange restarts the idle clock (a tenfold margin over the gaps, for busy machines).
    const busy = relay(1000);
    for (let i = 0; i < 15; i++) {
      const got = nextData(busy.right);
      busy.left.write(`tick ${i}`);
      expect(await got).toBe(`tick ${i}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    busy.cancel();
    expect(await busy.done).toContain("cancel");
    const idle = relay(100);
    const leftEnded = ended(idle.left);
    await leftEnded;
    expect(await idle.done).toContain("timed out");
    idle.left.destroy();
    idle.right.destroy();
    busy.left.destroy();
    busy.right.destroy();
  });

  it("cancel() ends both sides even when neither hangs up", async () => {
    const { left, right, cancel, done } = relay();
    const leftEnded = ended(left);
    const rightEnded = ended(right);
    cancel();
    await Promise.all([leftEnded, rightEnded]);
    expect(await done).toContain("cancel");
    cancel(); // harmless once over
    left.destroy();
    right.destroy();
  });
});
