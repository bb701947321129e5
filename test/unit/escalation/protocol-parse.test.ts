// parseEscalateRequest (protocol.ts) checks the plain request shape without zod and leaves the
// rest to EscalateRequestSchema: whatever JSON arrives, it must give exactly the schema's answer
// (accepted or not, and the same request). The control: a fast path that skipped a check (say,
// argv's elements) would accept what the schema refuses, and these properties would fail.
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { EscalateRequestSchema, parseEscalateRequest } from "../../../src/escalation/protocol.js";

/** The schema's answer, as parseEscalateRequest gives it. */
function bySchema(value: unknown): unknown {
  const parsed = EscalateRequestSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** What JSON.parse gives the server: the wire format is JSON text. */
const fromJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

const text = fc.oneof(fc.string(), fc.constantFrom("__proto__", "constructor", "", "a=b"));
const almostString = fc.oneof(
  { weight: 6, arbitrary: text },
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
);
/** Requests that are valid, or wrong in one or two places (a field missing, a wrong type...). */
const requestLike = fc.record(
  {
    file: almostString,
    argv: fc.oneof(
      { weight: 6, arbitrary: fc.array(text, { maxLength: 4 }) },
      fc.array(almostString, { maxLength: 4 }),
      almostString,
    ),
    workdir: almostString,
    env: fc.oneof(
      { weight: 6, arbitrary: fc.dictionary(text, text, { maxKeys: 5 }) },
      fc.dictionary(text, almostString, { maxKeys: 5 }),
      fc.array(text, { maxLength: 2 }),
      almostString,
    ),
    resolved: almostString,
    extra: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);

describe("parseEscalateRequest", () => {
  it("accepts a well-formed request as the schema does (control for the properties below)", () => {
    const request = {
      file: "/bin/true",
      argv: ["true"],
      workdir: "/",
      env: { PATH: "/bin" },
      unknown: 1,
    };
    expect(parseEscalateRequest(request)).toEqual({
      file: "/bin/true",
      argv: ["true"],
      workdir: "/",
      env: { PATH: "/bin" },
    });
    expect(parseEscalateRequest({ ...request, argv: ["true", 1] })).toBeUndefined();
    expect(parseEscalateRequest({ ...request, env: { PATH: 1 } })).toBeUndefined();
  });

  it("gives the schema's answer for request-like JSON", () => {
    fc.assert(
      fc.property(requestLike, (value) => {
        const json = fromJson(value);
        expect(parseEscalateRequest(json)).toEqual(bySchema(json));
      }),
      { numRuns: 2000 },
    );
  });

  it("gives the schema's answer for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(parseEscalateRequest(value)).toEqual(bySchema(value));
      }),
      { numRuns: 1000 },
    );
  });

  it("gives the schema's answer for an environment with a __proto__ name", () => {
    const json = JSON.parse(
      '{"file":"/bin/true","argv":[],"workdir":"/","env":{"__proto__":"x","A":"b"}}',
    ) as unknown;
    expect(parseEscalateRequest(json)).toEqual(bySchema(json));
  });
});
