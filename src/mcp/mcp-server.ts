/**
 * `execward mcp`: the MCP server (official SDK) exposing upstream's `shell` tool.
 *
 * Thin adapter: each call validates its arguments, takes its sandbox from its own `_meta` (what
 * Codex 0.169 sends), else from the last `codex/sandbox-state/update`, else the default (see
 * sandbox-state.ts), builds the rules-based escalation policy
 * with an elicitation approver, runs the command under interception (src/exec), and returns
 * upstream's result JSON as text. Calls are independent; a timeout (the
 * Stopwatch, paused while a human decides) or a client's cancellation kills everything started
 * for the call. stdout carries only the protocol; logs go to stderr.
 */
import { stat } from "node:fs/promises";

import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
} from "@modelcontextprotocol/sdk/types.js";

import { Stopwatch } from "../approval/stopwatch.js";
import { computeAskList } from "../escalation/ask-list.js";
import { escalationEnvFor } from "../escalation/escalated-env.js";
import { createRulesEscalationPolicy } from "../escalation/rules-escalation-policy.js";
import { TIMEOUT_EXIT_CODE, toUpstreamExecResult } from "../exec/exec-result.js";
import {
  runRequirements,
  startInterceptedRun,
  type InterceptionMode,
} from "../exec/intercepted-run.js";
import { OutputCapture } from "../exec/output-capture.js";
import { isExecwardError } from "../errors.js";
import type { Policy } from "../policy/index.js";
import type { PreparedSandbox, SandboxLauncher } from "../sandbox/linux-sandbox.js";
import { hasFullNetworkAccess, type SandboxPolicy } from "../sandbox/sandbox-policy.js";
import { networkContext } from "../exec/network-context.js";
import type { NetworkProxy } from "../network/network-proxy.js";
import { createElicitationApprover } from "./elicitation-approver.js";
import {
  SANDBOX_STATE_CAPABILITY,
  SANDBOX_STATE_META_CAPABILITY,
  SANDBOX_STATE_VERSION,
  sandboxFromMeta,
  SandboxStateSchema,
  SandboxStateUpdateRequestSchema,
  type CallSandbox,
  type SandboxState,
} from "./sandbox-state.js";
import {
  parseShellArguments,
  SHELL_TOOL_DESCRIPTION,
  SHELL_TOOL_INPUT_SCHEMA,
  SHELL_TOOL_NAME,
} from "./shell-tool.js";

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
}

export interface ExecwardMcpServer {
  readonly server: Server;
  /** Ends every command still running (the client went away). */
  killAll(): Promise<void>;
}

