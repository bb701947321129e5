/**
 * What a CLI command may touch: its streams, environment and working directory, passed in so
 * commands are plain functions tests can call (`(argv, io) => Promise<exit code>`).
 */
import type { Writable } from "node:stream";

export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** Exit statuses shared by every command. */
export const EXIT_OK = 0;
/** The command ran and failed (an invalid policy, a denied program...). */
export const EXIT_FAILURE = 1;
/** The command line itself is wrong. */
export const EXIT_USAGE = 2;

/** The environment as a plain map, without unset entries (what child processes receive). */
export function definedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
