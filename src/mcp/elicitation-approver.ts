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
import { displayCommand, escapeForDisplay } from "../approval/display.js";

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

/** The `decision` values, spelled as the network question always spelled them. */
export const DECISIONS = ["allow-once", "allow-session", "allow-always", "deny"] as const;
export type ElicitedDecision = (typeof DECISIONS)[number];

const DECISION_LABELS: Readonly<Record<ElicitedDecision, string>> = {
  "allow-once": "Allow once",
  "allow-session": "Allow for this session",
  "allow-always": "Always allow (writes a rule to default.rules)",
  deny: "Deny",
};

/**
 * The choice a question offers: once / session / always (when the request offers it) / deny.
 * Accepting without choosing is "allow once", so clients that show no form keep working. Only
 * what Codex 0.169 accepts: `type`, `properties`, `required` at the top; a string enum property.
 */
export function requestedSchema(request: ApprovalRequest): Record<string, unknown> {
  const values = DECISIONS.filter((value) => value !== "allow-always" || "rule" in request.always);
  const where =
    request.kind === "network"
      ? "Allow connects to this destination."
      : request.runs === "outside-sandbox"
        ? "Allow runs the program outside the sandbox, with the user's permissions."
        : "Allow runs the program inside the sandbox.";
  const always =
    "rule" in request.always
      ? `"Always" writes ${escapeForDisplay(request.always.rule)} to default.rules: ${escapeForDisplay(request.always.effect)}.`
      : `"Always" is not offered: ${escapeForDisplay(request.always.unavailable)}.`;
  const decision = {
    type: "string",
    title: "Decision",
    description: `${where} Once: this time only. Session: the same question is not asked again until the server stops. ${always}`,
    enum: values,
    enumNames: values.map((value) => DECISION_LABELS[value]),
    default: "allow-once",
  };
  return request.kind === "network"
    ? { type: "object", properties: { decision }, required: ["decision"] }
    : {
        type: "object",
        properties: {
          decision,
          // upstream's optional `reason`
          reason: {
            type: "string",
            description: "Optional reason for allowing or denying execution",
          },
        },
      };
}

/** What an accepted elicitation's content means. */
export function acceptedAnswer(content: unknown): ApprovalAnswer {
  const decision = (content as { decision?: unknown } | undefined)?.decision;
  switch (decision) {
    case "deny":
      return "decline";
    case "allow-session":
      return "accept-for-session";
    case "allow-always":
      return "accept-always";
    default:
      return "accept";
  }
}

export function createElicitationApprover(
  server: Server,
  /** The call's time limit, paused while the human decides (absent: the call has none). */
  stopwatch: Stopwatch | undefined,
  timeoutMs: number,
): Approver {
  return {
    via: "mcp-elicitation",
    async ask(request, signal): Promise<ApprovalAnswer> {
      if (server.getClientCapabilities()?.elicitation === undefined) {
        throw new Error("the MCP client does not support elicitation, so nobody can approve it");
      }
      let result;
      try {
        const asked = server.elicitInput(
          {
            message: elicitationMessage(request),
            requestedSchema: requestedSchema(request) as never,
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
          return acceptedAnswer(result.content);
        case "decline":
          return "decline";
        case "cancel":
          return "cancel";
      }
    },
  };
}
