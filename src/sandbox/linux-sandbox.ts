/**
 * The Linux sandbox launcher: turns (policy, cwd, command) into the bwrap invocation that runs
 * it, or refuses. One instance per server or CLI run; it remembers what the host's bwrap can do
 * (probed on first use) and which mount points it created, nothing else.
 *
 * Guards:
 * - only `danger-full-access` (and `external-sandbox`, whose sandbox is somebody else's) runs
 *   without bwrap; any failure to plan or probe is an error, so the command does not run;
 * - the mount points bwrap leaves behind for protected names that did not exist (empty
 *   directories: harmless to git, but litter) are removed once the last command using them
 *   ends, only while empty, and never while another sandbox on the host has them mounted
 *   (removing a mount point detaches it in every other namespace: that sandbox could then
 *   create the name it must not).
 */
import { rmdir } from "node:fs/promises";

import { ExecwardError } from "../errors.js";
import { locateBwrap, probeBwrap, type BwrapCapabilities } from "./bwrap-capabilities.js";
import { planBwrapArgv, type BwrapPlanPolicy } from "./plan-bwrap.js";
import { isMountedInAnotherSandbox } from "./mount-scan.js";
import { probeSandboxLayout } from "./sandbox-layout.js";
import { hasFullNetworkAccess, type SandboxPolicy } from "./sandbox-policy.js";

export interface LinuxSandboxOptions {
  /** execward-sandbox-init (built by native/Makefile). */
  readonly init: string;
  /** A bwrap to use instead of looking for one. */
  readonly bwrap?: string | undefined;
  /** PATH to search for bwrap after the fixed locations. */
  readonly pathEnv?: string | undefined;
  readonly log?: (message: string) => void;
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
}

const MOUNT_RELEASE_ATTEMPTS = 10;
const MOUNT_RELEASE_DELAY_MS = 20;

export class LinuxSandbox implements SandboxLauncher {
  readonly #options: LinuxSandboxOptions;
  #capabilities: Promise<BwrapCapabilities> | undefined;
  readonly #mountpointUsers = new Map<string, number>();

  constructor(options: LinuxSandboxOptions) {
    this.#options = options;
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
        `cannot sandbox on ${process.platform}: execward's sandbox launcher is bubblewrap, on Linux (the macOS Seatbelt planner exists but is not wired or tested). Only the danger-full-access policy runs without a sandbox.`,
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
      required: [this.#options.init, ...request.required],
    });
    // A mount point this launcher created for a command still running looks like an existing
    // file now: it is shared, and must outlive both (unlinking a mount point detaches the mount
    // in every other namespace, which would unprotect the running sandbox).
    const created = layout.writableRoots.flatMap((root) =>
      root.protectedSubpaths.flatMap((subpath) => {
        if (subpath.kind === "missing") return [subpath.firstMissing];
        if (subpath.kind === "empty" && this.#mountpointUsers.has(subpath.path))
          return [subpath.path];
        return [];
      }),
    );
    for (const mountpoint of created) {
      this.#mountpointUsers.set(mountpoint, (this.#mountpointUsers.get(mountpoint) ?? 0) + 1);
    }
    let released = false;
    const planPolicy: BwrapPlanPolicy = policy;
    return {
      sandboxed: true,
      writableRoots: layout.writableRoots.map((root) => root.path),
      wrap: ({ command, env, insideOnly }) => {
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
          writableRoots: layout.writableRoots,
          ...(layout.readable === undefined ? {} : { readable: layout.readable }),
          mountProc: capabilities.mountProc,
          disableUserns: capabilities.disableUserns,
          chdir: request.commandCwd,
          setenv: inside,
          init: this.#options.init,
          command,
        });
        return { file: capabilities.bwrap, args, env: outside };
      },
      release: async () => {
        if (released) return;
        released = true;
        for (const mountpoint of created) await this.#releaseMountpoint(mountpoint);
      },
    };
  }

  async #releaseMountpoint(mountpoint: string): Promise<void> {
    const users = (this.#mountpointUsers.get(mountpoint) ?? 1) - 1;
    if (users > 0) {
      this.#mountpointUsers.set(mountpoint, users);
      return;
    }
    this.#mountpointUsers.delete(mountpoint);
    // The sandbox that just ended may still be tearing down (its pid 1 outlives bwrap's exit by
    // a moment): give it a little time before concluding another sandbox holds the mount.
    for (let attempt = 0; await isMountedInAnotherSandbox(mountpoint); attempt++) {
      if (attempt >= MOUNT_RELEASE_ATTEMPTS) return;
      await new Promise((resolve) => setTimeout(resolve, MOUNT_RELEASE_DELAY_MS));
    }
    await rmdir(mountpoint).catch((error: unknown) => {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTEMPTY" && code !== "ENOTDIR")
        this.#options.log?.(
          `execward: could not remove the sandbox mount point ${mountpoint}: ${String(error)}`,
        );
    });
  }
}
