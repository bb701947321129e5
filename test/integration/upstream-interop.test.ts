// Interoperability with upstream's binaries (@openai/codex-shell-tool-mcp 0.97.0): its patched
// Bash calling our execve wrapper, and its codex-execve-wrapper talking to our server.
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { runIntercepted } from "../helpers/intercepted.js";
import {
  HAS_UPSTREAM,
  UPSTREAM_EXECVE_WRAPPER,
  UPSTREAM_PATCHED_BASH,
} from "../helpers/upstream.js";

const RULES = `
prefix_rule(pattern=["rm"], decision="forbidden", justification="use a trash folder")
prefix_rule(pattern=["touch"], decision="prompt")
prefix_rule(pattern=[["sort", "sh"]], decision="allow")
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "execward-interop-"));
  await writeFile(path.join(dir, "victim"), "x");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const wrappers = [
  ["our execve wrapper", undefined],
  ["upstream's codex-execve-wrapper", UPSTREAM_EXECVE_WRAPPER],
] as const;

describe.skipIf(!HAS_UPSTREAM)(
  `upstream's patched Bash in exec-wrapper mode${HAS_UPSTREAM ? "" : " (skipped: @openai/codex-shell-tool-mcp x64 binaries not installed)"}`,
  () => {
    for (const [name, wrapper] of wrappers) {
      describe(`with ${name}`, () => {
        const run = (command: string, answer: "accept" | "decline" = "decline") =>
          runIntercepted(command, {
            rules: RULES,
            shell: UPSTREAM_PATCHED_BASH,
            mode: "exec-wrapper",
            cwd: dir,
            answer,
            ...(wrapper === undefined ? {} : { execWrapper: wrapper }),
          });

        it("denies a forbidden program", async () => {
          const result = await run("rm victim; echo status=$?");
          expect(result.stdout).toBe("status=1\n");
          expect(result.stderr).toContain(
            "Execution denied: Execution forbidden by policy: use a trash folder",
          );
          expect(existsSync(path.join(dir, "victim"))).toBe(true);
        });

        it("runs an unmatched program in place", async () => {
          const result = await run("cat victim");
          expect(result.stdout).toBe("x");
          expect(
            result.decisions.map((d) => [path.basename(d.request.file), d.decision.action]),
          ).toEqual([["cat", "run"]]);
        });

        it("escalates an allowed program with its stdio", async () => {
          const result = await run("printf 'b\\na\\n' | sort; sh -c 'exit 7'; echo code=$?");
          expect(result.stdout).toBe("a\nb\ncode=7\n");
        });

        it("asks about a prompt rule", async () => {
          const accepted = await run("touch yes && echo made", "accept");
          expect(accepted.stdout).toBe("made\n");
          const declined = await run("touch no; echo status=$?", "decline");
          expect(declined.stdout).toBe("status=1\n");
          expect(declined.stderr).toContain("Execution denied: User declined execution");
        });
      });
    }
  },
);
