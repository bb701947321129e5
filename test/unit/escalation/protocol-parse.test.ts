// parseEscalateRequest and parseSuperExecMessage (protocol.ts) check the plain shapes without zod
// and leave the rest to the schemas: whatever JSON arrives, they must give exactly the schema's
// answer (accepted or not, and the same message). The control: a fast path that skipped a check
// (say, argv's elements) would accept what the schema refuses, and these properties would fail.
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import {
  EscalateRequestSchema,
  parseEscalateRequest,
  parseSuperExecMessage,
  SuperExecMessageSchema,
} from "../../../src/escalation/protocol.js";

/** The schema's answer, as parseEscalateRequest gives it. */
function bySchema(value: unknown): unknown {
  const parsed = EscalateRequestSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

function bySuperExecSchema(value: unknown): unknown {
  const parsed = SuperExecMessageSchema.safeParse(value);
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

describe("parseSuperExecMessage", () => {
  it("accepts descriptor numbers as the schema does (control for the property below)", () => {
    expect(parseSuperExecMessage({ fds: [0, 1, 2] })).toEqual({ fds: [0, 1, 2] });
    expect(parseSuperExecMessage({ fds: [0, -1] })).toBeUndefined();
    expect(parseSuperExecMessage({ fds: [0, 1.5] })).toBeUndefined();
    expect(parseSuperExecMessage({ fds: Array.from({ length: 17 }, () => 0) })).toBeUndefined();
  });

  it("gives the schema's answer for message-like JSON", () => {
    const number = fc.oneof(
      fc.integer({ min: -2, max: 20 }),
      fc.integer(),
      fc.double(),
      fc.constantFrom(2 ** 53, -0, 1e300),
    );
    const messageLike = fc.oneof(
      fc.record({ fds: fc.array(number, { maxLength: 18 }) }),
      fc.record({
        fds: fc.array(fc.oneof(number, fc.string(), fc.constant(null)), { maxLength: 4 }),
      }),
      fc.record({ fds: fc.jsonValue({ maxDepth: 1 }), other: fc.jsonValue({ maxDepth: 1 }) }),
      fc.jsonValue(),
    );
    fc.assert(
      fc.property(messageLike, (value) => {
        const json = fromJson(value);
        expect(parseSuperExecMessage(json)).toEqual(bySuperExecSchema(json));
      }),
      { numRuns: 2000 },
    );
  });
});
