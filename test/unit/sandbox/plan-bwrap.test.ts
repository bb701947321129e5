// The bubblewrap command line for each policy, compared whole.
import { describe, expect, it } from "vitest";

import { isWithin, planBwrapArgv, type BwrapPlanPolicy } from "../../../src/sandbox/plan-bwrap.js";
import { parseSandboxPolicy } from "../../../src/sandbox/sandbox-policy.js";

function sandboxed(value: unknown): BwrapPlanPolicy {
  const policy = parseSandboxPolicy(value);
  if (policy.type === "danger-full-access" || policy.type === "external-sandbox")
    throw new Error("not a sandboxing policy");
  return policy;
}

const HARDENING = [
  "--new-session",
  "--die-with-parent",
  "--unshare-user",
  "--cap-drop",
  "ALL",
  "--disable-userns",
];
const COMMON = {
  mountProc: true,
  disableUserns: true,
  chdir: "/work",
  setenv: {},
  init: "/x/execward-sandbox-init",
};
/** The mark the exec hook looks for before trusting its channel (SANDBOX_MARKER_PATH). */
const MARK = ["--ro-bind", "/dev/null", "/dev/.execward-sandbox"];
const TAIL = ["--chdir", "/work", "--", "/x/execward-sandbox-init", "--"];

describe("planBwrapArgv", () => {
  it("read-only: the root read-only, no network, a pid namespace, /proc", () => {
    expect(
      planBwrapArgv({
        ...COMMON,
        policy: sandboxed({ type: "read-only" }),
        writableRoots: [],
        command: ["bash", "-c", "true"],
      }),
    ).toEqual([
      ...HARDENING,
      ...["--ro-bind", "/", "/", "--dev", "/dev", ...MARK, "--unshare-pid", "--unshare-net"],
      ...["--proc", "/proc", ...TAIL, "bash", "-c", "true"],
    ]);
  });

  it("workspace-write: roots bound parents first, protected subpaths read-only, env for the command", () => {
    expect(
      planBwrapArgv({
        ...COMMON,
        policy: sandboxed({ type: "workspace-write", network_access: true }),
        writableRoots: [
          {
            path: "/tmp/repo",
            protectedSubpaths: [
              { kind: "existing", path: "/tmp/repo/.git" },
              { kind: "missing", firstMissing: "/tmp/repo/.codex" },
            ],
          },
          { path: "/tmp", protectedSubpaths: [] },
        ],
        mountProc: false,
        disableUserns: false,
        setenv: { LD_PRELOAD: "/x/hook.so" },
        command: ["sh"],
      }),
    ).toEqual([
      ...HARDENING.slice(0, -1),
      ...["--ro-bind", "/", "/", "--dev", "/dev", ...MARK],
      ...["--bind", "/tmp", "/tmp", "--bind", "/tmp/repo", "/tmp/repo"],
      ...["--ro-bind", "/tmp/repo/.git", "/tmp/repo/.git"],
      ...["--tmpfs", "/tmp/repo/.codex", "--remount-ro", "/tmp/repo/.codex"],
      "--unshare-pid",
      ...["--tmpfs", "/proc", "--remount-ro", "/proc"],
      ...["--setenv", "LD_PRELOAD", "/x/hook.so", ...TAIL, "sh"],
    ]);
  });

  it("restricted reads: an empty root, binds parents first, symlinks, masked secrets", () => {
    expect(
      planBwrapArgv({
        ...COMMON,
        policy: sandboxed({ type: "read-only", access: { type: "restricted" } }),
        writableRoots: [],
        readable: {
          binds: ["/usr/lib", "/usr", "/etc", "/usr"],
          symlinks: [
            { path: "/bin", target: "usr/bin" },
            { path: "/usr/sbin", target: "bin" },
          ],
          maskedFiles: ["/etc/shadow"],
          maskedDirectories: ["/etc/ssl/private"],
        },
        command: ["true"],
      }),
    ).toEqual([
      ...HARDENING,
      ...["--tmpfs", "/", "--ro-bind", "/etc", "/etc", "--ro-bind", "/usr", "/usr"],
      ...["--ro-bind", "/usr/lib", "/usr/lib", "--symlink", "usr/bin", "/bin"],
      ...["--ro-bind", "/dev/null", "/etc/shadow"],
      ...["--tmpfs", "/etc/ssl/private", "--remount-ro", "/etc/ssl/private"],
      ...[
        "--dev",
        "/dev",
        ...MARK,
        "--unshare-pid",
        "--unshare-net",
        "--proc",
        "/proc",
        ...TAIL,
        "true",
      ],
    ]);
  });

  it("restricted reads with no view given still starts from an empty root", () => {
    const argv = planBwrapArgv({
      ...COMMON,
      policy: sandboxed({ type: "workspace-write", read_only_access: { type: "restricted" } }),
      writableRoots: [],
      command: ["true"],
    });
    expect(argv.slice(HARDENING.length, HARDENING.length + 2)).toEqual(["--tmpfs", "/"]);
    // Nothing of the host is shown; the only read-only bind is the sandbox's mark.
    expect(argv.filter((word) => word === "--ro-bind")).toHaveLength(1);
    expect(argv.join(" ")).toContain(MARK.join(" "));
  });

  it("never lets a command word be read as a bwrap option", () => {
    const argv = planBwrapArgv({
      ...COMMON,
      policy: sandboxed({ type: "read-only" }),
      writableRoots: [],
      command: ["--bind", "/", "/"],
    });
    expect(argv.slice(-6)).toEqual(["--", "/x/execward-sandbox-init", "--", "--bind", "/", "/"]);
    expect(argv.indexOf("--")).toBe(argv.length - 6);
  });
});

describe("the exec backstop", () => {
  it("tells the sandbox init where the listener's way out is, after the bridges", () => {
    const argv = planBwrapArgv({
      ...COMMON,
      policy: sandboxed({ type: "read-only" }),
      writableRoots: [],
      bridges: [{ fd: 4, port: 3128, tag: "H" }],
      execListenerFd: 6,
      command: ["bash"],
    });
    expect(argv.slice(-10)).toEqual([
      "--",
      "/x/execward-sandbox-init",
      "--bridge",
      "4",
      "3128",
      "H",
      "--exec-listener",
      "6",
      "--",
      "bash",
    ]);
  });
});

describe("isWithin", () => {
  it("is true for the path itself and below, false for siblings with a shared prefix", () => {
    expect(isWithin("/a/b", "/a")).toBe(true);
    expect(isWithin("/a", "/a")).toBe(true);
    expect(isWithin("/ab", "/a")).toBe(false);
    expect(isWithin("/", "/a")).toBe(false);
    // A child whose name merely starts with two dots is still a child.
    expect(isWithin("/a/..main/worktrees/x", "/a")).toBe(true);
    expect(isWithin("/a/../b", "/a")).toBe(false);
  });
});
