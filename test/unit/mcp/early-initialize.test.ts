// The `initialize` answer written before the MCP SDK loads (src/mcp/early-initialize.ts): it must
// be exactly what the SDK's own Server answers, every byte read must reach the SDK in order, and
// anything unusual must be left for the SDK to answer.
import { PassThrough, Writable, type Readable } from "node:stream";

import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import {
  LATEST_PROTOCOL_VERSION as SDK_LATEST,
  ListToolsRequestSchema,
  SUPPORTED_PROTOCOL_VERSIONS as SDK_SUPPORTED,
} from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";

import {
  EarlyInitialize,
  earlyInitializeAnswer,
  earlyToolsListAnswer,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "../../../src/mcp/early-initialize.js";
import {
  SERVER_INSTRUCTIONS,
  SERVER_NAME,
  serverCapabilities,
} from "../../../src/mcp/server-identity.js";
import { shellToolListing } from "../../../src/mcp/shell-tool.js";

const VERSION = "9.8.7";

function initialize(params: Record<string, unknown>, id: unknown = 1): Record<string, unknown> {
  return { jsonrpc: "2.0", id, method: "initialize", params };
}

const PLAIN = {
  protocolVersion: "2025-06-18",
  capabilities: {},
  clientInfo: { name: "client", version: "1.0.0" },
};

/** Collects what is written, line by line. */
function lineSink(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  let partial = "";
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      partial += chunk.toString("utf8");
      let end;
      while ((end = partial.indexOf("\n")) !== -1) {
        lines.push(partial.slice(0, end));
        partial = partial.slice(end + 1);
      }
      callback();
    },
  });
  return { stream, lines };
}

/** The real SDK Server, built from the same identity as execward's, over `stdio`. */
async function sdkServer(stdio: { input: Readable; output: Writable }) {
  const server = new Server(
    { name: SERVER_NAME, version: VERSION },
    { capabilities: serverCapabilities(), instructions: SERVER_INSTRUCTIONS },
  );
  // As mcp-server.ts does.
  server.setRequestHandler(ListToolsRequestSchema, () => shellToolListing());
  await server.connect(new StdioServerTransport(stdio.input, stdio.output));
  return server;
}

/** What the SDK alone answers to the last of `sent` (each a request). */
async function sdkAnswer(...sent: string[]): Promise<string> {
  const input = new PassThrough();
  const { stream, lines } = lineSink();
  const server = await sdkServer({ input, output: stream });
  for (const line of sent) input.write(`${line}\n`);
  await until(() => lines.length === sent.length);
  await server.close();
  return lines[sent.length - 1]!;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error("gave up waiting");
}

