/**
 * The Linux sandbox launcher: turns (policy, cwd, command) into the bwrap invocation that runs
 * it, or refuses. One instance per server or CLI run; it remembers what the host's bwrap can do
 * (probed on first use) and which mount points it created, nothing else.
 *
 * Guards:
 * - only `danger-full-access` (and `external-sandbox`, whose sandbox is somebody else's) runs
 *   without bwrap; any failure to plan or probe is an error, so the command does not run;
 * - the mount points protected names that do not exist need on the host (empty directories:
 *   harmless to git, but litter) are held with file locks while a command runs and removed
 *   after, never while any sandbox on the host uses them (mountpoint-keeper.ts);
 * - what the settings hide or keep read-only (credentials by default, `deny_read`,
 *   `deny_write`: hidden-layout.ts) is added to every sandbox, whatever policy or profile the
 *   caller asks for, with placeholders for missing paths held like the protected names' covers.
 */
import { ExecwardError } from "../errors.js";
import { locateBwrap, probeBwrap, type BwrapCapabilities } from "./bwrap-capabilities.js";
import {
  outermost,
  probeHiddenPaths,
  withDenyWrite,
  type FilesystemRules,
} from "./hidden-layout.js";
import {
  isWithin,
  planBwrapArgv,
  type BwrapPlanPolicy,
  type HiddenPath,
  type NetworkBridge,
  type WritableRoot,
} from "./plan-bwrap.js";
import { planSupervisedLaunch, type ExecBackstopPlan } from "./plan-exec-backstop.js";
import { MountpointJournal } from "./mountpoint-journal.js";
import { MountpointKeeper, type FileLocks, type Mountpoint } from "./mountpoint-keeper.js";
import { probeSandboxLayout } from "./sandbox-layout.js";
import type { ProfileLayoutInput } from "./profile-layout.js";
import { hasFullNetworkAccess, type SandboxPolicy } from "./sandbox-policy.js";

export interface LinuxSandboxOptions {
  /** execward-sandbox-init (built by native/Makefile). */
  readonly init: string;
  /** A bwrap to use instead of looking for one. */
  readonly bwrap?: string | undefined;
  /** PATH to search for bwrap after the fixed locations. */
  readonly pathEnv?: string | undefined;
  readonly log?: (message: string) => void;
  /** File locks (the fd-passing addon) guarding mount points across execward processes. */
  readonly locks: FileLocks;
  /**
   * How long an unused mount point stays before it is removed (default 0: at once). A server
   * sets a delay so a burst of calls reuses them instead of paying for removal on every call;
   * it calls `flush()` before exiting.
   */
  readonly cleanupDelayMs?: number;
  /**
   * Where this process records the mount points it creates, so the next one can remove what a
   * crash left (mountpoint-journal.ts); absent: not recorded.
   */
  readonly journalDir?: string | undefined;
  /**
   * What every sandbox of this launcher hides or keeps read-only on top of its policy (the
   * credential locations unless the settings make them visible, `deny_read`, `deny_write`):
   * a client's sandbox state can add restrictions, never remove these.
   */
  readonly filesystem?: FilesystemRules | undefined;
}

export interface SandboxRequest {
  readonly policy: SandboxPolicy;
  /** The directory the policy is relative to (the cwd writable under workspace-write). */
  readonly policyCwd: string;
  /** Where the command starts. */
  readonly commandCwd: string;
  readonly tmpdir: string | undefined;
  /** Paths the sandbox must be able to read for execward to work (hook, shell, wrapper). */
  readonly required: readonly string[];
  /** A permission profile's writable roots and carve-outs, replacing those `policy` implies. */
  readonly profile?: ProfileLayoutInput | undefined;
}

export interface LaunchSpec {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

export interface WrapInput {
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Names in `env` meant for the command only, not for bwrap itself (LD_PRELOAD). */
  readonly insideOnly: readonly string[];
  /** Proxy bridges for the sandbox init (only with a policy without network access). */
  readonly bridges?: readonly NetworkBridge[];
  /** The kernel exec backstop for this command (plan-exec-backstop.ts); absent: hook only. */
  readonly execBackstop?: ExecBackstopPlan;
}

export interface PreparedSandbox {
  /** False for the policies that run without a sandbox. */
  readonly sandboxed: boolean;
  /** Real paths the sandboxed command can write (empty when not sandboxed). */
  readonly writableRoots: readonly string[];
  wrap(input: WrapInput): LaunchSpec;
  /** Call once the command has ended. */
  release(): Promise<void>;
}

/** What a server needs of a sandbox launcher (LinuxSandbox; tests may wrap it). */
export interface SandboxLauncher {
  prepare(request: SandboxRequest): Promise<PreparedSandbox>;
  /** Removes every mount point no sandbox uses (before the process exits). */
  flush?(): Promise<void>;
}

export class LinuxSandbox implements SandboxLauncher {
  readonly #options: LinuxSandboxOptions;
  #capabilities: Promise<BwrapCapabilities> | undefined;
  readonly #mountpoints: MountpointKeeper;
  /** Hard-link warnings already logged (once per process, not once per call). */
  readonly #warned = new Set<string>();

