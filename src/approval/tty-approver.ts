/**
 * Asking on the controlling terminal (`execward run`): yes / no / always for this run.
 *
 * Prompts are shown one at a time (concurrent requests queue), read from /dev/tty rather than
 * stdin (which belongs to the command), and show the command escaped. No terminal means no
 * approver: callers get an UnavailableApprover and every prompt becomes a deny with that reason.
 */
import { closeSync, openSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";

import { displayCommand, escapeForDisplay } from "../exec/display.js";
import type { ApprovalAnswer, ApprovalRequest, Approver } from "./approver.js";
import { UnavailableApprover } from "./approver.js";

export function createTtyApprover(ttyPath = "/dev/tty"): Approver {
  try {
    closeSync(openSync(ttyPath, "r+"));
  } catch {
    return new UnavailableApprover("there is no terminal to ask on");
  }
  let queue: Promise<unknown> = Promise.resolve();
  return {
    ask(request, signal) {
      const turn = queue.then(() =>
        signal.aborted ? ("cancel" as const) : promptOnce(ttyPath, request, signal),
      );
      queue = turn.catch(() => undefined);
      return turn;
    },
  };
}

async function promptOnce(
  ttyPath: string,
  request: ApprovalRequest,
  signal: AbortSignal,
): Promise<ApprovalAnswer> {
  const handle = await open(ttyPath, "r+");
  const onAbort = (): void => void handle.close().catch(() => undefined);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    let text =
      request.kind === "network"
        ? [
            "",
            `execward: allow network access to ${escapeForDisplay(request.target)}?`,
            `  for ${escapeForDisplay(request.command)}`,
            `  because ${escapeForDisplay(request.reason)}`,
          ].join("\n")
        : [
            "",
            "execward: allow this program to run outside the sandbox?",
            `  ${displayCommand(request.program, request.args)}`,
            `  in ${escapeForDisplay(request.workdir)}`,
            `  because ${escapeForDisplay(request.reason)}`,
            ...(request.justification === undefined
              ? []
              : [`  rule: ${escapeForDisplay(request.justification)}`]),
          ].join("\n");
    for (;;) {
      await handle.write(`${text}\n[y]es / [n]o / [a]lways for this run: `);
      const answer = (await readLine(handle)).trim().toLowerCase();
      if (answer === "y" || answer === "yes") return "accept";
      if (answer === "a" || answer === "always") return "accept-for-session";
      if (answer === "n" || answer === "no" || answer === "") return "decline";
      text = "please answer y, n or a";
    }
  } catch (error) {
    if (signal.aborted) return "cancel";
    throw error;
  } finally {
    signal.removeEventListener("abort", onAbort);
    await handle.close().catch(() => undefined);
  }
}

/** Reads one line (end of input counts as an empty line, i.e. "no"). */
async function readLine(handle: FileHandle): Promise<string> {
  const buffer = Buffer.alloc(1);
  let line = "";
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, 1, null);
    if (bytesRead === 0) return line;
    const ch = buffer.toString("latin1");
    if (ch === "\n") return line;
    line += ch;
    if (line.length > 256) return line;
  }
}
