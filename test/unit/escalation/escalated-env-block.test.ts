// The environment block the addon gets is escalatedEnv()'s result byte for byte and in the same
// order, though the base is encoded once per command: requested variables take the place of the
// base's entry of the same name, new ones come after, PWD last unless a request variable put it
// earlier; names a plain object orders differently still come out as escalatedEnv() orders them.
import { describe, expect, it } from "vitest";

import { encodeEnv, escalatedEnvBlockFor } from "../../../src/escalation/escalated-env-block.js";
import { escalatedEnv } from "../../../src/escalation/escalated-env.js";
import { ExecwardError } from "../../../src/errors.js";

const BASE: Record<string, string> = {
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: "/home/user",
  LANG: "C.UTF-8",
  LS_COLORS: "rs=0:di=01;34:ln=01;36:*.tar=01;31:".repeat(40),
  PWD: "/home/user/project",
  TERM: "xterm-256color",
  "odd=name": "x=y",
  EMPTY: "",
  UNICODE: "héllo wörld ✓",
  ...Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`XDG_VAR_${i}`, `/run/user/${i}`])),
};

function cases(): [
  string,
  Record<string, string>,
  Record<string, string>,
  readonly string[],
  string,
][] {
  return [
    ["nothing requested", BASE, {}, [], "/w"],
    [
      "requested variables in place and after",
      BASE,
      { TERM: "dumb", LANG: "fr_FR.UTF-8", COLUMNS: "80", TZ: "Europe/Paris", HOME: "/tmp/evil" },
      [],
      "/w",
    ],
    ["a base without PWD", { A: "1", B: "2" }, { LINES: "24" }, [], "/w"],
    ["PWD named by the request", { A: "1" }, { PWD: "/tmp/x", EXTRA: "e" }, ["PWD", "EXTRA"], "/w"],
    ["an added name over the base's", BASE, { XDG_VAR_3: "mine" }, ["XDG_VAR_3"], "/w"],
    ["array-index names", { A: "1", "7": "x" }, { "3": "y", "12": "z" }, ["3", "12"], "/w"],
    // As JSON would give it: an own property (a literal's `__proto__` sets the prototype).
    ["__proto__", { A: "1" }, JSON.parse('{"__proto__": "p"}'), ["__proto__"], "/w"],
    ["an empty base", {}, { TERM: "dumb" }, [], "/w"],
  ];
}

describe("escalatedEnvBlockFor", () => {
  it.each(cases())("%s: escalatedEnv() encoded", (_what, base, requested, extraNames, workdir) => {
    const block = escalatedEnvBlockFor(base, extraNames)({ env: requested, workdir });
    expect(block.toString("utf8")).toBe(
      Object.entries(escalatedEnv({ base, requested, extraNames, workdir }))
        .map(([name, value]) => `${name}=${value}\0`)
        .join(""),
    );
  });

  it("tells the order apart, not only the set of variables (control)", () => {
    const block = escalatedEnvBlockFor(BASE)({ env: { TERM: "dumb" }, workdir: "/w" });
    const others = Object.entries(BASE).filter(([name]) => name !== "TERM" && name !== "PWD");
    const appended = encodeEnv({ ...Object.fromEntries(others), TERM: "dumb", PWD: "/w" });
    const entries = (buffer: Buffer): Set<string> => new Set(buffer.toString().split("\0"));
    expect(entries(block)).toEqual(entries(appended));
    expect(block.equals(appended)).toBe(false);
  });

  it("uses the host working directory when the inspection found one", () => {
    const block = escalatedEnvBlockFor({ A: "1" })({
      env: {},
      workdir: "/sandbox/view",
      inspection: { host: { workdirPath: "/host/path" } },
    });
    expect(block.toString()).toBe("A=1\0PWD=/host/path\0");
  });

  it("refuses a NUL inside a variable, for the exec only", () => {
    const envFor = escalatedEnvBlockFor({ A: "x\0y" });
    expect(() => envFor({ env: {}, workdir: "/w" })).toThrow(ExecwardError);
    expect(() => escalatedEnvBlockFor({})({ env: {}, workdir: "/w\0x" })).toThrow(
      /contains a NUL byte/,
    );
  });
});
