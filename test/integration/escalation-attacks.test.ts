// The escalation attacked from inside the sandbox, through the real `execward run` (real bwrap,
// hook, server), with nothing but ordinary rules. Every case first runs the same attack in plain
// bash, without execward, and checks that it does what it claims (the canary appears, the victim
// is deleted): that is the control that lets the execward half fail. Canaries live under
// /var/tmp, which the sandbox cannot write, so a canary there was written by a program running
// on the host.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { REPO_ROOT } from "../helpers/paths.js";
import { runCli, type CliResult } from "../helpers/run-cli.js";
import { requireInCi } from "../helpers/ci.js";
import { hasTool, sandboxUnavailable } from "../helpers/sandbox.js";

const FORGER = path.join(REPO_ROOT, "test/fixtures/attacks/forge-request.py");
const hasPython = hasTool("python3", "-c", "pass");
const hasGit = hasTool("git", "--version");
const unavailable =
  sandboxUnavailable ?? (hasPython ? undefined : "no python3") ?? (hasGit ? undefined : "no git");

let workspace: string;
let canaries: string;
let home: string;

beforeEach(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), "execward-attack-ws-"));
  canaries = await mkdtemp("/var/tmp/execward-attack-canary-");
  home = await mkdtemp("/var/tmp/execward-attack-home-");
});
afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
  await rm(canaries, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
});

function env(): NodeJS.ProcessEnv {
  return { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: home, LANG: "C.UTF-8" };
}

/** The attack without execward: plain bash in the same directory with the same environment. */
function plain(command: string): { status: number | null; stderr: string } {
  const result = spawnSync("bash", ["-c", command], {
    cwd: workspace,
    env: env(),
    encoding: "utf8",
  });
  return { status: result.status, stderr: result.stderr };
}

async function execward(rules: string, command: string, extra: string[] = []): Promise<CliResult> {
  const rulesFile = path.join(home, "attack.rules");
  await writeFile(rulesFile, rules);
  return runCli(["run", "--no-discover", "--rules", rulesFile, ...extra, "--", command], {
    cwd: workspace,
    env: env(),
  });
}

async function owned(): Promise<string[]> {
  return readdir(canaries);
}

/** Runs `attack(canary)` in plain bash (must leave the canary) and under execward (must not). */
async function expectContained(
  rules: string,
  attack: (canary: string) => string,
  extra: string[] = [],
): Promise<CliResult> {
  const control = path.join(canaries, "control");
  plain(attack(control));
  expect(existsSync(control), "control: the attack works without execward").toBe(true);
  await rm(control, { force: true });
  await prepare();
  const result = await execward(rules, attack(path.join(canaries, "owned")), extra);
  expect(await owned(), `${result.stdout}\n${result.stderr}`).toEqual([]);
  return result;
}

/** workspace-write with the workspace as the only writable root (no /tmp above it). */
const WORKSPACE_ONLY = [
  "--sandbox-policy",
  JSON.stringify({
    type: "workspace-write",
    writable_roots: [],
    network_access: false,
    exclude_tmpdir_env_var: true,
    exclude_slash_tmp: true,
  }),
];

/** Resets the workspace between the control and the real run. */
async function prepare(): Promise<void> {
  for (const entry of await readdir(workspace)) {
    if (entry !== ".git") await rm(path.join(workspace, entry), { recursive: true, force: true });
  }
}

function gitRepo(dir: string): void {
  spawnSync("git", ["init", "-q", dir], { env: env() });
}

const GIT_STATUS = `prefix_rule(pattern=["git", "status"], decision="allow")\n`;
const RM_FORBIDDEN = `prefix_rule(pattern=["rm"], decision="forbidden")\n`;

