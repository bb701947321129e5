// Frames: u32 little-endian length + JSON, the size limit enforced from the header, and
// descriptors kept with the frame whose bytes they arrived with.
import { describe, expect, it } from "vitest";

import { encodeFrame, FrameDecoder } from "../../../src/escalation/framing.js";

describe("framing", () => {
  it("encodes a length prefix and compact JSON", () => {
    expect(encodeFrame({ action: "Run" })).toEqual(
      Buffer.from('\x10\x00\x00\x00{"action":"Run"}', "latin1"),
    );
  });

  it("decodes frames split and joined at any byte", () => {
    const bytes = Buffer.concat([
      encodeFrame({ a: 1 }),
      encodeFrame({ b: "x".repeat(10_000) }),
      encodeFrame({}),
    ]);
    for (const step of [1, 3, 4, 7, 4096, bytes.length]) {
      const decoder = new FrameDecoder();
      const frames = [];
      for (let i = 0; i < bytes.length; i += step)
        frames.push(...decoder.push(bytes.subarray(i, i + step)));
      expect(frames.map((frame) => JSON.parse(frame.payload.toString()) as unknown)).toEqual([
        { a: 1 },
        { b: "x".repeat(10_000) },
        {},
      ]);
      expect(decoder.bufferedBytes).toBe(0);
    }
  });

  it("rejects an oversized frame as soon as its header arrives", () => {
    const decoder = new FrameDecoder(1024);
    const header = Buffer.alloc(4);
    header.writeUInt32LE(1025, 0);
    expect(() => decoder.push(header)).toThrow(/peer announced a frame of 1025 bytes/);
  });

  it("keeps descriptors with the frame they arrived with", () => {
    const decoder = new FrameDecoder();
    const frame = encodeFrame({ fds: [0, 1, 2] });
    expect(decoder.push(frame.subarray(0, 2), [7, 8, 9])).toEqual([]);
    const [decoded] = decoder.push(frame.subarray(2));
    expect(decoded?.fds).toEqual([7, 8, 9]);
    expect(decoder.drainFds()).toEqual([]);
  });
});
