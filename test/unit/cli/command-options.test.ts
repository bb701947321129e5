// Each command's option table and command-line checks: the options it accepts (typed), what a bad
// command line says, `--help`, and the command's own words passed through untouched.
import { describe, expect, it } from "vitest";

import { MCP_HELP, MCP_OPTIONS, parseMcpCommandLine } from "../../../src/cli/mcp-options.js";
import { AUDIT_OPTIONS } from "../../../src/cli/audit-option-table.js";
import { NETWORK_OPTIONS } from "../../../src/cli/network-option-table.js";
import type { OptionTable } from "../../../src/cli/option-table.js";
import {
  parseRulesCheckCommandLine,
  RULES_CHECK_HELP,
  RULES_CHECK_OPTIONS,
} from "../../../src/cli/rules-check-options.js";
import { parseRunCommandLine, RUN_HELP, RUN_OPTIONS } from "../../../src/cli/run-options.js";
import { sandboxOptionTable } from "../../../src/cli/sandbox-option-table.js";
import { SETTINGS_OPTIONS } from "../../../src/cli/settings-option-table.js";
import { isExecwardError } from "../../../src/errors.js";

function usageMessage(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    if (isExecwardError(error) && error.code === "usage") return error.message;
    throw error;
  }
  throw new Error("expected a usage error");
}

const TABLES: [string, OptionTable, string][] = [
  ["run", RUN_OPTIONS, RUN_HELP],
  ["mcp", MCP_OPTIONS, MCP_HELP],
  ["rules check", RULES_CHECK_OPTIONS, RULES_CHECK_HELP],
];

describe.each(TABLES)("the %s option table", (_, table, help) => {
  it("lists every option in its help", () => {
    for (const [name, decl] of Object.entries(table)) {
      expect(help).toContain(`--${name}`);
      if (decl.short !== undefined) expect(help).toContain(`-${decl.short}, --${name}`);
    }
  });

  it("has no short option twice and a -h for --help", () => {
    const shorts = Object.values(table).flatMap((decl) => (decl.short ? [decl.short] : []));
    expect(new Set(shorts).size).toBe(shorts.length);
    expect(table.help).toMatchObject({ kind: "flag", short: "h" });
  });
});

describe("the shared tables", () => {
  it("are not shadowed by a command's own entry of the same name (a spread would hide it)", () => {
    const shared = [
      ...Object.keys(sandboxOptionTable("")),
      ...Object.keys(NETWORK_OPTIONS),
      ...Object.keys(AUDIT_OPTIONS),
      ...Object.keys(SETTINGS_OPTIONS),
    ];
    const runOwn = Object.keys(RUN_OPTIONS).length;
    const mcpOwn = Object.keys(MCP_OPTIONS).length;
    // run: 10 of its own + help; mcp: 8 + version + help.
    expect(runOwn).toBe(shared.length + 11);
    expect(mcpOwn).toBe(shared.length + 10);
  });
});

