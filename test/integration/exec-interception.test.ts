// The exec hook in real shells against the real escalation server: allow / prompt / forbidden /
// unmatched, and a forbidden `rm` blocked in every way of starting it that a dynamically linked
// process can use.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { requireInCi } from "../helpers/ci.js";
import { runIntercepted } from "../helpers/intercepted.js";

const FORBID_RM = `prefix_rule(pattern=["rm"], decision="forbidden", justification="use a trash folder")`;

function has(program: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${program}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "execward-hook-"));
  await writeFile(path.join(dir, "victim"), "precious\n");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const RM_FORMS: readonly (readonly [name: string, command: string, needs?: string])[] = [
  ["plain", "rm victim"],
  ["absolute path", "/bin/rm victim"],
  ["dot-dot path", "/usr/bin/../bin/rm victim"],
  ["env", "env rm victim"],
  ["env -i", "env -i /bin/rm victim"],
  ["command builtin", "command rm victim"],
  ["exec builtin", "exec rm victim"],
  ["xargs", "echo victim | xargs rm"],
  ["find -exec", "find . -name victim -exec rm {} \\;"],
  ["sh -c", "sh -c 'rm victim'"],
  ["bash -c", "bash -c 'rm victim'"],
  ["env -i bash -c", "env -i /bin/bash -c '/bin/rm victim'"],
  ["nested bash -c", `bash -c "bash -c 'rm victim'"`],
  ["symlink to rm", "ln -s /bin/rm ./del && ./del victim"],
  ["shebang script", "printf '#!/bin/sh\\nrm victim\\n' > s.sh && chmod +x s.sh && ./s.sh"],
  ["make recipe", "printf 'all:\\n\\trm victim\\n' > Makefile && make -s", "make"],
  ["python os.system", `python3 -c 'import os; os.system("rm victim")'`, "python3"],
  [
    "python subprocess.run",
    `python3 -c 'import subprocess; subprocess.run(["rm", "victim"])'`,
    "python3",
  ],
  ["python os.execv", `python3 -c 'import os; os.execv("/bin/rm", ["rm", "victim"])'`, "python3"],
  [
    "python os.posix_spawn",
    `python3 -c 'import os; os.waitpid(os.posix_spawn("/bin/rm", ["rm", "victim"], dict(os.environ)), 0)'`,
    "python3",
  ],
  ["perl system", `perl -e 'system("rm", "victim")'`, "perl"],
  ["timeout", "timeout 10 rm victim"],
  ["nice", "nice rm victim"],
  ["nohup", "nohup rm victim 2>&1"],
];

describe("a forbidden rm is blocked", () => {
  for (const [name, command, needs] of RM_FORMS) {
    it.skipIf(
      requireInCi(needs === undefined || has(needs) ? undefined : `${needs} is not installed`),
    )(
      `${name}${needs !== undefined && !has(needs) ? ` (skipped: ${needs} not installed)` : ""}`,
      async () => {
        const result = await runIntercepted(command, { rules: FORBID_RM, cwd: dir });
        expect(existsSync(path.join(dir, "victim"))).toBe(true);
        expect(result.stdout + result.stderr).toMatch(
          /Execution denied: Execution forbidden by policy: forbidden by \S+\.rules:1: use a trash folder/,
        );
        expect(result.decisions.some((d) => d.decision.action === "deny")).toBe(true);
      },
    );
  }

  it("runs the same command when no rule forbids it (the test can fail)", async () => {
    const result = await runIntercepted("rm victim", { rules: "", cwd: dir });
    expect(result.exitCode).toBe(0);
    expect(existsSync(path.join(dir, "victim"))).toBe(false);
  });

  it("keeps intercepting after the command scrubs its environment", async () => {
    const result = await runIntercepted(
      "unset LD_PRELOAD CODEX_ESCALATE_SOCKET EXECWARD_HOOK; export LD_PRELOAD=; env -u LD_PRELOAD rm victim",
      { rules: FORBID_RM, cwd: dir },
    );
    expect(existsSync(path.join(dir, "victim"))).toBe(true);
    expect(result.stderr).toContain("Execution denied");
  });

  it("blocks a symlink that hides the name when rules see the resolved program", async () => {
    await symlink("/bin/rm", path.join(dir, "innocent"));
    const result = await runIntercepted("./innocent victim", { rules: FORBID_RM, cwd: dir });
    expect(existsSync(path.join(dir, "victim"))).toBe(true);
    // The hook reports the path it was given; the server judged the link's target too.
    expect(result.decisions.map((d) => [d.request.file, d.decision.action])).toEqual([
      [path.join(dir, "innocent"), "deny"],
    ]);
  });
});

