// `execward mcp` answers `initialize` and `tools/list` before the MCP SDK has loaded
// (src/mcp/early-initialize.ts). Shown without a clock: an ESM resolve hook holds every import of
// the SDK until the test releases it. While it is held, a plain `initialize` and `tools/list` are
// answered; the control, an `initialize` the early path leaves to the SDK, is not (nor anything
// after it). Once released, the SDK serves the same session with
// exactly one answer per request.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { locateBwrap } from "../../src/sandbox/bwrap-capabilities.js";
import { requireInCi } from "../helpers/ci.js";
import { CLI_PATH } from "../helpers/paths.js";

const bwrapMissing = await locateBwrap(undefined, "/usr/bin:/bin").then(
  () => undefined,
  (error: unknown) => (error as Error).message,
);

let dir: string;
let register: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "execward-startup-"));
  const hooks = path.join(dir, "hooks.mjs");
  await writeFile(
    hooks,
    `import { appendFileSync, existsSync } from "node:fs";
export async function resolve(specifier, context, next) {
  if (specifier.startsWith("@modelcontextprotocol/sdk")) {
    appendFileSync(process.env.EXECWARD_TEST_LOG, "held " + specifier + "\\n");
    while (!existsSync(process.env.EXECWARD_TEST_RELEASE)) await new Promise((r) => setTimeout(r, 20));
  }
  return next(specifier, context);
}
`,
  );
  register = path.join(dir, "register.mjs");
  await writeFile(
    register,
    `import { register } from "node:module";\nregister(${JSON.stringify(`file://${hooks}`)});\n`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Session {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: string[];
  readonly release: () => Promise<void>;
  readonly held: () => Promise<boolean>;
  stderr: string;
}

let counter = 0;
async function start(
  env: Record<string, string> = {},
  sandbox = "danger-full-access",
): Promise<Session> {
  counter++;
  const release = path.join(dir, `release-${counter}`);
  const log = path.join(dir, `log-${counter}`);
  await writeFile(log, "");
  const child = spawn(
    process.execPath,
    ["--import", register, CLI_PATH, "mcp", "--sandbox", sandbox],
    {
      env: {
        PATH: "/usr/bin:/bin",
        HOME: dir,
        CODEX_HOME: dir,
        EXECWARD_TEST_RELEASE: release,
        EXECWARD_TEST_LOG: log,
        ...env,
      },
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  const session: Session = {
    child,
    lines: [],
    stderr: "",
    release: () => writeFile(release, ""),
    held: async () => !existsSync(release) && (await readFile(log, "utf8")).includes("held"),
  };
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (session.stderr += chunk));
  createInterface({ input: child.stdout }).on("line", (line) => session.lines.push(line));
  return session;
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting: ${what}`);
}

const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: { elicitation: {} },
    clientInfo: { name: "startup-test", version: "1.0.0" },
  },
};

function send(session: Session, message: unknown): void {
  session.child.stdin.write(`${JSON.stringify(message)}\n`);
}

function ids(session: Session): unknown[] {
  return session.lines.map((line) => (JSON.parse(line) as { id?: unknown }).id);
}

describe("execward mcp start-up", () => {
  it("answers a plain initialize and tools/list while the MCP SDK is still loading, then serves the same session", async () => {
    const session = await start();
    try {
      send(session, INITIALIZE);
      await until(() => session.lines.length === 1, "the initialize answer");
      // The SDK's import was still being held when the answer came.
      expect(await session.held()).toBe(true);
      expect(JSON.parse(session.lines[0]!)).toMatchObject({
        jsonrpc: "2.0",
        id: 1,
        result: {
          protocolVersion: "2025-06-18",
          serverInfo: { name: "execward" },
          capabilities: { tools: {}, experimental: { "codex/sandbox-state-meta": {} } },
        },
      });
      send(session, { jsonrpc: "2.0", method: "notifications/initialized" });
      send(session, { jsonrpc: "2.0", id: 2, method: "tools/list" });
      await until(() => session.lines.length >= 2, "the tools/list answer");
      expect(await session.held()).toBe(true);
      const listed = JSON.parse(session.lines[1]!) as { result: { tools: { name: string }[] } };
      expect(listed.result.tools.map((tool) => tool.name)).toEqual(["shell"]);
      await session.release();
      // A tool call works; the SDK's own answers to 1 and 2 matched and were dropped.
      send(session, {
        jsonrpc: "2.0",
        id: 3,
        method: "tools/call",
        params: { name: "shell", arguments: { command: "echo hi", workdir: dir } },
      });
      await until(() => session.lines.length >= 3, "the tools/call answer");
      const called = JSON.parse(session.lines[2]!) as { result: { content: { text: string }[] } };
      expect(JSON.parse(called.result.content[0]!.text)).toMatchObject({
        exit_code: 0,
        output: "hi\n",
      });
      expect(ids(session)).toEqual([1, 2, 3]);
      expect(session.stderr).not.toMatch(/differs/);
    } finally {
      session.child.kill();
    }
  });

  it("control: an initialize the early path leaves alone waits for the SDK, and is answered once", async () => {
    const session = await start();
    try {
      send(session, { ...INITIALIZE, params: { ...INITIALIZE.params, _meta: { note: 1 } } });
      send(session, { jsonrpc: "2.0", id: 2, method: "tools/list" });
      await until(() => session.held(), "the SDK import to be held");
      await new Promise((r) => setTimeout(r, 500));
      expect(session.lines).toEqual([]);
      await session.release();
      await until(() => session.lines.length === 2, "the SDK's answers");
      expect(ids(session)).toEqual([1, 2]);
    } finally {
      session.child.kill();
    }
  });

  it("an unusable rules location after the early answer: the reason on stderr, exit 1", async () => {
    const file = path.join(dir, "codex-home-file");
    await writeFile(file, "");
    const session = await start({ CODEX_HOME: file });
    const exited = new Promise<number | null>((resolve) =>
      session.child.once("exit", (code) => resolve(code)),
    );
    send(session, INITIALIZE);
    await until(() => session.lines.length === 1, "the initialize answer");
    await session.release();
    expect(await exited).toBe(1);
    expect(session.stderr).toContain(file);
    expect(session.stderr).toMatch(/not a directory/);
  });

  it.skipIf(requireInCi(bwrapMissing))(
    "input that ends before the server is ready still closes it in order: no mount points left",
    async () => {
      const work = path.join(dir, "work-end");
      await mkdir(work);
      const session = await start({}, "workspace-write");
      const exited = new Promise<number | null>((resolve) =>
        session.child.once("exit", (code) => resolve(code)),
      );
      send(session, INITIALIZE);
      send(session, { jsonrpc: "2.0", method: "notifications/initialized" });
      send(session, {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "shell", arguments: { command: "sleep 5", workdir: work, login: false } },
      });
      session.child.stdin.end();
      await until(() => session.held(), "the SDK import to be held");
      await session.release();
      expect(await exited).toBe(0);
      // The end of input closed the server (the call was ended, its sandbox released and the
      // mount points removed) rather than letting the process drift out without its cleanup.
      expect(
        [".git", ".codex", ".agents"].filter((name) => existsSync(path.join(work, name))),
      ).toEqual([]);
    },
  );
});