  constructor(options: LinuxSandboxOptions) {
    this.#options = options;
    this.#mountpoints = new MountpointKeeper(
      options.locks,
      options.cleanupDelayMs ?? 0,
      options.log,
      options.journalDir === undefined
        ? undefined
        : new MountpointJournal(options.journalDir, options.log),
    );
  }

  /** Removes the mount points crashed execward processes left (call once, at start). */
  sweepOrphans(): void {
    this.#mountpoints.sweepOrphans();
  }

  /** Removes every unused mount point now (a server calls this before it exits). */
  flush(): Promise<void> {
    return this.#mountpoints.flush();
  }

  /** What the host's bwrap can do; probed once, retried after a failure. */
  capabilities(): Promise<BwrapCapabilities> {
    this.#capabilities ??= (async () => {
      const bwrap = await locateBwrap(this.#options.bwrap, this.#options.pathEnv);
      return probeBwrap({
        bwrap,
        init: this.#options.init,
        ...(this.#options.log === undefined ? {} : { log: this.#options.log }),
      });
    })();
    const pending = this.#capabilities;
    pending.catch(() => {
      if (this.#capabilities === pending) this.#capabilities = undefined;
    });
    return pending;
  }

  async prepare(request: SandboxRequest): Promise<PreparedSandbox> {
    const policy = request.policy;
    if (
      policy.type !== "danger-full-access" &&
      policy.type !== "external-sandbox" &&
      process.platform !== "linux"
    ) {
      throw new ExecwardError(
        "sandbox_unavailable",
        `cannot sandbox on ${process.platform}: execward's sandbox launcher is bubblewrap, on Linux (the macOS Seatbelt planner has unit tests but no caller yet, and was never run on a Mac). Only the danger-full-access policy runs without a sandbox.`,
      );
    }
    if (policy.type === "danger-full-access" || policy.type === "external-sandbox") {
      return {
        sandboxed: false,
        writableRoots: [],
        wrap: ({ command, env }) => ({ file: command[0] ?? "", args: command.slice(1), env }),
        release: () => Promise.resolve(),
      };
    }
    const capabilities = await this.capabilities();
    const layout = await probeSandboxLayout({
      policy,
      policyCwd: request.policyCwd,
      tmpdir: request.tmpdir,
      // The command starts in its working directory, so it must exist inside even when reads
      // are restricted to a policy directory elsewhere.
      required: [this.#options.init, ...request.required, request.commandCwd],
      profile: request.profile,
    });
    let writableRoots: readonly WritableRoot[] = layout.writableRoots;
    let hidden: readonly HiddenPath[] = layout.hidden ?? [];
    const placeholders: Mountpoint[] = [];
    const rules = this.#options.filesystem;
    if (rules !== undefined) {
      writableRoots = withDenyWrite(writableRoots, rules.readOnly);
      const shown = [...(layout.readable?.binds ?? []), ...writableRoots.map((root) => root.path)];
      const found = probeHiddenPaths(
        rules.hide,
        layout.readable === undefined
          ? () => true
          : (candidate) =>
              shown.some((bind) => isWithin(candidate, bind) || isWithin(bind, candidate)),
      );
      hidden = outermost([...hidden, ...found.hidden]);
      placeholders.push(...found.placeholders);
      for (const warning of found.warnings) {
        if (this.#warned.has(warning)) continue;
        this.#warned.add(warning);
        this.#options.log?.(`execward: ${warning}`);
      }
    }
    // Covers for protected names that do not exist (or are empty), and placeholders for hidden
    // paths that do not: held from before bwrap starts until the command ends.
    const hold = await this.#mountpoints.hold([
      ...new Set(
        writableRoots.flatMap((root) =>
          root.protectedSubpaths.flatMap((subpath) =>
            subpath.kind === "missing"
              ? [subpath.firstMissing]
              : subpath.kind === "empty"
                ? [subpath.path]
                : [],
          ),
        ),
      ),
      ...placeholders,
    ]);
    const planPolicy: BwrapPlanPolicy = policy;
    return {
      sandboxed: true,
      writableRoots: writableRoots.map((root) => root.path),
      wrap: ({ command, env, insideOnly, bridges, execBackstop }) => {
        const outside: Record<string, string> = { ...env };
        const inside: Record<string, string> = {};
        for (const name of insideOnly) {
          const value = outside[name];
          if (value === undefined) continue;
          inside[name] = value;
          delete outside[name];
        }
        if (!hasFullNetworkAccess(policy)) outside.CODEX_SANDBOX_NETWORK_DISABLED = "1";
        const args = planBwrapArgv({
          policy: planPolicy,
          writableRoots,
          ...(layout.readable === undefined ? {} : { readable: layout.readable }),
          hidden,
          mountProc: capabilities.mountProc,
          disableUserns: capabilities.disableUserns,
          chdir: request.commandCwd,
          setenv: inside,
          init: this.#options.init,
          ...(bridges === undefined || hasFullNetworkAccess(policy) ? {} : { bridges }),
          ...(execBackstop === undefined ? {} : { execListenerFd: execBackstop.listenerFd }),
          command,
        });
        if (execBackstop !== undefined)
          return planSupervisedLaunch(execBackstop, capabilities.bwrap, args, outside);
        return { file: capabilities.bwrap, args, env: outside };
      },
      release: () => hold.release(),
    };
  }
}
