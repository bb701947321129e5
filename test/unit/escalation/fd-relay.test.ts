// The addon's kernel relay on real socketpairs: bytes both ways, half-close passed on, and
// cancel() ending both connections at once (what the proxy does when a command ends).
import net from "node:net";

import { describe, expect, it } from "vitest";

import { loadFdPassing } from "../../../src/escalation/native-addon.js";

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

function relay(): {
  left: net.Socket;
  right: net.Socket;
  cancel: () => void;
  done: Promise<string | null>;
} {
  const [left, leftFar] = pair();
  const [right, rightFar] = pair();
  let finished!: (error: string | null) => void;
  const done = new Promise<string | null>((resolve) => (finished = resolve));
  const cancel = addon.relay(leftFar, rightFar, (error) => finished(error));
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
