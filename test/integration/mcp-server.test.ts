// `execward mcp` driven by the official SDK client over stdio: upstream's list_tools and
// accept_elicitation_for_prompt_rule cases, decisions, timeouts (with and without a pending
// approval), concurrency, bad input and the sandbox-state request.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { CLI_PATH } from "../helpers/paths.js";

const RULES = `
prefix_rule(pattern=["git", "init"], decision="prompt", match=["git init ."])
prefix_rule(pattern=["rm"], decision="forbidden", justification="use a trash folder")
prefix_rule(pattern=["printenv"], decision="allow")
`;

let codexHome: string;
let work: string;
const clients: Client[] = [];

beforeAll(async () => {
  codexHome = await mkdtemp(path.join(os.tmpdir(), "execward-mcp-home-"));
  work = await mkdtemp(path.join(os.tmpdir(), "execward-mcp-work-"));
  await mkdir(path.join(codexHome, "rules"));
  await writeFile(path.join(codexHome, "rules", "default.rules"), RULES);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});
afterAll(async () => {
  await rm(codexHome, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

async function connect(
  options: {
    elicitation?: (message: string, requestedSchema: unknown) => Promise<ElicitResult>;
    args?: readonly string[];
  } = {},
): Promise<Client> {
  const client = new Client(
    { name: "test", version: "1.0.0" },
    { capabilities: options.elicitation === undefined ? {} : { elicitation: {} } },
  );
  if (options.elicitation !== undefined) {
    const answer = options.elicitation;
    client.setRequestHandler(ElicitRequestSchema, (request) =>
      answer(
        request.params.message,
        (request.params as { requestedSchema?: unknown }).requestedSchema,
      ),
    );
  }
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_PATH, "mcp", ...(options.args ?? [])],
    env: { PATH: "/usr/bin:/bin", HOME: codexHome, CODEX_HOME: codexHome },
    stderr: "ignore",
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

const EmptyResult = z.object({}).passthrough();

async function fullAccess(client: Client): Promise<void> {
  await client.request(
    {
      method: "codex/sandbox-state/update",
      params: { sandboxPolicy: { type: "danger-full-access" }, sandboxCwd: work },
    },
    EmptyResult,
  );
}

interface ShellResult {
  exit_code: number;
  output: string;
  duration: { secs: number; nanos: number };
  timed_out: boolean;
}

async function shell(
  client: Client,
  args: Record<string, unknown>,
  meta?: Record<string, unknown>,
): Promise<{ isError: boolean; result: ShellResult | undefined; text: string }> {
  const response = await client.callTool({
    name: "shell",
    arguments: { workdir: work, login: false, ...args },
    ...(meta === undefined ? {} : { _meta: meta }),
  });
  const text = (response.content as { type: string; text: string }[])[0]?.text ?? "";
  const isError = response.isError === true;
  return { isError, text, result: isError ? undefined : (JSON.parse(text) as ShellResult) };
}

describe("execward mcp", () => {
  it("lists exactly upstream's shell tool", async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    expect(tools).toEqual([
      {
        name: "shell",
        description:
          "Runs a shell command and returns its output. You MUST provide the workdir as an absolute path.",
        inputSchema: {
          type: "object",
          title: "ExecParams",
          properties: {
            command: { type: "string", description: "The bash string to execute." },
            workdir: {
              type: "string",
              description:
                "The working directory to execute the command in. Must be an absolute path.",
            },
            timeout_ms: {
              type: ["integer", "null"],
              format: "uint64",
              minimum: 0,
              description: "The timeout for the command in milliseconds.",
            },
            login: {
              type: ["boolean", "null"],
              description: "Launch Bash with -lc instead of -c: defaults to true.",
            },
          },
          required: ["command", "workdir"],
        },
      },
    ]);
    expect(client.getServerCapabilities()?.experimental).toEqual({
      "codex/sandbox-state": { version: "1.0.0" },
      "codex/sandbox-state-meta": { version: "1.0.0" },
    });
  });

  it("acknowledges sandbox-state updates and rejects bad ones with upstream's errors", async () => {
    const client = await connect();
    const failure = (promise: Promise<unknown>): Promise<{ code?: number; message?: string }> =>
      promise.then(
        () => ({}),
        (error: unknown) => error as { code?: number; message?: string },
      );
    const missing = await failure(
      client.request({ method: "codex/sandbox-state/update" }, EmptyResult),
    );
    expect(missing.code).toBe(-32602);
    expect(missing.message).toContain("missing params for sandbox state request");
    const invalid = await failure(
      client.request(
        { method: "codex/sandbox-state/update", params: { sandboxPolicy: { type: "bogus" } } },
        EmptyResult,
      ),
    );
    expect(invalid.code).toBe(-32602);
    expect(invalid.message).toContain("failed to deserialize sandbox state");
    await expect(
      client.request({ method: "codex/other", params: {} }, EmptyResult),
    ).rejects.toMatchObject({ code: -32601 });
    expect(
      await client.request(
        {
          method: "codex/sandbox-state/update",
          params: { sandboxPolicy: { type: "read-only" }, sandboxCwd: work },
        },
        EmptyResult,
      ),
    ).toEqual({});
  });

  it("sandboxes by default (read-only, as upstream); danger-full-access runs unsandboxed", async () => {
    const client = await connect();
    const project = await mkdtemp(path.join(work, "default-"));
    const sandboxed = await shell(client, {
      command: "exec 2>&1; echo hi; echo x > f; echo status=$?",
      workdir: project,
    });
    expect(sandboxed.result?.exit_code).toBe(0);
    expect(sandboxed.result?.output).toMatch(/^hi\n.*f: Read-only file system\nstatus=1\n$/);
    expect(existsSync(path.join(project, "f"))).toBe(false);
    await fullAccess(client);
    const ran = await shell(client, {
      command: "echo x > f; echo hi; echo err >&2",
      workdir: project,
    });
    expect(ran.result).toMatchObject({ exit_code: 0, output: "hi\nerr\n", timed_out: false });
    expect(existsSync(path.join(project, "f"))).toBe(true);
  });

  it("follows sandbox-state updates: workspace-write on sandboxCwd, then back to read-only", async () => {
    const client = await connect();
    const project = await mkdtemp(path.join(work, "state-"));
    const update = (sandboxPolicy: unknown) =>
      client.request(
        { method: "codex/sandbox-state/update", params: { sandboxPolicy, sandboxCwd: project } },
        EmptyResult,
      );
    await update({
      type: "workspace-write",
      exclude_slash_tmp: true,
      exclude_tmpdir_env_var: true,
    });
    const wrote = await shell(client, { command: "echo a > a && cat a", workdir: project });
    expect(wrote.result).toMatchObject({ exit_code: 0, output: "a\n" });
    await update({ type: "read-only" });
    const refused = await shell(client, { command: "echo b > b", workdir: project });
    expect(refused.result?.exit_code).toBe(1);
    expect(refused.result?.output).toContain("Read-only file system");
    // Restricted reads: the call's workdir is shown even when it is not the policy's directory.
    const elsewhere = await mkdtemp(path.join(work, "elsewhere-"));
    await update({ type: "read-only", access: { type: "restricted" } });
    const moved = await shell(client, { command: "pwd; ls -d .", workdir: elsewhere });
    expect(moved.result).toMatchObject({ exit_code: 0, output: `${elsewhere}\n.\n` });
  });

  it("runs each call in the sandbox its _meta carries (Codex 0.169's permission profile)", async () => {
    const client = await connect();
    // A stored state says full access; the call's own state wins.
    await fullAccess(client);
    const project = await mkdtemp(path.join(work, "meta-"));
    await mkdir(path.join(project, ".git"));
    await writeFile(path.join(project, ".git", "HEAD"), "ref: refs/heads/main\n");
    const special = (kind: string) => ({ type: "special", value: { kind } });
    const workspaceWrite = {
      permissionProfile: {
        type: "managed",
        file_system: {
          type: "restricted",
          entries: [
            { path: special("root"), access: "read" },
            { path: { type: "path", path: project }, access: "write" },
            { path: special("slash_tmp"), access: "write" },
            { path: special("tmpdir"), access: "write" },
            ...[".git", ".agents", ".codex"].map((name) => ({
              path: { type: "path", path: path.join(project, name) },
              access: "read",
              missing_path_behavior: "skip",
            })),
          ],
        },
        network: "restricted",
      },
      codexLinuxSandboxExe: "/nonexistent/codex",
      sandboxCwd: `file://${project}`,
      useLegacyLandlock: false,
    };
    const both = (state: unknown) => ({
      "codex/sandbox-state": state,
      "codex/sandbox-state-meta": state,
    });
    const wrote = await shell(
      client,
      {
        command:
          "exec 2>&1; echo a > a && cat a; echo x > .git/HEAD; echo status=$?; mkdir .codex && echo made",
        workdir: project,
      },
      both(workspaceWrite),
    );
    expect(wrote.result?.output).toMatch(
      /^a\n.*\.git\/HEAD: Read-only file system\nstatus=1\nmade\n$/,
    );
    expect(existsSync(path.join(project, "a"))).toBe(true);
    expect(existsSync(path.join(project, ".codex"))).toBe(true);

    const readOnly = {
      ...workspaceWrite,
      permissionProfile: {
        type: "managed",
        file_system: { type: "restricted", entries: [{ path: special("root"), access: "read" }] },
        network: "restricted",
      },
    };
    const refused = await shell(
      client,
      { command: "echo b > b", workdir: project },
      both(readOnly),
    );
    expect(refused.result?.output).toContain("Read-only file system");
    expect(existsSync(path.join(project, "b"))).toBe(false);

    // A denied file can be neither read nor written.
    await writeFile(path.join(project, "token"), "s3cret\n");
    const denied = await shell(
      client,
      { command: "exec 2>&1; cat token; echo x > token; echo status=$?", workdir: project },
      both({
        ...workspaceWrite,
        permissionProfile: {
          ...workspaceWrite.permissionProfile,
          file_system: {
            type: "restricted",
            entries: [
              ...workspaceWrite.permissionProfile.file_system.entries,
              { path: { type: "path", path: path.join(project, "token") }, access: "deny" },
            ],
          },
        },
      }),
    );
    expect(denied.result?.output).toMatch(
      /^cat: token: Permission denied\n.*token: .*\nstatus=1\n$/,
    );
    expect(denied.result?.output).not.toContain("s3cret");
    expect(readFileSync(path.join(project, "token"), "utf8")).toBe("s3cret\n");

    // The legacy form, in _meta too.
    const legacy = await shell(
      client,
      { command: "echo c > c", workdir: project },
      { "codex/sandbox-state": { sandboxPolicy: { type: "read-only" }, sandboxCwd: project } },
    );
    expect(legacy.result?.output).toContain("Read-only file system");

    // Disabled: full access.
    const disabled = await shell(
      client,
      { command: "echo d > d", workdir: project },
      both({ ...workspaceWrite, permissionProfile: { type: "disabled" } }),
    );
    expect(disabled.result?.exit_code).toBe(0);
    expect(existsSync(path.join(project, "d"))).toBe(true);
  });

  it("fails a call whose _meta sandbox it cannot honour exactly, running nothing", async () => {
    const client = await connect();
    await fullAccess(client);
    const project = await mkdtemp(path.join(work, "meta-refused-"));
    const profile = (entries: unknown[]) => ({
      permissionProfile: {
        type: "managed",
        file_system: { type: "restricted", entries },
        network: "restricted",
      },
      sandboxCwd: `file://${project}`,
    });
    const root = { path: { type: "special", value: { kind: "root" } }, access: "read" };
    const cases: [Record<string, unknown>, string][] = [
      [
        {
          "codex/sandbox-state-meta": profile([
            root,
            { path: { type: "glob_pattern", pattern: "**/*.env" }, access: "deny" },
          ]),
        },
        "glob pattern",
      ],
      [
        {
          "codex/sandbox-state-meta": profile([
            root,
            { path: { type: "path", path: path.join(project, "secret") }, access: "deny" },
            { path: { type: "path", path: path.join(project, "secret/open") }, access: "read" },
          ]),
        },
        `grants ${path.join(project, "secret/open")} inside the denied ${path.join(project, "secret")}`,
      ],
      [
        {
          "codex/sandbox-state-meta": profile([root]),
          "codex/sandbox-state": profile([]),
        },
        "disagree",
      ],
      [
        {
          "codex/sandbox-state-meta": {
            sandboxCwd: project,
            permissionProfile: { type: "sandboxed" },
          },
        },
        "invalid permission profile",
      ],
      [
        { "codex/sandbox-state-meta": { permissionProfile: { type: "disabled" } } },
        "not a sandbox state",
      ],
    ];
    for (const [meta, reason] of cases) {
      const result = await shell(client, { command: "touch ran", workdir: project }, meta);
      expect(result.isError).toBe(true);
      expect(result.text).toContain(reason);
      expect(result.text).toContain("The command did not run.");
    }
    expect(existsSync(path.join(project, "ran"))).toBe(false);
  });

  it("fails the call, running nothing, when the sandbox cannot be built", async () => {
    const client = await connect();
    const project = await mkdtemp(path.join(work, "missing-root-"));
    await client.request(
      {
        method: "codex/sandbox-state/update",
        params: {
          sandboxPolicy: { type: "workspace-write", writable_roots: [path.join(project, "nope")] },
          sandboxCwd: project,
        },
      },
      EmptyResult,
    );
    const result = await shell(client, { command: "touch ran", workdir: project });
    expect(result.isError).toBe(true);
    expect(result.text).toContain(
      `Sandbox expected writable root ${path.join(project, "nope")}, but it does not exist.`,
    );
    expect(existsSync(path.join(project, "ran"))).toBe(false);
  });

  it("applies the rules: forbidden, allow (escalated), unmatched", async () => {
    const client = await connect();
    const denied = await shell(client, { command: "rm -rf nothing; echo status=$?" });
    // upstream's words first, then the rule's file and line (the file's third line).
    expect(denied.result?.output).toBe(
      `Execution denied: Execution forbidden by policy: forbidden by ${path.join(codexHome, "rules", "default.rules")}:3: use a trash folder\nstatus=1\n`,
    );
    const escalated = await shell(client, { command: "printenv LD_PRELOAD; echo done" });
    expect(escalated.result?.output).toBe("done\n");
  });

  it("gives an escalated program the server's environment, plus only the names --escalation-env adds", async () => {
    const client = await connect({ args: ["--escalation-env", "KEEP_ME"] });
    const escalated = await shell(client, {
      command:
        "HOME=/tmp/elsewhere KEEP_ME=kept DROP_ME=dropped printenv HOME KEEP_ME DROP_ME; echo status=$?",
    });
    // printenv is allowed (escalated): HOME is the server's, DROP_ME never crosses.
    expect(escalated.result?.output).toBe(`${codexHome}\nkept\nstatus=1\n`);
  });

  it("asks for a prompt rule: accepted succeeds (upstream's accept_elicitation_for_prompt_rule)", async () => {
    const messages: string[] = [];
    const schemas: unknown[] = [];
    const client = await connect({
      elicitation: (message, requestedSchema) => {
        messages.push(message);
        schemas.push(requestedSchema);
        return Promise.resolve({ action: "accept", content: { reason: "fine" } });
      },
    });
    const project = await mkdtemp(path.join(work, "project-"));
    const result = await shell(client, { command: "git init .", workdir: project });
    const gitPath = execFileSync("bash", ["-c", "command -v git"], {
      env: { PATH: "/usr/bin:/bin" },
    })
      .toString()
      .trim();
    expect(result.result?.exit_code).toBe(0);
    expect(result.result?.output).toContain(`Initialized empty Git repository in ${project}/.git/`);
    expect(messages).toEqual([`Allow agent to run \`${gitPath} init .\` in \`${project}\`?`]);
    // Only what Codex's strict schema parser accepts at the top (a `title` makes it cancel).
    expect(schemas).toEqual([
      {
        type: "object",
        properties: {
          decision: {
            type: "string",
            title: "Decision",
            description: expect.stringContaining("outside the sandbox") as unknown,
            // A prompt rule asks every time: an "always" allow rule could not change that.
            enum: ["allow-once", "allow-session", "deny"],
            enumNames: ["Allow once", "Allow for this session", "Deny"],
            default: "allow-once",
          },
          reason: {
            type: "string",
            description: "Optional reason for allowing or denying execution",
          },
        },
      },
    ]);
    // Under the read-only sandbox the write happened only because git was escalated.
    expect(existsSync(path.join(project, ".git"))).toBe(true);
  });

  it("denies a declined prompt with the reason in the output, and one no client can answer", async () => {
    const client = await connect({ elicitation: () => Promise.resolve({ action: "decline" }) });
    const project = await mkdtemp(path.join(work, "declined-"));
    const declined = await shell(client, { command: "git init .", workdir: project });
    expect(declined.result).toMatchObject({
      exit_code: 1,
      output: "Execution denied: User declined execution\n",
    });
    expect(existsSync(path.join(project, ".git"))).toBe(false);
    const noElicitation = await connect();
    const unanswerable = await shell(noElicitation, { command: "git init ." });
    expect(unanswerable.result?.output).toContain("the MCP client does not support elicitation");
  });

  it("times out, killing the command, with exit code 124", async () => {
    const client = await connect();
    const result = await shell(client, { command: "sleep 30; echo never", timeout_ms: 500 });
    expect(result.result).toMatchObject({ exit_code: 124, timed_out: true, output: "" });
  });

  it("does not count time spent waiting for an approval against the timeout", async () => {
    const client = await connect({
      elicitation: () =>
        new Promise((resolve) => setTimeout(() => resolve({ action: "accept" }), 3000)),
    });
    const project = await mkdtemp(path.join(work, "slow-"));
    const result = await shell(client, {
      command: "git init -q . && echo ok",
      workdir: project,
      timeout_ms: 1500,
    });
    expect(result.result).toMatchObject({ exit_code: 0, timed_out: false, output: "ok\n" });
  });

  it("runs 8 calls concurrently", async () => {
    const client = await connect();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        shell(client, { command: `sleep 0.2; printf '${i}\\n' | sort | head -1` }),
      ),
    );
    expect(results.map((r) => r.result?.output)).toEqual(
      Array.from({ length: 8 }, (_, i) => `${i}\n`),
    );
  });

  it("answers bad input with a tool error and keeps serving", async () => {
    const client = await connect();
    expect((await shell(client, { command: "echo hi", workdir: "relative/dir" })).text).toContain(
      "must be an absolute path",
    );
    expect((await shell(client, { command: "   " })).text).toContain("must not be empty");
    expect((await shell(client, { command: 42 })).text).toContain("`command` must be a string");
    expect(
      (await shell(client, { command: "echo hi", workdir: path.join(work, "missing") })).text,
    ).toContain("is not a directory");
    expect((await shell(client, { command: "echo still here" })).result?.output).toBe(
      "still here\n",
    );
  });
});

