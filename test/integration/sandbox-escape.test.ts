// The sandbox against real escapes, with the real bwrap, the real sandbox init and its seccomp
// filter, the real hook and escalation server: each test tries what an agent could try and
// checks the host afterwards. Skipped, visibly and with the reason, on a host where bubblewrap
// cannot create its namespaces.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { SandboxPolicy } from "../../src/sandbox/sandbox-policy.js";
import { requireInCi } from "../helpers/ci.js";
import { hasTool, launcher, sandboxUnavailable } from "../helpers/sandbox.js";
import { runIntercepted, type InterceptedOptions } from "../helpers/intercepted.js";

const unavailable = sandboxUnavailable;
const hasPython = hasTool("python3", "-c", "pass");

const READ_ONLY: SandboxPolicy = {
  type: "read-only",
  access: { type: "full-access" },
  network_access: false,
};
const WORKSPACE: SandboxPolicy = {
  type: "workspace-write",
  writable_roots: [],
  read_only_access: { type: "full-access" },
  network_access: false,
  exclude_tmpdir_env_var: true,
  exclude_slash_tmp: true,
};

let workspace: string;
/** Not under /tmp (which workspace-write may write) or the workspace. */
let outside: string;

beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), "execward-escape-ws-"));
  outside = await mkdtemp("/var/tmp/execward-escape-out-");
});
afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

function sandboxed(command: string, policy: SandboxPolicy, options: InterceptedOptions = {}) {
  return runIntercepted(command, {
    cwd: workspace,
    ...options,
    sandbox: { launcher, policy },
  });
}

