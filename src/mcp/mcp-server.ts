/**
 * `execward mcp`: the MCP server (official SDK) exposing upstream's `shell` tool.
 *
 * Thin adapter over src/exec/run-tool-call.ts: each call validates its arguments, takes its
 * sandbox from its own `_meta` (what Codex 0.169 sends), else from the last
 * `codex/sandbox-state/update`, else the default (see sandbox-state.ts), asks through MCP
 * elicitation (once / session / always / deny), records every decision (the audit sink, and
 * `notifications/message` at the level the client set with `logging/setLevel`), and returns
 * upstream's result JSON as text, or a tool error with the reason the
 * command did not run. Calls are independent; a timeout (paused while a human decides) or a
 * client's cancellation kills everything started for the call. stdout carries only the
 * protocol; logs go to stderr.
 */
import { stat } from "node:fs/promises";

import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  SetLevelRequestSchema,
  type CallToolResult,
  type LoggingLevel,
} from "@modelcontextprotocol/sdk/types.js";

import type { AuditRecord, AuditSink } from "../exec/audit-record.js";
import { ExecSession, type ExecSessionOptions } from "../exec/exec-session.js";
import { toUpstreamExecResult } from "../exec/exec-result.js";
import type { InterceptionMode } from "../exec/intercepted-run.js";
import { runToolCall } from "../exec/run-tool-call.js";
import { isExecwardError } from "../errors.js";
import type { Policy } from "../policy/index.js";
import type { SandboxLauncher } from "../sandbox/linux-sandbox.js";
import type { SandboxPolicy } from "../sandbox/sandbox-policy.js";
import type { NetworkProxy } from "../network/network-proxy.js";
import { createElicitationApprover } from "./elicitation-approver.js";
import {
  sandboxFromMeta,
  SandboxStateSchema,
  SandboxStateUpdateRequestSchema,
  type CallSandbox,
  type SandboxState,
} from "./sandbox-state.js";
import { SERVER_INSTRUCTIONS, SERVER_NAME, serverCapabilities } from "./server-identity.js";
import { parseShellArguments, SHELL_TOOL_NAME, shellToolListing } from "./shell-tool.js";

export interface McpServerOptions {
  readonly policy: Policy;
  readonly shell: string;
  readonly mode: InterceptionMode;
  readonly preserveProgramPaths: boolean;
  readonly env: Readonly<Record<string, string>>;
  /** Variables an escalated program may take from the sandboxed command (`--escalation-env`). */
  readonly escalationEnvNames?: readonly string[] | undefined;
  readonly elicitationTimeoutMs: number;
  readonly version: string;
  readonly log: (message: string) => void;
  /** The sandbox policy until a client sends codex/sandbox-state/update (upstream: read-only). */
  readonly defaultSandbox: SandboxPolicy;
  /** Builds each call's sandbox (bubblewrap on Linux). */
  readonly sandbox: SandboxLauncher;
  /**
   * The proxy (with the session's approval broker) that sandboxed calls without network access
   * reach; absent when no network policy is configured (they then have no network at all).
   */
  readonly networkProxy?: NetworkProxy | undefined;
  /** exec-wrapper mode: the wrapper to announce (`--execve`). */
  readonly execWrapper?: string | undefined;
  /** Where every decision is recorded besides the client's log (the audit log file). */
  readonly audit?: AuditSink | undefined;
  /** Where "always" answers are written; absent: "always" is not offered. */
  readonly amend?: ExecSessionOptions["amend"];
  /** The native parts, loaded once by the command (cli/mcp-command.ts). */
  readonly native: ExecSessionOptions["native"];
}

export interface ExecwardMcpServer {
  readonly server: Server;
  /**
   * The client went away: ends every command still running, waits (bounded) until each has
   * released its sandbox, and removes the mount points nothing uses.
   */
  close(): Promise<void>;
}

