/**
 * Approvals through MCP elicitation, with upstream's message text
 * (``Allow agent to run `<path> <args>` in `<workdir>`?``) and schemas Codex accepts: Codex 0.169
 * parses `requestedSchema` strictly (only `$schema`, `type`, `properties`, `required` at the top)
 * and answers a schema with anything else, such as upstream's top-level `title`, with `cancel`
 * on its own, without asking anyone. The call's stopwatch is paused while the human decides; a
 * client without the elicitation capability, a transport error or an unanswered request (after
 * `timeoutMs`) is a deny with a reason.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";

import type { ApprovalAnswer, ApprovalRequest, Approver } from "../approval/approver.js";
import type { Stopwatch } from "../approval/stopwatch.js";
import { displayCommand, escapeForDisplay } from "../exec/display.js";

export const DEFAULT_ELICITATION_TIMEOUT_MS = 10 * 60 * 1000;

export function elicitationMessage(request: ApprovalRequest): string {
  if (request.kind === "network") {
    return (
      `Allow network access to \`${escapeForDisplay(request.target)}\` for the command \`${escapeForDisplay(request.command)}\`?` +
      `\n\nReason: ${escapeForDisplay(request.reason)}`
    );
  }
  const message = `Allow agent to run \`${displayCommand(request.program, request.args)}\` in \`${escapeForDisplay(request.workdir)}\`?`;
  return request.justification === undefined
    ? message
    : `${message}\n\nRule: ${escapeForDisplay(request.justification)}`;
}

/** The choice a network prompt offers (accepting without choosing is "allow once"). */
export const NETWORK_SCHEMA = {
  type: "object",
  properties: {
    decision: {
      type: "string",
      title: "Decision",
      enum: ["allow-once", "allow-session", "deny"],
      enumNames: ["Allow once", "Allow for this session", "Deny (for this session)"],
      default: "allow-once",
    },
  },
  required: ["decision"],
} as const;

/** upstream's optional `reason` (its schema's top-level title is left out: see above). */
export const EXEC_SCHEMA = {
  type: "object",
  properties: {
    reason: {
      type: "string",
      description: "Optional reason for allowing or denying execution",
    },
  },
} as const;

export function createElicitationApprover(
  server: Server,
  /** The call's time limit, paused while the human decides (absent: the call has none). */
  stopwatch: Stopwatch | undefined,
  timeoutMs: number,
): Approver {
  return {
    async ask(request, signal): Promise<ApprovalAnswer> {
      if (server.getClientCapabilities()?.elicitation === undefined) {
        throw new Error("the MCP client does not support elicitation, so nobody can approve it");
      }
      let result;
      try {
        const asked = server.elicitInput(
          {
            message: elicitationMessage(request),
            requestedSchema: (request.kind === "network" ? NETWORK_SCHEMA : EXEC_SCHEMA) as never,
          },
          { signal, timeout: timeoutMs },
        );
        result = await (stopwatch === undefined ? asked : stopwatch.pauseFor(asked));
      } catch (error) {
        if (signal.aborted) return "cancel";
        throw new Error(
          `the approval request failed or went unanswered (${error instanceof Error ? error.message : String(error)})`,
          { cause: error },
        );
      }
      switch (result.action) {
        case "accept":
          if (request.kind === "network") {
            const decision = (result.content as { decision?: unknown } | undefined)?.decision;
            if (decision === "deny") return "decline";
            if (decision === "allow-session") return "accept-for-session";
          }
          return "accept";
        case "decline":
          return "decline";
        case "cancel":
          return "cancel";
      }
    },
  };
}
