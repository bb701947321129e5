// The terminal prompt of `execward run` under a real pty: Ctrl-C ends it at once (exit 130) and
// what is typed after it reaches the shell; it says where a yes runs and what each answer
// covers; "always" writes a rule that `execward rules check` reports as allow and that the next
// run uses without asking.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { requireInCi } from "../helpers/ci.js";
import { CLI_PATH } from "../helpers/paths.js";
import { runShellInPty } from "../helpers/pty-session.js";
import { runCli } from "../helpers/run-cli.js";
import { hasTool, sandboxUnavailable } from "../helpers/sandbox.js";

const unavailable = sandboxUnavailable ?? (hasTool("python3", "-c", "") ? undefined : "no python3");

let dir: string;
let codexHome: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "execward-prompt-"));
  codexHome = path.join(dir, "codex-home");
  await mkdir(path.join(codexHome, "rules"), { recursive: true });
  await writeFile(
    path.join(codexHome, "rules", "team.rules"),
    `prefix_rule(pattern=["touch"], decision="prompt")\n`,
  );
  env = { PATH: "/usr/bin:/bin", HOME: dir, CODEX_HOME: codexHome, TERM: "dumb" };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `execward run -- '<command>'` for the pty's shell (single-quoted: nothing expands early). */
const execward = (command: string): string =>
  `'${process.execPath}' '${CLI_PATH}' run -- '${command.replace(/'/g, "'\\''")}'`;

describe.skipIf(requireInCi(unavailable))(
  `the terminal prompt${unavailable === undefined ? "" : ` (SKIPPED: ${unavailable})`}`,
  () => {
    it("Ctrl-C ends it at once with 130, and the keystrokes after it reach the shell", async () => {
      const screen = await runShellInPty(
        `${execward("touch made")}; echo "EXIT=$?"; IFS= read -r line; echo "GOT=$line"`,
        [{ after: "answer [", keys: ["\x03", "<pause>1.5", "hello\n"] }],
        { cwd: dir, env },
      );
      expect(screen).toContain("EXIT=130");
      // Nothing typed after Ctrl-C was swallowed by the prompt (it used to read byte by byte).
      expect(screen).toContain("GOT=hello");
      expect(existsSync(path.join(dir, "made"))).toBe(false);
    });

    it("says where a yes runs and what each answer covers", async () => {
      const screen = await runShellInPty(
        `${execward("touch made; echo status=$?")}`,
        [{ after: "answer [", keys: ["n\n"] }],
        { cwd: dir, env },
      );
      expect(screen).toContain("allow this program to run OUTSIDE the sandbox");
      expect(screen).toContain("[y] yes, this once");
      expect(screen).toContain("[s] yes, for this run");
      // A prompt rule asks every time: an allow rule could not change that, so no "always".
      expect(screen).toMatch(/\[a\] always: not offered here \(a prompt rule \(\S+team\.rules:1\)/);
      expect(screen).toContain("answer [y/s/N]");
      expect(screen).toContain("status=1");
    });

    it("the dangerous-command question says a yes runs inside the sandbox, and what always changes", async () => {
      await mkdir(path.join(dir, "junk"));
      const screen = await runShellInPty(
        `${execward("rm -rf junk; echo status=$?")}`,
        [{ after: "answer [", keys: ["y\n"] }],
        { cwd: dir, env },
      );
      expect(screen).toContain("allow this program to run inside the sandbox");
      expect(screen).toMatch(
        /\[a\] always: write prefix_rule\(pattern=\["rm", "-rf", "junk"\], decision="allow"\) .*runs OUTSIDE the sandbox/,
      );
      expect(screen).toContain("answer [y/s/a/N]");
      expect(screen).toContain("status=0");
      expect(existsSync(path.join(dir, "junk"))).toBe(false);
    });

    it("always writes a rule: rules check says allow, and the next run is not asked", async () => {
      const screen = await runShellInPty(
        `${execward("mkdir junk; rm -rf junk; mkdir junk; rm -rf junk; echo status=$?")}`,
        [{ after: "answer [", keys: ["a\n"] }],
        { cwd: dir, env },
      );
      expect(screen).toContain("status=0");
      // Asked once: the second identical question was answered by the first.
      expect(screen.split("answer [").length - 1).toBe(1);
      const rulesFile = path.join(codexHome, "rules", "default.rules");
      const written = await readFile(rulesFile, "utf8");
      expect(written).toBe(`prefix_rule(pattern=["rm", "-rf", "junk"], decision="allow")\n`);
      const check = await runCli(
        ["rules", "check", "--rules", rulesFile, "--", "rm", "-rf", "junk"],
        { env },
      );
      expect(JSON.parse(check.stdout)).toMatchObject({ decision: "allow" });
      // Next run, without a terminal: a question would be a deny, so this ran because of the rule.
      await mkdir(path.join(dir, "junk"));
      const audit = path.join(dir, "audit.jsonl");
      const again = await runCli(
        ["run", "--audit-log", audit, "--", "rm -rf junk; echo status=$?"],
        { cwd: dir, env },
      );
      expect(again.stdout).toBe("status=0\n");
      expect(existsSync(path.join(dir, "junk"))).toBe(false);
      const record = (await readFile(audit, "utf8"))
        .split("\n")
        .filter((line) => line.includes('"escalate"'))
        .map((line) => JSON.parse(line) as { rule: unknown })[0];
      expect(record?.rule).toEqual({ file: rulesFile, line: 1 });
    });
  },
);
