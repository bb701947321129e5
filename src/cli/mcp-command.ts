/**
 * `execward mcp`: serve MCP over stdio, a drop-in for upstream's codex-exec-mcp-server.
 * stdout carries only the protocol; every message goes to stderr.
 */
import path from "node:path";

import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

import { isExecwardError } from "../errors.js";
import { DEFAULT_ELICITATION_TIMEOUT_MS } from "../mcp/elicitation-approver.js";
import type { EarlyInitialize } from "../mcp/early-initialize.js";
import { loadNative } from "./load-native.js";
import { createExecwardMcpServer } from "../mcp/mcp-server.js";
import { LinuxSandbox } from "../sandbox/linux-sandbox.js";
import { PolicyError } from "../policy/index.js";
import { definedEnv, EXIT_FAILURE, type CliIo } from "./cli-io.js";
import { setUpAudit } from "./audit-setup.js";
import { loadRunPolicy } from "./load-rules.js";
import { filesystemRules, loadSettings, type LoadedSettings } from "./load-settings.js";
import type { McpOptions } from "./mcp-options.js";
import { describePolicyError } from "./rules-check-command.js";
import { findOnPath } from "./find-on-path.js";
import { mountpointJournalDir } from "./mountpoint-journal-dir.js";
import { loadNetworkConfig } from "./network-options.js";
import { createKernelRelay } from "../exec/kernel-relay.js";
import { NetworkApprovalBroker } from "../network/approval-broker.js";
import { NetworkPolicy } from "../network/network-policy.js";
import { NetworkProxy } from "../network/network-proxy.js";
import { sandboxPolicyFromOptions } from "./sandbox-options.js";

/**
 * Serves MCP for an already parsed command line (see mcp-options.ts). A contradiction in the
 * sandbox options throws a usage error before anything starts. `early` has been reading stdin
 * (and may have answered `initialize`) since the process started; the SDK's transport takes over
 * from it once the server is built. Whatever fails before that (the rules, the network
 * configuration) is reported on stderr and ends the process with status 1, as it did before the
 * early answer: a client sees the server close right after the handshake.
 */
export async function runMcp(
  options: McpOptions,
  elicitationTimeoutMs: number | undefined,
  io: CliIo,
  version: string,
  early: EarlyInitialize,
): Promise<number> {
  const defaultSandbox = sandboxPolicyFromOptions(options, "read-only", io.cwd);
  const shellName = options.shell;
  const shell = options.bash ?? io.env.CODEX_BASH_PATH ?? findOnPath(shellName, io.env.PATH);
  if (shell === undefined) {
    io.stderr.write(`execward: ${shellName} not found on PATH; pass --bash\n`);
    return EXIT_FAILURE;
  }
  // The settings file first: an invalid one refuses to run, naming file:line.
  let loaded: LoadedSettings;
  try {
    loaded = await loadSettings(io.env, io.cwd, options.config);
  } catch (error) {
    if (isExecwardError(error) && error.code === "invalid_settings") {
      io.stderr.write(`execward: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    throw error;
  }
  let policy;
  try {
    // Like upstream's server: the system and user layers only (no working directory at start-up).
    policy = await loadRunPolicy({ ...io, cwd: "/" }, options.rules, {
      discover: true,
      trustProject: false,
    });
  } catch (error) {
    if (error instanceof PolicyError) {
      io.stderr.write(`${describePolicyError(error)}\n`);
      return EXIT_FAILURE;
    }
    throw error;
  }
  const log = (message: string): void => void io.stderr.write(`execward: ${message}\n`);
  const native = loadNative(io);
  if (native === undefined) return EXIT_FAILURE;
  let networkProxy: NetworkProxy | undefined;
  try {
    const networkConfig = await loadNetworkConfig(options, io, policy);
    if (networkConfig.configured) {
      networkProxy = new NetworkProxy({
        policy: new NetworkPolicy(networkConfig),
        broker: new NetworkApprovalBroker(),
        log: (message) => io.stderr.write(`execward: ${message}\n`),
        relay: createKernelRelay(native.addon),
      });
    }
  } catch (error) {
    if (isExecwardError(error)) {
      io.stderr.write(`execward: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    throw error;
  }
  // Mount points left by a call are kept for a second, so a burst of calls reuses them.
  const sandbox = new LinuxSandbox({
    init: native.paths.sandboxInit,
    locks: native.addon,
    bwrap: options.bwrap,
    pathEnv: io.env.PATH,
    log,
    cleanupDelayMs: 1000,
    journalDir: mountpointJournalDir(io.env),
    filesystem: filesystemRules(loaded.settings, io.env),
  });
  // What a crashed earlier server left behind goes first.
  sandbox.sweepOrphans();
  const audit = setUpAudit(io, native.addon, {
    auditLog: options.auditLog ?? loaded.settings.auditLog,
  });
  const mcp = createExecwardMcpServer({
    native,
    audit: audit.sink,
    amend: audit.amend,
    policy,
    shell: path.resolve(shell),
    mode: options.mode,
    preserveProgramPaths: options.preserveProgramPaths,
    defaultSandbox,
    sandbox,
    networkProxy,
    env: definedEnv(io.env),
    // A --escalation-env flag given at all replaces the settings' list.
    escalationEnvNames:
      options.escalationEnv.length > 0 ? options.escalationEnv : loaded.settings.escalation.env,
    elicitationTimeoutMs: elicitationTimeoutMs ?? DEFAULT_ELICITATION_TIMEOUT_MS,
    version,
    log,
    ...(options.execve === undefined ? {} : { execWrapper: options.execve }),
  });
  const server = mcp.server;
  server.onerror = (error) => log(`MCP error: ${error.message}`);
  const stdio = early.handOver();
  const transport = new StdioServerTransport(stdio.input, stdio.output);
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
  });
  await server.connect(transport);
  // The SDK's stdio transport does not notice the client going away; end of stdin means it did
  // (early-initialize.ts has been reading stdin since start-up: it may have ended already).
  early.onInputEnd(() => void server.close());
  // A client that stops the server with a signal (the SDK's client sends SIGTERM on close) gets
  // the same orderly end: escalated programs killed, sandbox mount points removed.
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    process.once(signal, () => void server.close());
  }
  await closed;
  // The client went away: nothing it started may outlive it, pending approvals are denied, and
  // each call's sandbox is released (bounded wait) before the mount points are removed.
  await mcp.close();
  await audit.close();
  process.exit(0);
}
