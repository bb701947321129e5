// The real Codex 0.169 (`codex app-server`, scripted model on loopback) driving `execward mcp`
// through real turns: the sandbox Codex chose is the one the command gets, and execward's
// questions reach the app-server client and their answers come back.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { afterEach, beforeAll, describe, expect, it } from "vitest";

import { requireInCi } from "../helpers/ci.js";
import {
  CODEX_VERSION,
  CodexAppServer,
  codexUnavailable,
  runCodex,
  type CodexOptions,
} from "../helpers/codex.js";
import { hasTool, sandboxUnavailable } from "../helpers/sandbox.js";

const RULES = `
prefix_rule(pattern=["touch"], decision="prompt")
prefix_rule(pattern=["rm"], decision="forbidden", justification="use a trash folder")
`;

const skipReason = codexUnavailable ?? sandboxUnavailable;
const title =
  skipReason === undefined
    ? `real Codex ${CODEX_VERSION} drives execward mcp`
    : `real Codex ${CODEX_VERSION} drives execward mcp (skipped: ${skipReason})`;

let base: string;
const servers: CodexAppServer[] = [];

// Not under /tmp: Codex's workspace-write sandbox makes /tmp writable, so "outside" must not be.
beforeAll(async () => {
  if (skipReason !== undefined) return;
  base = await mkdtemp("/var/tmp/execward-codex-");
  return () => rm(base, { recursive: true, force: true });
});
afterEach(async () => {
  const closing = servers.splice(0);
  await Promise.all(closing.map((server) => server.close()));
  for (const server of closing) expect(server.unexpected).toEqual([]);
});

async function session(
  name: string,
  mcpArgs: CodexOptions["mcpArgs"] = [],
  approveTools = false,
): Promise<{ codex: CodexAppServer; home: string; ws: string; outside: string }> {
  const home = path.join(base, name, "home");
  const ws = path.join(base, name, "ws");
  const outside = path.join(base, name, "outside");
  for (const dir of [path.join(home, "rules"), ws, outside]) await mkdir(dir, { recursive: true });
  // In CODEX_HOME, which the README's config passes to execward (Codex itself does not).
  await writeFile(path.join(home, "rules", "default.rules"), RULES);
  const codex = new CodexAppServer({ home, mcpArgs, approveTools });
  servers.push(codex);
  await codex.start();
  return { codex, home, ws, outside };
}

function result(output: string): { exit_code: number; output: string } {
  // Codex hands the model the tool's text content; execward's is upstream's result JSON.
  const match = /\{"exit_code".*\}/s.exec(output);
  if (match === null) throw new Error(`no execward result in ${JSON.stringify(output)}`);
  return JSON.parse(match[0]) as { exit_code: number; output: string };
}

