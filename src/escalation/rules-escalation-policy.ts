/**
 * The EscalationPolicy built on `.rules`, with upstream's decision table:
 *
 *   forbidden                       deny "Execution forbidden by policy: forbidden by
 *                                   <file>:<line>[: justification]" (upstream's words first)
 *   allow (a rule matched)          escalate (run outside the sandbox)
 *   prompt                          ask: yes → escalate; no → "User declined execution" /
 *                                   "User cancelled execution"
 *   no rule, dangerous heuristic    ask: yes → run in the sandbox; no → deny
 *   no rule                         run in the sandbox
 *
 * The program token is a file's basename (or its full path with `preserveProgramPaths`);
 * argv[0] is ignored, as upstream. What a request names is judged by what actually runs
 * (issue 16, E4), every name counting and the stricter outcome winning:
 * - the program as named, and its canonical path in the sandbox's view (symlinks, /dev/fd/N,
 *   /dev/shm links resolved as the sandbox's kernel would: `ln -s /bin/rm x; ./x` is `rm`);
 * - each `#!` interpreter as the kernel runs it: `[interpreter, arg?, script, args...]`;
 * - a program with no name (memfd, deleted file) is refused: no rule can be checked.
 * Escalation (E2, E3) on top:
 * - only when the server matched every file of the chain and the working directory to the same
 *   inodes on the host (the launcher then starts exactly those), and only on names the program
 *   has on the host too: a name that exists only in the sandbox's view cannot vouch for it;
 * - a file the sandbox could write (the program, a link naming it, an interpreter) never
 *   escalates on a basename rule alone: it needs a `host_executable` entry listing that path, or
 *   a human's yes with the real path shown;
 * - git whose configuration, hooks or repository the sandbox could have written asks the
 *   human, naming the path (git-exposure.ts), and is refused when nobody can be asked;
 * - a request that is not valid UTF-8 never escalates.
 * "Yes for this session" answers are remembered per exact program file, arguments, working
 * directory and reason for asking. "Always" writes an allow prefix_rule (program token and
 * arguments) through `allowAlways`, only for questions whose yes runs the program outside the
 * sandbox: for the dangerous-command question (a yes runs it inside) an allow rule would change
 * where it runs, so "always" is not offered there. An allow rule never vouches for a file or a
 * git configuration the sandbox can write (those checks run whatever the rules say), so an
 * "always" given to such a question is asked again when the exposure is still there.
 */
import path from "node:path";

import type { ApprovalAnswer, Approver, ExecApprovalRequest } from "../approval/approver.js";
import {
  stricterDecision,
  type Decision,
  type Policy,
  type PrefixRuleMatch,
  allowPrefixRuleLine,
  launcherReason,
  type RuleSource,
} from "../policy/index.js";
import { isWithin } from "../sandbox/plan-bwrap.js";
import { PROTECTED_SUBPATHS } from "../sandbox/sandbox-policy.js";
import { commandMightBeDangerous } from "./dangerous-command.js";
import type { EscalationDecision, EscalationPolicy, ExecRequest } from "./escalation-policy.js";
import { escalationEnvFor } from "./escalated-env.js";
import { gitConfigExposure } from "./git-exposure.js";
import { isLoaderName, loadedProgramIndex } from "./loader-invocation.js";
import { appletCommand, isMultiCallName } from "./multi-call.js";
import type { ProgramInspection } from "./program-inspection.js";

export interface RulesEscalationPolicyOptions {
  readonly policy: Policy;
  readonly approver: Approver;
  /** Match rules against the full program path instead of its basename. */
  readonly preserveProgramPaths?: boolean;
  /** Absolute directories the sandboxed command can write (their .git, .codex, .agents excepted). */
  readonly writableRoots: readonly string[];
  /**
   * The environment an escalated program of this request gets, to know which configuration git
   * would read (default: execward's own environment, as the executor gives it).
   */
  readonly escalatedEnv?: (request: ExecRequest) => Readonly<Record<string, string>>;
  /**
   * Called once per decision with what it rested on (for the audit log); a throwing observer
   * never changes a decision.
   */
  readonly onDecided?: (request: ExecRequest, basis: DecisionBasis) => void;
  /**
   * "Always": writes an allow prefix_rule for `prefix` and applies it to the running server.
   * Absent: "always" is not offered. A rejection is reported by the caller's log, and the yes
   * still stands for this session.
   */
  readonly allowAlways?: (prefix: readonly string[]) => Promise<void>;
  /** Where failures to persist an "always" are reported. */
  readonly log?: (message: string) => void;
}

