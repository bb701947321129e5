// Output capture: everything when it fits, head and tail with a marker when it does not, memory
// bounded whatever arrives, lossy UTF-8.
import { describe, expect, it } from "vitest";

import { OutputCapture } from "../../../src/exec/output-capture.js";

describe("OutputCapture", () => {
  it("keeps everything that fits, in arrival order", () => {
    const capture = new OutputCapture(100);
    capture.push(Buffer.from("out 1\n"));
    capture.push(Buffer.from("err 1\n"));
    capture.push(Buffer.from("out 2\n"));
    expect([capture.text(), capture.truncated]).toEqual(["out 1\nerr 1\nout 2\n", false]);
  });

  it("keeps the head and the tail and says how much was cut", () => {
    const capture = new OutputCapture(10);
    for (const piece of ["01234", "56789", "abcde", "fghij", "XYZ"])
      capture.push(Buffer.from(piece));
    expect(capture.text()).toBe("01234\n[... execward: 13 bytes of output omitted ...]\nijXYZ");
    expect(capture.receivedBytes).toBe(23);
  });

  it("stays bounded with 50 MB of output", () => {
    const capture = new OutputCapture(1024);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    for (let i = 0; i < 800; i++) capture.push(chunk);
    const text = capture.text();
    expect(capture.receivedBytes).toBe(800 * 64 * 1024);
    expect(text.length).toBeLessThan(1024 + 100);
    expect(text).toContain(`${800 * 64 * 1024 - 1024} bytes of output omitted`);
  });

  it("decodes invalid UTF-8 lossily", () => {
    const capture = new OutputCapture(100);
    capture.push(Buffer.from([0x61, 0xff, 0x62, 0xe2, 0x82]));
    expect(capture.text()).toBe("a\ufffdb\ufffd");
  });
});