describe("execward mcp robustness", () => {
  it("survives a malformed JSON-RPC line", async () => {
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, [CLI_PATH, "mcp"], {
      env: { PATH: "/usr/bin:/bin", HOME: codexHome, CODEX_HOME: codexHome },
      stdio: ["pipe", "pipe", "ignore"],
    });
    let out = "";
    const answered = new Promise<string>((resolve) => {
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk;
        if (out.includes("\n")) resolve(out);
      });
    });
    child.stdin.write("this is not json\n");
    child.stdin.write(
      `${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } })}\n`,
    );
    const line = (await answered).split("\n")[0] ?? "";
    expect(JSON.parse(line)).toMatchObject({
      jsonrpc: "2.0",
      id: 1,
      result: { serverInfo: { name: "execward" } },
    });
    child.stdin.end();
    await new Promise((resolve) => child.on("close", resolve));
  });

  it("denies a pending exec and leaves no process behind when the client disconnects during an elicitation", async () => {
    const project = await mkdtemp(path.join(work, "gone-"));
    const marker = `execward-disconnect-${process.pid}`;
    let asked: () => void = () => undefined;
    const elicited = new Promise<void>((resolve) => (asked = resolve));
    const client = await connect({
      elicitation: () => {
        asked();
        return new Promise<never>(() => undefined);
      },
    });
    const call = shell(client, {
      command: `(exec -a ${marker} sleep 60) & git init . ; touch made`,
      workdir: project,
    }).catch(() => undefined);
    await elicited;
    await client.close();
    clients.splice(clients.indexOf(client), 1);
    await call;
    for (let i = 0; i < 50; i++) {
      try {
        execFileSync("pgrep", ["-f", marker], { stdio: "ignore" });
      } catch {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(() => execFileSync("pgrep", ["-f", marker], { stdio: "ignore" })).toThrow();
    const { existsSync } = await import("node:fs");
    expect(existsSync(path.join(project, ".git"))).toBe(false);
  });
});