export function createExecwardMcpServer(options: McpServerOptions): ExecwardMcpServer {
  // The level the client asked for with logging/setLevel; until then no log messages are sent.
  let clientLevel: LoggingLevel | undefined;
  const toClient: AuditSink = (record) => {
    const level = auditLevel(record);
    if (clientLevel === undefined || LEVELS.indexOf(level) < LEVELS.indexOf(clientLevel)) return;
    void server
      .notification({
        method: "notifications/message",
        params: { level, logger: "execward", data: record },
      })
      .catch(() => undefined);
  };
  const session = new ExecSession({
    audit: (record) => {
      options.audit?.(record);
      toClient(record);
    },
    amend: options.amend,
    native: options.native,
    policy: options.policy,
    shell: options.shell,
    mode: options.mode,
    preserveProgramPaths: options.preserveProgramPaths,
    env: options.env,
    escalationEnvNames: options.escalationEnvNames ?? [],
    sandbox: options.sandbox,
    networkProxy: options.networkProxy,
    execWrapper: options.execWrapper,
    log: options.log,
  });
  // The same identity the early `initialize` answer is built from (early-initialize.ts).
  const server = new Server(
    { name: SERVER_NAME, version: options.version },
    { capabilities: serverCapabilities(), instructions: SERVER_INSTRUCTIONS },
  );
  let sandboxState: SandboxState | undefined;

  server.setRequestHandler(SetLevelRequestSchema, (request) => {
    clientLevel = request.params.level;
    return {};
  });

  server.setRequestHandler(ListToolsRequestSchema, () => shellToolListing());

  server.setRequestHandler(SandboxStateUpdateRequestSchema, (request) => {
    if (request.params === undefined || request.params === null) {
      throw new McpError(ErrorCode.InvalidParams, "missing params for sandbox state request");
    }
    const parsed = SandboxStateSchema.safeParse(request.params);
    if (!parsed.success) {
      throw new McpError(
        ErrorCode.InvalidParams,
        "failed to deserialize sandbox state",
        request.params,
      );
    }
    sandboxState = parsed.data;
    return {};
  });

  server.setRequestHandler(
    CallToolRequestSchema,
    async (request, extra): Promise<CallToolResult> => {
      if (request.params.name !== SHELL_TOOL_NAME) {
        throw new McpError(
          ErrorCode.InvalidParams,
          `unknown tool ${JSON.stringify(request.params.name)}; this server has \`shell\``,
        );
      }
      const call = parseShellArguments(request.params.arguments);
      if (typeof call === "string") return toolError(call);
      const info = await stat(call.workdir).catch(() => undefined);
      if (info === undefined || !info.isDirectory())
        return toolError(`\`workdir\` ${JSON.stringify(call.workdir)} is not a directory`);
      // Read once at the start of the call: a later update applies to later calls.
      const state = sandboxState;
      let callSandbox: CallSandbox;
      try {
        callSandbox = sandboxFromMeta(request.params._meta, {
          workdir: call.workdir,
          tmpdir: options.env.TMPDIR,
        }) ?? {
          policy: state?.sandboxPolicy ?? options.defaultSandbox,
          policyCwd: state?.sandboxCwd ?? call.workdir,
        };
      } catch (error) {
        if (isExecwardError(error)) return toolError(`${error.message} The command did not run.`);
        throw error;
      }
      const progressToken = request.params._meta?.progressToken;
      let progress: NodeJS.Timeout | undefined;
      try {
        const outcome = await runToolCall(session, {
          command: call.command,
          workdir: call.workdir,
          login: call.login,
          sandbox: callSandbox,
          timeoutMs: call.timeoutMs,
          stdio: "pipe",
          approver: (stopwatch) =>
            createElicitationApprover(server, stopwatch, options.elicitationTimeoutMs),
          signal: extra.signal,
          onStarted: (started) => {
            if (progressToken === undefined) return;
            let ticks = 0;
            progress = setInterval(() => {
              ticks++;
              void extra
                .sendNotification({
                  method: "notifications/progress",
                  params: {
                    progressToken,
                    progress: ticks,
                    message: `running for ${ticks}s, ${started.outputBytes()} bytes of output`,
                  },
                })
                .catch(() => undefined);
            }, 1000);
          },
        });
        if (outcome.kind === "refused")
          return toolError(`${outcome.reason} The command did not run.`);
        // Upstream's shape: the JSON as the one text content. No `structuredContent` copy: it
        // would double every large output, and declaring the `outputSchema` it needs would make
        // the tool listing differ from upstream's (README, "Differences on the wire").
        return {
          content: [{ type: "text", text: JSON.stringify(toUpstreamExecResult(outcome.result)) }],
          isError: false,
        };
      } finally {
        if (progress !== undefined) clearInterval(progress);
      }
    },
  );
  return {
    server,
    close: () => session.close(),
  };
}

/** MCP's log levels, least severe first. */
const LEVELS: readonly LoggingLevel[] = [
  "debug",
  "info",
  "notice",
  "warning",
  "error",
  "critical",
  "alert",
  "emergency",
];

/** A decision's log level: fast-path notices debug, runs info, escalations notice, denials warning. */
function auditLevel(record: AuditRecord): LoggingLevel {
  if (record.kind === "dropped") return "warning";
  if (record.decision === "deny") return "warning";
  if (record.decision === "escalate") return "notice";
  return record.reported_by === "server" ? "info" : "debug";
}

function toolError(message: string): CallToolResult {
  return { content: [{ type: "text", text: `execward: ${message}` }], isError: true };
}