describe("the early initialize answer", () => {
  it("negotiates with the same protocol versions as the installed SDK", () => {
    expect(SUPPORTED_PROTOCOL_VERSIONS).toEqual(SDK_SUPPORTED);
    expect(LATEST_PROTOCOL_VERSION).toBe(SDK_LATEST);
  });

  it.each([
    ["a supported version", PLAIN],
    ["the oldest version", { ...PLAIN, protocolVersion: "2024-11-05" }],
    ["an unknown version (answered with the latest)", { ...PLAIN, protocolVersion: "1999-01-01" }],
    [
      "Codex-like capabilities",
      {
        ...PLAIN,
        capabilities: {
          elicitation: {},
          experimental: { "codex/x": {} },
          roots: { listChanged: true },
        },
        clientInfo: { name: "codex-mcp-client", title: "Codex", version: "0.169.0" },
      },
    ],
  ])("is byte for byte the SDK's answer: %s", async (_name, params) => {
    const request = initialize(params, "req-7");
    const early = earlyInitializeAnswer(request, VERSION);
    expect(early).toBeDefined();
    expect(JSON.stringify(early)).toBe(await sdkAnswer(JSON.stringify(request)));
  });

  it.each([
    ["_meta in params", { ...PLAIN, _meta: { progressToken: 1 } }, 1],
    ["icons", { ...PLAIN, clientInfo: { ...PLAIN.clientInfo, icons: [] } }, 1],
    ["task capabilities", { ...PLAIN, capabilities: { tasks: {} } }, 1],
    ["a capability that is not an object", { ...PLAIN, capabilities: { roots: true } }, 1],
    [
      "roots.listChanged not a boolean",
      { ...PLAIN, capabilities: { roots: { listChanged: 1 } } },
      1,
    ],
    [
      "elicitation.form.applyDefaults not a boolean",
      { ...PLAIN, capabilities: { elicitation: { form: { applyDefaults: "y" } } } },
      1,
    ],
    ["an unknown capability", { ...PLAIN, capabilities: { future: {} } }, 1],
    ["no clientInfo.version", { ...PLAIN, clientInfo: { name: "c" } }, 1],
    ["a protocol version that is not a string", { ...PLAIN, protocolVersion: 20250618 }, 1],
    ["a fractional id", PLAIN, 1.5],
    ["a null id", PLAIN, null],
  ])("leaves it to the SDK: %s", (_name, params, id) => {
    expect(earlyInitializeAnswer(initialize(params, id), VERSION)).toBeUndefined();
  });

  it("leaves other first messages and extra top-level keys to the SDK", () => {
    expect(earlyInitializeAnswer({ ...initialize(PLAIN), extra: 1 }, VERSION)).toBeUndefined();
    expect(
      earlyInitializeAnswer({ jsonrpc: "2.0", id: 1, method: "tools/list" }, VERSION),
    ).toBeUndefined();
    expect(
      earlyInitializeAnswer({ ...initialize(PLAIN), jsonrpc: "1.0" }, VERSION),
    ).toBeUndefined();
  });
});

describe("the early tools/list answer", () => {
  it.each([
    ["no params", { jsonrpc: "2.0", id: 2, method: "tools/list" }],
    ["empty params, a string id", { jsonrpc: "2.0", id: "x", method: "tools/list", params: {} }],
  ])("is byte for byte the SDK's answer: %s", async (_name, request) => {
    const early = earlyToolsListAnswer(request);
    expect(early).toBeDefined();
    expect(JSON.stringify(early)).toBe(
      await sdkAnswer(JSON.stringify(initialize(PLAIN)), JSON.stringify(request)),
    );
  });

  it.each([
    ["a cursor", { jsonrpc: "2.0", id: 2, method: "tools/list", params: { cursor: "a" } }],
    ["_meta", { jsonrpc: "2.0", id: 2, method: "tools/list", params: { _meta: {} } }],
    ["another method", { jsonrpc: "2.0", id: 2, method: "tools/call", params: {} }],
    ["no id", { jsonrpc: "2.0", method: "tools/list" }],
  ])("leaves it to the SDK: %s", (_name, request) => {
    expect(earlyToolsListAnswer(request)).toBeUndefined();
  });
});

