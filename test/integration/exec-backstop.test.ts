// The kernel exec backstop (seccomp user notification, execward-exec-supervisor) attacked from
// inside the sandbox through the real `execward run`: execs the preload hook never sees (a
// static program, a raw execve system call, python ctypes, busybox, the dynamic loader run
// directly, memfd + fexecve) under `prefix_rule(pattern=["rm"], decision="forbidden")`. Every
// case first runs the same technique in plain bash, without execward, and checks that it deletes
// the victim: the control that lets the execward half fail.
import { loadNativeParts, nativePaths } from "../../src/native/native-addon.js";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { Approver } from "../../src/approval/approver.js";
import { computeAskList } from "../../src/escalation/ask-list.js";
import { createRulesEscalationPolicy } from "../../src/escalation/rules-escalation-policy.js";
import { runRequirements, startInterceptedRun } from "../../src/exec/intercepted-run.js";
import { parsePolicy } from "../../src/policy/index.js";
import type { SandboxPolicy } from "../../src/sandbox/sandbox-policy.js";
import { requireInCi } from "../helpers/ci.js";
import { runIntercepted } from "../helpers/intercepted.js";
import { CLI_PATH, REPO_ROOT } from "../helpers/paths.js";
import { runCli, type CliResult } from "../helpers/run-cli.js";
import { hasTool, launcher, sandboxUnavailable } from "../helpers/sandbox.js";

const FORBID_RM = `prefix_rule(pattern=["rm"], decision="forbidden", justification="use a trash folder")\n`;
/** Upstream's wording first, then the rule that decided (file:line) and its justification. */
const DENIED =
  /Execution denied: Execution forbidden by policy: forbidden by \S*test\.rules:1: use a trash folder/;
const BUSYBOX = "/bin/busybox";
const LOADER =
  process.arch === "arm64" ? "/lib/ld-linux-aarch64.so.1" : "/lib64/ld-linux-x86-64.so.2";
const WORKSPACE: SandboxPolicy = {
  type: "workspace-write",
  writable_roots: [],
  network_access: false,
  read_only_access: { type: "full-access" },
  exclude_tmpdir_env_var: false,
  exclude_slash_tmp: false,
};
const hasGcc = hasTool("gcc", "--version");
const hasStaticLibc =
  hasGcc &&
  (() => {
    try {
      execFileSync("sh", ["-c", "echo 'int main(){return 0;}' | gcc -static -x c -o /dev/null -"], {
        stdio: "ignore",
      });
      return true;
    } catch {
      return false;
    }
  })();
const unavailable =
  sandboxUnavailable ??
  (hasStaticLibc ? undefined : "no gcc with a static libc (apt-get install gcc libc6-dev)") ??
  (existsSync(BUSYBOX) ? undefined : "no busybox-static (apt-get install busybox-static)") ??
  (hasTool("python3", "-c", "pass") ? undefined : "no python3") ??
  (existsSync(LOADER) ? undefined : `no dynamic loader at ${LOADER}`);

let tools: string;
let staticHelper: string;
let dynamicHelper: string;
let workspace: string;
let home: string;

beforeAll(async () => {
  if (unavailable !== undefined) return;
  tools = await mkdtemp("/var/tmp/execward-backstop-tools-");
  staticHelper = path.join(tools, "exec-static");
  dynamicHelper = path.join(tools, "exec-dynamic");
  const source = path.join(REPO_ROOT, "test/fixtures/attacks/exec-helpers.c");
  execFileSync("gcc", ["-static", "-O2", "-o", staticHelper, source]);
  execFileSync("gcc", ["-O2", "-o", dynamicHelper, source]);
});
afterAll(async () => {
  if (tools !== undefined) await rm(tools, { recursive: true, force: true });
});
beforeEach(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), "execward-backstop-ws-"));
  home = await mkdtemp("/var/tmp/execward-backstop-home-");
  await writeFile(path.join(workspace, "victim"), "precious\n");
});
afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
});

function env(): NodeJS.ProcessEnv {
  return { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: home, LANG: "C.UTF-8" };
}