describe("decisions", () => {
  it("denies with exit status 1 and upstream's message", async () => {
    const result = await runIntercepted("rm victim; echo status=$?", {
      rules: FORBID_RM,
      cwd: dir,
    });
    expect(result.stdout).toBe("status=1\n");
    expect(result.stderr).toMatch(
      /^Execution denied: Execution forbidden by policy: forbidden by \S+\.rules:1: use a trash folder\n$/,
    );
  });

  it("escalates an allowed program, with a sanitised environment", async () => {
    const result = await runIntercepted("printenv LD_PRELOAD; printenv KEEP; echo done", {
      rules: `prefix_rule(pattern=["printenv"], decision="allow")`,
      env: { KEEP: "kept" },
    });
    expect(result.stdout).toBe("kept\ndone\n");
    expect(result.decisions.filter((d) => d.decision.action === "escalate")).toHaveLength(2);
  });

  it("runs an unmatched program in place (hook still loaded)", async () => {
    const result = await runIntercepted("printenv EXECWARD_HOOK >/dev/null && echo hooked", {
      rules: "",
    });
    expect(result.stdout).toBe("hooked\n");
  });

  it("asks about a prompt rule: accepted escalates, declined denies", async () => {
    const rules = `prefix_rule(pattern=["touch"], decision="prompt", justification="writes files")`;
    const accepted = await runIntercepted("touch made && echo ok", {
      rules,
      answer: "accept",
      cwd: dir,
    });
    expect(accepted.stdout).toBe("ok\n");
    expect(existsSync(path.join(dir, "made"))).toBe(true);
    expect(accepted.approver.requests).toEqual([
      {
        kind: "exec",
        program: "/usr/bin/touch",
        args: ["made"],
        workdir: dir,
        reason: "a rule asks for approval",
        justification: "writes files",
        runs: "outside-sandbox",
        always: { unavailable: "this session cannot write rules" },
      },
    ]);
    const declined = await runIntercepted("touch other; echo status=$?", {
      rules,
      answer: "decline",
      cwd: dir,
    });
    expect(declined.stdout).toBe("status=1\n");
    expect(declined.stderr).toBe("Execution denied: User declined execution\n");
    expect(existsSync(path.join(dir, "other"))).toBe(false);
  });

  it("asks before a dangerous unmatched command and runs it in place when accepted", async () => {
    const declined = await runIntercepted("rm -f victim; echo status=$?", {
      rules: "",
      cwd: dir,
      answer: "decline",
    });
    expect(declined.stdout).toBe("status=1\n");
    expect(existsSync(path.join(dir, "victim"))).toBe(true);
    const accepted = await runIntercepted("rm -f victim; echo status=$?", {
      rules: "",
      cwd: dir,
      answer: "accept",
    });
    expect(accepted.stdout).toBe("status=0\n");
    expect(accepted.decisions.find((d) => d.request.argv[0] === "rm")?.decision).toEqual({
      action: "run",
    });
  });

  it("does not escalate through a symlink whose target the sandbox could write", async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), "execward-outside-"));
    try {
      await writeFile(path.join(dir, "fake"), "#!/bin/sh\necho fake\n", { mode: 0o755 });
      await symlink(path.join(dir, "fake"), path.join(outside, "printenv"));
      const result = await runIntercepted(`${path.join(outside, "printenv")}; echo status=$?`, {
        rules: `prefix_rule(pattern=["printenv"], decision="allow")`,
        writableRoots: [dir],
        answer: "decline",
      });
      expect(result.stdout).toBe("status=1\n");
      expect(result.approver.requests[0]?.reason).toContain("writable from the sandbox");
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it("does not escalate a writable program file on a basename rule alone", async () => {
    await writeFile(path.join(dir, "printenv"), "#!/bin/sh\necho fake\n", { mode: 0o755 });
    const result = await runIntercepted("./printenv; echo status=$?", {
      rules: `prefix_rule(pattern=["printenv"], decision="allow")`,
      cwd: dir,
      writableRoots: [dir],
      answer: "decline",
    });
    expect(result.stdout).toBe("status=1\n");
    expect(result.approver.requests[0]?.reason).toContain("writable from the sandbox");
  });
});

