// A red team's pass over the sealed escalation (issue 16), from INSIDE the sandbox, through the
// real `execward run` (real bwrap, hook, server), with nothing but ordinary rules. Same harness
// as escalation-attacks.test.ts: every case first runs its attack in plain bash, without
// execward, and checks that it does what it claims (the control), so the execward half can fail.
// Canaries live under /var/tmp, which the sandbox cannot write: a canary there was written by a
// program running on the host.
//
// `getsThrough` (an `it.fails`) marks an attack that still gets through today, each with a
// comment naming the code at fault; once it is fixed, turn it into a plain `it`. The plain `it`s
// are attacks that are held, kept as regression tests.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { CLI_PATH, REPO_ROOT } from "../helpers/paths.js";
import { runCli, type CliResult } from "../helpers/run-cli.js";
import { requireInCi } from "../helpers/ci.js";
import { hasTool, sandboxUnavailable } from "../helpers/sandbox.js";

const FORGER = path.join(REPO_ROOT, "test/fixtures/attacks/forge-request.py");
const SPAWNER = path.join(REPO_ROOT, "test/fixtures/attacks/spawn-file-actions.py");
const ANSWERER = path.join(REPO_ROOT, "test/fixtures/attacks/answer-prompts.py");
const hasPython = hasTool("python3", "-c", "pass");
const hasGit = hasTool("git", "--version");
const unavailable =
  sandboxUnavailable ?? (hasPython ? undefined : "no python3") ?? (hasGit ? undefined : "no git");

let workspace: string;
let canaries: string;
let home: string;