/** What one decision rested on, for the audit log. */
export interface DecisionBasis {
  readonly decision: EscalationDecision;
  /** Why, in words (for a deny, the reason the requester sees). */
  readonly reason: string;
  /** The rule that decided (its file and line), if one did. */
  readonly rule?: RuleSource;
  /** A human's part, when one was asked (or an earlier "for this session" answer reused). */
  readonly approval?: {
    readonly via: string;
    readonly answer: ApprovalAnswer | "remembered";
    /** The rule an "always" wrote. */
    readonly wrote?: string;
  };
}

export const FORBIDDEN_REASON = "Execution forbidden by policy";
export const DECLINED_REASON = "User declined execution";
export const CANCELLED_REASON = "User cancelled execution";
export const ANONYMOUS_REASON =
  "execward cannot tell which program this is (a memfd or a deleted file run through a descriptor), so no rule can be checked";

interface Judgement {
  /** The command as named, for the dangerous-command heuristic. */
  readonly command: readonly string[];
  /** Every command the program is run as (as named, canonical, each #! level), for the heuristic. */
  readonly commands: readonly (readonly string[])[];
  /** Stricter of every name's outcome. */
  readonly decision: Decision | undefined;
  /** Stricter of the outcomes of names the program also has on the host. */
  readonly hostDecision: Decision | undefined;
  readonly matchedRules: readonly PrefixRuleMatch[];
  /** The program is the dynamic loader with options execward cannot read. */
  readonly loaderUnreadable: boolean;
}