async function execward(rules: string, command: string): Promise<CliResult> {
  const rulesFile = path.join(home, "test.rules");
  await writeFile(rulesFile, rules);
  return runCli(["run", "--no-discover", "--rules", rulesFile, "--", command], {
    cwd: workspace,
    env: env(),
  });
}

/** The technique in plain bash must delete the victim; under execward it must not. */
async function expectBlocked(command: string): Promise<CliResult> {
  const victim = path.join(workspace, "victim");
  spawnSync("bash", ["-c", command], { cwd: workspace, env: env(), stdio: "ignore" });
  expect(existsSync(victim), `control: \`${command}\` deletes the victim without execward`).toBe(
    false,
  );
  for (const entry of readdirSync(workspace))
    await rm(path.join(workspace, entry), { force: true });
  await writeFile(victim, "precious\n");
  const result = await execward(FORBID_RM, command);
  expect(existsSync(victim), `${result.stdout}\n${result.stderr}`).toBe(true);
  return result;
}

const H = (): string => staticHelper;
const D = (): string => dynamicHelper;

/** [name, command, what the output must say] */
const TECHNIQUES: readonly (readonly [string, () => string, RegExp])[] = [
  [
    "a static program execs rm (libc execv, no hook)",
    () => `${H()} execv /usr/bin/rm rm victim`,
    DENIED,
  ],
  ["a static program execs rm by raw execve", () => `${H()} raw /usr/bin/rm rm victim`, DENIED],
  [
    'a static program: execveat(dirfd of /usr/bin, "rm")',
    () => `${H()} at /usr/bin rm rm victim`,
    DENIED,
  ],
  [
    'a static program: execve("/proc/self/fd/N") of rm',
    () => `${H()} fdpath /usr/bin/rm rm victim`,
    DENIED,
  ],
  ["a dynamic program calls syscall(SYS_execve)", () => `${D()} raw /usr/bin/rm rm victim`, DENIED],
  [
    "python ctypes: libc.syscall(SYS_execve)",
    () =>
      `python3 -c 'import ctypes; libc = ctypes.CDLL(None); argv = (ctypes.c_char_p * 3)(b"rm", b"victim", None); libc.syscall(${process.arch === "arm64" ? 221 : 59}, b"/usr/bin/rm", argv, None)'`,
    DENIED,
  ],
  ["busybox rm (in the hook's view)", () => `${BUSYBOX} rm victim`, DENIED],
  [
    "busybox rm, exec'd by a static program",
    () => `${H()} execv ${BUSYBOX} busybox rm victim`,
    DENIED,
  ],
  ["a busybox symlink named rm", () => `ln -s ${BUSYBOX} rm && ./rm victim`, DENIED],
  [
    "a busybox symlink named rm, exec'd by a static program",
    () => `ln -s ${BUSYBOX} rm && ${H()} execv ./rm rm victim`,
    DENIED,
  ],
  [
    "busybox sh running /usr/bin/rm (busybox is static)",
    () => `${BUSYBOX} sh -c '/usr/bin/rm victim'`,
    DENIED,
  ],
  ["ld.so /usr/bin/rm (in the hook's view)", () => `${LOADER} /usr/bin/rm victim`, DENIED],
  [
    "ld.so --inhibit-cache --argv0 x /usr/bin/rm",
    () => `${LOADER} --inhibit-cache --argv0 x /usr/bin/rm victim`,
    DENIED,
  ],
  [
    "ld.so /usr/bin/rm, exec'd by a static program",
    () => `${H()} execv ${LOADER} ld.so /usr/bin/rm victim`,
    DENIED,
  ],
  [
    "ld.so ./symlink-to-rm, exec'd by a static program",
    () => `ln -s /usr/bin/rm del && ${H()} raw ${LOADER} ld.so ./del victim`,
    DENIED,
  ],
  [
    "memfd + fexecve of a copy of rm (static program)",
    () => `${H()} memfd /usr/bin/rm rm victim`,
    /a memfd or a deleted file run through a descriptor/,
  ],
];

