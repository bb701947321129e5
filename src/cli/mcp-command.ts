/**
 * `execward mcp`: serve MCP over stdio, a drop-in for upstream's codex-exec-mcp-server.
 * stdout carries only the protocol; every message goes to stderr.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

import { isExecwardError } from "../errors.js";
import type { InterceptionMode } from "../exec/intercepted-run.js";
import { DEFAULT_ELICITATION_TIMEOUT_MS } from "../mcp/elicitation-approver.js";
import { loadFdPassing, nativePaths } from "../escalation/native-addon.js";
import { createExecwardMcpServer } from "../mcp/mcp-server.js";
import { LinuxSandbox } from "../sandbox/linux-sandbox.js";
import type { SandboxPolicy } from "../sandbox/sandbox-policy.js";
import { PolicyError } from "../policy/index.js";
import { definedEnv, EXIT_FAILURE, EXIT_USAGE, type CliIo } from "./cli-io.js";
import { loadRunPolicy } from "./load-rules.js";
import { filesystemRules, loadSettings, type LoadedSettings } from "./load-settings.js";
import { parseCommandLine, usage } from "./parse-command-line.js";
import { describePolicyError } from "./rules-check-command.js";
import { findOnPath } from "./find-on-path.js";
import { mountpointJournalDir } from "./mountpoint-journal-dir.js";
import { loadNetworkConfig, NETWORK_OPTION_SPECS, networkOptionsHelp } from "./network-options.js";
import { createKernelRelay } from "../exec/kernel-relay.js";
import { NetworkApprovalBroker } from "../network/approval-broker.js";
import { NetworkPolicy } from "../network/network-policy.js";
import { NetworkProxy } from "../network/network-proxy.js";
import {
  SANDBOX_OPTION_SPECS,
  sandboxOptionsHelp,
  sandboxPolicyFromOptions,
} from "./sandbox-options.js";

export const MCP_HELP = `Usage: execward mcp [OPTIONS]

Serve the \`shell\` tool over MCP (stdio): a drop-in for codex-exec-mcp-server.

Options:
      --bash <PATH>              The shell binary (default: bash on PATH, or $CODEX_BASH_PATH).
      --execve <PATH>            The execve wrapper for --mode exec-wrapper (default: execward's).
      --shell <bash|zsh|sh>      Shell to look up on PATH when --bash is not given (default bash).
      --mode <preload|exec-wrapper>
      --preserve-program-paths   Match rules against full program paths, not basenames.
      --escalation-env <NAME>    Let programs run outside the sandbox take NAME from the
                                 sandboxed command (repeatable; default: locale, terminal and
                                 time zone only, on top of execward's own environment).
${sandboxOptionsHelp(33, "The sandbox until the client sends its own (default read-only).")}${networkOptionsHelp(33)}  -r, --rules <FILE>             Also load this rules file (repeatable), after $CODEX_HOME/rules.
      --elicitation-timeout-ms <MS>
                                 How long an approval may stay unanswered (default 600000).
  -V, --version                  Print the version.
  -h, --help                     Print this help.
`;

export async function runMcp(argv: readonly string[], io: CliIo, version: string): Promise<number> {
  let parsed;
  let defaultSandbox: SandboxPolicy;
  try {
    parsed = parseCommandLine(argv, [
      { name: "bash", kind: "value" },
      { name: "execve", kind: "value" },
      { name: "shell", kind: "value" },
      { name: "mode", kind: "value" },
      { name: "preserve-program-paths", kind: "flag" },
      { name: "escalation-env", kind: "values" },
      ...SANDBOX_OPTION_SPECS,
      ...NETWORK_OPTION_SPECS,
      { name: "rules", short: "r", kind: "values" },
      { name: "elicitation-timeout-ms", kind: "value" },
      { name: "version", short: "V", kind: "flag" },
      { name: "help", short: "h", kind: "flag" },
    ]);
    if (parsed.rest.length > 0)
      throw usage(`unexpected argument ${JSON.stringify(parsed.rest[0])}`);
    const mode = parsed.values.get("mode")?.[0] ?? "preload";
    if (mode !== "preload" && mode !== "exec-wrapper")
      throw usage(`--mode must be preload or exec-wrapper (got ${mode})`);
    defaultSandbox = sandboxPolicyFromOptions(parsed, "read-only", io.cwd);
    const timeout = parsed.values.get("elicitation-timeout-ms")?.[0];
    if (timeout !== undefined && !/^\d+$/.test(timeout))
      throw usage("--elicitation-timeout-ms takes a number of milliseconds");
  } catch (error) {
    if (
      isExecwardError(error) &&
      (error.code === "usage" || error.code === "invalid_sandbox_policy")
    ) {
      io.stderr.write(`execward: ${error.message}\n${MCP_HELP}`);
      return EXIT_USAGE;
    }
    throw error;
  }
  if (parsed.flags.has("help")) {
    io.stdout.write(MCP_HELP);
    return 0;
  }
  if (parsed.flags.has("version")) {
    io.stdout.write(`execward ${version}\n`);
    return 0;
  }
  const shellName = parsed.values.get("shell")?.[0] ?? "bash";
  const shell =
    parsed.values.get("bash")?.[0] ?? io.env.CODEX_BASH_PATH ?? findOnPath(shellName, io.env.PATH);
  if (shell === undefined) {
    io.stderr.write(`execward: ${shellName} not found on PATH; pass --bash\n`);
    return EXIT_FAILURE;
  }
  // The settings file first: an invalid one refuses to run, naming file:line.
  let loaded: LoadedSettings;
  try {
    loaded = await loadSettings(io.env, io.cwd, parsed.values.get("config")?.[0]);
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
    policy = await loadRunPolicy({ ...io, cwd: "/" }, parsed.values.get("rules") ?? [], {
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
  let networkProxy: NetworkProxy | undefined;
  try {
    const networkConfig = await loadNetworkConfig(parsed, io, policy);
    if (networkConfig.configured) {
      networkProxy = new NetworkProxy({
        policy: new NetworkPolicy(networkConfig),
        broker: new NetworkApprovalBroker(),
        log: (message) => io.stderr.write(`execward: ${message}\n`),
        relay: createKernelRelay(loadFdPassing()),
      });
    }
  } catch (error) {
    if (isExecwardError(error)) {
      io.stderr.write(`execward: ${error.message}\n`);
      return error.code === "usage" ? EXIT_USAGE : EXIT_FAILURE;
    }
    throw error;
  }
  // Mount points left by a call are kept for a second, so a burst of calls reuses them.
  const sandbox = new LinuxSandbox({
    init: nativePaths().sandboxInit,
    locks: loadFdPassing(),
    bwrap: parsed.values.get("bwrap")?.[0],
    pathEnv: io.env.PATH,
    log,
    cleanupDelayMs: 1000,
    journalDir: mountpointJournalDir(io.env),
    filesystem: filesystemRules(loaded.settings, io.env),
  });
  // What a crashed earlier server left behind goes first.
  sandbox.sweepOrphans();
  const mcp = createExecwardMcpServer({
    policy,
    shell: path.resolve(shell),
    mode: (parsed.values.get("mode")?.[0] ?? "preload") as InterceptionMode,
    preserveProgramPaths: parsed.flags.has("preserve-program-paths"),
    defaultSandbox,
    sandbox,
    networkProxy,
    env: definedEnv(io.env),
    // The flags replace the settings' list.
    escalationEnvNames: parsed.values.get("escalation-env") ?? loaded.settings.escalation.env,
    elicitationTimeoutMs: Number(
      parsed.values.get("elicitation-timeout-ms")?.[0] ?? DEFAULT_ELICITATION_TIMEOUT_MS,
    ),
    version,
    log,
    ...(parsed.values.get("execve")?.[0] === undefined
      ? {}
      : { execWrapper: parsed.values.get("execve")?.[0] }),
  });
  const server = mcp.server;
  server.onerror = (error) => log(`MCP error: ${error.message}`);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
  });
  await server.connect(transport);
  // The SDK's stdio transport does not notice the client going away; end of stdin means it did.
  process.stdin.once("end", () => void server.close());
  // A client that stops the server with a signal (the SDK's client sends SIGTERM on close) gets
  // the same orderly end: escalated programs killed, sandbox mount points removed.
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    process.once(signal, () => void server.close());
  }
  await closed;
  // The client went away: nothing it started may outlive it, pending approvals are denied, and
  // each call's sandbox is released (bounded wait) before the mount points are removed.
  await mcp.close();
  process.exit(0);
}

export function readPackageVersion(): string {
  const packageJson = JSON.parse(
    readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
  ) as { version?: string };
  return packageJson.version ?? "unknown";
}
