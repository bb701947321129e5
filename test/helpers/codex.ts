/**
 * The real Codex CLI (npm `@openai/codex@0.169.0-linux-x64`) driving execward through real turns,
 * with a scripted model: `codex app-server` and the Responses stub
 * (test/fixtures/codex/responses-stub.mjs) run together inside a fresh network namespace, so
 * nothing can leave the machine and the stub's fixed port cannot collide.
 *
 * The package is fetched at test time into node_modules/.cache (once; `npm ci` never downloads
 * it). `codexUnavailable` is the reason this host cannot run these tests (no package, no
 * network namespace), for a visible skip; CI sets CI=true and must not skip.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";

import { fetchPackedPackage } from "./npm-pack-cache.js";
import { CLI_PATH, REPO_ROOT } from "./paths.js";

export const CODEX_VERSION = "0.169.0";
const PACKAGE = `@openai/codex@${CODEX_VERSION}-linux-x64`;
const CACHE = path.join(REPO_ROOT, "node_modules/.cache/execward-codex", CODEX_VERSION);
export const CODEX_BIN = path.join(CACHE, "package/vendor/x86_64-unknown-linux-musl/bin/codex");
const STUB = path.join(REPO_ROOT, "test/fixtures/codex/responses-stub.mjs");
const STUB_PORT = 18_731;
const SERVER_NAME = "execward";

/** As root the namespace needs no user namespace of its own; otherwise map us to root in one. */
const UNSHARE = process.getuid?.() === 0 ? ["unshare", "-n"] : ["unshare", "-rn"];

function fetchCodex(): string | undefined {
  if (process.platform !== "linux" || process.arch !== "x64")
    return `the Codex package used here is for linux-x64 (this is ${process.platform}-${process.arch})`;
  return fetchPackedPackage(PACKAGE, CACHE, () => existsSync(CODEX_BIN), CODEX_BIN);
}

function probeNetworkNamespace(): string | undefined {
  const probe = spawnSync(
    UNSHARE[0] ?? "unshare",
    [...UNSHARE.slice(1), "ip", "link", "set", "lo", "up"],
    {
      encoding: "utf8",
    },
  );
  if (probe.error !== undefined) return `cannot run unshare: ${probe.error.message}`;
  if (probe.status !== 0)
    return `this host cannot create a network namespace (${UNSHARE.join(" ")}): ${probe.stderr.trim()}`;
  return undefined;
}

export const codexUnavailable: string | undefined = probeNetworkNamespace() ?? fetchCodex();

/** One `codex` subcommand with `home` as CODEX_HOME, in a network namespace of its own. */
export function runCodex(
  home: string,
  args: readonly string[],
): { status: number | null; stdout: string } {
  const result = spawnSync(UNSHARE[0] ?? "unshare", [...UNSHARE.slice(1), CODEX_BIN, ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, CODEX_HOME: home },
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout };
}

export type ElicitationAnswer = { action: "accept" | "decline" | "cancel"; content?: object };

export interface Elicitation {
  readonly message: string;
  readonly requestedSchema: unknown;
  readonly meta: Record<string, unknown> | undefined;
}

export interface CodexOptions {
  /** A fresh directory for this session: CODEX_HOME, the stub's files. */
  readonly home: string;
  /** Extra arguments for `execward mcp`. */
  readonly mcpArgs?: readonly string[];
  /** Use the README's optional `default_tools_approval_mode = "approve"` line. */
  readonly approveTools?: boolean;
}

export interface TurnOptions {
  readonly cwd: string;
  readonly sandbox: "read-only" | "workspace-write" | "danger-full-access";
  /** Codex's approval policy for the thread (default on-request). */
  readonly approvalPolicy?: "on-request" | "never";
  /** The `shell` tool's arguments the scripted model sends. */
  readonly call: { command: string; workdir: string; timeout_ms?: number };
  /** Answers execward's questions; Codex's own "may this MCP tool run" question is accepted. */
  readonly answer?: (elicitation: Elicitation) => ElicitationAnswer;
}

export interface TurnResult {
  /** What the model saw: the function_call_output's text. */
  readonly output: string;
  /** execward's questions that reached the client (Codex's own tool-call question excluded). */
  readonly elicitations: readonly Elicitation[];
}

