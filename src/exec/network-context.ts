/**
 * A proxy client context for one command: network questions go to the command's approver
 * (MCP elicitation or the terminal), withdrawn when the command ends. Answers map onto the
 * broker's: yes is allow once, "always" is allow for the session, no is a remembered deny; a
 * cancel or a failure to ask is a deny that is not remembered.
 */
import type { Approver } from "../approval/approver.js";
import type { BrokerAnswer } from "../network/approval-broker.js";
import type { ProxyClientContext } from "../network/network-proxy.js";

export function networkContext(
  command: string,
  approver: Approver,
  signal: AbortSignal,
): ProxyClientContext {
  return {
    command,
    async ask(question): Promise<BrokerAnswer> {
      const answer = await approver.ask(
        {
          kind: "network",
          protocol: question.protocol,
          host: question.host,
          port: question.port,
          target: question.target,
          command: question.command,
          reason: question.reason,
        },
        signal,
      );
      switch (answer) {
        case "accept":
          return "allow-once";
        case "accept-for-session":
          return "allow-session";
        case "decline":
          return "deny";
        case "cancel":
          throw new Error("the approval was cancelled");
      }
    },
  };
}