describe.skipIf(requireInCi(unavailable))(
  `the kernel exec backstop${unavailable === undefined ? "" : ` (SKIPPED: ${unavailable})`}`,
  () => {
    describe("a forbidden rm holds for execs the hook does not see", () => {
      for (const [name, command, says] of TECHNIQUES) {
        it(name, async () => {
          const result = await expectBlocked(command());
          expect(result.stdout + result.stderr).toMatch(says);
        });
      }

      it("an unknown ld.so option is refused, not guessed", async () => {
        const result = await execward(
          FORBID_RM,
          `${H()} execv ${LOADER} ld.so --future-option x /usr/bin/rm victim`,
        );
        expect(existsSync(path.join(workspace, "victim"))).toBe(true);
        expect(result.stderr).toContain(
          "the dynamic loader is run with options execward cannot read",
        );
      });

      // busybox's shell runs its own rm applet in-process: no exec happens, so nothing at the
      // exec boundary can judge it (as `python -c 'os.unlink(...)'`); the sandbox holds it.
      it.fails("busybox sh -c 'rm victim' (an in-process applet: no exec at all)", async () => {
        await expectBlocked(`${BUSYBOX} sh -c 'rm victim'`);
      });
    });

    describe("what is allowed still runs", () => {
      it("a static program's exec of an unruled program runs (fast path)", async () => {
        const result = await execward(FORBID_RM, `${H()} execv /bin/echo echo hello from echo`);
        expect(result.stdout).toContain("hello from echo");
        expect(result.code).toBe(0);
      });

      it("an allow rule reached without the hook runs inside the sandbox, never outside", async () => {
        // `touch` outside the sandbox could write /var/tmp; inside it cannot.
        const outside = path.join(home, "escaped");
        const result = await execward(
          `prefix_rule(pattern=["touch"], decision="allow")\n`,
          `${H()} execv /usr/bin/touch touch ${outside}; echo status=$?`,
        );
        expect(existsSync(outside), result.stderr).toBe(false);
        expect(result.stderr).toContain("Read-only file system");
        expect(result.stdout).toContain("status=1");
      });

      it("a prompt reached without the hook and without a human is refused", async () => {
        const result = await execward(
          `prefix_rule(pattern=["echo"], decision="prompt")\n`,
          `${H()} execv /bin/echo echo should-not-print`,
        );
        expect(result.stdout).not.toContain("should-not-print");
        expect(result.stderr).toContain("Execution denied");
        expect(result.stdout).toContain("exec failed: EPERM");
      });

      it("an exec the hook already decided is not asked about twice", async () => {
        // `rm -f` trips the dangerous-command heuristic: one question, answered yes, then the
        // exec runs in the sandbox, where the backstop sees it again and must not re-ask.
        const result = await runIntercepted("rm -f victim", {
          cwd: workspace,
          answer: "accept",
          sandbox: {
            launcher,
            policy: WORKSPACE,
          },
        });
        expect(existsSync(path.join(workspace, "victim")), result.stderr).toBe(false);
        expect(result.approver.requests).toHaveLength(1);
      });

      it("the same exec made behind the hook's back is asked about (no reuse across programs)", async () => {
        const result = await runIntercepted(`${H()} execv /usr/bin/rm rm -f victim`, {
          cwd: workspace,
          answer: "decline",
          sandbox: {
            launcher,
            policy: WORKSPACE,
          },
        });
        expect(existsSync(path.join(workspace, "victim")), result.stderr).toBe(true);
        expect(result.approver.requests).toHaveLength(1);
        expect(result.stderr).toContain("User declined execution");
      });
    });

    describe("robustness", () => {
      it("a storm of 10,000 execs through the backstop neither deadlocks nor leaks", async () => {
        const sandbox = { launcher, policy: WORKSPACE };
        // 10,000 execs on the C fast path (`test` is on no rule), then 1,000 of `true`, named by
        // an allow rule, each a round trip to the server (run in the sandbox: the backstop never
        // escalates); a warm-up run first, so descriptors Node opens lazily are not counted.
        const rules = `prefix_rule(pattern=["true"], decision="allow")\n`;
        const storm = `${H()} storm 10000 /usr/bin/test test x && ${H()} storm 1000 /bin/true true`;
        await runIntercepted(`${H()} storm 10 /bin/true true`, { cwd: workspace, rules, sandbox });
        const fdsBefore = readdirSync("/proc/self/fd").length;
        const result = await runIntercepted(storm, { cwd: workspace, rules, sandbox });
        expect(result.stdout, result.stderr).toContain("storm: 10000 execs, 0 failed");
        expect(result.stdout, result.stderr).toContain("storm: 1000 execs, 0 failed");
        expect(result.decisions.filter((d) => d.request.file === "/bin/true").length).toBe(1000);
        expect(result.decisions.every((d) => d.decision.action === "escalate")).toBe(true);
        expect(result.exitCode).toBe(0);
        expect(readdirSync("/proc/self/fd").length).toBe(fdsBefore);
        expect(supervisorsAlive()).toEqual([]);
      }, 180_000);

      it("a question about an exec whose process died is withdrawn", async () => {
        const policy = parsePolicy([{ name: "none.rules", text: "" }], {
          paths: { cwd: "/", home: "/root" },
        });
        const asked: string[] = [];
        // Counted only while the command still runs: the end of the run aborts everything anyway.
        let withdrawn = 0;
        let stdout = "";
        const running = (): boolean => !stdout.includes("end");
        // Never answers; resolves "decline" only once the question is withdrawn.
        const approver: Approver = {
          ask: (request, signal) =>
            new Promise((resolve) => {
              asked.push(request.kind === "exec" ? request.program : "network");
              signal.addEventListener("abort", () => {
                if (running()) withdrawn++;
                resolve("decline");
              });
            }),
        };
        const prepared = await launcher.prepare({
          policy: WORKSPACE,
          policyCwd: workspace,
          commandCwd: workspace,
          tmpdir: undefined,
          required: runRequirements("/bin/bash", undefined, nativePaths()),
        });
        const run = startInterceptedRun({
          native: loadNativeParts(),
          // rm -f trips the dangerous-command heuristic: the static helper's exec waits for a
          // human until `timeout` kills it.
          command: `timeout -s KILL 1 ${H()} execv /usr/bin/rm rm -f victim; echo done; sleep 3; echo end`,
          shell: "/bin/bash",
          login: false,
          mode: "preload",
          cwd: workspace,
          env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: home },
          policy: createRulesEscalationPolicy({
            policy,
            approver,
            writableRoots: prepared.writableRoots,
          }),
          askList: computeAskList(policy, false),
          stdio: "pipe",
          log: () => undefined,
          sandbox: prepared,
        });
        run.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
        run.child.stderr?.resume();
        await run.exit;
        await run.cleanedUp;
        expect(stdout).toContain("done");
        expect(asked).toEqual(["/usr/bin/rm"]);
        expect(withdrawn).toBe(1);
        expect(existsSync(path.join(workspace, "victim"))).toBe(true);
      });

      it("nothing in the sandbox holds the listener or the supervisor's channel", async () => {
        const result = await execward(
          FORBID_RM,
          `for fd in /proc/$$/fd/*; do echo "$fd -> $(readlink $fd)"; done; ${H()} execv /bin/echo echo ran`,
        );
        expect(result.stdout).toContain("ran");
        expect(result.stdout).not.toContain("seccomp");
        const fds = [...result.stdout.matchAll(/\/fd\/(\d+) ->/g)].map((m) => Number(m[1]));
        expect(fds).toContain(0);
        // 5: the supervisor's channel to execward, 6: the listener's way out (the init closed it).
        expect(fds).not.toContain(5);
        expect(fds).not.toContain(6);
      });

      it("a kernel without user notification: the command runs with the hook only, and says so once", async () => {
        const wrapper = path.join(tools, "no-user-notif");
        execFileSync("gcc", [
          "-O2",
          "-o",
          wrapper,
          path.join(REPO_ROOT, "test/fixtures/attacks/no-user-notif.c"),
        ]);
        const rulesFile = path.join(home, "test.rules");
        await writeFile(rulesFile, FORBID_RM);
        const result = spawnSync(
          wrapper,
          [
            process.execPath,
            CLI_PATH,
            "run",
            "--no-discover",
            "--rules",
            rulesFile,
            "--",
            `${H()} execv /bin/echo echo first; ${H()} execv /bin/echo echo second; rm victim`,
          ],
          { cwd: workspace, env: env(), encoding: "utf8" },
        );
        expect(result.stdout).toContain("first");
        expect(result.stdout).toContain("second");
        const notes =
          result.stderr.split("the kernel exec backstop is off for this command").length - 1;
        expect(notes, result.stderr).toBe(1);
        expect(result.stderr).toContain("execs are judged by the exec hook only");
        // The hook still holds for what it sees.
        expect(result.stderr).toMatch(DENIED);
        expect(existsSync(path.join(workspace, "victim"))).toBe(true);
      });

      it("the kernel fails an exec once the listener is gone (ENOSYS): a dead supervisor lets nothing run", async () => {
        const probe = path.join(tools, "listener-gone");
        const source = path.join(tools, "listener-gone.c");
        await writeFile(source, LISTENER_GONE_C);
        execFileSync("gcc", ["-O2", "-o", probe, source]);
        const result = spawnSync(probe, [], { encoding: "utf8", cwd: workspace });
        // Control: the same probe's exec runs while the listener is open (answered CONTINUE).
        expect(result.stdout).toContain("with listener: exec ran");
        expect(result.stdout).toContain("listener closed: ENOSYS");
      });
    });
  },
);