/** One `codex app-server` (with its stub) in its own network namespace. */
export class CodexAppServer {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending = new Map<number, (message: Record<string, unknown>) => void>();
  readonly #notifications: { method: string; params: unknown }[] = [];
  readonly #waiters: (() => void)[] = [];
  readonly #home: string;
  #nextId = 1;
  #answer: ((elicitation: Elicitation) => ElicitationAnswer) | undefined;
  #elicitations: Elicitation[] = [];
  /** Codex's own stderr (its log), the last lines: for a failure's message. */
  readonly stderr: string[] = [];
  /** Server requests other than elicitations (none are expected). */
  readonly unexpected: string[] = [];
  /** How many times Codex asked its own "may this MCP tool run" question (always accepted). */
  toolApprovals = 0;

  constructor(options: CodexOptions) {
    this.#home = options.home;
    const argsFile = path.join(options.home, "stub-args.json");
    const outputFile = path.join(options.home, "stub-output.jsonl");
    const readyFile = path.join(options.home, "stub-ready");
    writeFileSync(outputFile, "");
    writeFileSync(argsFile, "{}");
    writeFileSync(path.join(options.home, "config.toml"), configToml(options));
    const script = [
      "ip link set lo up",
      `node ${quote(STUB)} &`,
      `while [ ! -e ${quote(readyFile)} ]; do sleep 0.05; done`,
      `exec ${quote(CODEX_BIN)} app-server`,
    ].join("\n");
    this.#child = spawn(UNSHARE[0] ?? "unshare", [...UNSHARE.slice(1), "sh", "-c", script], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: options.home,
        CODEX_HOME: options.home,
        OPENAI_API_KEY: "sk-test",
        RUST_LOG: "warn",
        STUB_PORT: String(STUB_PORT),
        SERVER_NAME,
        ARGS_FILE: argsFile,
        OUTPUT_FILE: outputFile,
        READY_FILE: readyFile,
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    createInterface({ input: this.#child.stderr }).on("line", (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 200) this.stderr.shift();
    });
    createInterface({ input: this.#child.stdout }).on("line", (line) => this.#onLine(line));
  }

  async start(): Promise<void> {
    await this.request("initialize", {
      clientInfo: { name: "execward-test", title: "execward test", version: "0" },
    });
    this.#send({ method: "initialized" });
  }

  /** Starts a thread and waits until Codex lists execward's `shell` tool. */
  async thread(
    cwd: string,
    sandbox: TurnOptions["sandbox"],
    approvalPolicy: TurnOptions["approvalPolicy"] = "on-request",
  ): Promise<string> {
    const started = (await this.request("thread/start", {
      cwd,
      sandbox,
      approvalPolicy,
      ephemeral: true,
    })) as { thread: { id: string } };
    for (;;) {
      const { data } = (await this.request("mcpServerStatus/list", {})) as {
        data: { name: string; tools?: Record<string, unknown> | null; toolsError?: unknown }[];
      };
      const server = data.find((entry) => entry.name === SERVER_NAME);
      if (server?.tools?.shell !== undefined) break;
      if (server?.toolsError !== undefined && server.toolsError !== null)
        throw new Error(
          `Codex could not list execward's tools: ${JSON.stringify(server.toolsError)}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return started.thread.id;
  }

  /** Runs one model turn that makes exactly one `shell` call, and returns what the model saw. */
  async turn(options: TurnOptions): Promise<TurnResult> {
    const threadId = await this.thread(options.cwd, options.sandbox, options.approvalPolicy);
    writeFileSync(path.join(this.#home, "stub-args.json"), JSON.stringify(options.call));
    const outputFile = path.join(this.#home, "stub-output.jsonl");
    const before = readFileSync(outputFile, "utf8").split("\n").filter(Boolean).length;
    this.#answer = options.answer;
    this.#elicitations = [];
    const done = this.#waitFor((n) => n.method === "turn/completed");
    await this.request("turn/start", { threadId, input: [{ type: "text", text: "go" }] });
    await done;
    const lines = readFileSync(outputFile, "utf8").split("\n").filter(Boolean);
    if (lines.length !== before + 1)
      throw new Error(`the model saw ${lines.length - before} tool outputs in one turn`);
    const item = JSON.parse(lines.at(-1) ?? "{}") as { output: unknown };
    return {
      output: outputText(item.output),
      elicitations: this.#elicitations,
    };
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    this.#child.stdin.end();
    this.#child.kill("SIGTERM");
    await exited;
  }

  request(method: string, params: unknown): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, (message) => {
        if (message.error !== undefined)
          reject(new Error(`${method} failed: ${JSON.stringify(message.error)}`));
        else resolve(message.result);
      });
      this.#send({ id, method, params });
    });
  }

  #send(message: object): void {
    this.#child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  #waitFor(match: (n: { method: string; params: unknown }) => boolean): Promise<void> {
    const start = this.#notifications.length;
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.#notifications.slice(start).some(match)) resolve();
        else this.#waiters.push(check);
      };
      check();
    });
  }

  #onLine(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const id = message.id;
    const method = message.method;
    if (typeof method !== "string") {
      if (typeof id === "number") this.#pending.get(id)?.(message);
      return;
    }
    if (id === undefined) {
      this.#notifications.push({ method, params: message.params });
      for (const waiter of this.#waiters.splice(0)) waiter();
      return;
    }
    if (method !== "mcpServer/elicitation/request") {
      // Nothing else should reach the client: refuse it, and let the test see it.
      this.unexpected.push(method);
      this.#send({ id, error: { code: -32601, message: `not expected: ${method}` } });
      return;
    }
    this.#send({ id, result: this.#elicit(message.params) });
  }

  #elicit(params: unknown): ElicitationAnswer {
    const p = params as {
      message: string;
      requestedSchema: unknown;
      _meta?: Record<string, unknown>;
    };
    const elicitation = { message: p.message, requestedSchema: p.requestedSchema, meta: p._meta };
    if (p._meta?.codex_approval_kind === "mcp_tool_call") {
      this.toolApprovals++;
      return { action: "accept", content: {} };
    }
    this.#elicitations.push(elicitation);
    return this.#answer?.(elicitation) ?? { action: "decline" };
  }
}

/** A function_call_output's `output`: a string, or content items (text ones kept). */
function outputText(output: unknown): string {
  if (typeof output === "string") return output;
  if (!Array.isArray(output)) return JSON.stringify(output);
  return output
    .map((item: { type?: unknown; text?: unknown }) =>
      item.type === "input_text" && typeof item.text === "string" ? item.text : "",
    )
    .join("\n");
}

/**
 * The README's Codex configuration, exactly as written there, with only the server's command
 * swapped for this checkout's build (npx would fetch a published release), and the scripted
 * model in front. A README that drifts from what works fails these tests.
 */
export function readmeCodexConfig(): string {
  const readme = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
  const block = /From Codex \(`~\/\.codex\/config\.toml`\)[^`]*```toml\n([\s\S]*?)```/.exec(
    readme,
  )?.[1];
  if (block === undefined) throw new Error("README.md has no Codex configuration block");
  return block;
}

function configToml(options: CodexOptions): string {
  const args = [CLI_PATH, "mcp", ...(options.mcpArgs ?? [])];
  const optional = '# default_tools_approval_mode = "approve"';
  const readme = readmeCodexConfig();
  if (options.approveTools === true && !readme.includes(`\n${optional}\n`))
    throw new Error(`the README's Codex configuration lost its line ${optional}`);
  const swapped = readme
    .replace(
      `\n${optional}\n`,
      options.approveTools === true ? `\n${optional.slice(2)}\n` : `\n${optional}\n`,
    )
    .replace(/^command = "npx"$/m, `command = ${JSON.stringify(process.execPath)}`)
    .replace(/^args = \["-y", "execward", "mcp"\]$/m, `args = ${JSON.stringify(args)}`);
  const changed = options.approveTools === true ? 3 : 2;
  if (swapped.split("\n").filter((line, i) => line !== readme.split("\n")[i]).length !== changed)
    throw new Error(`the README's Codex configuration changed shape:\n${readme}`);
  return [
    'model = "mock-model"',
    'model_provider = "mock"',
    "",
    "[model_providers.mock]",
    'name = "mock"',
    `base_url = "http://127.0.0.1:${STUB_PORT}/v1"`,
    'wire_api = "responses"',
    "request_max_retries = 0",
    "stream_max_retries = 0",
    "",
    swapped,
  ].join("\n");
}

function quote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
