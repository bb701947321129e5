/**
 * Runs a shell command under real interception (the built hook or wrapper, the real escalation
 * server) with a policy given as rules text, and collects its output and every decision made.
 */
import { loadNativeParts } from "../../src/native/native-addon.js";
import { FixedApprover } from "../../src/approval/fixed-approver.js";
import type { ApprovalAnswer } from "../../src/approval/approver.js";
import type {
  EscalationDecision,
  EscalationPolicy,
  ExecRequest,
} from "../../src/escalation/escalation-policy.js";
import { computeAskList } from "../../src/escalation/ask-list.js";
import { createRulesEscalationPolicy } from "../../src/escalation/rules-escalation-policy.js";
import {
  runRequirements,
  startInterceptedRun,
  type InterceptionMode,
} from "../../src/exec/intercepted-run.js";
import { parsePolicy } from "../../src/policy/index.js";
import type { Approver } from "../../src/approval/approver.js";
import { networkContext } from "../../src/exec/network-context.js";
import type { NetworkProxy } from "../../src/network/network-proxy.js";
import type { LinuxSandbox } from "../../src/sandbox/linux-sandbox.js";
import type { SandboxPolicy } from "../../src/sandbox/sandbox-policy.js";

export interface InterceptedResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly decisions: { request: ExecRequest; decision: EscalationDecision }[];
  readonly approver: FixedApprover;
}

export interface InterceptedOptions {
  readonly rules?: string;
  readonly answer?: ApprovalAnswer;
  readonly shell?: string;
  readonly mode?: InterceptionMode;
  readonly cwd?: string;
  readonly env?: Record<string, string>;
  /** Variables an escalated program may take from the request (`--escalation-env`). */
  readonly escalationEnvNames?: readonly string[];
  readonly useAskList?: boolean;
  readonly writableRoots?: readonly string[];
  readonly execWrapper?: string;
  /** Run inside this sandbox (the policy's cwd is `cwd`). */
  readonly sandbox?: { readonly launcher: LinuxSandbox; readonly policy: SandboxPolicy };
  /** The proxy the sandbox reaches; network questions go to `approver` (default: the run's). */
  readonly network?: { readonly proxy: NetworkProxy; readonly approver?: Approver };
}

export async function runIntercepted(
  command: string,
  options: InterceptedOptions = {},
): Promise<InterceptedResult> {
  const policy = parsePolicy([{ name: "test.rules", text: options.rules ?? "" }], {
    paths: { cwd: "/", home: "/root" },
  });
  const approver = new FixedApprover(options.answer ?? "decline");
  const cwd = options.cwd ?? process.cwd();
  const shell = options.shell ?? "/bin/bash";
  const prepared = await options.sandbox?.launcher.prepare({
    policy: options.sandbox.policy,
    policyCwd: cwd,
    commandCwd: cwd,
    tmpdir: undefined,
    required: runRequirements(shell, options.execWrapper, loadNativeParts().paths),
  });
  const rules = createRulesEscalationPolicy({
    policy,
    approver,
    writableRoots: options.writableRoots ?? prepared?.writableRoots ?? [],
  });
  const decisions: { request: ExecRequest; decision: EscalationDecision }[] = [];
  const recording: EscalationPolicy = {
    async decide(request, signal) {
      const decision = await rules.decide(request, signal);
      decisions.push({ request, decision });
      return decision;
    },
  };
  const run = startInterceptedRun({
    native: loadNativeParts(),
    command,
    shell,
    login: false,
    mode: options.mode ?? "preload",
    cwd,
    // A plain PATH: the tests must not depend on version-manager shims installed on the machine.
    env: {
      PATH: "/usr/local/bin:/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      ...options.env,
    },
    ...(options.escalationEnvNames === undefined
      ? {}
      : { escalationEnvNames: options.escalationEnvNames }),
    policy: recording,
    askList: options.useAskList === false ? undefined : computeAskList(policy, false),
    stdio: "pipe",
    log: () => undefined,
    ...(prepared === undefined ? {} : { sandbox: prepared }),
    ...(options.network === undefined
      ? {}
      : {
          network: {
            proxy: options.network.proxy,
            context: networkContext(
              command,
              options.network.approver ?? approver,
              new AbortController().signal,
            ),
          },
        }),
    ...(options.execWrapper === undefined ? {} : { execWrapper: options.execWrapper }),
  });
  let stdout = "";
  let stderr = "";
  run.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  run.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exit = await run.exit;
  await run.cleanedUp;
  return { exitCode: exit.exitCode, stdout, stderr, decisions, approver };
}
