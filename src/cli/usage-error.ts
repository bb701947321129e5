/**
 * The one usage-error path: a bad command line gets one short line naming the command and the
 * problem, one line pointing at that command's --help, and exit code 2. Help itself is printed
 * only when asked for (to stdout, exit 0). Anything else stays an internal error (exit 1).
 */
import { isExecwardError } from "../errors.js";
import { EXIT_USAGE, type CliIo } from "./cli-io.js";

/** Is this a problem with the command line (as opposed to the world or a bug)? */
export function isUsageError(error: unknown): error is Error {
  return isExecwardError(error) && error.code === "usage";
}

/** `command` is the words after `execward` naming the (sub)command, e.g. "rules check", or "". */
export function reportUsageError(io: CliIo, command: string, message: string): number {
  const name = command === "" ? "execward" : `execward ${command}`;
  io.stderr.write(`${name}: ${message}\nTry '${name} --help' for more information.\n`);
  return EXIT_USAGE;
}
