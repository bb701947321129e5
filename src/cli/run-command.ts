/**
 * `execward run`: one shell command under the policy, from a terminal.
 *
 * Every program the command starts is decided by the rules; `prompt` asks on the terminal
 * (once / for this run / always, written to $CODEX_HOME/rules/default.rules / no); without a
 * terminal a prompt is a deny with that reason. Decisions go to --audit-log and, with
 * --verbose, to stderr as they happen. The
 * exit status is the command's (128 + n if a signal ended it). The command runs in the sandbox
 * (default workspace-write on the current directory); a sandbox that cannot be built is an
 * error, and the command does not run.
 */
import path from "node:path";

import { createTtyApprover } from "../approval/tty-approver.js";
import { isExecwardError } from "../errors.js";
import { loadNative } from "./load-native.js";
import { ExecSession } from "../exec/exec-session.js";
import { createKernelRelay } from "../exec/kernel-relay.js";
import { runToolCall } from "../exec/run-tool-call.js";
import { PolicyError } from "../policy/index.js";
import { NetworkApprovalBroker } from "../network/approval-broker.js";
import { NetworkPolicy } from "../network/network-policy.js";
import { NetworkProxy } from "../network/network-proxy.js";
import { LinuxSandbox } from "../sandbox/linux-sandbox.js";
import { definedEnv, EXIT_FAILURE, type CliIo } from "./cli-io.js";
import { setUpAudit } from "./audit-setup.js";
import { loadRunPolicy } from "./load-rules.js";
import { filesystemRules, loadSettings, type LoadedSettings } from "./load-settings.js";
import { mountpointJournalDir } from "./mountpoint-journal-dir.js";
import { describePolicyError } from "./rules-check-command.js";
import { findOnPath } from "./find-on-path.js";
import { loadNetworkConfig } from "./network-options.js";
import type { RunOptions } from "./run-options.js";
import { sandboxPolicyFromOptions } from "./sandbox-options.js";

/**
 * Runs an already parsed command line (see run-options.ts). A contradiction in the sandbox
 * options throws a usage error before anything starts.
 */
export async function runRun(options: RunOptions, command: string, io: CliIo): Promise<number> {
  const sandboxPolicy = sandboxPolicyFromOptions(options, "workspace-write", io.cwd);
  const mode = options.mode;
  const shellName = options.shell;
  const shell = options.bash ?? findOnPath(shellName, io.env.PATH);
  if (shell === undefined) {
    io.stderr.write(`execward: ${shellName} not found on PATH\n`);
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
    policy = await loadRunPolicy(io, options.rules, {
      discover: !options.noDiscover,
      trustProject: options.trustProject,
    });
  } catch (error) {
    if (error instanceof PolicyError) {
      io.stderr.write(`${describePolicyError(error)}\n`);
      return EXIT_FAILURE;
    }
    throw error;
  }

  const resolvedShell = path.resolve(shell);
  const native = loadNative(io);
  if (native === undefined) return EXIT_FAILURE;
  let networkProxy: NetworkProxy | undefined;
  try {
    const networkConfig = await loadNetworkConfig(options, io, policy);
    if (networkConfig.configured)
      networkProxy = new NetworkProxy({
        policy: new NetworkPolicy(networkConfig),
        broker: new NetworkApprovalBroker(),
        log: (message) => io.stderr.write(`execward: ${message}\n`),
        relay: createKernelRelay(native.addon),
      });
  } catch (error) {
    if (isExecwardError(error)) {
      io.stderr.write(`execward: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    throw error;
  }
  const env = definedEnv(io.env);
  const sandbox = new LinuxSandbox({
    init: native.paths.sandboxInit,
    locks: native.addon,
    bwrap: options.bwrap,
    pathEnv: io.env.PATH,
    log: (message) => io.stderr.write(`${message}\n`),
    journalDir: mountpointJournalDir(io.env),
    filesystem: filesystemRules(loaded.settings, io.env),
  });
  // What a crashed earlier execward left behind goes first.
  sandbox.sweepOrphans();
  const audit = setUpAudit(io, native.addon, {
    auditLog: options.auditLog ?? loaded.settings.auditLog,
    verbose: options.verbose,
  });
  const session = new ExecSession({
    native,
    audit: audit.sink,
    amend: audit.amend,
    policy,
    shell: resolvedShell,
    mode,
    preserveProgramPaths: options.preserveProgramPaths,
    env,
    // A --escalation-env flag given at all replaces the settings' list.
    escalationEnvNames:
      options.escalationEnv.length > 0 ? options.escalationEnv : loaded.settings.escalation.env,
    sandbox,
    networkProxy,
    execWrapper: mode === "exec-wrapper" ? native.paths.wrapper : undefined,
    log: (message) => io.stderr.write(`execward: ${message}\n`),
  });
  // Ctrl-C reaches the whole foreground group; execward must outlive the command long enough to
  // end its escalated programs and remove the sandbox's mount points.
  let forward: ((signal: NodeJS.Signals) => void) | undefined;
  const onSignal = (signal: NodeJS.Signals): void => forward?.(signal);
  const signals = ["SIGTERM", "SIGHUP", "SIGINT"] as const;
  for (const signal of signals) process.on(signal, onSignal);
  try {
    const outcome = await runToolCall(session, {
      command,
      workdir: io.cwd,
      login: options.login,
      sandbox: { policy: sandboxPolicy, policyCwd: io.cwd },
      stdio: "inherit",
      foreground: true,
      approver: () => createTtyApprover(),
      onStarted: (started) => {
        forward = (signal) => started.signal(signal);
        if (!started.sandboxed)
          io.stderr.write(
            `execward: note: ${sandboxPolicy.type}: no sandbox; programs run with your own permissions\n`,
          );
      },
    });
    if (outcome.kind === "refused") {
      io.stderr.write(`execward: ${outcome.reason}\n`);
      return EXIT_FAILURE;
    }
    await outcome.cleanedUp;
    return outcome.result.exitCode;
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
    await session.close();
    await audit.close();
  }
}