beforeEach(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), "execward-redteam-ws-"));
  canaries = await mkdtemp("/var/tmp/execward-redteam-canary-");
  home = await mkdtemp("/var/tmp/execward-redteam-home-");
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
function plain(command: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync("bash", ["-c", command], {
    cwd: workspace,
    env: env(),
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function rulesFile(rules: string): Promise<string> {
  const file = path.join(home, "redteam.rules");
  await writeFile(file, rules);
  return file;
}

async function execward(rules: string, command: string): Promise<CliResult> {
  return runCli(["run", "--no-discover", "--rules", await rulesFile(rules), "--", command], {
    cwd: workspace,
    env: env(),
  });
}

/** `execward run`, killed (whole process group) if it has not finished within `ms`. */
async function execwardWithin(
  rules: string,
  command: string,
  ms: number,
): Promise<CliResult & { killed: boolean }> {
  const args = ["run", "--no-discover", "--rules", await rulesFile(rules), "--", command];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      cwd: workspace,
      env: env(),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      try {
        process.kill(-(child.pid as number), "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, ms);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, killed });
    });
  });
}

async function owned(): Promise<string[]> {
  return readdir(canaries);
}

/** Resets the workspace between the control and the real run (its .git stays). */
async function prepare(): Promise<void> {
  for (const entry of await readdir(workspace)) {
    if (entry !== ".git") await rm(path.join(workspace, entry), { recursive: true, force: true });
  }
}

/** Runs `attack(canary)` in plain bash (must leave the canary) and under execward (must not). */
async function expectContained(
  rules: string,
  attack: (canary: string) => string,
): Promise<CliResult | undefined> {
  const control = path.join(canaries, "control");
  plain(attack(control));
  if (!controlHolds(existsSync(control), "the attack works without execward")) return undefined;
  await rm(control, { force: true });
  await prepare();
  const result = await execward(rules, attack(path.join(canaries, "owned")));
  expect(await owned(), `${result.stdout}\n${result.stderr}`).toEqual([]);
  return result;
}

const victim = (): string => path.join(workspace, "victim");

/**
 * Whether a control held. In a test of an attack that is held, a control that does not hold
 * fails the test. In an `it.fails` test (an attack that still gets through) a failing control
 * must not count as the expected failure: the test then returns early and PASSES, which
 * `it.fails` reports as an error, so a broken control is never mistaken for a working attack.
 */
function controlHolds(held: boolean, what: string): boolean {
  if (expectingFailure) return held;
  expect(held, `control: ${what}`).toBe(true);
  return true;
}

/** Set by `getsThrough` for the duration of an `it.fails` body. */
let expectingFailure = false;

/**
 * An `it.fails` test: the attack below still gets through (make it a plain `it` once fixed).
 * REDTEAM_STRICT=1 runs these as plain tests, controls strict, to see each failure's message.
 */
function getsThrough(name: string, body: () => Promise<unknown>, timeout?: number): void {
  if (process.env.REDTEAM_STRICT === "1") {
    it(name, body, timeout);
    return;
  }
  it.fails(
    name,
    async () => {
      expectingFailure = true;
      try {
        await body();
      } finally {
        expectingFailure = false;
      }
    },
    timeout,
  );
}

/** Runs `attack` in plain bash (must delete ./victim) and under execward (must not). */
async function expectVictimSurvives(attack: string): Promise<CliResult | undefined> {
  await writeFile(victim(), "x");
  plain(attack);
  if (!controlHolds(!existsSync(victim()), "the attack deletes the victim in plain bash"))
    return undefined;
  await prepare();
  await writeFile(victim(), "x");
  const result = await execward(RM_FORBIDDEN, attack);
  expect(existsSync(victim()), `${result.stdout}\n${result.stderr}`).toBe(true);
  return result;
}

function gitRepo(dir: string): void {
  spawnSync("git", ["init", "-q", dir], { env: env() });
}

const GIT_STATUS = `prefix_rule(pattern=["git", "status"], decision="allow")\n`;
const RM_FORBIDDEN = `prefix_rule(pattern=["rm"], decision="forbidden")\n`;

describe.skipIf(requireInCi(unavailable))(
  `escalation red team${unavailable === undefined ? "" : ` (SKIPPED: ${unavailable})`}`,
  () => {
    describe("attacks that still get through", () => {
      // The rule allows `git status`; the policy judges [git, status, ...] and ignores argv[0]
      // (rules-escalation-policy.ts judge()), and git-exposure.ts reads argv from argv[1]. But
      // the launcher passes the request's argv[0] on (escalated-executor.ts), and git runs the
      // builtin its argv[0] names when that starts with "git-" (git.c cmd_main): here
      // `git archive status --remote=. --exec=<anything>`, which runs <anything> through the
      // shell, on the host. Any git builtin is reachable this way (git-clone -u, git-fetch
      // --upload-pack, ...), so `--exec` can as well run a script the sandbox wrote.
      it("argv[0] 'git-archive' turns an allowed `git status` into `git archive --exec` on the host", async () => {
        gitRepo(workspace);
        await expectContained(
          GIT_STATUS,
          (canary) =>
            `(exec -a git-archive git status --remote=. --exec='touch ${canary} #' HEAD) >/dev/null 2>&1; true`,
        );
      });

      // By design (docs/threat-model.md, docs/escalation.md): a rule that allows a program
      // allows what it runs. E3 guards an escalated *git*; an allowed program that runs git itself (an ordinary
      // helper script) runs it outside the sandbox, unhooked, in the working directory the
      // sandbox chose (a repository it made, with core.fsmonitor set): the escalated program's
      // working directory is the requester's, whoever could write it (program-inspection.ts
      // only checks that it is the same inode on the host).
      getsThrough(
        "an allowed helper that runs git, started in a repository the sandbox made",
        async () => {
          const bin = path.join(home, "bin");
          await mkdir(bin);
          await writeFile(path.join(bin, "repo-state.sh"), "#!/bin/sh\ngit status --short\n");
          await chmod(path.join(bin, "repo-state.sh"), 0o755);
          await expectContained(
            `prefix_rule(pattern=["repo-state.sh"], decision="allow")\n`,
            (canary) =>
              `mkdir -p sub && cd sub && git init -q && git config core.fsmonitor "touch ${canary} #" && ${bin}/repo-state.sh >/dev/null 2>&1; true`,
          );
        },
      );

      // The hook resolves the interpreter (/dev/fd/5 is rm in the exec'ing process) and asks;
      // the server cannot follow the magic link from outside (RESOLVE_NO_MAGICLINKS), leaves the
      // interpreter's canonical name undefined, and judges only the name "5"
      // (program-inspection.ts inspectProgram; rules-escalation-policy.ts judge()): no rule,
      // so "run", and the kernel opens /dev/fd/5 = rm. An interpreter that cannot be resolved
      // only stops escalation, not a Run.
      it("a shebang whose interpreter is a descriptor link (#!/dev/fd/5, 5< rm)", async () => {
        await expectVictimSurvives(
          `printf '#!/dev/fd/5\\n' > s && chmod +x s && ./s victim 5< /usr/bin/rm`,
        );
      });

      // readShebang() (program-inspection.ts) decodes the interpreter's bytes as UTF-8, so
      // "r\xff" becomes "r\ufffd": that name does not exist, the canonical is undefined, and
      // "r\ufffd" matches no rule: Run. The kernel follows r\xff -> /usr/bin/rm. (The hook saw
      // "rm" as the resolved interpreter, which is why it asked at all.)
      it("a shebang whose interpreter name is not UTF-8 (a symlink to rm)", async () => {
        await expectVictimSurvives(
          `n=$(printf 'r\\377') && ln -sf /usr/bin/rm "$PWD/$n" && printf '#!%s\\n' "$PWD/$n" > s && chmod +x s && ./s victim`,
        );
      });

      // exec_hook.c spawn(): the fast path resolves the path in the PARENT (ew_resolve +
      // must_ask) and, when no listed name is found, calls the real posix_spawn; the file
      // actions then run in the child before its exec, and can change what the path names
      // (DUP2 onto the descriptor behind /dev/fd/N here; addchdir_np for a relative path).
      it("posix_spawn file actions change what /dev/fd/5 names after the hook judged it", async () => {
        await expectVictimSurvives(`python3 ${SPAWNER} /usr/bin/rm victim`);
      });
      // The kernel follows FIVE levels of #! (fs/exec.c exec_binprm: `if (depth > 5) return
      // -ELOOP`; s5 -> s4 -> s3 -> s2 -> s1 -> rm runs rm). The hook (ew_resolve:
      // EW_MAX_INTERPRETERS = 4) and the server (program-inspection.ts: MAX_INTERPRETERS = 4)
      // stop after four and never see the fifth, rm: the hook does not even ask (no listed name,
      // everything resolved), and the server's "more than four levels" only blocks escalation.
      it("five levels of #! hide the last interpreter (rm)", async () => {
        await expectVictimSurvives(
          `prev=/usr/bin/rm; for i in 1 2 3 4 5; do printf '#!%s\\n' "$prev" > s$i && chmod +x s$i; prev=$PWD/s$i; done; ./s5 victim`,
        );
      });

      // A script the sandbox cannot read (mode 0111; the sandbox has no CAP_DAC_OVERRIDE) still
      // runs its interpreter: the kernel reads #! whatever the mode, and rm never reads the
      // script. The hook's read_shebang() cannot open it, finds no interpreter, and takes the
      // fast path; the server's readShebang() says "execute-only: no interpreter could read it
      // either", which is not true of an interpreter that does not need to.
      it("an execute-only script (chmod 111) whose interpreter is rm", async () => {
        await expectVictimSurvives(`printf '#!/usr/bin/rm\\n' > s && chmod 111 s && ./s victim`);
      });

      // A script without #! run through the execvp family (env, xargs, find -exec...): the
      // hook asks about the script (no interpreter: Run), the kernel says ENOEXEC, and
      // exec_hook.c exec_search() then starts /bin/sh with the script without asking again, so a
      // forbidden shell runs (the commands in the script are still judged one by one). Low.
      it("a script without #! through env runs a forbidden /bin/sh", async () => {
        const attack = `printf 'echo ran-by-sh\\n' > s && chmod +x s && env ./s`;
        const control = plain(attack);
        if (!controlHolds(control.stdout.includes("ran-by-sh"), "env runs it with sh")) return;
        await prepare();
        const result = await execward(
          `prefix_rule(pattern=["sh"], decision="forbidden")\nprefix_rule(pattern=["dash"], decision="forbidden")\nprefix_rule(pattern=["bash"], decision="forbidden")\n`,
          attack,
        );
        expect(result.stdout, result.stderr).not.toContain("ran-by-sh");
      });

      // A human at the terminal answers "always" once, for `git status --short` in the user's
      // own repository (the prompt shows that directory). rules-escalation-policy.ts ask()
      // remembers the answer by [program, args] only: the same argv later, in a repository the
      // sandbox made with core.fsmonitor, is never shown to the human, although the policy had
      // found a new reason to ask (git-exposure) that the human never saw.
      it("a 'for this run' answer for git status in the user's repository does not cover a sandbox-made repository", async () => {
        gitRepo(workspace);
        const attack = (canary: string): string =>
          `git status --short; mkdir -p sub && cd sub && git init -q && git config core.fsmonitor "touch ${canary} #" && git status --short; true`;
        const control = path.join(canaries, "control");
        plain(attack(control));
        if (!controlHolds(existsSync(control), "the attack works without execward")) return;
        await rm(control);
        await prepare();
        const rules = await rulesFile(
          `prefix_rule(pattern=["git", "status"], decision="prompt")\n`,
        );
        const human = spawnSync(
          "python3",
          [
            ANSWERER,
            "s",
            "--",
            process.execPath,
            CLI_PATH,
            "run",
            "--no-discover",
            "--rules",
            rules,
            "--",
            attack(path.join(canaries, "owned")),
          ],
          { cwd: workspace, env: env(), encoding: "utf8", timeout: 90_000 },
        );
        // The "for this run" yes covered the same question only: the second git status, in a repository
        // the sandbox made, is asked again, and the question says why.
        expect(human.stdout, human.stdout).toContain("[answered 2 prompts]");
        expect(human.stdout).toMatch(/sub\/\.git.*sandboxed command could have written/s);
      }, 90_000);

      // git-exposure.ts findRepository() calls isGitDirectory(<dir>/.git) BEFORE asking whether
      // the sandbox could write it; isGitDirectory reads `commondir` with readFileSync, which
      // blocks forever on a FIFO. The whole execward process (event loop: every session, every
      // MCP client) hangs; SIGTERM is not handled either.
      it("a FIFO as .git/commondir hangs execward (git-exposure reads before it checks)", async () => {
        const setup = `mkdir -p sub/.git/objects sub/.git/refs && echo 'ref: refs/heads/main' > sub/.git/HEAD && mkfifo sub/.git/commondir`;
        // Control: reading that file blocks (a reader without a writer waits forever).
        const control = plain(`${setup} && timeout 2 cat sub/.git/commondir; echo "rc=$?"`);
        if (!controlHolds(control.stdout.includes("rc=124"), "reading the FIFO blocks")) return;
        await prepare();
        const result = await execwardWithin(
          GIT_STATUS,
          `${setup} && cd sub && git status; echo finished`,
          20_000,
        );
        expect(result.killed, "execward hung and was killed after 20 s").toBe(false);
        expect(result.stdout).toContain("finished");
      }, 40_000);
    });

    describe("attacks that are held", () => {
      it("wrappers, loaders of names and shebang forms around a forbidden rm", async () => {
        // Each attack deletes $V (an absolute path) from a fresh directory of its own.
        const attacks: readonly string[] = [
          `env rm "$V"`,
          `echo "$V" | xargs rm`,
          `find "$(dirname "$V")" -name victim -exec rm {} +`,
          `bash -c 'rm "$0"' "$V"`,
          `sh -c 'exec rm "$0"' "$V"`,
          `(exec -a ls rm "$V")`,
          `timeout 5 rm "$V"`,
          `nice rm "$V"`,
          `nohup rm "$V"`,
          `awk -v v="$V" 'BEGIN { system("rm " v) }'`,
          `git -c alias.x='!rm' x "$V"`,
          `python3 -c 'import subprocess, sys; subprocess.run(["rm", sys.argv[1]])' "$V"`,
          `python3 -c 'import os, sys; os.system("rm " + sys.argv[1])' "$V"`,
          `python3 -c 'import os, sys; os.posix_spawnp("rm", ["rm", sys.argv[1]], dict(os.environ)); os.wait()' "$V"`,
          // execveat with a directory descriptor, and fexecve of a descriptor of rm
          `python3 -c 'import ctypes, os, sys; l = ctypes.CDLL(None); d = os.open("/usr/bin", os.O_RDONLY); a = (ctypes.c_char_p * 3)(b"rm", os.fsencode(sys.argv[1]), None); l.execveat(d, b"rm", a, (ctypes.c_char_p * 1)(None), 0)' "$V"`,
          `python3 -c 'import os, sys; f = os.open("/usr/bin/rm", os.O_RDONLY); os.execve(f, ["x", sys.argv[1]], dict(os.environ))' "$V"`,
          // names through /proc and symlinked directories
          `/proc/self/root/usr/bin/rm "$V"`,
          `(cd /usr/bin && exec /proc/self/cwd/rm "$V")`,
          `ln -s /usr/bin b && ./b/../bin/rm "$V"`,
          `mkdir -p d/e && ln -s /usr/bin d/l && d/l/../../../../usr/bin/rm "$V"`,
          // shebang forms: env as interpreter, an argument, blanks, a relative interpreter
          `printf '#!/usr/bin/env rm\\n' > s && chmod +x s && ./s "$V"`,
          `printf '#!/usr/bin/rm -f\\n' > s && chmod +x s && ./s "$V"`,
          `printf '#! \\t/usr/bin/rm\\t \\n' > s && chmod +x s && ./s "$V"`,
          `printf '#!rm\\n' > s && chmod +x s && d=$PWD && cd /usr/bin && "$d/s" "$V"`,
          `printf '#!/usr/bin/env -S rm -f\\n' > s && chmod +x s && ./s "$V"`,
        ];
        const script = (root: string): string =>
          attacks
            .map(
              (attack, i) =>
                `mkdir -p ${root}/t${String(i)} && cd ${root}/t${String(i)} && V=$PWD/victim && : > "$V" && ( ${attack} ) >/dev/null 2>&1; [ -e "$V" ] && echo "held ${String(i)}" || echo "DELETED ${String(i)}"`,
            )
            .join("\n");
        const control = plain(script(workspace));
        const deleted = attacks.map((_, i) => `DELETED ${String(i)}`);
        for (const line of deleted) {
          expect(control.stdout, "control: every attack deletes its victim").toContain(line);
        }
        await prepare();
        const result = await execward(RM_FORBIDDEN, script(workspace));
        expect(result.stdout.split("\n").filter((line) => line.startsWith("DELETED"))).toEqual([]);
        expect(result.stdout).toContain(`held ${String(attacks.length - 1)}`);
      });

      it("forged requests cannot escalate a program that exists only inside the sandbox", async () => {
        // A `git` the sandbox wrote in its private /dev/shm, named every way a forged request can.
        const dir = "/dev/shm/ew-redteam";
        const requests = (shm: string): readonly object[] => [
          { file: `${shm}/git`, argv: ["git", "status"], workdir: workspace, env: {} },
          { file: "git", argv: ["git", "status"], workdir: shm, env: {} },
          { file: "/proc/self/cwd/git", argv: ["git", "status"], workdir: workspace, env: {} },
          { file: "git", argv: ["git", "status"], workdir: "/proc/self/cwd", env: {} },
          {
            file: `${shm}/../ew-redteam/git`,
            argv: ["git", "status"],
            workdir: "/",
            env: {},
          },
          { file: `${shm}/git\u0000`, argv: ["git", "status"], workdir: workspace, env: {} },
          {
            file: `${shm}/git`,
            argv: ["git", "status"],
            workdir: workspace,
            env: {},
            resolved: "/usr/bin/git",
          },
          { file: `${shm}/g\udcffit`, argv: ["git", "status"], workdir: workspace, env: {} },
          { file: `${shm}/git`, argv: ["git", "status"], workdir: "relative", env: {} },
        ];
        const attack = (canary: string): string => {
          const setup = `mkdir -p ${dir} && printf '#!/bin/sh\\ntouch ${canary}\\n' > ${dir}/git && chmod +x ${dir}/git`;
          // Each request as JSON in single quotes (JSON has none), so the shell passes it as it is.
          const forged = requests(dir)
            .map(
              (request) =>
                `(cd ${workspace} && python3 ${FORGER} request '${JSON.stringify(request)}')`,
            )
            .join("; ");
          return `${setup} && ${forged}; true`;
        };
        // Control: the sandbox's program, once run, leaves the canary.
        const control = path.join(canaries, "control");
        plain(
          `mkdir -p /dev/shm/ew-redteam-c && printf '#!/bin/sh\\ntouch ${control}\\n' > /dev/shm/ew-redteam-c/git && chmod +x /dev/shm/ew-redteam-c/git && /dev/shm/ew-redteam-c/git; rm -rf /dev/shm/ew-redteam-c`,
        );
        expect(existsSync(control)).toBe(true);
        await rm(control);
        const result = await execward(GIT_STATUS, attack(path.join(canaries, "owned")));
        expect(await owned(), `${result.stdout}\n${result.stderr}`).toEqual([]);
        expect(result.stdout).not.toContain('"Escalate"');
        expect(result.stdout.match(/"response"/g)?.length).toBe(requests("").length);
      });

      it("a hard link to rm cannot be made from the sandbox", async () => {
        await writeFile(victim(), "x");
        const result = await execward(RM_FORBIDDEN, `ln /usr/bin/rm hl && ./hl victim; true`);
        expect(existsSync(victim()), `${result.stdout}\n${result.stderr}`).toBe(true);
      });
    });
  },
);