/** Processes left running from execward-exec-supervisor (there should be none). */
function supervisorsAlive(): string[] {
  const alive: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/exe`).endsWith("execward-exec-supervisor")) {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        if (!/\) Z /.test(stat)) alive.push(entry);
      }
    } catch {
      // gone
    }
  }
  return alive;
}

/**
 * The kernel behaviour the design relies on: a child under a user-notification filter execs
 * once while the parent answers CONTINUE, then again after the parent closed the listener.
 */
const LISTENER_GONE_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int try_exec(void) {
  pid_t pid = fork();
  if (pid == 0) {
    char *argv[] = {"true", NULL};
    syscall(SYS_execve, "/bin/true", argv, NULL);
    _exit(errno == ENOSYS ? 38 : 99);
  }
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(void) {
  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  pid_t child = fork();
  if (child == 0) {
    struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = 4, .filter = f};
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    int listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (listener < 0) { printf("no user notification: %s\n", strerror(errno)); _exit(1); }
    char c = 'L';
    struct iovec iov = {.iov_base = &c, .iov_len = 1};
    char buf[CMSG_SPACE(sizeof(int))];
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET; cm->cmsg_type = SCM_RIGHTS; cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &listener, sizeof(int));
    sendmsg(pair[1], &msg, 0);
    close(listener);
    read(pair[1], &c, 1);
    printf("with listener: %s\n", try_exec() == 0 ? "exec ran" : "exec failed");
    fflush(stdout);
    write(pair[1], &c, 1);
    read(pair[1], &c, 1);
    printf("listener closed: %s\n", try_exec() == 38 ? "ENOSYS" : "exec did not fail with ENOSYS");
    fflush(stdout);
    _exit(0);
  }
  char c;
  struct iovec iov = {.iov_base = &c, .iov_len = 1};
  char buf[CMSG_SPACE(sizeof(int))];
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf};
  recvmsg(pair[0], &msg, 0);
  int listener;
  memcpy(&listener, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
  write(pair[0], "go", 1);
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  memset(&req, 0, sizeof req);
  ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req);
  memset(&resp, 0, sizeof resp);
  resp.id = req.id;
  resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  read(pair[0], &c, 1);
  close(listener);
  write(pair[0], "go", 1);
  waitpid(child, NULL, 0);
  return 0;
}
`;
