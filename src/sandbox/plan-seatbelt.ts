/**
 * Pure planning of a macOS Seatbelt (`sandbox-exec`) invocation for a SandboxPolicy, after
 * upstream's `seatbelt.rs`: a deny-by-default base, then reads, writes and network. Paths are
 * passed as `-D` parameters, never spliced into the profile text, so no path can change the
 * policy. Untested on a Mac (docs/sandbox.md); the unit tests pin the generated profile.
 */
import { hasFullNetworkAccess, type SandboxPolicy } from "./sandbox-policy.js";

/** Fixed, not looked up on PATH (a PATH entry could shadow it). */
export const SANDBOX_EXEC = "/usr/bin/sandbox-exec";

const BASE_POLICY = `(version 1)
(deny default)
(allow process-exec)
(allow process-fork)
(allow signal (target same-sandbox))
(allow process-info* (target same-sandbox))
(allow file-write-data (literal "/dev/null"))
(allow sysctl-read)
(allow pseudo-tty)
(allow file-read* file-write* file-ioctl (literal "/dev/ptmx") (regex #"^/dev/ttys[0-9]+"))
(allow ipc-posix-sem)
(allow mach-lookup (global-name "com.apple.system.opendirectoryd.libinfo"))`;

const NETWORK_POLICY = `(allow network-outbound)
(allow network-inbound)
(allow system-socket)
(allow mach-lookup (global-name "com.apple.SystemConfiguration.configd") (global-name "com.apple.trustd.agent"))`;

export interface SeatbeltWritableRoot {
  readonly path: string;
  /** Existing read-only subpaths (`.git`, `.codex`, `.agents`), canonicalised. */
  readonly readOnlySubpaths: readonly string[];
}

export interface SeatbeltPlanInput {
  readonly policy: SandboxPolicy;
  /** Canonicalised writable roots (empty for read-only). */
  readonly writableRoots: readonly SeatbeltWritableRoot[];
  /** With restricted reads: the readable roots, canonicalised. */
  readonly readableRoots?: readonly string[];
  readonly command: readonly string[];
}

export function planSeatbelt(input: SeatbeltPlanInput): string[] {
  const params: [string, string][] = [];
  const sections = [BASE_POLICY];

  const restrictedReads =
    (input.policy.type === "read-only" && input.policy.access.type === "restricted") ||
    (input.policy.type === "workspace-write" &&
      input.policy.read_only_access.type === "restricted");
  if (restrictedReads) {
    const rules = (input.readableRoots ?? []).map((root, i) => {
      params.push([`READABLE_ROOT_${i}`, root]);
      return `(subpath (param "READABLE_ROOT_${i}"))`;
    });
    sections.push(rules.length === 0 ? "" : `(allow file-read*\n  ${rules.join("\n  ")})`);
  } else {
    sections.push("(allow file-read*)");
  }

  if (input.policy.type === "danger-full-access" || input.policy.type === "external-sandbox") {
    sections.push('(allow file-write* (regex #"^/"))');
  } else if (input.writableRoots.length > 0) {
    const rules = input.writableRoots.map((root, i) => {
      params.push([`WRITABLE_ROOT_${i}`, root.path]);
      if (root.readOnlySubpaths.length === 0) return `(subpath (param "WRITABLE_ROOT_${i}"))`;
      const exclusions = root.readOnlySubpaths.map((subpath, j) => {
        params.push([`WRITABLE_ROOT_${i}_RO_${j}`, subpath]);
        return `(require-not (subpath (param "WRITABLE_ROOT_${i}_RO_${j}")))`;
      });
      return `(require-all (subpath (param "WRITABLE_ROOT_${i}")) ${exclusions.join(" ")})`;
    });
    sections.push(`(allow file-write*\n  ${rules.join("\n  ")})`);
  }

  if (hasFullNetworkAccess(input.policy)) sections.push(NETWORK_POLICY);

  const profile = sections.filter((section) => section !== "").join("\n");
  return [
    SANDBOX_EXEC,
    "-p",
    profile,
    ...params.map(([name, value]) => `-D${name}=${value}`),
    "--",
    ...input.command,
  ];
}
