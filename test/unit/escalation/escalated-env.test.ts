// The environment an escalated program gets: execward's own, plus only the allow-listed
// presentation variables of the request whose values name a setting, never a file; names the
// user adds pass as they are; malformed names are refused before anything is decided.
import { describe, expect, it } from "vitest";

import {
  checkEnvNames,
  escalatedEnv,
  escalationEnvFor,
  REQUEST_ENV_ALLOW_LIST,
} from "../../../src/escalation/escalated-env.js";
import { ExecwardError } from "../../../src/errors.js";

const BASE = { HOME: "/home/user", PATH: "/usr/bin:/bin", LANG: "C.UTF-8" } as const;

function fromRequest(
  requested: Record<string, string>,
  extraNames?: readonly string[],
): Record<string, string> {
  return escalatedEnv({
    base: BASE,
    requested,
    workdir: "/work/project",
    ...(extraNames === undefined ? {} : { extraNames }),
  });
}

describe("escalatedEnv", () => {
  it("keeps execward's own environment and ignores everything else the request sets", () => {
    expect(
      fromRequest({
        HOME: "/tmp/evil",
        PATH: "/tmp/bin",
        GIT_DIR: "/tmp/repo",
        LD_PRELOAD: "/tmp/x.so",
        PYTHONPATH: "/tmp/p",
      }),
    ).toEqual({ ...BASE, PWD: "/work/project" });
  });

  it("takes allow-listed presentation variables from the request", () => {
    expect(
      fromRequest({
        LANG: "fr_FR.UTF-8",
        LC_ALL: "de_DE.UTF-8@euro",
        LANGUAGE: "fr:en_GB",
        TERM: "xterm-256color",
        NO_COLOR: "1",
        COLUMNS: "120",
        LINES: "40",
      }),
    ).toEqual({
      ...BASE,
      LANG: "fr_FR.UTF-8",
      LC_ALL: "de_DE.UTF-8@euro",
      LANGUAGE: "fr:en_GB",
      TERM: "xterm-256color",
      NO_COLOR: "1",
      COLUMNS: "120",
      LINES: "40",
      PWD: "/work/project",
    });
  });

  it.each([
    ["LC_ALL", "/tmp/x"],
    ["LANG", "../../tmp/locale"],
    ["LC_CTYPE", "en_US/../../tmp"],
    ["LANGUAGE", "/tmp/x"],
    ["TERM", "../../tmp/terminfo/x"],
    ["TERM", "xterm\n"],
    ["COLUMNS", "80; rm"],
    ["COLUMNS", "1234567"],
    ["LINES", ""],
  ])("drops %s=%j: a value that could name a file or is not a setting", (name, value) => {
    const env = fromRequest({ [name]: value });
    expect(env[name]).toBe(name in BASE ? BASE[name as keyof typeof BASE] : undefined);
  });

  it.each(["UTC", "Europe/Paris", ":Europe/Paris", "EST5EDT", "UTC+2", "America/Argentina/Salta"])(
    "takes the time zone %j",
    (tz) => {
      expect(fromRequest({ TZ: tz }).TZ).toBe(tz);
    },
  );

  it.each(["/tmp/zone", ":/tmp/zone", "../../tmp/zone", "Europe/../../../tmp/zone", "Europe/", ""])(
    "drops the time zone %j (absolute, climbing or empty)",
    (tz) => {
      expect(fromRequest({ TZ: tz })).not.toHaveProperty("TZ");
    },
  );

  it("passes names the user added, values unchecked, and only those", () => {
    const env = fromRequest({ SSH_AUTH_SOCK: "/tmp/agent", NODE_OPTIONS: "--x" }, [
      "SSH_AUTH_SOCK",
    ]);
    expect(env.SSH_AUTH_SOCK).toBe("/tmp/agent");
    expect(env).not.toHaveProperty("NODE_OPTIONS");
  });

  it("an added name does not loosen an allow-listed variable's value check", () => {
    expect(fromRequest({ LC_ALL: "/tmp/x" }, ["LC_ALL"])).not.toHaveProperty("LC_ALL");
  });

  it("sets PWD to the program's working directory, whatever either environment says", () => {
    expect(
      escalatedEnv({
        base: { PWD: "/somewhere" },
        requested: { PWD: "/tmp/evil" },
        extraNames: ["PWD"],
        workdir: "/work/project",
      }),
    ).toEqual({ PWD: "/work/project" });
  });

  it("does not change its inputs", () => {
    const base = { HOME: "/home/user" };
    escalatedEnv({ base, requested: { TERM: "dumb" }, workdir: "/w" });
    expect(base).toEqual({ HOME: "/home/user" });
  });

  it("documents every allow-listed name", () => {
    expect(REQUEST_ENV_ALLOW_LIST).toEqual(
      expect.arrayContaining(["LANG", "LC_ALL", "TERM", "TZ", "COLUMNS", "LINES"]),
    );
    expect(REQUEST_ENV_ALLOW_LIST).not.toContain("HOME");
    expect(REQUEST_ENV_ALLOW_LIST).not.toContain("PATH");
  });
});

describe("escalationEnvFor", () => {
  it("uses the host working directory when the inspection found one", () => {
    const envFor = escalationEnvFor({ HOME: "/home/user" }, ["EXTRA"]);
    expect(
      envFor({
        env: { EXTRA: "1", TERM: "dumb", HOME: "/tmp" },
        workdir: "/sandbox/view",
        inspection: { host: { workdirPath: "/host/path" } },
      }),
    ).toEqual({ HOME: "/home/user", EXTRA: "1", TERM: "dumb", PWD: "/host/path" });
    expect(envFor({ env: {}, workdir: "/sandbox/view" }).PWD).toBe("/sandbox/view");
  });
});

describe("checkEnvNames", () => {
  it("accepts an ordinary environment", () => {
    expect(() => checkEnvNames({ HOME: "/h", EMPTY: "", "odd.name-1": "x=y" })).not.toThrow();
  });

  it.each([
    ["an empty name", { "": "x" }],
    ["a name containing =", { "PYTHONPATH=/tmp/p": "" }],
    ["a name containing NUL", { "A\0B": "x" }],
    ["a value containing NUL", { A: "x\0y" }],
  ])("refuses %s as a malformed request", (_what, env) => {
    let caught: unknown;
    try {
      checkEnvNames(env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ExecwardError);
    expect((caught as ExecwardError).code).toBe("malformed_request");
  });
});