describe.skipIf(requireInCi(unavailable))(
  `escalation attacks from inside the sandbox${unavailable === undefined ? "" : ` (SKIPPED: ${unavailable})`}`,
  () => {
    describe("E1: the escalated environment is the user's, not the sandbox's", () => {
      it("HOME pointing at a sandbox-written .gitconfig", async () => {
        gitRepo(workspace);
        await expectContained(
          GIT_STATUS,
          (canary) =>
            `mkdir -p /tmp/ew-h-$$ && printf '[core]\\n\\tfsmonitor = "touch ${canary} #"\\n' > /tmp/ew-h-$$/.gitconfig && HOME=/tmp/ew-h-$$ git status >/dev/null 2>&1; true`,
        );
      });

      it("XDG_CONFIG_HOME pointing at a sandbox-written git config", async () => {
        gitRepo(workspace);
        await expectContained(
          GIT_STATUS,
          (canary) =>
            `mkdir -p /tmp/ew-x-$$/git && printf '[core]\\n\\tfsmonitor = "touch ${canary} #"\\n' > /tmp/ew-x-$$/git/config && XDG_CONFIG_HOME=/tmp/ew-x-$$ git status >/dev/null 2>&1; true`,
        );
      });

      it("GIT_TRACE appending to a host file", async () => {
        gitRepo(workspace);
        await expectContained(
          GIT_STATUS,
          (canary) => `GIT_TRACE=${canary} git status >/dev/null 2>&1; true`,
        );
      });

      it("GIT_DIR naming a sandbox-made repository", async () => {
        gitRepo(workspace);
        await expectContained(
          GIT_STATUS,
          (canary) =>
            `git init -q --bare /tmp/ew-d-$$ && git --git-dir=/tmp/ew-d-$$ config core.fsmonitor "touch ${canary} #" && git --git-dir=/tmp/ew-d-$$ config core.bare false && GIT_DIR=/tmp/ew-d-$$ GIT_WORK_TREE=. git status >/dev/null 2>&1; true`,
        );
      });

      it("PATH putting a sandbox-written program before the real one", async () => {
        const bin = path.join(home, "bin");
        await mkdir(bin);
        await writeFile(path.join(bin, "helper.sh"), "#!/bin/sh\nexec greet\n");
        await chmod(path.join(bin, "helper.sh"), 0o755);
        await expectContained(
          `prefix_rule(pattern=["helper.sh"], decision="allow")\n`,
          (canary) =>
            `mkdir -p /tmp/ew-p-$$ && printf '#!/bin/sh\\ntouch ${canary}\\n' > /tmp/ew-p-$$/greet && chmod +x /tmp/ew-p-$$/greet && PATH=/tmp/ew-p-$$:$PATH ${bin}/helper.sh; true`,
        );
      });

      it("a forged request whose variable names carry '=' (PYTHONPATH smuggled past the deny-list)", async () => {
        const bin = path.join(home, "bin");
        await mkdir(bin);
        await writeFile(path.join(bin, "tool.py"), "#!/usr/bin/python3\nimport json\n");
        await chmod(path.join(bin, "tool.py"), 0o755);
        const request = (canary: string, pyDir: string) =>
          JSON.stringify({
            file: path.join(bin, "tool.py"),
            argv: ["tool.py"],
            workdir: workspace,
            env: {
              "PYTHONPATH=/tmp/ew-py:": "x",
              PATH: "/usr/bin:/bin",
              CANARY: canary,
              PYDIR: pyDir,
            },
          });
        const attack = (canary: string) =>
          `mkdir -p /tmp/ew-py && printf 'open("${canary}", "w")\\n' > /tmp/ew-py/json.py && python3 ${FORGER} request '${request(canary, "/tmp/ew-py")}'`;
        // Control: the same environment through the kernel's envp gives PYTHONPATH=/tmp/ew-py=x,
        // which Python reads as one path; prove the planted module runs with a clean name instead.
        const control = path.join(canaries, "control");
        plain(
          `mkdir -p /tmp/ew-py && printf 'open("${control}", "w")\\n' > /tmp/ew-py/json.py && PYTHONPATH=/tmp/ew-py ${bin}/tool.py`,
        );
        expect(existsSync(control)).toBe(true);
        await rm(control);
        const result = await execward(
          `prefix_rule(pattern=["tool.py"], decision="allow")\n`,
          attack(path.join(canaries, "owned")),
        );
        expect(await owned(), result.stderr).toEqual([]);
        await rm("/tmp/ew-py", { recursive: true, force: true });
      });
    });

    describe("E3: configuration the sandbox wrote is never trusted silently", () => {
      it("a repository made in a directory named ..x (a prefix check would call it outside)", async () => {
        await expectContained(
          GIT_STATUS,
          (canary) =>
            `mkdir -p ..x && cd ..x && git init -q && git config core.fsmonitor "touch ${canary} #" && git status >/dev/null 2>&1; true`,
          WORKSPACE_ONLY,
        );
      });

      it("a repository made in the sandbox with core.fsmonitor (the issue's example)", async () => {
        await expectContained(
          GIT_STATUS,
          (canary) =>
            `mkdir -p sub && cd sub && git init -q && git config core.fsmonitor "touch ${canary} #" && git status >/dev/null 2>&1; true`,
        );
      });
    });

    describe("E4: a forbidden program cannot run under another name", () => {
      const victim = (): string => path.join(workspace, "victim");
      async function expectVictimSurvives(attack: string): Promise<CliResult> {
        await writeFile(victim(), "x");
        plain(attack);
        expect(existsSync(victim()), "control: the attack deletes the victim in plain bash").toBe(
          false,
        );
        await writeFile(victim(), "x");
        const result = await execward(RM_FORBIDDEN, attack);
        expect(existsSync(victim()), `${result.stdout}\n${result.stderr}`).toBe(true);
        return result;
      }

      it("through /dev/stdin", async () => {
        await expectVictimSurvives(`/dev/stdin victim < /usr/bin/rm`);
      });
      it("through /dev/fd/N", async () => {
        await expectVictimSurvives(`/dev/fd/7 victim 7< /usr/bin/rm`);
      });
      it("through /proc/self/fd/N", async () => {
        await expectVictimSurvives(`/proc/self/fd/7 victim 7< /usr/bin/rm`);
      });
      it("through a memfd (fexecve)", async () => {
        await expectVictimSurvives(
          `python3 -c 'import os; f = os.memfd_create("x"); os.write(f, open("/usr/bin/rm", "rb").read()); os.execve(f, ["x", "victim"], dict(os.environ))'`,
        );
      });
      it("through a symlink in a mount only the sandbox has (/dev/shm)", async () => {
        await expectVictimSurvives(
          `ln -sf /usr/bin/rm /dev/shm/ew-x-$$ && /dev/shm/ew-x-$$ victim`,
        );
      });
      it("through a symlink whose name is not UTF-8", async () => {
        await expectVictimSurvives(`ln -sf /usr/bin/rm $'ew-\\xff' && ./$'ew-\\xff' victim`);
      });
      it("through a shebang (#!/usr/bin/rm)", async () => {
        await expectVictimSurvives(`printf '#!/usr/bin/rm\\n' > s && chmod +x s && ./s victim`);
      });
      it("through a shebang of a shebang", async () => {
        await expectVictimSurvives(
          `printf '#!/usr/bin/rm\\n' > s1 && chmod +x s1 && printf '#!${workspace}/s1\\n' > s2 && chmod +x s2 && ./s2 victim`,
        );
      });
    });

    describe("E2/E5: forged protocol requests", () => {
      it("cannot escalate a file that exists only inside the sandbox (held descriptor + /proc/self/fd)", async () => {
        // A session leaves a directory descriptor with the server (half a frame), then a second
        // session names `/proc/self/fd/<n>/git`: in the server's /proc, that is the sandbox's
        // directory. Under the old server one of the guesses ran the sandbox's git outside.
        const attack = (canary: string) => {
          const guesses = Array.from({ length: 60 }, (_, i) => i + 10)
            .map((n) =>
              JSON.stringify({
                file: `/proc/self/fd/${n}/git`,
                argv: ["git", "status"],
                workdir: workspace,
                env: { PATH: "/usr/bin:/bin" },
              }),
            )
            .map((r) => `python3 ${FORGER} request '${r}' >/dev/null 2>&1`)
            .join("; ");
          return `mkdir -p /dev/shm/ew-d && printf '#!/bin/sh\\ntouch ${canary}\\n' > /dev/shm/ew-d/git && chmod +x /dev/shm/ew-d/git && (python3 ${FORGER} hoard 4 /dev/shm/ew-d & sleep 1; ${guesses}; kill %1) ; true`;
        };
        await prepare();
        const result = await execward(GIT_STATUS, attack(path.join(canaries, "owned")));
        expect(await owned(), result.stderr).toEqual([]);
      });

      it("a spawn that fails (workdir below a regular file) is reported, and the run goes on", async () => {
        await writeFile(path.join(workspace, "plain-file"), "x");
        const request = JSON.stringify({
          file: "/usr/bin/git",
          argv: ["git", "status"],
          workdir: path.join(workspace, "plain-file", "below"),
          env: { PATH: "/usr/bin:/bin" },
        });
        const result = await execward(
          GIT_STATUS,
          `python3 ${FORGER} request '${request}'; echo still-alive`,
        );
        expect(result.stdout).toContain("still-alive");
        expect(result.code).toBe(0);
      });

      it("a failed start whose stderr is a full pipe nobody reads does not stall the server", async () => {
        // The requester hands over, as its stderr, a pipe it filled and never reads, with a
        // request for an allowed program whose start fails (argv past the kernel's limit, E2BIG).
        // Telling it why on that stderr must not block: a blocked server answers nobody, and its
        // own timeouts stop firing. The holder keeps the pipe's read end open until `git status`
        // (escalated, so answered by the server) has run, and gives up after 20 s, which would
        // unblock a stalled server: "gave up" is the failure.
        await writeFile(
          path.join(workspace, "request.json"),
          JSON.stringify({
            file: "/usr/bin/true",
            argv: ["true", ...Array.from({ length: 22 }, () => "x".repeat(110_000))],
            workdir: workspace,
            env: { PATH: "/usr/bin:/bin" },
          }),
        );
        const holder = [
          "import fcntl, os, subprocess, sys, time",
          "r, w = os.pipe()",
          "fcntl.fcntl(w, fcntl.F_SETFL, os.O_NONBLOCK)",
          "try:",
          "    while True: os.write(w, b'x' * 4096)",
          "except BlockingIOError: pass",
          "fcntl.fcntl(w, fcntl.F_SETFL, 0)",
          "p = subprocess.Popen(['python3', sys.argv[1], 'request-file', 'request.json'], stderr=w)",
          "os.close(w)",
          "open('holder-ready', 'w').close()",
          "for _ in range(200):",
          "    if os.path.exists('done'): break",
          "    time.sleep(0.1)",
          "else:",
          "    print('holder: gave up', flush=True)",
          "p.kill()",
        ].join("\n");
        await writeFile(path.join(workspace, "holder.py"), holder);
        const result = await execward(
          `${GIT_STATUS}prefix_rule(pattern=["true"], decision="allow")\n`,
          [
            `python3 holder.py ${FORGER} &`,
            "while [ ! -e holder-ready ]; do sleep 0.1; done; sleep 1",
            "git status >/dev/null 2>&1; echo git-status-ran; touch done; wait",
            // A stderr pipe that is read still gets the reason.
            `python3 ${FORGER} request-file request.json 2>&1 | grep -o 'could not start /usr/bin/true: Argument list too long'`,
          ].join("\n"),
        );
        expect(result.stdout).toContain("could not start /usr/bin/true: Argument list too long");
        // The start did fail, and was reported with its status.
        expect(result.stdout, result.stderr).toContain('{"result": {"exit_code": 126}}');
        expect(result.stdout, result.stderr).toContain("git-status-ran");
        expect(result.stdout, result.stderr).not.toContain("holder: gave up");
      });

      it("descriptors on a request frame are refused and not kept", async () => {
        const request = JSON.stringify({
          file: "/usr/bin/true",
          argv: ["true"],
          workdir: workspace,
          env: {},
        });
        const result = await execward(
          GIT_STATUS,
          `python3 ${FORGER} fds-on-request '${request}'; echo still-alive`,
        );
        expect(result.stdout).toContain('{"response": null}');
        expect(result.stdout).toContain("still-alive");
      });
    });

    describe("E6: the hook trusts only its real channel", () => {
      it("a fake server cannot be put over the escalation descriptor with dup2", async () => {
        await writeFile(path.join(workspace, "victim"), "x");
        const result = await execward(
          RM_FORBIDDEN,
          `python3 ${FORGER} fake-channel rm victim; true`,
        );
        expect(result.stdout).toContain('"dup2": "refused"');
        expect(
          existsSync(path.join(workspace, "victim")),
          `${result.stdout}\n${result.stderr}`,
        ).toBe(true);
      });

      it("a fake server put there with a raw system call is refused by the peer check", async () => {
        await writeFile(path.join(workspace, "victim"), "x");
        const result = await execward(
          RM_FORBIDDEN,
          `python3 ${FORGER} fake-channel-raw rm victim; true`,
        );
        // The raw dup2 works (nothing in libc sees it), so the fake server is in place...
        expect(result.stdout).toContain('"dup2": "done"');
        // ...and the hook refuses to believe it.
        expect(result.stderr).toContain("leads to a process inside the sandbox");
        expect(
          existsSync(path.join(workspace, "victim")),
          `${result.stdout}\n${result.stderr}`,
        ).toBe(true);
      });
    });

    describe("what the rules allow still runs outside, exactly", () => {
      it("an allowed program runs outside with the user's environment, in the verified directory", async () => {
        const bin = path.join(home, "bin");
        await mkdir(bin);
        await writeFile(
          path.join(bin, "show-env.sh"),
          '#!/bin/sh\necho "home=$HOME pwd=$(pwd) path=$PATH lang=$LANG tz=$TZ trace=${GIT_TRACE-unset}"\ntouch ' +
            path.join(canaries, "ran-outside") +
            "\n",
        );
        await chmod(path.join(bin, "show-env.sh"), 0o755);
        const result = await execward(
          `prefix_rule(pattern=["show-env.sh"], decision="allow")\n`,
          `mkdir -p sub && cd sub && HOME=/tmp/x PATH=/tmp/evil:/usr/bin:/bin LANG=C TZ=Europe/Paris GIT_TRACE=/tmp/t ${bin}/show-env.sh`,
        );
        expect(result.code, result.stderr).toBe(0);
        expect(await owned()).toEqual(["ran-outside"]);
        expect(result.stdout).toBe(
          `home=${home} pwd=${path.join(workspace, "sub")} path=/usr/local/bin:/usr/bin:/bin lang=C tz=Europe/Paris trace=unset\n`,
        );
      });

      it("git status on a repository the user made runs outside (no question)", async () => {
        gitRepo(workspace);
        const result = await execward(GIT_STATUS, `git status`);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toContain("No commits yet");
      });

      it("a locale value naming a file is not passed outside", async () => {
        const bin = path.join(home, "bin");
        await mkdir(bin);
        await writeFile(path.join(bin, "show-lc.sh"), '#!/bin/sh\necho "lc=${LC_ALL-unset}"\n');
        await chmod(path.join(bin, "show-lc.sh"), 0o755);
        const result = await execward(
          `prefix_rule(pattern=["show-lc.sh"], decision="allow")\n`,
          `LC_ALL=/tmp/evil-locale ${bin}/show-lc.sh`,
        );
        expect(result.stdout).toBe("lc=unset\n");
      });
    });
  },
);