export function createRulesEscalationPolicy(
  options: RulesEscalationPolicyOptions,
): EscalationPolicy {
  const approvedForSession = new Set<string>();
  const canWrite = sandboxCanWrite(options.writableRoots);

  /** The human's part of the decision being made, keyed by request (read by `decide`). */
  const approvals = new WeakMap<ExecRequest, NonNullable<DecisionBasis["approval"]>>();

  const ask = async (
    request: ExecRequest,
    program: string,
    reason: string,
    justification: string | undefined,
    cause: AskCause,
    signal: AbortSignal,
  ): Promise<ApprovalAnswer> => {
    const runs = cause.kind === "heuristic" ? "inside-sandbox" : "outside-sandbox";
    // A yes covers the same question only: the same file and arguments, in the same directory,
    // for the same reasons (a later repository the sandbox made is a different question).
    const key = JSON.stringify([program, request.argv.slice(1), request.workdir, reason]);
    const via = options.approver.via ?? "approver";
    if (approvedForSession.has(key)) {
      approvals.set(request, { via, answer: "remembered" });
      return "accept";
    }
    const prefix = [
      options.preserveProgramPaths === true ? program : path.basename(program),
      ...request.argv.slice(1),
    ];
    const always = alwaysOffer(cause, prefix);
    let answer: ApprovalAnswer;
    try {
      answer = await options.approver.ask(
        {
          kind: "exec",
          program,
          args: request.argv.slice(1),
          workdir: request.workdir,
          reason,
          runs,
          always,
          ...(justification === undefined ? {} : { justification }),
        },
        signal,
      );
    } catch (error) {
      throw new ApprovalUnavailable(error instanceof Error ? error.message : String(error));
    }
    if (answer === "accept-always" && "unavailable" in always) answer = "accept-for-session";
    let wrote: string | undefined;
    if (answer === "accept-always" && "rule" in always && options.allowAlways !== undefined) {
      try {
        await options.allowAlways(prefix);
        wrote = always.rule;
      } catch (error) {
        options.log?.(
          `could not save "always allow" (${error instanceof Error ? error.message : String(error)}); the yes holds for this session only`,
        );
      }
    }
    if (answer === "accept-for-session" || answer === "accept-always") approvedForSession.add(key);
    approvals.set(request, { via, answer, ...(wrote === undefined ? {} : { wrote }) });
    return answer;
  };

  /**
   * What "always" would write for this question, or why it is not offered. An allow rule changes
   * the answer to one question only: the dangerous-command question (no rule matched). A prompt
   * rule still asks (the stricter rule wins), and a writable program file or git configuration
   * the sandbox could have written is checked whatever the rules say, so there an "always" would
   * be a promise that is not kept: not offered, and the reason is shown. Launchers and
   * interpreters (a shell, env, python...) are never written: an allow rule on them runs
   * whatever they start outside the sandbox, unseen.
   */
  const alwaysOffer = (
    cause: AskCause,
    prefix: readonly string[],
  ): ExecApprovalRequest["always"] => {
    if (options.allowAlways === undefined)
      return { unavailable: "this session cannot write rules" };
    switch (cause.kind) {
      case "prompt-rule":
        return {
          unavailable: `a prompt rule${cause.rule === undefined ? "" : ` (${cause.rule.file}:${cause.rule.line})`} asks every time and an allow rule cannot override it; change that rule instead`,
        };
      case "exposure":
        return {
          unavailable:
            "what asks is a file or configuration the sandbox can write, which is checked every time whatever the rules say",
        };
      case "heuristic": {
        const [program = "", ...rest] = prefix;
        const launcher = launcherReason(
          program,
          rest.map((token) => ({ kind: "single", token })),
        );
        if (launcher !== undefined || INTERPRETERS.test(path.basename(program)))
          return {
            unavailable: `an allow rule for ${path.basename(program)} would run what it starts outside the sandbox, unseen${launcher === undefined ? "" : ` (${launcher})`}`,
          };
        return {
          rule: allowPrefixRuleLine(prefix),
          effect: "from then on it runs OUTSIDE the sandbox, with your permissions, without asking",
        };
      }
    }
  };

  return {
    async decide(request, signal): Promise<EscalationDecision> {
      const basis = await decideWithBasis(request, signal);
      const approval = approvals.get(request);
      try {
        options.onDecided?.(request, approval === undefined ? basis : { ...basis, approval });
      } catch {
        // the audit must never change a decision
      }
      return basis.decision;
    },
  };

  async function decideWithBasis(
    request: ExecRequest,
    signal: AbortSignal,
  ): Promise<DecisionBasis> {
    if (request.inspection.anonymous) return denied(ANONYMOUS_REASON);
    if (request.inspection.unjudgeable !== undefined)
      return denied(`execward cannot tell what would run: ${request.inspection.unjudgeable}`);
    const judgement = judge(options, request);
    if (judgement.loaderUnreadable)
      return denied(
        "the dynamic loader is run with options execward cannot read, so the program it loads cannot be judged",
      );
    const deciding = judgement.matchedRules.filter(
      (match) => match.decision === judgement.decision,
    );
    const justification = deciding.find(
      (match) => match.justification !== undefined,
    )?.justification;
    const rule = deciding[0]?.source;
    const withRule = (basis: DecisionBasis): DecisionBasis =>
      rule === undefined ? basis : { ...basis, rule };
    try {
      switch (judgement.decision) {
        case "forbidden":
          return withRule(denied(forbiddenReason(rule, justification)));
        case "allow":
        case "prompt":
          return withRule(await escalateOrAsk(judgement, request, justification, rule, signal));
        case undefined: {
          if (!judgement.commands.some((command) => commandMightBeDangerous([...command])))
            return { decision: { action: "run" }, reason: "no rule matched" };
          const why = "this command might be destructive (no rule covers it)";
          return answerToBasis(
            await ask(request, request.file, why, undefined, { kind: "heuristic" }, signal),
            { action: "run" },
            why,
          );
        }
      }
    } catch (error) {
      if (error instanceof ApprovalUnavailable)
        return withRule(denied(`approval required, but ${error.message}`));
      throw error;
    }
  }

  async function escalateOrAsk(
    judgement: Judgement,
    request: ExecRequest,
    justification: string | undefined,
    promptRule: RuleSource | undefined,
    signal: AbortSignal,
  ): Promise<DecisionBasis> {
    const decision = judgement.decision as Extract<Decision, "allow" | "prompt">;
    if (!request.faithful) {
      return denied(
        "the command's name or arguments are not valid UTF-8, so execward cannot show or escalate it",
      );
    }
    const host = request.inspection.host;
    if (host === undefined) {
      return denied(
        `a rule would run this program outside the sandbox, but ${request.inspection.hostProblem ?? "execward could not verify it"}`,
      );
    }
    if (judgement.hostDecision !== "allow" && judgement.hostDecision !== "prompt") {
      return denied(
        `the rule matched ${request.file}, a name this program (${host.programPath}) has only inside the sandbox`,
      );
    }
    const named = path.resolve(request.workdir, request.file);
    // The program's own file may be vouched for by the rule (a host_executable entry, or a rule
    // naming its full path); an interpreter the sandbox can write never is.
    const listed =
      options.policy.hostExecutables
        .get(path.basename(host.programPath))
        ?.some((entry) => entry === host.programPath || entry === named) === true;
    const programVouched = listed || options.preserveProgramPaths === true;
    const writableFile = [
      ...(programVouched ? [] : [named, host.programPath]),
      ...host.interpreterPaths,
    ].find(canWrite);
    const reasons: string[] = [];
    if (decision === "prompt") reasons.push("a rule asks for approval");
    if (writableFile !== undefined) {
      reasons.push(
        `the file ${writableFile} is writable from the sandbox, so the allow rule for ${path.basename(request.file)} alone cannot vouch for it`,
      );
    }
    if (path.basename(host.programPath) === "git" || path.basename(named) === "git") {
      const exposure = gitExposure(request, host.workdirPath);
      if (exposure !== undefined) reasons.push(exposure);
    }
    if (decision === "allow" && reasons.length === 0)
      return { decision: { action: "escalate" }, reason: "an allow rule matched" };
    const why = reasons.join("; ");
    return answerToBasis(
      await ask(
        request,
        host.programPath,
        why,
        justification,
        decision === "prompt" ? { kind: "prompt-rule", rule: promptRule } : { kind: "exposure" },
        signal,
      ),
      { action: "escalate" },
      why,
    );
  }

  function gitExposure(request: ExecRequest, workdir: string): string | undefined {
    try {
      const exposure = gitConfigExposure({
        argv: request.argv,
        workdir,
        env: (options.escalatedEnv ?? escalationEnvFor(processEnv()))(request),
        sandboxCanWrite: canWrite,
      });
      return exposure.exposed ? exposure.reason : undefined;
    } catch (error) {
      return `execward could not check which configuration git would read (${error instanceof Error ? error.message : String(error)})`;
    }
  }
}

