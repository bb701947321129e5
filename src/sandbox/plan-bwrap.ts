/**
 * Pure planning of the bubblewrap command line for a SandboxPolicy: data in, argv out, no I/O.
 * The launcher (issue 5) probes the filesystem and the host's bwrap, then calls this.
 *
 * What every sandbox gets, whatever the policy (ARCHITECTURE.md invariants):
 * - its own user namespace with every capability dropped, and no new user namespaces inside
 *   (`--unshare-user --cap-drop ALL --disable-userns`): as root, bwrap would otherwise keep the
 *   capabilities that let `mount -o remount,rw /` succeed;
 * - a new session (no TIOCSTI into the caller's terminal), a pid namespace, death with its parent;
 * - no network namespace shared with the host unless the policy grants the full network;
 * - a seccomp filter (`--seccomp FD`) when the launcher provides one.
 * Filesystem: the whole root read-only (or, with restricted reads, only the readable roots),
 * writable roots bound read-write, and `.git`, `.codex`, `.agents` inside them kept read-only
 * (a symlink on the way, or a missing path, is covered with /dev/null so it cannot be created).
 */
import path from "node:path";

import { hasFullNetworkAccess, type SandboxPolicy } from "./sandbox-policy.js";

/** A protected subpath of a writable root, as the launcher found it on disk. */
export type ProtectedSubpath =
  | { readonly kind: "existing"; readonly path: string }
  /** The path does not exist; `firstMissing` is its first component that does not. */
  | { readonly kind: "missing"; readonly firstMissing: string }
  /** A symlink lies on the path (inside the writable root): cover the symlink itself. */
  | { readonly kind: "symlink"; readonly symlink: string };

export interface WritableRoot {
  readonly path: string;
  readonly protectedSubpaths: readonly ProtectedSubpath[];
}

export interface BwrapPlanInput {
  readonly policy: Exclude<SandboxPolicy, { type: "danger-full-access" }>;
  /** Writable roots (already checked to exist), with their protected subpaths probed. */
  readonly writableRoots: readonly WritableRoot[];
  /** With restricted reads: every directory to expose read-only (existing ones only). */
  readonly readableRoots?: readonly string[];
  /** Mount a fresh /proc (false after the host refused it). */
  readonly mountProc: boolean;
  /** Descriptor of a compiled seccomp program to install, if any. */
  readonly seccompFd?: number;
  readonly command: readonly string[];
}

export function planBwrapArgv(input: BwrapPlanInput): string[] {
  const argv = [
    "--new-session",
    "--die-with-parent",
    "--unshare-user",
    "--cap-drop",
    "ALL",
    "--disable-userns",
  ];
  const restricted =
    (input.policy.type === "read-only" && input.policy.access.type === "restricted") ||
    (input.policy.type === "workspace-write" &&
      input.policy.read_only_access.type === "restricted");
  if (restricted) {
    argv.push("--tmpfs", "/");
    for (const root of sortedUnique(input.readableRoots ?? [])) argv.push("--ro-bind", root, root);
  } else {
    argv.push("--ro-bind", "/", "/");
  }
  argv.push("--dev", "/dev");
  for (const root of input.writableRoots) argv.push("--bind", root.path, root.path);
  for (const root of input.writableRoots) {
    for (const subpath of root.protectedSubpaths) {
      switch (subpath.kind) {
        case "existing":
          argv.push("--ro-bind", subpath.path, subpath.path);
          break;
        case "missing":
          argv.push("--ro-bind", "/dev/null", subpath.firstMissing);
          break;
        case "symlink":
          argv.push("--ro-bind", "/dev/null", subpath.symlink);
          break;
      }
    }
  }
  argv.push("--unshare-pid");
  if (!hasFullNetworkAccess(input.policy)) argv.push("--unshare-net");
  if (input.mountProc) argv.push("--proc", "/proc");
  if (input.seccompFd !== undefined) argv.push("--seccomp", String(input.seccompFd));
  argv.push("--", ...input.command);
  return argv;
}

/** Parents before children, each once, so a nested bind is not hidden by its parent's. */
function sortedUnique(paths: readonly string[]): string[] {
  return [...new Set(paths.map((p) => path.resolve(p)))].sort(
    (a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b),
  );
}
