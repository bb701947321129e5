/**
 * Pure planning of the bubblewrap command line for a SandboxPolicy: data in, argv out, no I/O.
 * The launcher (linux-sandbox.ts) probes the filesystem and the host's bwrap, then calls this.
 *
 * What every sandbox gets, whatever the policy (ARCHITECTURE.md invariants):
 * - its own user namespace with every capability dropped, and no new user namespaces inside
 *   (`--unshare-user --cap-drop ALL`, plus `--disable-userns` where bwrap has it; the sandbox
 *   init's seccomp filter refuses them too): as root, bwrap would otherwise keep the
 *   capabilities that let `mount -o remount,rw /` succeed;
 * - a new session (no TIOCSTI into the caller's terminal), a pid namespace, death with its parent;
 * - no network namespace shared with the host unless the policy grants the full network;
 * - the sandbox init as its first program, which installs the seccomp filter and execs the command
 *   (and, with `execListenerFd`, the exec backstop's filter whose listener goes out of the sandbox).
 * Filesystem: the whole root read-only (or, with restricted reads, an empty tmpfs with only the
 * readable entries and secrets under them masked), writable roots bound read-write, and `.git`,
 * `.codex`, `.agents` inside them kept read-only (a missing one is covered with an empty
 * read-only directory so it cannot be created), and last of all the hidden paths (credentials,
 * `deny_read`, a profile's `deny`), so that no bind above shows them again.
 */
import path from "node:path";

import { hasFullNetworkAccess, type SandboxPolicy } from "./sandbox-policy.js";

/**
 * A read-only mount point every execward sandbox has (bound over /dev/null in the sandbox's own
 * /dev, so nothing inside can remove it). Where it exists, the exec hook accepts an escalation
 * channel only if its peer is invisible from inside (SO_PEERCRED pid 0): the real server is
 * outside the sandbox's pid namespace, a fake one put over the descriptor is not.
 */
export const SANDBOX_MARKER_PATH = "/dev/.execward-sandbox";

/** A protected subpath of a writable root, as the launcher found it on disk. */
export type ProtectedSubpath =
  | { readonly kind: "existing"; readonly path: string }
  /** The path does not exist; `firstMissing` is its first component that does not. */
  | { readonly kind: "missing"; readonly firstMissing: string }
  /** An empty directory: nothing to keep, so it is covered like a missing one. */
  | { readonly kind: "empty"; readonly path: string };

/**
 * A path hidden from the sandbox (credentials, `deny_read`, a permission profile's `deny`), as
 * the launcher found it: a directory gets an empty read-only tmpfs, anything else /dev/null.
 */
export interface HiddenPath {
  readonly path: string;
  readonly kind: "file" | "directory";
}

export interface WritableRoot {
  readonly path: string;
  readonly protectedSubpaths: readonly ProtectedSubpath[];
}

/** What a restricted-read sandbox shows, as the launcher found it on disk. */
export interface ReadableView {
  /** Existing directories or files to bind read-only (real paths). */
  readonly binds: readonly string[];
  /** Symlinks to recreate at the top (e.g. `/bin -> usr/bin` on merged-/usr systems). */
  readonly symlinks: readonly { readonly path: string; readonly target: string }[];
  /** Files under the binds to hide behind /dev/null (e.g. /etc/shadow). */
  readonly maskedFiles: readonly string[];
  /** Directories under the binds to hide behind an empty read-only tmpfs (e.g. /etc/ssl/private). */
  readonly maskedDirectories: readonly string[];
}

export interface NetworkBridge {
  /** Descriptor (in the sandbox) of the datagram socket the connections are handed over. */
  readonly fd: number;
  /** Port on 127.0.0.1 inside the sandbox. */
  readonly port: number;
  /** One character naming the protocol to the proxy. */
  readonly tag: string;
}

export type BwrapPlanPolicy = Exclude<
  SandboxPolicy,
  { type: "danger-full-access" } | { type: "external-sandbox" }
>;

