/**
 * Asking on the controlling terminal (`execward run`): once / for this run / always / no.
 *
 * Guards:
 * - the terminal is read through a TTY stream in canonical mode, one line per read, watched by
 *   the event loop (never a blocking read in the threadpool): a prompt that is withdrawn (the
 *   command finished, the request went away) or interrupted (Ctrl-C, SIGINT, SIGTERM) ends at
 *   once, and what is typed after it stays in the terminal for the next reader (the shell);
 * - Ctrl-C at the prompt is a cancel (the exec is denied); the signal reaches the command too,
 *   so `execward run` ends with it (exit status 130);
 * - each prompt says where a yes runs the program (inside or outside the sandbox) and what each
 *   answer covers; "always" names the rule it writes, or why it is not offered;
 * - prompts are shown one at a time (concurrent requests queue), on /dev/tty rather than stdin
 *   (which belongs to the command), with agent-supplied text escaped (display.ts).
 * No terminal means no approver: callers get an UnavailableApprover and every prompt becomes a
 * deny with that reason.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { ReadStream } from "node:tty";

import type { ApprovalAnswer, ApprovalRequest, Approver } from "./approver.js";
import { UnavailableApprover } from "./approver.js";
import { displayCommand, escapeForDisplay } from "./display.js";

/** The longest answer line read; anything longer is not an answer. */
const MAX_ANSWER_CHARS = 256;

export function createTtyApprover(ttyPath = "/dev/tty"): Approver {
  try {
    closeSync(openSync(ttyPath, "r+"));
  } catch {
    return new UnavailableApprover("there is no terminal to ask on");
  }
  let queue: Promise<unknown> = Promise.resolve();
  return {
    via: "terminal",
    ask(request, signal) {
      const turn = queue.then(() =>
        signal.aborted ? ("cancel" as const) : promptOnce(ttyPath, request, signal),
      );
      queue = turn.catch(() => undefined);
      return turn;
    },
  };
}

/** The prompt's text: what, where, why, and the choices with their scope. */
export function promptText(request: ApprovalRequest): string {
  const alwaysLine =
    "rule" in request.always
      ? `  [a] always: write ${escapeForDisplay(request.always.rule)} to your rules (default.rules); ${escapeForDisplay(request.always.effect)}`
      : `  [a] always: not offered here (${escapeForDisplay(request.always.unavailable)})`;
  if (request.kind === "network") {
    return [
      "",
      `execward: allow network access to ${escapeForDisplay(request.target)}?`,
      `  for ${escapeForDisplay(request.command)}`,
      `  because ${escapeForDisplay(request.reason)}`,
      "  [y] yes, this connection only",
      "  [s] yes, for this run (same host, protocol and port)",
      alwaysLine,
      "  [n] no (default; remembered for this run)",
      "",
    ].join("\n");
  }
  const where =
    request.runs === "outside-sandbox"
      ? "OUTSIDE the sandbox, with your own permissions"
      : "inside the sandbox (its limits still apply)";
  return [
    "",
    `execward: allow this program to run ${where}?`,
    `  ${displayCommand(request.program, request.args)}`,
    `  in ${escapeForDisplay(request.workdir)}`,
    `  because ${escapeForDisplay(request.reason)}`,
    ...(request.justification === undefined
      ? []
      : [`  rule: ${escapeForDisplay(request.justification)}`]),
    "  [y] yes, this once",
    "  [s] yes, for this run (same program, arguments and directory)",
    alwaysLine,
    "  [n] no (default)",
    "",
  ].join("\n");
}

/** The answer a typed line means, or undefined when it is none. */
export function parseAnswer(line: string, alwaysOffered: boolean): ApprovalAnswer | undefined {
  switch (line.trim().toLowerCase()) {
    case "y":
    case "yes":
      return "accept";
    case "s":
    case "session":
      return "accept-for-session";
    case "a":
    case "always":
      return alwaysOffered ? "accept-always" : undefined;
    case "":
    case "n":
    case "no":
      return "decline";
    default:
      return undefined;
  }
}

async function promptOnce(
  ttyPath: string,
  request: ApprovalRequest,
  signal: AbortSignal,
): Promise<ApprovalAnswer> {
  const alwaysOffered = "rule" in request.always;
  const choices = alwaysOffered ? "[y/s/a/N]" : "[y/s/N]";
  const fd = openSync(ttyPath, "r+");
  let input: ReadStream;
  try {
    writeSync(fd, `${promptText(request)}answer ${choices}: `);
    input = new ReadStream(fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return new Promise<ApprovalAnswer>((resolve, reject) => {
    let buffered = "";
    const interrupts = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
    let finished = false;
    const finish = (answer: ApprovalAnswer | Error): void => {
      if (finished) return;
      finished = true;
      signal.removeEventListener("abort", onAbort);
      for (const name of interrupts) process.off(name, onInterrupt);
      input.off("data", onData);
      // Stop reading at once: the next line typed belongs to whoever reads the terminal next.
      input.pause();
      input.destroy();
      if (answer instanceof Error) reject(answer);
      else resolve(answer);
    };
    const say = (text: string): void => {
      try {
        writeSync(fd, text);
      } catch {
        // the terminal went away; the read side ends the prompt
      }
    };
    const onAbort = (): void => {
      say("\nexecward: question withdrawn (the command went on or ended)\n");
      finish("cancel");
    };
    const onInterrupt = (): void => {
      say("\nexecward: interrupted; not allowed\n");
      finish("cancel");
    };
    const onData = (chunk: Buffer | string): void => {
      buffered += chunk.toString();
      for (;;) {
        const newline = buffered.indexOf("\n");
        if (newline < 0) break;
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const answer =
          line.length > MAX_ANSWER_CHARS ? undefined : parseAnswer(line, alwaysOffered);
        if (answer !== undefined) {
          finish(answer);
          return;
        }
        say(`please answer ${alwaysOffered ? "y, s, a or n" : "y, s or n"}: `);
      }
      if (buffered.length > MAX_ANSWER_CHARS) buffered = "";
    };
    signal.addEventListener("abort", onAbort, { once: true });
    for (const name of interrupts) process.on(name, onInterrupt);
    input.on("data", onData);
    // End of input (the terminal hung up) counts as "no".
    input.once("end", () => finish("decline"));
    input.once("error", (error) => finish(error));
  });
}
