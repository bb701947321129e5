/**
 * A proxy client context for one command: network questions go to the command's approver
 * (MCP elicitation or the terminal), withdrawn when the command ends. Answers map onto the
 * broker's: yes is allow once, "for this session" is allow for the session, "always" is allow
 * for the session and a network_rule written to the rules file, no is a remembered deny; a
 * cancel or a failure to ask is a deny that is not remembered. Every decision goes to `onDecision`
 * (the audit log).
 */
import type { Approver } from "../approval/approver.js";
import type { BrokerAnswer } from "../network/approval-broker.js";
import type { ProxyClientContext } from "../network/network-proxy.js";
import type { NetworkDecisionRecord } from "../network/proxy-client-context.js";

export interface NetworkContextOptions {
  /** Writes an "always" answer down (absent: "always" is not offered). */
  readonly allowAlways?: (host: string, protocol: "http" | "https") => Promise<void>;
  readonly onDecision?: (decision: NetworkDecisionRecord) => void;
  readonly log?: (message: string) => void;
}

export function networkContext(
  command: string,
  approver: Approver,
  signal: AbortSignal,
  options: NetworkContextOptions = {},
): ProxyClientContext {
  return {
    command,
    ...(options.onDecision === undefined ? {} : { onDecision: options.onDecision }),
    async ask(question): Promise<BrokerAnswer> {
      // An allow list entry is a host: the rule's protocol says which proxy path it came through.
      const ruleProtocol = question.protocol === "http" ? "http" : "https";
      const answer = await approver.ask(
        {
          kind: "network",
          protocol: question.protocol,
          host: question.host,
          port: question.port,
          target: question.target,
          command: question.command,
          reason: question.reason,
          always:
            options.allowAlways === undefined
              ? { unavailable: "this session cannot write rules" }
              : {
                  rule: `network_rule(host=${JSON.stringify(question.host)}, protocol="${ruleProtocol}", decision="allow")`,
                  effect: "later runs reach this host without asking",
                },
        },
        signal,
      );
      switch (answer) {
        case "accept":
          return "allow-once";
        case "accept-for-session":
          return "allow-session";
        case "accept-always":
          if (options.allowAlways === undefined) return "allow-session";
          try {
            await options.allowAlways(question.host, ruleProtocol);
          } catch (error) {
            options.log?.(
              `could not save "always allow" for ${question.host} (${error instanceof Error ? error.message : String(error)}); allowed for this session only`,
            );
            return "allow-session";
          }
          return "allow-always";
        case "decline":
          return "deny";
        case "cancel":
          throw new Error("the approval was cancelled");
      }
    },
  };
}
