// Interoperability with upstream's binaries (@openai/codex-shell-tool-mcp 0.97.0): its patched
// Bash calling our execve wrapper, and its codex-execve-wrapper talking to our server.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";

import { requireInCi } from "../helpers/ci.js";
import { runIntercepted } from "../helpers/intercepted.js";
import { CLI_PATH } from "../helpers/paths.js";
import {
  HAS_UPSTREAM,
  UPSTREAM_EXECVE_WRAPPER,
  UPSTREAM_PATCHED_BASH,
  upstreamUnavailable,
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

describe.skipIf(requireInCi(upstreamUnavailable))(
  `upstream's patched Bash in exec-wrapper mode${HAS_UPSTREAM ? "" : ` (skipped: ${upstreamUnavailable})`}`,
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
          expect(result.stderr).toMatch(
            /Execution denied: Execution forbidden by policy: forbidden by \S+\.rules:\d+: use a trash folder/,
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

describe.skipIf(requireInCi(upstreamUnavailable))(
  `upstream's own headline test with upstream's binaries inside execward's sandbox${HAS_UPSTREAM ? "" : ` (skipped: ${upstreamUnavailable})`}`,
  () => {
    // accept_elicitation_for_prompt_rule (exec-server/tests/suite/accept_elicitation.rs): the
    // server runs upstream's patched Bash with upstream's codex-execve-wrapper, under the
    // read-only sandbox; `git init .` is a prompt rule; only the approved, escalated git can
    // write the repository.
    it.each([
      ["accept", true],
      ["decline", false],
    ] as const)("git init . under read-only, %s", async (action, created) => {
      const codexHome = await mkdtemp(path.join(os.tmpdir(), "execward-interop-home-"));
      await mkdir(path.join(codexHome, "rules"));
      await writeFile(
        path.join(codexHome, "rules", "default.rules"),
        `prefix_rule(pattern=["git", "init"], decision="prompt", match=["git init ."])\n`,
      );
      const messages: string[] = [];
      const client = new Client(
        { name: "interop", version: "1.0.0" },
        { capabilities: { elicitation: {} } },
      );
      client.setRequestHandler(ElicitRequestSchema, (request) => {
        messages.push(request.params.message);
        return action === "accept" ? { action, content: { approve: true } } : { action };
      });
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [
            ...[CLI_PATH, "mcp", "--mode", "exec-wrapper"],
            ...["--bash", UPSTREAM_PATCHED_BASH, "--execve", UPSTREAM_EXECVE_WRAPPER],
          ],
          env: { PATH: "/usr/bin:/bin", HOME: codexHome, CODEX_HOME: codexHome },
          stderr: "ignore",
        }),
      );
      try {
        const project = await mkdtemp(path.join(dir, "project-"));
        await client.request(
          {
            method: "codex/sandbox-state/update",
            params: {
              sandboxPolicy: { type: "read-only" },
              codexLinuxSandboxExe: null,
              sandboxCwd: project,
              useLinuxSandboxBwrap: false,
            },
          },
          z.object({}).passthrough(),
        );
        const response = await client.callTool({
          name: "shell",
          arguments: { login: false, command: "git init .", workdir: project },
        });
        const result = JSON.parse((response.content as { text: string }[])[0]?.text ?? "{}") as {
          exit_code: number;
          output: string;
        };
        expect(messages).toHaveLength(1);
        expect(messages[0]).toMatch(/^Allow agent to run `\S*git init \.` in `.*project-\w+`\?$/);
        expect(existsSync(path.join(project, ".git", "HEAD"))).toBe(created);
        if (created) {
          expect(result.exit_code).toBe(0);
          expect(result.output).toContain(`Initialized empty Git repository in ${project}/.git/`);
        } else {
          expect(result.exit_code).not.toBe(0);
          expect(result.output).toContain("User declined execution");
        }
      } finally {
        await client.close();
        await rm(codexHome, { recursive: true, force: true });
      }
    });
  },
);
