/**
 * `execward run`: one shell command under the policy, from a terminal.
 *
 * Every program the command starts is decided by the rules; `prompt` asks on the terminal
 * (yes / no / always for this run); without a terminal a prompt is a deny with that reason. The
 * exit status is the command's (128 + n if a signal ended it). The command runs in the sandbox
 * (default workspace-write on the current directory); a sandbox that cannot be built is an
 * error, and the command does not run.
 */
import path from "node:path";

import { createTtyApprover } from "../approval/tty-approver.js";
import { isExecwardError } from "../errors.js";
import { loadFdPassing, nativePaths } from "../escalation/native-addon.js";
import { ExecSession } from "../exec/exec-session.js";
import type { InterceptionMode } from "../exec/intercepted-run.js";
import { createKernelRelay } from "../exec/kernel-relay.js";
import { runToolCall } from "../exec/run-tool-call.js";
import { PolicyError } from "../policy/index.js";
import { NetworkApprovalBroker } from "../network/approval-broker.js";
import { NetworkPolicy } from "../network/network-policy.js";
import { NetworkProxy } from "../network/network-proxy.js";
import { LinuxSandbox } from "../sandbox/linux-sandbox.js";
import type { SandboxPolicy } from "../sandbox/sandbox-policy.js";
import { definedEnv, EXIT_FAILURE, EXIT_USAGE, type CliIo } from "./cli-io.js";
import { loadRunPolicy } from "./load-rules.js";
import { filesystemRules, loadSettings, type LoadedSettings } from "./load-settings.js";
import { mountpointJournalDir } from "./mountpoint-journal-dir.js";
import { parseCommandLine, usage } from "./parse-command-line.js";
import { describePolicyError } from "./rules-check-command.js";
import { findOnPath } from "./find-on-path.js";
import { loadNetworkConfig, NETWORK_OPTION_SPECS, networkOptionsHelp } from "./network-options.js";
import {
  SANDBOX_OPTION_SPECS,
  sandboxOptionsHelp,
  sandboxPolicyFromOptions,
} from "./sandbox-options.js";

export const RUN_HELP = `Usage: execward run [OPTIONS] -- <COMMAND STRING>

Run a shell command with every program it starts decided by the .rules policy.

Options:
  -r, --rules <FILE>           Also load this rules file (repeatable), after the discovered ones.
      --no-discover            Load only the --rules files.
      --trust-project          Load project .codex/rules even if config.toml does not trust it.
      --preserve-program-paths Match rules against full program paths, not basenames.
      --shell <bash|zsh|sh>    The shell that runs the command (default bash).
      --mode <preload|exec-wrapper>
                               preload (default): the exec hook sees every program of every
                               dynamically linked descendant. exec-wrapper: a shell patched to
                               honour EXEC_WRAPPER (give it with --bash) asks for its own execs.
      --bash <PATH>            The shell binary to use (e.g. a patched Bash).
      --login                  Run the shell as a login shell (-lc).
      --escalation-env <NAME>  Let programs run outside the sandbox take NAME from the
                               sandboxed command (repeatable). By default they get execward's
                               own environment plus locale, terminal and time zone only.
${sandboxOptionsHelp(31, "The sandbox the command runs in (default workspace-write).")}${networkOptionsHelp(31)}  -h, --help                   Print this help.
`;

const SHELLS = new Set(["bash", "zsh", "sh"]);

