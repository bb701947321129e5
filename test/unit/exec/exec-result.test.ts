import { describe, expect, it } from "vitest";

import { toUpstreamExecResult } from "../../../src/exec/exec-result.js";

describe("toUpstreamExecResult", () => {
  it("renders upstream's field names and a serde Duration", () => {
    expect(
      toUpstreamExecResult({ exitCode: 124, output: "x", durationMs: 1500.25, timedOut: true }),
    ).toEqual({
      exit_code: 124,
      output: "x",
      duration: { secs: 1, nanos: 500_250_000 },
      timed_out: true,
    });
  });
});
