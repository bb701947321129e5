// Each exec once in the audit log: the hook's record of an exec is matched by the backstop's
// notice of it at most once, for a short while, and the memory of them stays bounded.
import { describe, expect, it } from "vitest";

import { SEEN_EXEC_TTL_MS, SeenExecs } from "../../../src/exec/seen-execs.js";

describe("SeenExecs", () => {
  it("matches one backstop notice per hook record, by program and exact argv", () => {
    const seen = new SeenExecs();
    seen.add("/bin/true", ["true", "1"], 0);
    seen.add("/bin/true", ["true", "1"], 1);
    expect(seen.take("/bin/true", ["true", "2"], 2)).toBe(false);
    expect(seen.take("/usr/bin/true", ["true", "1"], 2)).toBe(false);
    expect(seen.take("/bin/true", ["true", "1"], 2)).toBe(true);
    expect(seen.take("/bin/true", ["true", "1"], 2)).toBe(true);
    expect(seen.take("/bin/true", ["true", "1"], 2)).toBe(false);
  });

  it("forgets a record after its time", () => {
    const seen = new SeenExecs();
    seen.add("/bin/true", ["true"], 0);
    expect(seen.take("/bin/true", ["true"], SEEN_EXEC_TTL_MS + 1)).toBe(false);
    expect(seen.size).toBe(0);
  });

  it("stays bounded whatever is sent", () => {
    const seen = new SeenExecs();
    for (let i = 0; i < 10_000; i++) seen.add("/forged", [String(i)], 0);
    expect(seen.size).toBeLessThanOrEqual(4096);
    expect(seen.take("/forged", ["9999"], 0)).toBe(true);
    expect(seen.take("/forged", ["0"], 0)).toBe(false);
  });
});
