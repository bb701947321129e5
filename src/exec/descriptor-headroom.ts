/**
 * Checks, just before a spawn, that the process can still open the descriptors a spawn needs.
 *
 * Guards against a Node.js leak: when `child_process.spawn` fails with EMFILE or ENFILE, the
 * pipes it already created for the child's stdio are never closed (it returns before wrapping
 * them), so every such failure costs descriptors for the server's whole life. Failing here
 * first, with our own error, leaves nothing open.
 */
import { closeSync, openSync } from "node:fs";

import { ExecwardError } from "../errors.js";

/** Pipes and sockets for stdio, /dev/null, libuv's exec-error pipe, with a margin. */
export const SPAWN_DESCRIPTORS = 12;

export function ensureDescriptorHeadroom(count = SPAWN_DESCRIPTORS): void {
  const opened: number[] = [];
  try {
    for (let i = 0; i < count; i++) opened.push(openSync("/dev/null", "r"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EMFILE" && code !== "ENFILE") throw error;
    throw new ExecwardError(
      "descriptors_exhausted",
      `execward is out of file descriptors (${code}): it needs ${count} free to start a command; raise the limit (ulimit -n) or end other commands`,
      { cause: error },
    );
  } finally {
    for (const fd of opened) closeSync(fd);
  }
}