describe("EarlyInitialize over streams", () => {
  it("answers a split initialize and a tools/list at once, hands every byte to the SDK, and drops its duplicates", async () => {
    const stdin = new PassThrough();
    const { stream: stdout, lines } = lineSink();
    const logs: string[] = [];
    const early = new EarlyInitialize({
      input: stdin,
      output: stdout,
      version: VERSION,
      log: (m) => logs.push(m),
    });
    const first = JSON.stringify(initialize(PLAIN, 1));
    stdin.write(first.slice(0, 10));
    stdin.write(`${first.slice(10)}\n{"jsonrpc":"2.0","method":"notifications/initialized"}\n`);
    stdin.write('{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n');
    await until(() => lines.length === 2);
    expect(early.answered).toBe(true);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      id: 1,
      result: { protocolVersion: "2025-06-18" },
    });
    expect(JSON.parse(lines[1]!)).toMatchObject({ id: 2, result: { tools: [{ name: "shell" }] } });
    // A request not answered early ends the early answers: the tools/list after it waits too.
    stdin.write(
      '{"jsonrpc":"2.0","id":3,"method":"ping"}\n{"jsonrpc":"2.0","id":4,"method":"tools/list"}\n',
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(lines).toHaveLength(2);
    const server = await sdkServer(early.handOver());
    stdin.write('{"jsonrpc":"2.0","id":5,"method":"tools/list"}\n');
    await until(() => lines.length === 5);
    expect(lines.map((line) => (JSON.parse(line) as { id: number }).id).sort()).toEqual([
      1, 2, 3, 4, 5,
    ]);
    // The SDK saw the initialize (it knows the client) and agreed with both early answers.
    expect(server.getClientVersion()).toEqual(PLAIN.clientInfo);
    expect(logs).toEqual([]);
    await server.close();
    early.stop();
  });

  it("leaves a first line that is not JSON to the SDK, which answers with its parse error", async () => {
    const stdin = new PassThrough();
    const { stream: stdout, lines } = lineSink();
    const early = new EarlyInitialize({
      input: stdin,
      output: stdout,
      version: VERSION,
      log: () => {},
    });
    stdin.write("this is not json\n");
    stdin.write(`${JSON.stringify(initialize(PLAIN, 1))}\n`);
    await new Promise((r) => setTimeout(r, 20));
    expect(lines).toEqual([]);
    expect(early.answered).toBe(false);
    const errors: Error[] = [];
    const server = await sdkServer(early.handOver());
    server.onerror = (error) => errors.push(error);
    await until(() => lines.length === 1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      id: 1,
      result: { serverInfo: { name: "execward" } },
    });
    expect(errors.length).toBeGreaterThan(0);
    await server.close();
    early.stop();
  });

  it("logs (and keeps its own answer) when the SDK would answer differently", async () => {
    const stdin = new PassThrough();
    const { stream: stdout, lines } = lineSink();
    const logs: string[] = [];
    const early = new EarlyInitialize({
      input: stdin,
      output: stdout,
      version: "1.0.0-early",
      log: (m) => logs.push(m),
    });
    stdin.write(`${JSON.stringify(initialize(PLAIN, 1))}\n`);
    await until(() => lines.length === 1);
    // A server that says another version than the early answer did.
    const server = await sdkServer(early.handOver());
    await until(() => logs.length === 1);
    expect(logs[0]).toMatch(/differs from the one sent before it loaded/);
    expect(lines).toHaveLength(1);
    await server.close();
    early.stop();
  });

  it("passes the end of input on to the SDK's transport", async () => {
    const stdin = new PassThrough();
    const early = new EarlyInitialize({
      input: stdin,
      output: lineSink().stream,
      version: VERSION,
      log: () => {},
    });
    stdin.end(`${JSON.stringify(initialize(PLAIN, 1))}\n`);
    await new Promise((r) => setTimeout(r, 10));
    // Told even though the input ended before anyone asked.
    await new Promise<void>((resolve) => early.onInputEnd(resolve));
    const { input } = early.handOver();
    const ended = new Promise<void>((resolve) => input.once("end", () => resolve()));
    input.resume();
    await ended;
    early.stop();
  });

  it("reports a read error on stdin (logged before the hand-over, to the SDK after) instead of crashing", async () => {
    const stdin = new PassThrough();
    const logs: string[] = [];
    const early = new EarlyInitialize({
      input: stdin,
      output: lineSink().stream,
      version: VERSION,
      log: (m) => logs.push(m),
    });
    stdin.emit("error", new Error("read EIO"));
    expect(logs).toEqual(["reading stdin failed: read EIO"]);
    const errors: Error[] = [];
    const server = await sdkServer(early.handOver());
    server.onerror = (error) => errors.push(error);
    stdin.emit("error", new Error("read ECONNRESET"));
    expect(errors.map((error) => error.message)).toEqual(["read ECONNRESET"]);
    await server.close();
    early.stop();
  });
});
