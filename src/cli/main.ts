#!/usr/bin/env node
/**
 * The `execward` binary: a thin dispatcher to one function per subcommand.
 * stdout carries only a command's output (and, for `mcp`, the protocol); messages go to stderr.
 */
import { readFileSync } from "node:fs";

import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, processIo, type CliIo } from "./cli-io.js";
import { runRulesCheck } from "./rules-check-command.js";
import { runRun } from "./run-command.js";

const HELP = `Usage: execward <COMMAND>

A shell that AI agents can be trusted with.

Commands:
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
    case "rules":
      if (rest[0] === "check") return runRulesCheck(rest.slice(1), io);
      io.stderr.write(
        `execward: unknown rules subcommand ${JSON.stringify(rest[0] ?? "")}; try \`execward rules check --help\`\n`,
      );
      return EXIT_USAGE;
    case "-V":
    case "--version":
      io.stdout.write(`execward ${readVersion()}\n`);
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

function readVersion(): string {
  const packageJson = JSON.parse(
    readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
  ) as { version?: string };
  return packageJson.version ?? "unknown";
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