describe("execward run's command line", () => {
  it("gives typed defaults and the command string", () => {
    const line = parseRunCommandLine(["--", "echo hi | wc -c"]);
    expect(line).toMatchObject({
      help: false,
      command: "echo hi | wc -c",
      options: {
        rules: [],
        noDiscover: false,
        shell: "bash",
        mode: "preload",
        bash: undefined,
        login: false,
        escalationEnv: [],
        sandbox: undefined,
        writableRoot: [],
        network: false,
        allowDomain: [],
        networkApprovals: undefined,
      },
    });
  });

  it("reads every kind of option", () => {
    const line = parseRunCommandLine([
      "-r",
      "a.rules",
      "--rules=b.rules",
      "--no-discover",
      "--shell",
      "zsh",
      "--mode=exec-wrapper",
      "--escalation-env",
      "A",
      "--escalation-env",
      "B",
      "--sandbox",
      "read-only",
      "--allow-domain",
      "example.com",
      "--network-approvals",
      "never",
      "true",
    ]);
    expect(line).toMatchObject({
      help: false,
      command: "true",
      options: {
        rules: ["a.rules", "b.rules"],
        noDiscover: true,
        shell: "zsh",
        mode: "exec-wrapper",
        escalationEnv: ["A", "B"],
        sandbox: "read-only",
        allowDomain: ["example.com"],
        networkApprovals: "never",
      },
    });
  });

  it("quotes several words into one command string, and reads none of them as options", () => {
    expect(parseRunCommandLine(["--", "ls", "-la", "a b", "--help"])).toMatchObject({
      help: false,
      command: "ls -la 'a b' --help",
      options: { help: false },
    });
    expect(parseRunCommandLine(["--login", "ls", "--bash", "x"])).toMatchObject({
      command: "ls --bash x",
      options: { login: true, bash: undefined },
    });
  });

  it("answers --help before checking the rest", () => {
    expect(parseRunCommandLine(["--help"])).toEqual({ help: true });
    expect(parseRunCommandLine(["-h", "--", "x"])).toEqual({ help: true });
  });

  it.each<[string[], string]>([
    [[], "no command given (execward run [OPTIONS] -- <COMMAND STRING>)"],
    [["--"], "no command given (execward run [OPTIONS] -- <COMMAND STRING>)"],
    [["--foo", "--", "x"], "unknown option --foo"],
    [["--shell"], "--shell needs a value (bash|zsh|sh)"],
    [["--shell", "fish", "x"], "--shell must be bash, zsh or sh (got fish)"],
    [["--mode", "ptrace", "x"], "--mode must be preload or exec-wrapper (got ptrace)"],
    [["--bash", "a", "--bash", "b", "x"], "--bash given twice"],
    [
      ["--sandbox", "full", "x"],
      "--sandbox must be read-only, workspace-write or danger-full-access (got full)",
    ],
    [["--network-approvals", "maybe", "x"], "--network-approvals must be ask or never (got maybe)"],
    [["--network-config", "a", "--network-config", "b", "x"], "--network-config given twice"],
    [["--version", "x"], "unknown option --version"],
  ])("%j: %s", (argv, message) => {
    expect(usageMessage(() => parseRunCommandLine(argv))).toBe(message);
  });
});

describe("execward mcp's command line", () => {
  it("gives typed defaults", () => {
    expect(parseMcpCommandLine([])).toMatchObject({
      help: false,
      version: false,
      elicitationTimeoutMs: undefined,
      options: { shell: "bash", mode: "preload", rules: [], execve: undefined, bwrap: undefined },
    });
    expect(parseMcpCommandLine(["--elicitation-timeout-ms", "250"])).toMatchObject({
      elicitationTimeoutMs: 250,
    });
  });

  it("answers --help and --version", () => {
    expect(parseMcpCommandLine(["-h"])).toEqual({ help: true });
    expect(parseMcpCommandLine(["--version"])).toEqual({ help: false, version: true });
    expect(parseMcpCommandLine(["-V"])).toEqual({ help: false, version: true });
  });

  it.each<[string[], string]>([
    [["serve"], 'unexpected argument "serve"'],
    [["--", "x"], 'unexpected argument "x"'],
    [
      ["--elicitation-timeout-ms", "soon"],
      "--elicitation-timeout-ms takes a number of milliseconds",
    ],
    [["--elicitation-timeout-ms", "-1"], "--elicitation-timeout-ms takes a number of milliseconds"],
    [["--elicitation-timeout-ms"], "--elicitation-timeout-ms needs a value (MS)"],
    [["--rules"], "--rules needs a value (FILE)"],
    [["--execve", "a", "--execve", "b"], "--execve given twice"],
    [["--login"], "unknown option --login"],
  ])("%j: %s", (argv, message) => {
    expect(usageMessage(() => parseMcpCommandLine(argv))).toBe(message);
  });
});

describe("execward rules check's command line", () => {
  it("passes the command's argv through exactly", () => {
    expect(
      parseRulesCheckCommandLine(["-r", "x.rules", "--pretty", "--", "git", "--rules", "-h", ""]),
    ).toEqual({
      help: false,
      command: ["git", "--rules", "-h", ""],
      options: {
        rules: ["x.rules"],
        discover: false,
        trustProject: false,
        resolveHostExecutables: false,
        pretty: true,
        lint: false,
        help: false,
      },
    });
  });

  it("needs no command with --lint", () => {
    expect(parseRulesCheckCommandLine(["--lint"])).toMatchObject({ command: [], help: false });
  });

  it.each<[string[], string]>([
    [["--rules", "x.rules"], "no command given (execward rules check [OPTIONS] -- <COMMAND>...)"],
    [["--bogus", "--", "git"], "unknown option --bogus"],
    [["--rules"], "--rules needs a value (FILE)"],
    [["--pretty=1", "git"], "--pretty takes no value"],
  ])("%j: %s", (argv, message) => {
    expect(usageMessage(() => parseRulesCheckCommandLine(argv))).toBe(message);
  });
});
