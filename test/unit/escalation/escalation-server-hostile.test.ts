// The escalation server against hostile requesters (issue 16, E5), on real sockets with the real
// fd-passing addon: random and malicious byte streams, descriptors where none belong, frames that
// never finish. Invariants checked after every case: an honest request still gets its answer,
// and once the sessions are gone the server holds no descriptor it received.
import { openSync, readdirSync } from "node:fs";

import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { EscalatedExecutor } from "../../../src/escalation/escalated-executor.js";
import type { EscalationPolicy } from "../../../src/escalation/escalation-policy.js";
import { EscalationServer } from "../../../src/escalation/escalation-server.js";
import { encodeFrame, FrameDecoder } from "../../../src/escalation/framing.js";
import { loadFdPassing } from "../../../src/native/native-addon.js";
import { MAX_FDS_PER_MESSAGE, MAX_SESSIONS } from "../../../src/escalation/protocol.js";

const addon = loadFdPassing();

/** Answers Run for /usr/bin/true and Deny for anything else: enough to see the server answer. */
const policy: EscalationPolicy = {
  decide: (request) =>
    Promise.resolve(
      request.file === "/usr/bin/true"
        ? { action: "run" }
        : { action: "deny", reason: `not ${request.file}` },
    ),
};
const executor: EscalatedExecutor = {
  start: () => {
    throw new Error("nothing escalates in these tests");
  },
};

let server: EscalationServer;
let clientFd: number;
const logged: string[] = [];

beforeEach(() => {
  logged.length = 0;
  server = new EscalationServer({ addon, policy, executor, log: (m) => logged.push(m) });
  clientFd = server.start();
});
afterEach(() => {
  server.close();
});

function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

/** Opens a session: the handshake hands the server its end of a new stream pair. */
function session(): number {
  const [mine, theirs] = addon.socketpair(true);
  addon.sendmsg(clientFd, Buffer.of(0), [theirs]);
  addon.close(theirs);
  addon.setNonBlocking(mine);
  return mine;
}