class ApprovalUnavailable extends Error {}

/** Why a human is asked, which decides what "always" can mean. */
type AskCause =
  | { readonly kind: "heuristic" }
  | { readonly kind: "prompt-rule"; readonly rule: RuleSource | undefined }
  | { readonly kind: "exposure" };

/** Programs that run code they are given: never the subject of an "always". */
const INTERPRETERS =
  /^(ba|da|z|k|c|tc|fi|)sh$|^(env|sudo|doas|su|nohup|timeout|nice|xargs|exec|command|python[0-9.]*|node|nodejs|deno|bun|perl|ruby|php|lua|tclsh|awk|gawk|busybox)$/;

/** Every name the request's program has, each judged; the stricter outcome wins. */
function judge(options: RulesEscalationPolicyOptions, request: ExecRequest): Judgement {
  const token = (file: string): string =>
    options.preserveProgramPaths === true ? file : path.basename(file);
  const args = request.argv.slice(1);
  const command = [token(request.file), ...args];
  const inspection: ProgramInspection = request.inspection;
  // [name, rest of argv, does the host give the program this name too?]
  const candidates: { name: string; rest: readonly string[]; onHost: boolean }[] = [
    { name: request.file, rest: args, onHost: inspection.program.namedOnHost },
  ];
  if (inspection.program.canonical !== undefined)
    candidates.push({ name: inspection.program.canonical, rest: args, onHost: true });
  // The kernel runs `#!` scripts as [interpreter, arg?, script as named, args...].
  let argv: readonly string[] = [request.file, ...args];
  for (const interpreter of inspection.interpreters) {
    const rest = [...(interpreter.arg === undefined ? [] : [interpreter.arg]), ...argv];
    candidates.push({ name: interpreter.file.named, rest, onHost: interpreter.file.namedOnHost });
    if (interpreter.file.canonical !== undefined)
      candidates.push({ name: interpreter.file.canonical, rest, onHost: true });
    argv = [interpreter.file.named, ...rest];
  }
  // The loader run as a program is judged as the program it loads (by its name only: the
  // hook and the exec supervisor resolve it further before they ask).
  let loaderUnreadable = false;
  if (candidates.some((candidate) => isLoaderName(candidate.name))) {
    const index = loadedProgramIndex(request.argv);
    if (index === "unknown") loaderUnreadable = true;
    else if (index !== undefined)
      candidates.push({
        name: path.resolve(request.workdir, request.argv[index] as string),
        rest: request.argv.slice(index + 1),
        onHost: false,
      });
  }
  // `busybox rm f` runs rm inside busybox: judged as `rm f` too.
  if (candidates.some((candidate) => isMultiCallName(candidate.name))) {
    const applet = appletCommand(request.argv);
    if (applet !== undefined)
      candidates.push({ name: applet[0] as string, rest: applet.slice(1), onHost: false });
  }
  let decision: Decision | undefined;
  let hostDecision: Decision | undefined;
  const matchedRules: PrefixRuleMatch[] = [];
  const seen = new Set<string>();
  for (const candidate of candidates) {
    const words = [token(candidate.name), ...candidate.rest];
    const key = JSON.stringify([words, candidate.onHost]);
    if (seen.has(key)) continue;
    seen.add(key);
    const evaluation = options.policy.evaluate(words);
    if (evaluation.decision === undefined) continue;
    matchedRules.push(...evaluation.matchedRules);
    decision = stricter(decision, evaluation.decision);
    if (candidate.onHost) hostDecision = stricter(hostDecision, evaluation.decision);
  }
  const commands = candidates.map((candidate) => [token(candidate.name), ...candidate.rest]);
  return { command, commands, decision, hostDecision, matchedRules, loaderUnreadable };
}

