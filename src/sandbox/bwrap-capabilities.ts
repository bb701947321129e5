/**
 * Finding bubblewrap and learning, once, what it can do on this host, by running it: a sandbox
 * that cannot be built is an error that says what is wrong and how to fix it, never a reason to
 * run the command without one.
 *
 * The probe starts the real thing (user, pid and network namespaces, /proc, the sandbox init and
 * its seccomp filter) around `true`, named by absolute path (PATH may be empty or hostile). Two host limits are worked around, as upstream does or
 * safely: a bwrap older than 0.8 has no `--disable-userns` (the seccomp filter still refuses new
 * user namespaces), and on a host that refuses to mount /proc (nested containers) the sandbox gets
 * an empty read-only /proc instead (upstream runs without one, which shows the host's).
 * Everything else fails closed.
 */
import { spawn } from "node:child_process";
import { access, constants } from "node:fs/promises";
import path from "node:path";

import { ExecwardError } from "../errors.js";

export interface BwrapCapabilities {
  readonly bwrap: string;
  readonly disableUserns: boolean;
  readonly mountProc: boolean;
}

/** Looked for first, in this order, before PATH: a PATH entry should not choose the sandbox. */
const FIXED_LOCATIONS = ["/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"];

export const INSTALL_HINT =
  "install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: `sudo dnf install bubblewrap`; " +
  "Arch: `sudo pacman -S bubblewrap`)";

const USERNS_HINT =
  "bubblewrap could not create the sandbox's namespaces. If unprivileged user namespaces are restricted " +
  "(Ubuntu 24.04 and later: AppArmor's kernel.apparmor_restrict_unprivileged_userns=1), allow them for bwrap " +
  "with an AppArmor profile (see docs/sandbox.md) or `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`; " +
  "elsewhere check `sysctl kernel.unprivileged_userns_clone user.max_user_namespaces`. Inside a container, " +
  "the container must allow nested namespaces (e.g. docker --security-opt seccomp=unconfined --security-opt apparmor=unconfined).";

export async function locateBwrap(
  explicit: string | undefined,
  pathEnv: string | undefined,
): Promise<string> {
  if (explicit !== undefined) {
    if (await isExecutable(explicit)) return explicit;
    throw new ExecwardError(
      "sandbox_unavailable",
      `cannot sandbox: the bubblewrap binary ${explicit} is not an executable file; ${INSTALL_HINT}. Only the danger-full-access policy runs without it.`,
    );
  }
  const candidates = [
    ...FIXED_LOCATIONS,
    ...(pathEnv ?? "")
      .split(":")
      .filter((dir) => path.isAbsolute(dir))
      .map((dir) => path.join(dir, "bwrap")),
  ];
  for (const candidate of candidates) if (await isExecutable(candidate)) return candidate;
  throw new ExecwardError(
    "sandbox_unavailable",
    `cannot sandbox: bubblewrap (bwrap) is not installed; ${INSTALL_HINT}. Only the danger-full-access policy runs without it.`,
  );
}

export interface ProbeOptions {
  readonly bwrap: string;
  /** execward-sandbox-init. */
  readonly init: string;
  readonly log?: (message: string) => void;
}

/** `true` by absolute path: the probe must not depend on PATH (an empty one blamed bwrap). */
const TRUE_LOCATIONS = ["/usr/bin/true", "/bin/true"];

export async function probeBwrap(options: ProbeOptions): Promise<BwrapCapabilities> {
  let trueProgram: string | undefined;
  for (const candidate of TRUE_LOCATIONS)
    if (trueProgram === undefined && (await isExecutable(candidate))) trueProgram = candidate;
  if (trueProgram === undefined)
    throw new ExecwardError(
      "sandbox_unavailable",
      `cannot sandbox: the probe needs \`true\` at ${TRUE_LOCATIONS.join(" or ")}, and neither is an executable file. Only the danger-full-access policy runs without a sandbox.`,
    );
  let disableUserns = true;
  let mountProc = true;
  for (let attempt = 0; attempt < 3; attempt++) {
    const argv = [
      "--new-session",
      "--die-with-parent",
      "--unshare-user",
      "--cap-drop",
      "ALL",
      ...(disableUserns ? ["--disable-userns"] : []),
      "--ro-bind",
      "/",
      "/",
      "--dev",
      "/dev",
      "--unshare-pid",
      "--unshare-net",
      ...(mountProc ? ["--proc", "/proc"] : []),
      "--",
      options.init,
      "--",
      trueProgram,
    ];
    const outcome = await runCaptured(options.bwrap, argv);
    if (outcome.code === 0) return { bwrap: options.bwrap, disableUserns, mountProc };
    if (disableUserns && /disable-userns/.test(outcome.stderr)) {
      options.log?.(
        "execward: this bwrap has no --disable-userns (older than 0.8); the seccomp filter refuses new user namespaces instead",
      );
      disableUserns = false;
      continue;
    }
    if (mountProc && isProcMountRefusal(outcome.stderr)) {
      options.log?.(
        "execward: bwrap could not mount /proc; sandboxes get an empty read-only /proc instead",
      );
      mountProc = false;
      continue;
    }
    const detail = outcome.stderr.trim() || `exit status ${outcome.code}`;
    throw new ExecwardError(
      "sandbox_unavailable",
      `cannot sandbox: ${options.bwrap} failed to start a sandbox: ${detail}. ${
        /execward-sandbox-init/.test(outcome.stderr)
          ? "The sandbox init could not install its seccomp filter (the kernel needs CONFIG_SECCOMP_FILTER)."
          : USERNS_HINT
      } Only the danger-full-access policy runs without a sandbox.`,
      { data: { bwrap: options.bwrap, stderr: outcome.stderr } },
    );
  }
  throw new ExecwardError("sandbox_unavailable", "cannot sandbox: bwrap probe did not settle");
}

/** Upstream's test: bwrap names /newroot/proc and one of three errnos. */
export function isProcMountRefusal(stderr: string): boolean {
  return (
    stderr.includes("Can't mount proc") &&
    stderr.includes("/newroot/proc") &&
    /Invalid argument|Operation not permitted|Permission denied/.test(stderr)
  );
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const STDERR_LIMIT = 64 * 1024;

function runCaptured(
  file: string,
  argv: readonly string[],
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, argv, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      if (stderr.length < STDERR_LIMIT) stderr += chunk.slice(0, STDERR_LIMIT - stderr.length);
    });
    child.once("error", (error) => resolve({ code: -1, stderr: error.message }));
    child.once("close", (code, signal) =>
      resolve({ code: code ?? (signal === null ? -1 : 128), stderr }),
    );
  });
}
