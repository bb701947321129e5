#!/usr/bin/env node
/**
 * The `execward` binary: a thin dispatcher to one function per subcommand.
 * stdout carries only a command's output (and, for `mcp`, the protocol); messages go to stderr.
 *
 * Each command line is parsed here from its command's option table (cheap modules), so `--help`,
 * `--version` and every usage error are answered before anything heavy loads; the command's own
 * module (the sandbox, the network proxy, the MCP SDK, zod) is imported only to run it, and
 * `mcp` answers the client's `initialize` before that import (mcp/early-initialize.ts). A usage
 * error, from the parser or from the command's first checks, takes the one path in
 * usage-error.ts (one line, exit 2); anything else escaping is an internal error (exit 1).
 */
import { EXIT_FAILURE, EXIT_OK, processIo, type CliIo } from "./cli-io.js";
import { LOG_HELP, parseLogCommandLine } from "./log-options.js";
import { parseMcpCommandLine, MCP_HELP } from "./mcp-options.js";
import { readPackageVersion } from "./package-version.js";
import { parseRulesCheckCommandLine, RULES_CHECK_HELP, RULES_HELP } from "./rules-check-options.js";
import { parseRunCommandLine, RUN_HELP } from "./run-options.js";
import { isUsageError, reportUsageError } from "./usage-error.js";

export const MAIN_HELP = `Usage: execward <COMMAND>

A shell that AI agents can be trusted with.

Commands:
  mcp           Serve the \`shell\` tool over MCP (stdio), a drop-in for codex-exec-mcp-server
  run           Run a shell command with every program it starts decided by the policy
  rules check   Show what the .rules policy decides for a command (as \`codex execpolicy check\`)
  log           Show an audit log written with --audit-log

Options:
  -h, --help     Print help (\`execward <COMMAND> --help\` for a command's options)
  -V, --version  Print version
`;

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  // The words naming the (sub)command, for usage errors: "run", "rules check", "".
  let name = "";
  try {
    switch (command) {
      case "run": {
        name = "run";
        const line = parseRunCommandLine(rest);
        if (line.help) return printHelp(io, RUN_HELP);
        const { runRun } = await import("./run-command.js");
        return await runRun(line.options, line.command, io);
      }
      case "mcp": {
        name = "mcp";
        const line = parseMcpCommandLine(rest);
        if (line.help) return printHelp(io, MCP_HELP);
        const version = readPackageVersion();
        if (line.version) return printHelp(io, `execward ${version}\n`);
        // The client's `initialize` is answered while everything else loads
        // (mcp/early-initialize.ts); the server takes over stdin and stdout once it is ready.
        const { EarlyInitialize } = await import("../mcp/early-initialize.js");
        const early = new EarlyInitialize({
          input: process.stdin,
          output: process.stdout,
          version,
          log: (message) => void io.stderr.write(`execward: ${message}\n`),
        });
        try {
          const { runMcp } = await import("./mcp-command.js");
          return await runMcp(line.options, line.elicitationTimeoutMs, io, version, early);
        } finally {
          // The server did not start (or has ended): nothing more is read.
          early.stop();
        }
      }
      case "rules": {
        name = "rules";
        const [sub, ...subArgs] = rest;
        if (sub === "-h" || sub === "--help") return printHelp(io, RULES_HELP);
        if (sub === undefined) return reportUsageError(io, name, "no subcommand given");
        if (sub !== "check")
          return reportUsageError(io, name, `unknown subcommand ${JSON.stringify(sub)}`);
        name = "rules check";
        const line = parseRulesCheckCommandLine(subArgs);
        if (line.help) return printHelp(io, RULES_CHECK_HELP);
        const { runRulesCheck } = await import("./rules-check-command.js");
        return await runRulesCheck(line.options, line.command, io);
      }
      case "log": {
        name = "log";
        const line = parseLogCommandLine(rest);
        if (line.help) return printHelp(io, LOG_HELP);
        const { runLog } = await import("./log-command.js");
        return await runLog(line.options, line.file, line.since, io);
      }
      case "-V":
      case "--version":
        return printHelp(io, `execward ${readPackageVersion()}\n`);
      case "-h":
      case "--help":
        return printHelp(io, MAIN_HELP);
      case undefined:
        return reportUsageError(io, name, "no command given");
      default:
        return reportUsageError(io, name, `unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    if (isUsageError(error)) return reportUsageError(io, name, error.message);
    throw error;
  }
}

/** Help and the version go to stdout, exit 0. */
function printHelp(io: CliIo, text: string): number {
  io.stdout.write(text);
  return EXIT_OK;
}

main(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `execward: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = EXIT_FAILURE;
  },
);
