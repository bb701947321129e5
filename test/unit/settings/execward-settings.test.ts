// The settings file's strict parsing: every accepted key, and every refusal naming file:line
// (unknown keys in each TOML spelling, bad values, relative paths, syntax errors).
import { describe, expect, it } from "vitest";

import { ExecwardError } from "../../../src/errors.js";
import { keyLine, parseSettings } from "../../../src/settings/execward-settings.js";

const FILE = "/home/u/.codex/execward.toml";

function refusal(text: string): string {
  try {
    parseSettings(text, FILE, "/home/u");
  } catch (error) {
    expect(error).toBeInstanceOf(ExecwardError);
    expect((error as ExecwardError).code).toBe("invalid_settings");
    return (error as ExecwardError).message;
  }
  throw new Error("accepted");
}

describe("parseSettings", () => {
  it("defaults for an empty file", () => {
    expect(parseSettings("# nothing\n", FILE, "/home/u")).toEqual({
      filesystem: { denyRead: [], denyWrite: [], credentials: "hidden" },
      escalation: { env: [] },
    });
  });

  it("reads the whole schema, expanding ~", () => {
    const settings = parseSettings(
      [
        "[filesystem]",
        'deny_read = ["~/secrets", "/srv/keys", "~"]',
        "deny_write = [",
        '  "~/work/project/.env",  # a comment',
        "]",
        'credentials = "visible"',
        "",
        "[escalation]",
        'env = ["SSH_AUTH_SOCK", "AWS_PROFILE"]',
      ].join("\n"),
      FILE,
      "/home/u",
    );
    expect(settings).toEqual({
      filesystem: {
        denyRead: ["/home/u/secrets", "/srv/keys", "/home/u"],
        denyWrite: ["/home/u/work/project/.env"],
        credentials: "visible",
      },
      escalation: { env: ["SSH_AUTH_SOCK", "AWS_PROFILE"] },
    });
  });

  it("reads audit_log (top level), expanding ~", () => {
    expect(parseSettings('audit_log = "~/audit.jsonl"\n', FILE, "/home/u").auditLog).toBe(
      "/home/u/audit.jsonl",
    );
    expect(parseSettings("", FILE, "/home/u").auditLog).toBeUndefined();
  });

  it("accepts dotted keys and inline tables", () => {
    expect(
      parseSettings('filesystem.credentials = "visible"\n', FILE, "/h").filesystem.credentials,
    ).toBe("visible");
    expect(parseSettings('escalation = { env = ["A"] }\n', FILE, "/h").escalation.env).toEqual([
      "A",
    ]);
  });

  it.each([
    [
      '[filesystem]\ncredentials = "hiden"\n',
      `${FILE}:2: filesystem.credentials: must be "hidden" or "visible"`,
    ],
    ["[filesystem]\ncredentials = true\n", `${FILE}:2: filesystem.credentials: must be`],
    ["\n\n[filesytem]\n", `${FILE}:3: filesytem: unknown setting`],
    ["[filesystem]\n\n# c\nfoo = 1\n", `${FILE}:4: filesystem.foo: unknown setting`],
    ['x = 1\n[filesystem]\ncredentials = "hidden"\n', `${FILE}:1: x: unknown setting`],
    ["filesystem.deny_reed = []\n", `${FILE}:1: filesystem.deny_reed: unknown setting`],
    ['[escalation]\nenv = "HOME"\n', `${FILE}:2: escalation.env: must be an array`],
    ['[escalation]\nenv = [\n "A",\n "1X",\n]\n', `${FILE}:2: escalation.env: element 2`],
    [
      '[filesystem]\ndeny_write = ["rel/x"]\n',
      `${FILE}:2: filesystem.deny_write: element 1 ("rel/x") must be absolute`,
    ],
    ['[filesystem]\ndeny_read = ["~bob/x"]\n', "not ~user"],
    ['[filesystem]\ndeny_read = [""]\n', "element 1 must be a non-empty string"],
    ["[filesystem]\ndeny_read = [1]\n", "element 1 must be a non-empty string"],
    ['[filesystem]\ndeny_read = ["/proc/self"]\n', "cannot hide /, /proc or /dev"],
    ['[filesystem]\ndeny_read = ["/"]\n', "cannot hide /, /proc or /dev"],
    ["filesystem = 3\n", `${FILE}:1: filesystem: must be a table`],
    ['\naudit_log = "log/x"\n', `${FILE}:2: audit_log: ("log/x") must be absolute`],
    ["audit_log = 3\n", `${FILE}:1: audit_log: must be a path`],
    ['[filesystem]\naudit_log = "/x"\n', `${FILE}:2: filesystem.audit_log: unknown setting`],
    [
      '[filesystem]\ncredentials = "hidden"\ncredentials = "visible"\n',
      `${FILE}:3:1: Invalid TOML document`,
    ],
    ["[filesystem\n", `${FILE}:1:`],
    // Found by the red team: a glob was taken literally (hiding nothing, silently), a NUL got
    // through to the sandbox's setup without a file:line.
    [
      '[filesystem]\ndeny_read = ["~/secr*"]\n',
      `${FILE}:2: filesystem.deny_read: element 1 ("~/secr*"): wildcards (* ? [) are not expanded`,
    ],
    ['[filesystem]\ndeny_write = ["/srv/[ab]"]\n', "wildcards (* ? [) are not expanded"],
    [
      '[filesystem]\ndeny_read = ["~/secrets\\u0000x"]\n',
      `${FILE}:2: filesystem.deny_read: element 1 ("~/secrets\\u0000x") contains a control character`,
    ],
    [
      'audit_log = "/tmp/a\\nb"\n',
      `${FILE}:1: audit_log: ("/tmp/a\\nb") contains a control character`,
    ],
  ])("refuses %j", (text, message) => {
    expect(refusal(text)).toContain(message);
  });

  it("refuses a file too large to be settings", () => {
    expect(refusal(`# ${"x".repeat(70_000)}\n`)).toContain("larger than");
  });
});

describe("keyLine", () => {
  it("finds a key after a multi-line array and a multi-line string", () => {
    const text = [
      "[filesystem]", // 1
      "deny_read = [", // 2
      '  "a",', // 3
      "]", // 4
      '# deny_write = ["x"]', // 5
      'x = """', // 6
      "deny_write = 1", // 7
      '"""', // 8
      "", // 9
      "deny_write = []", // 10
    ].join("\n");
    expect(keyLine(text, ["filesystem", "deny_read"])).toBe(2);
    expect(keyLine(text, ["filesystem", "x"])).toBe(6);
    expect(keyLine(text, ["filesystem", "deny_write"])).toBe(10);
    expect(keyLine(text, ["filesystem"])).toBe(1);
  });
});
