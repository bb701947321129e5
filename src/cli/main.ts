#!/usr/bin/env node
/**
 * The `execward` binary: a thin dispatcher to one function per subcommand.
 * stdout carries only a command's output (and, for `mcp`, the protocol); messages go to stderr.
 */
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, processIo, type CliIo } from "./cli-io.js";
import { runRulesCheck } from "./rules-check-command.js";
import { runRun } from "./run-command.js";
import { readPackageVersion, runMcp } from "./mcp-command.js";

const HELP = `Usage: execward <COMMAND>

A shell that AI agents can be trusted with.

Commands:
  mcp           Serve the \`shell\` tool over MCP (stdio), a drop-in for codex-exec-mcp-server
  run           Run a shell command with every program it starts decided by the policy
  rules check   Show what the .rules policy decides for a command (as \`codex execpolicy check\`)

Options:
  -h, --help     Print help
  -V, --version  Print version
`;

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "run":
      return runRun(rest, io);
    case "mcp":
      return runMcp(rest, io, readPackageVersion());
    case "rules":
      if (rest[0] === "check") return runRulesCheck(rest.slice(1), io);
      io.stderr.write(
        `execward: unknown rules subcommand ${JSON.stringify(rest[0] ?? "")}; try \`execward rules check --help\`\n`,
      );
      return EXIT_USAGE;
    case "-V":
    case "--version":
      io.stdout.write(`execward ${readPackageVersion()}\n`);
      return EXIT_OK;
    case undefined:
    case "-h":
    case "--help":
      io.stdout.write(HELP);
      return command === undefined ? EXIT_USAGE : EXIT_OK;
    default:
      io.stderr.write(`execward: unknown command ${JSON.stringify(command)}\n${HELP}`);
      return EXIT_USAGE;
  }
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