export interface BwrapPlanInput {
  readonly policy: BwrapPlanPolicy;
  /** Writable roots (already checked to exist), with their protected subpaths probed. */
  readonly writableRoots: readonly WritableRoot[];
  /** Required when the policy restricts reads; ignored otherwise. */
  readonly readable?: ReadableView;
  /** Paths to hide, after every bind (a permission profile's `deny` entries). */
  readonly hidden?: readonly HiddenPath[];
  /** Mount a fresh /proc (false after the host refused it). */
  readonly mountProc: boolean;
  /** The host's bwrap has `--disable-userns` (0.8.0 and later). */
  readonly disableUserns: boolean;
  /** The command's working directory inside the sandbox. */
  readonly chdir: string;
  /** Variables set for the command only (not for bwrap itself), e.g. LD_PRELOAD. */
  readonly setenv: Readonly<Record<string, string>>;
  /** execward-sandbox-init: runs first inside, installs the seccomp filter, execs the command. */
  readonly init: string;
  /** Proxy bridges the init starts inside (loopback port -> connections handed over the fd). */
  readonly bridges?: readonly NetworkBridge[];
  /**
   * The inherited socket over which the init hands the exec backstop's seccomp listener to
   * execward-exec-supervisor (plan-exec-backstop.ts); absent: no backstop.
   */
  readonly execListenerFd?: number;
  readonly command: readonly string[];
}

export function restrictsReads(policy: SandboxPolicy): boolean {
  return (
    (policy.type === "read-only" && policy.access.type === "restricted") ||
    (policy.type === "workspace-write" && policy.read_only_access.type === "restricted")
  );
}

export function planBwrapArgv(input: BwrapPlanInput): string[] {
  const argv = ["--new-session", "--die-with-parent", "--unshare-user", "--cap-drop", "ALL"];
  if (input.disableUserns) argv.push("--disable-userns");
  if (restrictsReads(input.policy)) {
    const view = input.readable ?? {
      binds: [],
      symlinks: [],
      maskedFiles: [],
      maskedDirectories: [],
    };
    argv.push("--tmpfs", "/");
    const binds = parentsFirst(view.binds);
    for (const bind of binds) argv.push("--ro-bind", bind, bind);
    for (const link of view.symlinks) {
      if (!binds.some((bind) => isWithin(link.path, bind)))
        argv.push("--symlink", link.target, link.path);
    }
    for (const file of view.maskedFiles) argv.push("--ro-bind", "/dev/null", file);
    for (const dir of view.maskedDirectories) argv.push("--tmpfs", dir, "--remount-ro", dir);
  } else {
    argv.push("--ro-bind", "/", "/");
  }
  // The sandbox's own /dev, with a mark nothing inside can remove: the exec hook trusts an
  // escalation channel there only if its peer is outside the sandbox (SANDBOX_MARKER_PATH).
  argv.push("--dev", "/dev", "--ro-bind", "/dev/null", SANDBOX_MARKER_PATH);
  for (const root of parentsFirst(input.writableRoots.map((r) => r.path)))
    argv.push("--bind", root, root);
  for (const root of input.writableRoots) {
    for (const subpath of root.protectedSubpaths) {
      // A missing name is covered with an empty read-only directory: bwrap creates the mount
      // point on the host, and an empty `.git` directory, unlike a file, does not break git.
      if (subpath.kind === "existing") argv.push("--ro-bind", subpath.path, subpath.path);
      else {
        const target = subpath.kind === "missing" ? subpath.firstMissing : subpath.path;
        argv.push("--tmpfs", target, "--remount-ro", target);
      }
    }
  }
  // Last of the filesystem, so no bind above shows them again.
  for (const item of input.hidden ?? []) {
    if (item.kind === "directory") argv.push("--tmpfs", item.path, "--remount-ro", item.path);
    else argv.push("--ro-bind", "/dev/null", item.path);
  }
  argv.push("--unshare-pid");
  if (!hasFullNetworkAccess(input.policy)) argv.push("--unshare-net");
  // Without a fresh /proc, the host's (bound with /) would show every host process, and
  // /proc/<pid>/root leads into the host's writable filesystem: cover it instead.
  if (input.mountProc) argv.push("--proc", "/proc");
  else argv.push("--tmpfs", "/proc", "--remount-ro", "/proc");
  for (const [name, value] of Object.entries(input.setenv)) argv.push("--setenv", name, value);
  argv.push("--chdir", input.chdir, "--", input.init);
  for (const bridge of input.bridges ?? [])
    argv.push("--bridge", String(bridge.fd), String(bridge.port), bridge.tag);
  if (input.execListenerFd !== undefined)
    argv.push("--exec-listener", String(input.execListenerFd));
  argv.push("--", ...input.command);
  return argv;
}

/** True when `child` is `parent` or lies under it. */
export function isWithin(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return (
    relative === "" ||
    (relative !== ".." && !relative.startsWith("../") && !path.isAbsolute(relative))
  );
}

/** Parents before children, each once, so a nested bind is not hidden by its parent's. */
function parentsFirst(paths: readonly string[]): string[] {
  return [...new Set(paths.map((p) => path.resolve(p)))].sort(
    (a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b),
  );
}
