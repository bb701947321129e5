/**
 * Pure planning of the kernel exec backstop's launch: execward-exec-supervisor runs bwrap as its
 * child (every sandboxed process is then its descendant, which Yama's ptrace_scope=1 requires
 * for reading their memory), receives the seccomp listener from the sandbox init over a socket
 * it places at `listenerFd` in bwrap, and asks execward about execs on `serverFd` (a descriptor
 * only it holds). The ask list is the hook's (EXECWARD_ASK): programs no rule or heuristic can
 * name continue without a round trip.
 */
export interface ExecBackstopPlan {
  /** execward-exec-supervisor. */
  readonly supervisor: string;
  /** The supervisor's descriptor of its private channel to execward. */
  readonly serverFd: number;
  /** The descriptor number, in bwrap and the sandbox init, of the listener's way out. */
  readonly listenerFd: number;
  /** The hook's ask list; undefined: ask about every exec. */
  readonly askList: string | undefined;
  /** Report each exec the fast path continues (one-way notices, for the audit log). */
  readonly notices?: boolean;
}

export function planSupervisedLaunch(
  plan: ExecBackstopPlan,
  bwrap: string,
  bwrapArgs: readonly string[],
  env: Readonly<Record<string, string>>,
): { file: string; args: string[]; env: Readonly<Record<string, string>> } {
  return {
    file: plan.supervisor,
    args: [
      "--server",
      String(plan.serverFd),
      "--listener-fd",
      String(plan.listenerFd),
      ...(plan.askList === undefined ? [] : ["--ask", plan.askList]),
      ...(plan.notices === true ? ["--notices"] : []),
      "--",
      bwrap,
      ...bwrapArgs,
    ],
    env,
  };
}
