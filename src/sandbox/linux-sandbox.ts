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
import { rmdirSync } from "node:fs";

import { ExecwardError } from "../errors.js";
import { locateBwrap, probeBwrap, type BwrapCapabilities } from "./bwrap-capabilities.js";
import { planBwrapArgv, type BwrapPlanPolicy, type NetworkBridge } from "./plan-bwrap.js";
import { mountsHeldElsewhere } from "./mount-scan.js";
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
  /**
   * How long an unused mount point stays before it is removed (default 0: at once). A server
   * sets a delay so a burst of calls reuses them instead of paying for removal on every call;
   * it calls `flush()` before exiting.
   */
  readonly cleanupDelayMs?: number;
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
  /** A descriptor of the child for bwrap's JSON status (see `observeStatus`). */
  readonly statusFd?: number;
  /** Proxy bridges for the sandbox init (only with a policy without network access). */
  readonly bridges?: readonly NetworkBridge[];
}

export interface PreparedSandbox {
  /** False for the policies that run without a sandbox. */
  readonly sandboxed: boolean;
  /** Real paths the sandboxed command can write (empty when not sandboxed). */
  readonly writableRoots: readonly string[];
  wrap(input: WrapInput): LaunchSpec;
  /** Reads bwrap's JSON status from the `statusFd` pipe: it names the sandbox's namespace. */
  observeStatus(stream: NodeJS.ReadableStream): void;
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
  /** Own sandboxes' mount namespaces since the last cleanup (they are over, or counted in). */
  readonly #ownNamespaces = new Set<string>();
  #cleanupTimer: NodeJS.Timeout | undefined;

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
        observeStatus: () => undefined,
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
    // Mount points for protected names: those bwrap will create, and empty directories left by
    // earlier sandboxes (this one's still running, or another process that was killed): all are
    // removed once no sandbox on the host holds them. Removing one still mounted elsewhere would
    // detach that mount, and that sandbox could then create the name it must not.
    const created = layout.writableRoots.flatMap((root) =>
      root.protectedSubpaths.flatMap((subpath) => {
        if (subpath.kind === "missing") return [subpath.firstMissing];
        if (subpath.kind === "empty") return [subpath.path];
        return [];
      }),
    );
    for (const mountpoint of created) {
      this.#mountpointUsers.set(mountpoint, (this.#mountpointUsers.get(mountpoint) ?? 0) + 1);
    }
    let released = false;
    let namespace: string | undefined;
    const planPolicy: BwrapPlanPolicy = policy;
    return {
      sandboxed: true,
      writableRoots: layout.writableRoots.map((root) => root.path),
      wrap: ({ command, env, insideOnly, statusFd, bridges }) => {
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
          ...(statusFd === undefined ? {} : { statusFd }),
          ...(bridges === undefined || hasFullNetworkAccess(policy) ? {} : { bridges }),
          command,
        });
        return { file: capabilities.bwrap, args, env: outside };
      },
      observeStatus: (stream) => {
        let text = "";
        stream.setEncoding("utf8");
        stream.on("data", (chunk: string) => {
          text += chunk;
          const match = /"mnt-namespace"\s*:\s*(\d+)/.exec(text);
          // The first document is bwrap's, written before the command starts; anything later
          // on this pipe is not trusted.
          if (match?.[1] !== undefined) namespace ??= `mnt:[${match[1]}]`;
          if (text.length > 4096) text = text.slice(-1024);
        });
        stream.on("error", () => undefined);
      },
      release: async () => {
        if (released) return;
        released = true;
        if (namespace !== undefined) this.#ownNamespaces.add(namespace);
        await this.#releaseMountpoints(created, namespace !== undefined);
      },
    };
  }

  /** Removes every unused mount point now (a server calls this before it exits). */
  async flush(): Promise<void> {
    clearTimeout(this.#cleanupTimer);
    this.#cleanupTimer = undefined;
    await this.#removeUnused(true);
  }

  async #releaseMountpoints(mountpoints: readonly string[], namespaceKnown: boolean) {
    // Users drop to zero but stay listed until the removal: a command prepared in the meantime
    // counts itself in, and the removal then leaves that mount point alone.
    for (const mountpoint of mountpoints) {
      this.#mountpointUsers.set(mountpoint, (this.#mountpointUsers.get(mountpoint) ?? 1) - 1);
    }
    const delay = this.#options.cleanupDelayMs ?? 0;
    if (delay <= 0) return this.#removeUnused(namespaceKnown);
    clearTimeout(this.#cleanupTimer);
    this.#cleanupTimer = setTimeout(() => {
      this.#cleanupTimer = undefined;
      void this.#removeUnused(true);
    }, delay);
    this.#cleanupTimer.unref();
  }

  async #removeUnused(namespaceKnown: boolean): Promise<void> {
    const unused = [...this.#mountpointUsers].filter(([, users]) => users === 0).map(([p]) => p);
    if (unused.length === 0) return;
    const own = new Set(this.#ownNamespaces);
    // Without the ended sandbox's namespace (no status read), it may still be tearing down:
    // give it a moment before concluding that another sandbox holds the mounts.
    let held = await mountsHeldElsewhere(unused, own);
    for (let attempt = 0; held.size > 0 && !namespaceKnown; attempt++) {
      if (attempt >= MOUNT_RELEASE_ATTEMPTS) break;
      await new Promise((resolve) => setTimeout(resolve, MOUNT_RELEASE_DELAY_MS));
      held = await mountsHeldElsewhere(unused, own);
    }
    for (const mountpoint of unused) {
      if (this.#mountpointUsers.get(mountpoint) !== 0) continue; // taken again meanwhile
      this.#mountpointUsers.delete(mountpoint);
      if (held.has(mountpoint)) continue;
      try {
        // Synchronous: no command can be prepared between the check above and the removal.
        rmdirSync(mountpoint);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "ENOENT" && code !== "ENOTEMPTY" && code !== "ENOTDIR")
          this.#options.log?.(
            `execward: could not remove the sandbox mount point ${mountpoint}: ${String(error)}`,
          );
      }
    }
    if (this.#mountpointUsers.size === 0) {
      for (const namespace of own) this.#ownNamespaces.delete(namespace);
    }
  }
}
