/**
 * `execward mcp` as a child process spoken to in raw JSON-RPC lines, for fault tests that need
 * what the SDK client hides: the server's pid, its stdin (to close mid-call), requests left
 * unanswered, and errors told apart from tool errors.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";

import { CLI_PATH } from "./paths.js";

export interface RpcMessage {
  readonly id?: number | string;
  readonly method?: string;
  readonly params?: Record<string, unknown>;
  readonly result?: Record<string, unknown>;
  readonly error?: { readonly code: number; readonly message: string };
}

export class RawMcp {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  stderr = "";
  readonly #pending = new Map<number, (message: RpcMessage) => void>();
  readonly #requests: RpcMessage[] = [];
  readonly #requestWaiters: ((message: RpcMessage) => void)[] = [];
  #nextId = 1;

  constructor(args: readonly string[], options: { cwd: string; env: Record<string, string> }) {
    this.child = spawn(process.execPath, [CLI_PATH, "mcp", ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      const message = JSON.parse(line) as RpcMessage;
      if (message.method !== undefined && message.id !== undefined) {
        const waiter = this.#requestWaiters.shift();
        if (waiter === undefined) this.#requests.push(message);
        else waiter(message);
        return;
      }
      if (typeof message.id === "number") this.#pending.get(message.id)?.(message);
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error("the server did not start");
    return this.child.pid;
  }

  /** Sends a request; resolves with the whole response (result or error). */
  request(method: string, params: Record<string, unknown>): Promise<RpcMessage> {
    const id = this.#nextId++;
    const answer = new Promise<RpcMessage>((resolve) => this.#pending.set(id, resolve));
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    return answer;
  }

  notify(method: string): void {
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method })}\n`);
  }

  async initialize(capabilities: Record<string, unknown> = {}): Promise<void> {
    const response = await this.request("initialize", {
      protocolVersion: "2025-06-18",
      capabilities,
      clientInfo: { name: "fault-test", version: "1.0.0" },
    });
    if (response.error !== undefined) throw new Error(response.error.message);
    this.notify("notifications/initialized");
  }

  /** A `shell` tool call. */
  shell(args: Record<string, unknown>): Promise<RpcMessage> {
    return this.request("tools/call", { name: "shell", arguments: args });
  }

  /** The next request the server sends (an elicitation). */
  nextServerRequest(): Promise<RpcMessage> {
    const queued = this.#requests.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => this.#requestWaiters.push(resolve));
  }

  /** The client goes away: end of the server's stdin. */
  async disconnect(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }
}

/** The text of a tool result, and whether it is a tool error. */
export function toolText(response: RpcMessage): { text: string; isError: boolean } {
  if (response.error !== undefined)
    throw new Error(`JSON-RPC error instead of a tool result: ${response.error.message}`);
  const result = response.result as
    { content?: { type: string; text: string }[]; isError?: boolean } | undefined;
  return { text: result?.content?.[0]?.text ?? "", isError: result?.isError === true };
}