export async function runRun(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  let sandboxPolicy: SandboxPolicy;
  try {
    parsed = parseCommandLine(argv, [
      { name: "rules", short: "r", kind: "values" },
      { name: "no-discover", kind: "flag" },
      { name: "trust-project", kind: "flag" },
      { name: "preserve-program-paths", kind: "flag" },
      { name: "shell", kind: "value" },
      { name: "mode", kind: "value" },
      { name: "bash", kind: "value" },
      { name: "login", kind: "flag" },
      { name: "escalation-env", kind: "values" },
      { name: "help", short: "h", kind: "flag" },
      ...SANDBOX_OPTION_SPECS,
      ...NETWORK_OPTION_SPECS,
    ]);
    if (parsed.flags.has("help")) {
      io.stdout.write(RUN_HELP);
      return 0;
    }
    if (parsed.rest.length === 0)
      throw usage("no command given: execward run [OPTIONS] -- <COMMAND STRING>");
    const shellName = parsed.values.get("shell")?.[0] ?? "bash";
    if (!SHELLS.has(shellName)) throw usage(`--shell must be bash, zsh or sh (got ${shellName})`);
    const mode = parsed.values.get("mode")?.[0] ?? "preload";
    if (mode !== "preload" && mode !== "exec-wrapper")
      throw usage(`--mode must be preload or exec-wrapper (got ${mode})`);
    sandboxPolicy = sandboxPolicyFromOptions(parsed, "workspace-write", io.cwd);
  } catch (error) {
    if (
      isExecwardError(error) &&
      (error.code === "usage" || error.code === "invalid_sandbox_policy")
    ) {
      io.stderr.write(`execward: ${error.message}\n${RUN_HELP}`);
      return EXIT_USAGE;
    }
    throw error;
  }

  const mode = (parsed.values.get("mode")?.[0] ?? "preload") as InterceptionMode;
  const shellName = parsed.values.get("shell")?.[0] ?? "bash";
  const shell = parsed.values.get("bash")?.[0] ?? findOnPath(shellName, io.env.PATH);
  if (shell === undefined) {
    io.stderr.write(`execward: ${shellName} not found on PATH\n`);
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
    policy = await loadRunPolicy(io, parsed.values.get("rules") ?? [], {
      discover: !parsed.flags.has("no-discover"),
      trustProject: parsed.flags.has("trust-project"),
    });
  } catch (error) {
    if (error instanceof PolicyError) {
      io.stderr.write(`${describePolicyError(error)}\n`);
      return EXIT_FAILURE;
    }
    throw error;
  }

  const resolvedShell = path.resolve(shell);
  let networkProxy: NetworkProxy | undefined;
  try {
    const networkConfig = await loadNetworkConfig(parsed, io, policy);
    if (networkConfig.configured)
      networkProxy = new NetworkProxy({
        policy: new NetworkPolicy(networkConfig),
        broker: new NetworkApprovalBroker(),
        log: (message) => io.stderr.write(`execward: ${message}\n`),
        relay: createKernelRelay(loadFdPassing()),
      });
  } catch (error) {
    if (isExecwardError(error)) {
      io.stderr.write(`execward: ${error.message}\n`);
      return error.code === "usage" ? EXIT_USAGE : EXIT_FAILURE;
    }
    throw error;
  }
  const env = definedEnv(io.env);
  const sandbox = new LinuxSandbox({
    init: nativePaths().sandboxInit,
    locks: loadFdPassing(),
    bwrap: parsed.values.get("bwrap")?.[0],
    pathEnv: io.env.PATH,
    log: (message) => io.stderr.write(`${message}\n`),
    journalDir: mountpointJournalDir(io.env),
    filesystem: filesystemRules(loaded.settings, io.env),
  });
  // What a crashed earlier execward left behind goes first.
  sandbox.sweepOrphans();
  const session = new ExecSession({
    policy,
    shell: resolvedShell,
    mode,
    preserveProgramPaths: parsed.flags.has("preserve-program-paths"),
    env,
    // The flags replace the settings' list.
    escalationEnvNames: parsed.values.get("escalation-env") ?? loaded.settings.escalation.env,
    sandbox,
    networkProxy,
    execWrapper: mode === "exec-wrapper" ? nativePaths().wrapper : undefined,
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
      command: parsed.rest.join(" "),
      workdir: io.cwd,
      login: parsed.flags.has("login"),
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
  }
}
