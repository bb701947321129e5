/** Building policies from inline rules text, the way upstream's tests do. */
import { parsePolicy, PolicyError, type Policy } from "../../src/policy/index.js";

export const TEST_PATHS = { cwd: "/work/project", home: "/home/tester" } as const;

export function policyFrom(...texts: string[]): Policy {
  return parsePolicy(
    texts.map((text, i) => ({ name: `test${i}.rules`, text })),
    { paths: TEST_PATHS },
  );
}

/** The PolicyError that loading `texts` throws; fails the test if loading succeeds. */
export function policyErrorFrom(...texts: string[]): PolicyError {
  try {
    policyFrom(...texts);
  } catch (error) {
    if (error instanceof PolicyError) return error;
    throw error;
  }
  throw new Error("expected the rules to be rejected, but they loaded");
}
