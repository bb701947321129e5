// The bubblewrap command line for each policy, compared whole.
import { describe, expect, it } from "vitest";

import { planBwrapArgv } from "../../../src/sandbox/plan-bwrap.js";
import { parseSandboxPolicy } from "../../../src/sandbox/sandbox-policy.js";

function sandboxed(value: unknown) {
  const policy = parseSandboxPolicy(value);
  if (policy.type === "danger-full-access") throw new Error("not a sandboxing policy");
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

describe("planBwrapArgv", () => {
  it("read-only: the root read-only, no network, a pid namespace, /proc", () => {
    expect(
      planBwrapArgv({
        policy: sandboxed({ type: "read-only" }),
        writableRoots: [],
        mountProc: true,
        command: ["bash", "-c", "true"],
      }),
    ).toEqual([
      ...HARDENING,
      "--ro-bind",
      "/",
      "/",
      "--dev",
      "/dev",
      "--unshare-pid",
      "--unshare-net",
      "--proc",
      "/proc",
      "--",
      "bash",
      "-c",
      "true",
    ]);
  });

  it("workspace-write: writable roots bound, protected subpaths kept read-only", () => {
    expect(
      planBwrapArgv({
        policy: sandboxed({ type: "workspace-write", network_access: true }),
        writableRoots: [
          {
            path: "/work/repo",
            protectedSubpaths: [
              { kind: "existing", path: "/work/repo/.git" },
              { kind: "missing", firstMissing: "/work/repo/.codex" },
              { kind: "symlink", symlink: "/work/repo/.agents" },
            ],
          },
          { path: "/tmp", protectedSubpaths: [] },
        ],
        mountProc: false,
        seccompFd: 9,
        command: ["sh"],
      }),
    ).toEqual([
      ...HARDENING,
      "--ro-bind",
      "/",
      "/",
      "--dev",
      "/dev",
      "--bind",
      "/work/repo",
      "/work/repo",
      "--bind",
      "/tmp",
      "/tmp",
      "--ro-bind",
      "/work/repo/.git",
      "/work/repo/.git",
      "--ro-bind",
      "/dev/null",
      "/work/repo/.codex",
      "--ro-bind",
      "/dev/null",
      "/work/repo/.agents",
      "--unshare-pid",
      "--seccomp",
      "9",
      "--",
      "sh",
    ]);
  });

  it("restricted reads: an empty root with only the readable roots, parents first", () => {
    expect(
      planBwrapArgv({
        policy: sandboxed({ type: "read-only", access: { type: "restricted" } }),
        writableRoots: [],
        readableRoots: ["/usr/lib", "/usr", "/etc", "/usr"],
        mountProc: true,
        command: ["true"],
      }),
    ).toEqual([
      ...HARDENING,
      "--tmpfs",
      "/",
      "--ro-bind",
      "/etc",
      "/etc",
      "--ro-bind",
      "/usr",
      "/usr",
      "--ro-bind",
      "/usr/lib",
      "/usr/lib",
      "--dev",
      "/dev",
      "--unshare-pid",
      "--unshare-net",
      "--proc",
      "/proc",
      "--",
      "true",
    ]);
  });
});