describe.skipIf(requireInCi(skipReason))(title, () => {
  it("the README's configuration turns Codex's own shell tool off", async () => {
    const { home } = await session("features");
    const listed = runCodex(home, ["features", "list"]);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/^shell_tool\s+\S+\s+false$/m);
  });

  it("workspace-write: a write in the workspace lands, one outside it fails", async () => {
    const { codex, ws, outside } = await session("write");
    const inside = await codex.turn({
      cwd: ws,
      sandbox: "workspace-write",
      call: { command: "echo hi > f.txt && cat f.txt", workdir: ws },
    });
    expect(result(inside.output)).toMatchObject({ exit_code: 0, output: "hi\n" });
    // As configured, Codex asks its own question before each call (the test accepts it).
    expect(codex.toolApprovals).toBe(1);
    expect(readFileSync(path.join(ws, "f.txt"), "utf8")).toBe("hi\n");

    const escaped = await codex.turn({
      cwd: ws,
      sandbox: "workspace-write",
      call: { command: `echo no > ${outside}/f.txt`, workdir: ws },
    });
    expect(result(escaped.output).output).toMatch(/Read-only file system/);
    expect(existsSync(path.join(outside, "f.txt"))).toBe(false);
  });

  it('with the README\'s optional default_tools_approval_mode = "approve", Codex does not ask first', async () => {
    const { codex, ws } = await session("approve-tools", [], true);
    const turn = await codex.turn({
      cwd: ws,
      sandbox: "workspace-write",
      call: { command: "echo hi > f.txt", workdir: ws },
    });
    expect(result(turn.output).exit_code).toBe(0);
    expect(readFileSync(path.join(ws, "f.txt"), "utf8")).toBe("hi\n");
    // execward's own questions still reach the client.
    const asked = await codex.turn({
      cwd: ws,
      sandbox: "workspace-write",
      call: { command: "touch asked.txt", workdir: ws },
      answer: () => ({ action: "accept", content: {} }),
    });
    expect(asked.elicitations).toHaveLength(1);
    expect(existsSync(path.join(ws, "asked.txt"))).toBe(true);
    expect(codex.toolApprovals).toBe(0);
  });

  it("read-only: even the workspace is not writable", async () => {
    const { codex, ws } = await session("read-only");
    const turn = await codex.turn({
      cwd: ws,
      sandbox: "read-only",
      call: { command: "echo hi > f.txt", workdir: ws },
    });
    expect(result(turn.output).output).toMatch(/Read-only file system/);
    expect(existsSync(path.join(ws, "f.txt"))).toBe(false);
  });

  it("danger-full-access: the command runs unsandboxed, so a write outside lands", async () => {
    const { codex, ws, outside } = await session("full-access");
    const turn = await codex.turn({
      cwd: ws,
      sandbox: "danger-full-access",
      call: { command: `echo yes > ${outside}/f.txt`, workdir: ws },
    });
    expect(result(turn.output).exit_code).toBe(0);
    expect(readFileSync(path.join(outside, "f.txt"), "utf8")).toBe("yes\n");
  });

  it("a prompt rule reaches the client as an elicitation; accept runs it, decline denies it", async () => {
    const { codex, ws } = await session("prompt");
    const accepted = await codex.turn({
      cwd: ws,
      sandbox: "workspace-write",
      call: { command: "touch accepted.txt", workdir: ws },
      answer: () => ({ action: "accept", content: {} }),
    });
    expect(accepted.elicitations.map((e) => e.message)).toEqual([
      expect.stringMatching(
        new RegExp(`^Allow agent to run \`/\\S*touch accepted.txt\` in \`${ws}\`\\?`),
      ),
    ]);
    expect(result(accepted.output).exit_code).toBe(0);
    expect(existsSync(path.join(ws, "accepted.txt"))).toBe(true);

    const declined = await codex.turn({
      cwd: ws,
      sandbox: "workspace-write",
      call: { command: "touch declined.txt", workdir: ws },
      answer: () => ({ action: "decline" }),
    });
    expect(declined.elicitations).toHaveLength(1);
    expect(result(declined.output).output).toContain("User declined execution");
    expect(existsSync(path.join(ws, "declined.txt"))).toBe(false);
  });

  it('approval policy never: Codex calls execward only with "approve", and answers its questions no', async () => {
    // The README's default: Codex will not call the tool without asking, and may not ask.
    const asking = await session("never-default");
    const refused = await asking.codex.turn({
      cwd: asking.ws,
      sandbox: "workspace-write",
      approvalPolicy: "never",
      call: { command: "echo hi > f.txt", workdir: asking.ws },
    });
    expect(refused.output).toContain("requires approval, but approval policy is never");
    expect(existsSync(path.join(asking.ws, "f.txt"))).toBe(false);

    // With the optional line: execward runs, and a prompt rule's question never reaches anyone.
    const { codex, ws } = await session("never-approve", [], true);
    const wrote = await codex.turn({
      cwd: ws,
      sandbox: "workspace-write",
      approvalPolicy: "never",
      call: { command: "echo hi > f.txt", workdir: ws },
    });
    expect(result(wrote.output).exit_code).toBe(0);
    expect(existsSync(path.join(ws, "f.txt"))).toBe(true);
    const prompted = await codex.turn({
      cwd: ws,
      sandbox: "workspace-write",
      approvalPolicy: "never",
      call: { command: "touch never.txt", workdir: ws },
      answer: () => ({ action: "accept", content: {} }),
    });
    expect(prompted.elicitations).toEqual([]);
    expect(result(prompted.output).output).toMatch(
      /^Execution denied: User (declined|cancelled) execution\n$/,
    );
    expect(existsSync(path.join(ws, "never.txt"))).toBe(false);
  });

  it("a forbidden rule denies without asking", async () => {
    const { codex, ws } = await session("forbidden");
    await writeFile(path.join(ws, "keep.txt"), "keep");
    const turn = await codex.turn({
      cwd: ws,
      sandbox: "workspace-write",
      call: { command: "rm keep.txt", workdir: ws },
      answer: () => ({ action: "accept", content: {} }),
    });
    expect(turn.elicitations).toEqual([]);
    expect(result(turn.output).output).toMatch(
      /Execution denied: Execution forbidden by policy: forbidden by \S+\.rules:\d+: use a trash folder/,
    );
    expect(existsSync(path.join(ws, "keep.txt"))).toBe(true);
  });

  it.skipIf(requireInCi(hasTool("curl", "--version") ? undefined : "curl is not installed"))(
    "a network question reaches the client, and a deny answer blocks the request",
    async () => {
      const { codex, ws } = await session("network", ["--allow-domain", "allowed.invalid"]);
      const turn = await codex.turn({
        cwd: ws,
        sandbox: "workspace-write",
        call: {
          // An address, not a name: nothing resolves names in this network namespace (and
          // nothing leaves it, whatever the answer).
          command: "curl -sS -o /dev/null -w '%{http_code}' http://9.9.9.9/; echo",
          workdir: ws,
        },
        answer: () => ({ action: "accept", content: { decision: "deny" } }),
      });
      expect(turn.elicitations.map((e) => e.message)).toEqual([
        expect.stringContaining("Allow network access to `http://9.9.9.9"),
      ]);
      expect(result(turn.output).output).toMatch(/403/);
    },
  );
});