function stricter(a: Decision | undefined, b: Decision): Decision {
  return a === undefined ? b : stricterDecision(a, b);
}

/**
 * Whether the sandboxed command could write (or create) `file`: inside a writable root, and not
 * under any root's protected names (bound read-only on top of every writable root, so a
 * workspace's `.git` stays read-only even when /tmp, its parent, is writable too).
 */
function sandboxCanWrite(roots: readonly string[]): (file: string) => boolean {
  const protectedPaths = roots.flatMap((root) =>
    PROTECTED_SUBPATHS.map((name) => path.join(root, name)),
  );
  return (file) =>
    roots.some((root) => isWithin(file, root)) &&
    !protectedPaths.some((protectedPath) => isWithin(file, protectedPath));
}

/** execward's own environment, for callers that did not say which environment escalates. */
function processEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
}

function answerToBasis(
  answer: ApprovalAnswer,
  onYes: EscalationDecision,
  why: string,
): DecisionBasis {
  switch (answer) {
    case "accept":
    case "accept-for-session":
    case "accept-always":
      return { decision: onYes, reason: `approved: ${why}` };
    case "decline":
      return denied(DECLINED_REASON);
    case "cancel":
      return denied(CANCELLED_REASON);
  }
}

/**
 * upstream's wording first (agents match on it), then the rule that forbade it:
 * `Execution forbidden by policy: forbidden by <file>:<line>[: justification]`.
 */
export function forbiddenReason(
  rule: RuleSource | undefined,
  justification: string | undefined,
): string {
  const where = rule === undefined ? "" : `: forbidden by ${rule.file}:${rule.line}`;
  return `${FORBIDDEN_REASON}${where}${justification === undefined ? "" : `: ${justification}`}`;
}

function denied(reason: string): DecisionBasis {
  return { decision: { action: "deny", reason }, reason };
}