describe("execward mcp output, progress and cancellation", () => {
  it("caps 50 MB of output, keeping its head and tail", async () => {
    const client = await connect();
    const result = await shell(client, {
      command: "echo first; head -c 50000000 /dev/zero | tr '\\0' a; echo; echo last",
      timeout_ms: 60_000,
    });
    const output = result.result?.output ?? "";
    expect(output.startsWith("first\naaaa")).toBe(true);
    expect(output.endsWith("aaaa\nlast\n")).toBe(true);
    expect(output).toMatch(/\[\.\.\. execward: \d+ bytes of output omitted \.\.\.\]/);
    expect(output.length).toBeLessThan(1024 * 1024 + 200);
  });

  it("sends progress notifications when the client asks for them", async () => {
    const client = await connect();
    const progress: number[] = [];
    const response = await client.callTool(
      {
        name: "shell",
        arguments: { command: "sleep 2.5; echo done", workdir: work, login: false },
      },
      undefined,
      { onprogress: (notification) => progress.push(notification.progress) },
    );
    expect(response.isError).toBe(false);
    expect(progress.slice(0, 2)).toEqual([1, 2]);
  });

  it("kills the command when the client cancels the call", async () => {
    const client = await connect();
    const marker = `execward-cancel-${process.pid}`;
    const controller = new AbortController();
    const call = client
      .callTool(
        {
          name: "shell",
          arguments: {
            command: `(exec -a ${marker} sleep 60) & wait`,
            workdir: work,
            login: false,
          },
        },
        undefined,
        { signal: controller.signal },
      )
      .catch((error: unknown) => error);
    const alive = (): boolean => {
      try {
        execFileSync("pgrep", ["-f", marker], { stdio: "ignore" });
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 50 && !alive(); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive()).toBe(true);
    controller.abort();
    await call;
    for (let i = 0; i < 50 && alive(); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive()).toBe(false);
  });
});