export function createExecwardMcpServer(options: McpServerOptions): ExecwardMcpServer {
  const running = new Set<ReturnType<typeof startInterceptedRun>>();
  const server = new Server(
    { name: "execward", version: options.version },
    {
      capabilities: {
        tools: {},
        experimental: {
          [SANDBOX_STATE_CAPABILITY]: { version: SANDBOX_STATE_VERSION },
          [SANDBOX_STATE_META_CAPABILITY]: { version: SANDBOX_STATE_VERSION },
        },
      },
      instructions:
        "This server provides a tool to execute shell commands and return their output.",
    },
  );
  let sandboxState: SandboxState | undefined;

  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [
      {
        name: SHELL_TOOL_NAME,
        description: SHELL_TOOL_DESCRIPTION,
        inputSchema: SHELL_TOOL_INPUT_SCHEMA,
      },
    ],
  }));

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
      let prepared: PreparedSandbox;
      try {
        callSandbox = sandboxFromMeta(request.params._meta, {
          workdir: call.workdir,
          tmpdir: options.env.TMPDIR,
        }) ?? {
          policy: state?.sandboxPolicy ?? options.defaultSandbox,
          policyCwd: state?.sandboxCwd ?? call.workdir,
        };
        prepared = await options.sandbox.prepare({
          policy: callSandbox.policy,
          policyCwd: callSandbox.policyCwd,
          profile: callSandbox.profile,
          commandCwd: call.workdir,
          tmpdir: options.env.TMPDIR,
          required: runRequirements(
            options.shell,
            options.mode === "exec-wrapper" ? options.execWrapper : undefined,
          ),
        });
      } catch (error) {
        if (isExecwardError(error)) return toolError(`${error.message} The command did not run.`);
        throw error;
      }

      const started = performance.now();
      let timedOut = false;
      const capture = new OutputCapture();
      // The stopwatch is created before the run it may have to kill (its approver needs it).
      const runRef: { run?: ReturnType<typeof startInterceptedRun> } = {};
      const stopwatch = new Stopwatch(call.timeoutMs, () => {
        timedOut = true;
        void runRef.run?.kill();
      });
      const approver = createElicitationApprover(server, stopwatch, options.elicitationTimeoutMs);
      const callEnded = new AbortController();
      const callPolicy = callSandbox.policy;
      const network =
        options.networkProxy !== undefined &&
        prepared.sandboxed &&
        !hasFullNetworkAccess(callPolicy)
          ? {
              proxy: options.networkProxy,
              context: networkContext(call.command, approver, callEnded.signal),
            }
          : undefined;
      const run = startInterceptedRun({
        command: call.command,
        shell: options.shell,
        login: call.login,
        mode: options.mode,
        cwd: call.workdir,
        env: options.env,
        escalationEnvNames: options.escalationEnvNames ?? [],
        policy: createRulesEscalationPolicy({
          policy: options.policy,
          approver,
          preserveProgramPaths: options.preserveProgramPaths,
          writableRoots: prepared.writableRoots,
          escalatedEnv: escalationEnvFor(options.env, options.escalationEnvNames ?? []),
        }),
        askList: computeAskList(options.policy, options.preserveProgramPaths),
        stdio: "pipe",
        log: options.log,
        sandbox: prepared,
        ...(network === undefined ? {} : { network }),
        ...(options.execWrapper === undefined ? {} : { execWrapper: options.execWrapper }),
      });
      runRef.run = run;
      running.add(run);
      run.child.stdout?.on("data", (chunk: Buffer) => capture.push(chunk));
      run.child.stderr?.on("data", (chunk: Buffer) => capture.push(chunk));
      const onAbort = (): void => void run.kill();
      extra.signal.addEventListener("abort", onAbort, { once: true });
      const progressToken = request.params._meta?.progressToken;
      let ticks = 0;
      const progress =
        progressToken === undefined
          ? undefined
          : setInterval(() => {
              ticks++;
              void extra
                .sendNotification({
                  method: "notifications/progress",
                  params: {
                    progressToken,
                    progress: ticks,
                    message: `running for ${ticks}s, ${capture.receivedBytes} bytes of output`,
                  },
                })
                .catch(() => undefined);
            }, 1000);
      try {
        const exit = await run.exit;
        stopwatch.stop();
        const result = toUpstreamExecResult({
          exitCode: timedOut ? TIMEOUT_EXIT_CODE : exit.exitCode,
          output: capture.text(),
          durationMs: performance.now() - started,
          timedOut,
        });
        // Upstream's shape: the JSON as the one text content. No `structuredContent` copy: it
        // would double every large output, and declaring the `outputSchema` it needs would make
        // the tool listing differ from upstream's (README, "Differences on the wire").
        return { content: [{ type: "text", text: JSON.stringify(result) }], isError: false };
      } finally {
        running.delete(run);
        callEnded.abort();
        stopwatch.stop();
        if (progress !== undefined) clearInterval(progress);
        extra.signal.removeEventListener("abort", onAbort);
      }
    },
  );
  return {
    server,
    async killAll() {
      await Promise.all([...running].map((run) => run.kill()));
    },
  };
}

function toolError(message: string): CallToolResult {
  return { content: [{ type: "text", text: `execward: ${message}` }], isError: true };
}