describe("escalated programs behave like local ones", () => {
  const ALLOW = `prefix_rule(pattern=[["sort", "head", "printf", "sh", "printenv", "wc"]], decision="allow")`;

  it("keep stdin, stdout and stderr through pipes and redirections", async () => {
    const result = await runIntercepted(
      "printf 'b\\na\\nc\\n' | sort | head -1 > first; cat first; sh -c 'echo oops >&2' 2>err; cat err",
      {
        rules: ALLOW,
        cwd: dir,
      },
    );
    expect(result.stdout).toBe("a\noops\n");
    expect(
      result.decisions
        .filter((d) => d.decision.action === "escalate")
        .map((d) => path.basename(d.request.file))
        .sort(),
    ).toEqual(["head", "sh", "sort"]);
  });

  it.skipIf(requireInCi(has("git") ? undefined : "git is not installed"))(
    "run `git log | head -1 > f` escalated",
    async () => {
      const result = await runIntercepted(
        "git init -q . && git -c user.email=a@b -c user.name=n commit -q --allow-empty -m first && " +
          "git -c user.email=a@b -c user.name=n commit -q --allow-empty -m second && git log --format=%s | head -1 > f && cat f",
        { rules: `prefix_rule(pattern=["git"], decision="allow")`, cwd: dir },
      );
      expect(result.stdout).toBe("second\n");
      expect(result.decisions.filter((d) => d.decision.action === "escalate")).toHaveLength(4);
    },
  );

  it("propagate exit codes and deaths by signal", async () => {
    const result = await runIntercepted(
      "sh -c 'exit 7'; echo code=$?; sh -c 'kill -TERM $$'; echo code=$?; sh -c 'kill -KILL $$'; echo code=$?",
      {
        rules: ALLOW,
      },
    );
    expect(result.stdout).toBe("code=7\ncode=143\ncode=137\n");
  });

  it("carry a 1 MiB environment across the protocol (the escalated program does not get it)", async () => {
    const result = await runIntercepted(
      "for i in $(seq 16); do export BIG$i=$(head -c 65536 /dev/zero | tr '\\0' a); done; printenv BIG16 | wc -c",
      { rules: ALLOW },
    );
    // printenv is escalated: it gets execward's environment, not the sandboxed command's.
    expect(result.stdout.trim()).toBe("0");
    const printenv = result.decisions.find((d) => d.request.argv[0] === "printenv");
    expect(
      Object.keys(printenv?.request.env ?? {}).filter((name) => name.startsWith("BIG")),
    ).toHaveLength(16);
  });

  it("do not deadlock in pipelines or concurrent commands", async () => {
    const pipeline = "printf '3\\n1\\n2\\n' | sort | head -2 | wc -l";
    const results = await Promise.all(
      Array.from({ length: 8 }, () => runIntercepted(pipeline, { rules: ALLOW })),
    );
    expect(results.map((r) => r.stdout.trim())).toEqual(Array(8).fill("2"));
  });
});

describe("other shells", () => {
  for (const shell of ["/bin/sh", "/bin/dash", "/usr/bin/zsh", "/bin/zsh"]) {
    const present = existsSync(shell);
    it.skipIf(requireInCi(present ? undefined : `${shell} is not installed`))(
      `${shell}${present ? "" : " (skipped: not installed)"}`,
      async () => {
        const result = await runIntercepted(
          "rm victim; echo status=$?; env rm victim; env | grep -q '^EXECWARD_HOOK=' && echo hooked; " +
            "printenv LD_PRELOAD; touch made && echo touched; cat victim",
          {
            rules: `${FORBID_RM}\nprefix_rule(pattern=["printenv"], decision="allow")\nprefix_rule(pattern=["touch"], decision="prompt")`,
            shell,
            cwd: dir,
            answer: "accept",
          },
        );
        // forbidden, unmatched (runs in place, hooked), allow (escalated: no LD_PRELOAD), prompt.
        expect(result.stdout).toBe("status=1\nhooked\ntouched\nprecious\n");
        expect(existsSync(path.join(dir, "victim"))).toBe(true);
        expect(existsSync(path.join(dir, "made"))).toBe(true);
      },
    );
  }
});