describe.skipIf(requireInCi(unavailable))(
  `sandbox escapes${unavailable === undefined ? "" : ` (SKIPPED: ${unavailable})`}`,
  () => {
    it("workspace-write: writes inside the roots land, writes anywhere else fail", async () => {
      const result = await sandboxed(
        `echo in > inside.txt && echo in-ok
         echo out > ${outside}/outside.txt || echo out-refused
         echo tmp > /tmp/execward-escape-$$ || echo tmp-refused
         touch /etc/execward-escape || echo etc-refused`,
        WORKSPACE,
      );
      expect(result.stdout).toBe("in-ok\nout-refused\ntmp-refused\netc-refused\n");
      expect(result.stderr).toContain("Read-only file system");
      expect(await readFile(path.join(workspace, "inside.txt"), "utf8")).toBe("in\n");
      expect(existsSync(path.join(outside, "outside.txt"))).toBe(false);
      expect(existsSync("/etc/execward-escape")).toBe(false);
    });

    it("workspace-write includes /tmp and $TMPDIR unless excluded; read-only writes nowhere", async () => {
      const marker = `/tmp/execward-escape-${process.pid}`;
      const withTmp = await sandboxed(`echo x > ${marker} && echo tmp-ok`, {
        ...WORKSPACE,
        exclude_slash_tmp: false,
      });
      expect(withTmp.stdout).toBe("tmp-ok\n");
      expect(existsSync(marker)).toBe(true);
      await rm(marker);
      const readOnly = await sandboxed(
        `echo x > here.txt || echo here-refused; echo x > ${marker} || echo tmp-refused`,
        READ_ONLY,
      );
      expect(readOnly.stdout).toBe("here-refused\ntmp-refused\n");
      expect(existsSync(path.join(workspace, "here.txt"))).toBe(false);
      expect(existsSync(marker)).toBe(false);
    });

    it("keeps .git read-only inside a writable root, and a missing .codex uncreatable", async () => {
      const repo = await mkdtemp(path.join(workspace, "repo-"));
      await mkdir(path.join(repo, ".git", "hooks"), { recursive: true });
      await writeFile(path.join(repo, ".git", "config"), "[core]\n");
      const result = await sandboxed(
        `echo evil >> .git/config || echo config-refused
         echo evil > .git/hooks/post-commit || echo hook-refused
         mv .git moved || echo rename-refused
         mkdir -p .codex/rules || echo codex-refused
         echo ok > file && echo file-ok`,
        WORKSPACE,
        { cwd: repo },
      );
      expect(result.stdout).toBe(
        "config-refused\nhook-refused\nrename-refused\ncodex-refused\nfile-ok\n",
      );
      expect(await readFile(path.join(repo, ".git", "config"), "utf8")).toBe("[core]\n");
      expect(existsSync(path.join(repo, ".git", "hooks", "post-commit"))).toBe(false);
      // The mount points bwrap needed for the missing names are gone again.
      expect(existsSync(path.join(repo, ".codex"))).toBe(false);
      expect(existsSync(path.join(repo, ".agents"))).toBe(false);
    });

    it("refuses a symlinked .git in a writable root instead of leaving it replaceable", async () => {
      const repo = await mkdtemp(path.join(workspace, "linked-"));
      execFileSync("ln", ["-s", outside, path.join(repo, ".git")]);
      await expect(sandboxed("true", WORKSPACE, { cwd: repo })).rejects.toMatchObject({
        code: "sandbox_protected_symlink",
      });
    });

    it("restricted reads: only the readable roots, the cwd and the system; secrets masked", async () => {
      const secretDir = await mkdtemp(path.join(outside, "secret-"));
      await writeFile(path.join(secretDir, "token"), "s3cret\n");
      const shared = await mkdtemp(path.join(outside, "shared-"));
      await writeFile(path.join(shared, "data"), "shared\n");
      await writeFile(path.join(workspace, "mine"), "mine\n");
      const policy: SandboxPolicy = {
        type: "read-only",
        access: { type: "restricted", include_platform_defaults: true, readable_roots: [shared] },
        network_access: false,
      };
      const result = await sandboxed(
        `cat ${secretDir}/token || echo secret-refused
         cat ${shared}/data
         cat mine
         ls /root >/dev/null 2>&1 || echo home-refused
         head -c 4 /etc/passwd; echo
         printf 'shadow:%s\\n' "$(cat /etc/shadow 2>/dev/null | wc -c)"
         git --version >/dev/null && echo tools-ok`,
        policy,
      );
      expect(result.stdout).toBe(
        "secret-refused\nshared\nmine\nhome-refused\nroot\nshadow:0\ntools-ok\n",
      );
      // The control: the same reads under full read access.
      const control = await sandboxed(`cat ${secretDir}/token`, READ_ONLY);
      expect(control.stdout).toBe("s3cret\n");
    });

    it("has no network: a loopback server on the host is unreachable, unless the policy allows", async () => {
      const connections: string[] = [];
      const server = net.createServer((socket) => {
        connections.push("v4");
        socket.end("hello\n");
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const port = (server.address() as net.AddressInfo).port;
      try {
        const probe = `exec 3<>/dev/tcp/127.0.0.1/${port} && head -1 <&3 || echo connect-refused`;
        const isolated = await sandboxed(probe, READ_ONLY);
        expect(isolated.stdout).toBe("connect-refused\n");
        expect(connections).toEqual([]);
        const allowed = await sandboxed(probe, { ...READ_ONLY, network_access: true });
        expect(allowed.stdout).toBe("hello\n");
        expect(connections).toEqual(["v4"]);
      } finally {
        server.close();
      }
    });

    it("hides host processes and cannot signal them", async () => {
      const sleeper: ChildProcess = spawn("sleep", ["60"], { stdio: "ignore" });
      const pid = sleeper.pid as number;
      try {
        const result = await sandboxed(
          `kill -0 ${pid} 2>/dev/null && echo visible || echo invisible
           kill -9 ${pid} 2>/dev/null && echo killed || echo unkillable
           ls /proc | grep -qx ${pid} && echo listed || echo unlisted
           echo "pid-of-shell=$$"`,
          READ_ONLY,
        );
        expect(result.stdout).toMatch(/^invisible\nunkillable\nunlisted\npid-of-shell=\d\n$/);
        expect(sleeper.exitCode).toBeNull();
        expect(() => process.kill(pid, 0)).not.toThrow();
      } finally {
        sleeper.kill("SIGKILL");
      }
    });

    it("holds as root: no remount, no new user namespace, no capabilities", async () => {
      const result = await sandboxed(
        `mount -o remount,rw / 2>/dev/null && echo remounted || echo remount-refused
         touch /etc/execward-escape 2>/dev/null && echo wrote-etc || echo etc-refused
         unshare -U true 2>/dev/null && echo userns || echo userns-refused
         unshare -Ur true 2>/dev/null && echo userns-root || echo userns-root-refused
         grep '^CapEff' /proc/self/status`,
        WORKSPACE,
      );
      expect(result.stdout).toBe(
        "remount-refused\netc-refused\nuserns-refused\nuserns-root-refused\nCapEff:\t0000000000000000\n",
      );
      expect(existsSync("/etc/execward-escape")).toBe(false);
    });

    it.skipIf(requireInCi(hasPython ? undefined : "python3 is not installed"))(
      "cannot connect to a host Unix socket, while the escalation hook still works",
      async () => {
        const socketPath = path.join(outside, "host.sock");
        let reached = 0;
        const server = net.createServer((socket) => {
          reached++;
          socket.end();
        });
        await new Promise<void>((resolve) => server.listen(socketPath, resolve));
        try {
          const result = await sandboxed(
            `python3 -c '
import socket
try:
    s = socket.socket(socket.AF_UNIX)
    s.connect("${socketPath}")
    print("connected")
except OSError as e:
    print("refused:", e.strerror)
a, b = socket.socketpair()
a.send(b"x")
print("socketpair:", b.recv(1).decode())
'
             printenv LD_PRELOAD >/dev/null && echo not-escalated || echo escalated
             rm -f nothing; echo rm-status=$?`,
            READ_ONLY,
            {
              rules: `prefix_rule(pattern=["printenv"], decision="allow")\nprefix_rule(pattern=["rm"], decision="forbidden")\n`,
            },
          );
          expect(result.stdout).toBe(
            "refused: Operation not permitted\nsocketpair: x\nescalated\nrm-status=1\n",
          );
          expect(result.stderr).toContain("Execution denied: Execution forbidden by policy");
          expect(reached).toBe(0);
          // The escalated printenv ran outside: the server saw and allowed it.
          expect(
            result.decisions
              .map((d) => [path.basename(d.request.file), d.decision.action])
              .filter(([name]) => name === "printenv" || name === "rm"),
          ).toEqual([
            ["printenv", "escalate"],
            ["rm", "deny"],
          ]);
        } finally {
          server.close();
        }
      },
    );

    it.skipIf(requireInCi(hasPython ? undefined : "python3 is not installed"))(
      "refuses io_uring, the user's keyrings and typing into a terminal (TIOCSTI)",
      async () => {
        const result = await sandboxed(
          `python3 -c '
import ctypes, os, fcntl, termios
libc = ctypes.CDLL(None, use_errno=True)
params = ctypes.create_string_buffer(120)
fd = libc.syscall(425, 4, params)
print("io_uring:", "created" if fd >= 0 else os.strerror(ctypes.get_errno()))
keyctl = {"x86_64": 250, "aarch64": 219}[os.uname().machine]
ring = libc.syscall(keyctl, 0, -4, 0)  # KEYCTL_GET_KEYRING_ID of the user keyring
print("keyctl:", "reached" if ring >= 0 else os.strerror(ctypes.get_errno()))
master = os.open("/dev/ptmx", os.O_RDWR | os.O_NOCTTY)
try:
    fcntl.ioctl(master, termios.TIOCSTI, b"X")
    print("tiocsti: injected")
except OSError as e:
    print("tiocsti:", e.strerror)
'`,
          READ_ONLY,
        );
        expect(result.stdout).toBe(
          "io_uring: Operation not permitted\nkeyctl: Operation not permitted\ntiocsti: Operation not permitted\n",
        );
      },
    );
  },
);