/** Reads what the server sends until it closes the session (or a frame arrives). */
async function answer(fd: number): Promise<unknown> {
  const decoder = new FrameDecoder();
  for (let spins = 0; spins < 2000; spins++) {
    const message = addon.recvmsg(fd, 4096);
    if (message !== null) {
      if (message.data.length === 0) return null;
      const frames = decoder.push(message.data, message.fds);
      if (frames.length > 0)
        return JSON.parse((frames[0] as { payload: Buffer }).payload.toString());
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error("no answer");
}

async function honestRequestAnswered(): Promise<void> {
  const fd = session();
  addon.sendmsg(
    fd,
    encodeFrame({ file: "/usr/bin/true", argv: ["true"], workdir: "/", env: { LANG: "C" } }),
  );
  expect(await answer(fd)).toEqual({ action: "Run" });
  addon.close(fd);
}

/** The control: a 257-byte request's frame does start with the notice byte. */
function frame257FirstByte(): number {
  return encodeFrame({ x: "y".repeat(257 - 8) })[0] ?? -1;
}

async function settled(): Promise<void> {
  for (let spins = 0; spins < 2000 && server.activeSessions > 0; spins++)
    await new Promise((resolve) => setTimeout(resolve, 1));
  expect(server.activeSessions).toBe(0);
}

describe("escalation server under hostile requesters", () => {
  it("refuses descriptors sent with a request, and keeps none of them", async () => {
    const before = openFds();
    const fd = session();
    const stray = Array.from({ length: 8 }, () => openSync("/dev/null", "r"));
    addon.sendmsg(
      fd,
      encodeFrame({ file: "/usr/bin/true", argv: ["true"], workdir: "/", env: {} }),
      stray,
    );
    for (const extra of stray) addon.close(extra);
    expect(await answer(fd)).toBeNull();
    addon.close(fd);
    await settled();
    expect(openFds()).toBe(before);
    expect(logged.join("\n")).toMatch(/descriptors are accepted only with the SuperExec message/);
  });

  it("does not keep descriptors sent with half a frame", async () => {
    const before = openFds();
    const sessions = Array.from({ length: 20 }, () => {
      const fd = session();
      const stray = openSync("/dev/null", "r");
      addon.sendmsg(fd, Buffer.of(0x10, 0), [stray]);
      addon.close(stray);
      return fd;
    });
    for (const fd of sessions) expect(await answer(fd)).toBeNull();
    for (const fd of sessions) addon.close(fd);
    await settled();
    expect(openFds()).toBe(before);
  });

  it("answers a request of any length, whatever its length header's first byte", async () => {
    // A session carries frames only; the one-way notice byte (0x01) belongs to the datagram
    // socket. A 257-byte request's header starts with 0x01 (257 = 0x101, little-endian): once it
    // was taken for a notice and dropped, and the exec hung until the deadline refused it.
    const base = { file: "/usr/bin/true", argv: ["true"], workdir: "/", env: { PAD: "" } };
    const empty = Buffer.byteLength(JSON.stringify(base));
    for (const length of [257, 258, 513, 769]) {
      const request = { ...base, env: { PAD: "x".repeat(length - empty) } };
      const frame = encodeFrame(request);
      expect(frame.readUInt32LE(0)).toBe(length);
      const fd = session();
      addon.sendmsg(fd, frame);
      expect(await answer(fd), `a ${length}-byte request`).toEqual({ action: "Run" });
      addon.close(fd);
    }
    expect(frame257FirstByte()).toBe(0x01);
  });

  it("ends sessions with malformed requests and keeps serving", async () => {
    for (const request of [
      { file: "/usr/bin/true", argv: ["true"], workdir: "relative", env: {} },
      { file: "/usr/bin/true", argv: ["true"], workdir: "/", env: { "PYTHONPATH=/tmp/p": "x" } },
      { file: "/usr/bin/true", argv: ["true"], workdir: "/", env: { "": "x" } },
      { file: "/usr/bin/true", argv: ["true"], workdir: "/", env: { "A\u0000B": "x" } },
      { file: 7, argv: [], workdir: "/", env: {} },
    ]) {
      const fd = session();
      addon.sendmsg(fd, encodeFrame(request));
      expect(await answer(fd)).toBeNull();
      addon.close(fd);
    }
    await honestRequestAnswered();
    await settled();
  });

  it("caps the unfinished request bytes all sessions hold together", async () => {
    // Each session announces a 15 MiB request and sends 4 MiB of it: the fifth and later go over
    // the 64 MiB shared budget and are ended; the rest are ended when their peers leave.
    const chunk = Buffer.alloc(4 * 1024 * 1024, 0x20);
    const header = Buffer.alloc(4);
    header.writeUInt32LE(15 * 1024 * 1024, 0);
    const fds = Array.from({ length: 24 }, () => session());
    for (const fd of fds) {
      addon.sendmsg(fd, header);
      let sent = 0;
      for (let spins = 0; sent < chunk.length && spins < 2000; spins++) {
        try {
          sent += addon.sendmsg(fd, chunk.subarray(sent));
        } catch {
          break; // ended by the server
        }
        if (sent < chunk.length) await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(logged.join("\n")).toMatch(/unfinished requests hold more than/);
    for (const fd of fds) addon.close(fd);
    await settled();
    await honestRequestAnswered();
  });

  it("refuses handshakes beyond the session cap, then serves again", async () => {
    const idle = Array.from({ length: MAX_SESSIONS + 10 }, () => session());
    // The sessions past the cap were closed at once.
    const answers = await Promise.all(idle.slice(MAX_SESSIONS).map((fd) => answer(fd)));
    expect(answers.every((a) => a === null)).toBe(true);
    for (const fd of idle) addon.close(fd);
    await settled();
    await honestRequestAnswered();
    expect(logged.join("\n")).toMatch(new RegExp(`${MAX_SESSIONS} are already pending`));
  });

  it("property: any hostile byte stream, with or without descriptors, leaves the server serving and holding nothing", async () => {
    const chunk = fc.record({
      bytes: fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        fc.constant(Uint8Array.of(0xff, 0xff, 0xff, 0x7f)),
        fc.constant(Uint8Array.of(0x10, 0, 0)),
        fc
          .jsonValue()
          .map(
            (value) =>
              new Uint8Array(encodeFrame({ file: value, argv: value, workdir: "/", env: value })),
          ),
      ),
      fds: fc.integer({ min: 0, max: MAX_FDS_PER_MESSAGE + 2 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(chunk, { minLength: 1, maxLength: 6 }), async (chunks) => {
        const before = openFds();
        const fd = session();
        for (const { bytes, fds } of chunks) {
          const stray = Array.from({ length: fds }, () => openSync("/dev/null", "r"));
          try {
            addon.sendmsg(
              fd,
              Buffer.from(bytes.length === 0 ? Uint8Array.of(0) : bytes),
              stray.slice(0, MAX_FDS_PER_MESSAGE),
            );
          } catch {
            // the server already ended the session
          }
          for (const extra of stray) addon.close(extra);
        }
        addon.close(fd);
        await settled();
        expect(openFds()).toBe(before);
        await honestRequestAnswered();
      }),
      { numRuns: 60 },
    );
  });
});
