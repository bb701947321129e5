/**
 * The `initialize` (and `tools/list`) answers, written before the MCP SDK has loaded.
 *
 * A client waits for `initialize`, then lists the tools, before it sends anything else; loading
 * the SDK with zod, ajv and the rest of execward takes several times as long as node's own start
 * (bench/startup-bench.mjs). So `execward mcp` reads stdin itself from its first moment. When the
 * first line is a plain `initialize` request in the shape the SDK accepts, it is answered at once
 * from server-identity.ts (the values the SDK's `Server` is built with), the protocol version
 * negotiated as the SDK does; after it, notifications are passed over and plain `tools/list`
 * requests are answered from shell-tool.ts (the listing the SDK's handler returns). The first
 * line of any other kind ends the early answers. Everything read meanwhile is kept; once the
 * server is ready, `handOver()` gives the SDK's stdio transport the whole input from the first
 * byte (so the SDK records the client's capabilities and answers every request itself). Those
 * answers to requests already answered are compared with what was sent and dropped; a
 * difference is logged on stderr. Everything else passes through untouched.
 *
 * Guards: the early path can only say what the SDK would say. Anything that is not plainly such a
 * request (another first message, a line that is not JSON, `_meta`, icons, task capabilities, a
 * value of an unexpected type, a cursor, a line longer than 64 KiB) is left for the SDK to
 * answer, and so is everything after it. Nothing read is lost or reordered.
 */
import { PassThrough, Writable, type Readable } from "node:stream";
import { isDeepStrictEqual } from "node:util";

import { SERVER_INSTRUCTIONS, SERVER_NAME, serverCapabilities } from "./server-identity.js";
import { shellToolListing } from "./shell-tool.js";

/**
 * The protocol versions the MCP SDK negotiates, newest first (its SUPPORTED_PROTOCOL_VERSIONS;
 * test/unit/mcp/early-initialize.test.ts checks both against the installed SDK).
 */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = [
  "2025-11-25",
  "2025-06-18",
  "2025-03-26",
  "2024-11-05",
  "2024-10-07",
];
export const LATEST_PROTOCOL_VERSION = "2025-11-25";

/** The longest line looked at; a longer one is left to the SDK. */
const MAX_LINE = 64 * 1024;

type RequestId = string | number;

export interface EarlyInitializeOptions {
  /** The client's messages (process.stdin). */
  readonly input: Readable;
  /** Where answers go (process.stdout). */
  readonly output: Writable;
  /** execward's version, as the SDK's `Server` is told. */
  readonly version: string;
  readonly log: (message: string) => void;
}

/** The streams the SDK's stdio transport reads and writes once it takes over. */
export interface HandedOverStdio {
  readonly input: Readable;
  readonly output: Writable;
}

/**
 * The answer the SDK gives to `request`, or undefined when `request` is not a plain initialize
 * request this module can be sure about.
 */
export function earlyInitializeAnswer(
  request: unknown,
  version: string,
): Record<string, unknown> | undefined {
  const plain = plainInitialize(request);
  if (plain === undefined) return undefined;
  const protocolVersion = SUPPORTED_PROTOCOL_VERSIONS.includes(plain.protocolVersion)
    ? plain.protocolVersion
    : LATEST_PROTOCOL_VERSION;
  // Key order as the SDK writes it (Protocol: `{ result, jsonrpc, id }`; Server#_oninitialize).
  return {
    result: {
      protocolVersion,
      capabilities: serverCapabilities(),
      serverInfo: { name: SERVER_NAME, version },
      instructions: SERVER_INSTRUCTIONS,
    },
    jsonrpc: "2.0",
    id: plain.id,
  };
}

/**
 * The SDK's answer to a plain `tools/list` request (no params, or empty params), or undefined.
 * Only asked after an `initialize` was answered.
 */
export function earlyToolsListAnswer(request: unknown): Record<string, unknown> | undefined {
  if (!isRecord(request) || !hasOnlyKeys(request, ["jsonrpc", "id", "method", "params"]))
    return undefined;
  const { jsonrpc, id, method, params } = request;
  if (jsonrpc !== "2.0" || method !== "tools/list") return undefined;
  if (typeof id !== "string" && !Number.isSafeInteger(id)) return undefined;
  if (params !== undefined && !(isRecord(params) && Object.keys(params).length === 0))
    return undefined;
  return { result: shellToolListing(), jsonrpc: "2.0", id };
}

/** A notification (no id, nothing to answer) in the plain JSON-RPC shape. */
function isPlainNotification(message: unknown): boolean {
  return (
    isRecord(message) &&
    hasOnlyKeys(message, ["jsonrpc", "method", "params"]) &&
    message.jsonrpc === "2.0" &&
    typeof message.method === "string"
  );
}

export class EarlyInitialize {
  readonly #options: EarlyInitializeOptions;
  /** Everything read before the hand-over. */
  #buffered = Buffer.alloc(0);
  /** Where the next line to look at starts in `#buffered`. */
  #scanned = 0;
  /** False once a line was left to the SDK: nothing after it is answered early. */
  #scanning = true;
  #initializeAnswered = false;
  /** Early answers by request id, until the SDK's own answer to the same request is seen. */
  readonly #pendingDuplicates = new Map<RequestId, Record<string, unknown>>();
  #ended = false;
  readonly #endWaiters: (() => void)[] = [];
  #sink: PassThrough | undefined;
  readonly #onData = (chunk: Buffer): void => this.#read(chunk);
  /** A read error on stdin: the SDK's transport reports it once connected, this log before. */
  readonly #onError = (error: Error): void => {
    if (this.#sink !== undefined) this.#sink.emit("error", error);
    else this.#options.log(`reading stdin failed: ${error.message}`);
  };
  readonly #onEnd = (): void => {
    this.#ended = true;
    this.#sink?.end();
    for (const waiter of this.#endWaiters.splice(0)) waiter();
  };

  constructor(options: EarlyInitializeOptions) {
    this.#options = options;
    options.input.on("data", this.#onData);
    options.input.once("end", this.#onEnd);
    options.input.on("error", this.#onError);
  }

  /** True once an `initialize` was answered before the SDK loaded. */
  get answered(): boolean {
    return this.#initializeAnswered;
  }

  /**
   * The server is ready: its transport reads everything from the first byte on and writes
   * through a filter that drops its duplicate `initialize` answer.
   */
  handOver(): HandedOverStdio {
    if (this.#sink !== undefined) throw new Error("EarlyInitialize: handed over twice");
    const sink = new PassThrough();
    this.#sink = sink;
    this.#scanning = false;
    if (this.#buffered.length > 0) sink.write(this.#buffered);
    this.#buffered = Buffer.alloc(0);
    if (this.#ended) sink.end();
    const output = this.#options.output;
    const filter = new Writable({
      decodeStrings: false,
      write: (chunk: string | Buffer, _encoding, callback) => {
        if (this.#isDuplicate(chunk)) {
          callback();
          return;
        }
        // As the SDK's own transport does: wait for 'drain', leave stdout's errors to stdout.
        if (output.write(chunk)) callback();
        else output.once("drain", () => callback());
      },
    });
    return { input: sink, output: filter };
  }

  /**
   * Calls `callback` once the client's input has ended (at once if it already has): the client
   * went away, possibly before the server was ready.
   */
  onInputEnd(callback: () => void): void {
    if (this.#ended) queueMicrotask(callback);
    else this.#endWaiters.push(callback);
  }

  /** Stops reading (the server did not start); unread input stays unread. */
  stop(): void {
    this.#options.input.off("data", this.#onData);
    this.#options.input.off("end", this.#onEnd);
    this.#options.input.off("error", this.#onError);
    this.#options.input.pause();
  }

  #read(chunk: Buffer): void {
    if (this.#sink !== undefined) {
      this.#sink.write(chunk);
      return;
    }
    this.#buffered = Buffer.concat([this.#buffered, chunk]);
    while (this.#scanning) {
      const end = this.#buffered.indexOf(0x0a, this.#scanned);
      if (end === -1) {
        if (this.#buffered.length - this.#scanned > MAX_LINE) this.#scanning = false;
        return;
      }
      const start = this.#scanned;
      this.#scanned = end + 1;
      if (end - start > MAX_LINE || !this.#answerEarly(this.#buffered.toString("utf8", start, end)))
        this.#scanning = false;
    }
  }

  /** Answers `line` if it is one of the requests answered early; false leaves it to the SDK. */
  #answerEarly(line: string): boolean {
    let message: unknown;
    try {
      message = JSON.parse(line.replace(/\r$/, ""));
    } catch {
      return false; // the SDK reports it
    }
    let answer: Record<string, unknown> | undefined;
    if (!this.#initializeAnswered) {
      answer = earlyInitializeAnswer(message, this.#options.version);
      if (answer !== undefined) this.#initializeAnswered = true;
    } else {
      if (isPlainNotification(message)) return true;
      answer = earlyToolsListAnswer(message);
    }
    if (answer === undefined) return false;
    const id = answer.id as RequestId;
    if (this.#pendingDuplicates.has(id)) return false;
    this.#pendingDuplicates.set(id, answer);
    this.#options.output.write(`${JSON.stringify(answer)}\n`);
    return true;
  }

  /** Whether `chunk` is the SDK's answer to a request answered early (compared, then dropped). */
  #isDuplicate(chunk: string | Buffer): boolean {
    if (this.#pendingDuplicates.size === 0) return false;
    let message: unknown;
    try {
      message = JSON.parse(typeof chunk === "string" ? chunk : chunk.toString("utf8"));
    } catch {
      return false;
    }
    if (!isRecord(message) || message.method !== undefined) return false;
    const id = message.id as RequestId;
    const sent = this.#pendingDuplicates.get(id);
    if (sent === undefined) return false;
    this.#pendingDuplicates.delete(id);
    if (!isDeepStrictEqual(message, sent))
      this.#options.log(
        `the MCP SDK's answer differs from the one sent before it loaded (kept): sent ${JSON.stringify(sent)}, SDK ${JSON.stringify(message)}`,
      );
    return true;
  }
}

/** The id and protocol version of a plain initialize request, else undefined. */
function plainInitialize(
  request: unknown,
): { readonly id: RequestId; readonly protocolVersion: string } | undefined {
  if (!isRecord(request) || !hasOnlyKeys(request, ["jsonrpc", "id", "method", "params"]))
    return undefined;
  const { jsonrpc, id, method, params } = request;
  if (jsonrpc !== "2.0" || method !== "initialize") return undefined;
  if (typeof id !== "string" && !Number.isSafeInteger(id)) return undefined;
  if (!isRecord(params) || !hasOnlyKeys(params, ["protocolVersion", "capabilities", "clientInfo"]))
    return undefined;
  const { protocolVersion, capabilities, clientInfo } = params;
  if (typeof protocolVersion !== "string") return undefined;
  if (!plainClientInfo(clientInfo) || !plainCapabilities(capabilities)) return undefined;
  return { id: id as RequestId, protocolVersion };
}

function plainClientInfo(info: unknown): boolean {
  if (
    !isRecord(info) ||
    !hasOnlyKeys(info, ["name", "version", "title", "websiteUrl", "description"])
  )
    return false;
  return (
    typeof info.name === "string" &&
    typeof info.version === "string" &&
    Object.values(info).every((value) => typeof value === "string")
  );
}

function plainCapabilities(capabilities: unknown): boolean {
  if (
    !isRecord(capabilities) ||
    !hasOnlyKeys(capabilities, ["experimental", "sampling", "elicitation", "roots", "extensions"])
  )
    return false;
  const { experimental, sampling, elicitation, roots, extensions } = capabilities;
  for (const map of [experimental, extensions]) {
    if (map !== undefined && !(isRecord(map) && Object.values(map).every(isRecord))) return false;
  }
  if (
    sampling !== undefined &&
    !(
      isRecord(sampling) &&
      hasOnlyKeys(sampling, ["context", "tools"]) &&
      Object.values(sampling).every(isRecord)
    )
  )
    return false;
  if (elicitation !== undefined) {
    if (!isRecord(elicitation) || !hasOnlyKeys(elicitation, ["form", "url"])) return false;
    if (!Object.values(elicitation).every(isRecord)) return false;
    const form = elicitation.form;
    if (
      isRecord(form) &&
      form.applyDefaults !== undefined &&
      typeof form.applyDefaults !== "boolean"
    )
      return false;
  }
  if (
    roots !== undefined &&
    !(
      isRecord(roots) &&
      hasOnlyKeys(roots, ["listChanged"]) &&
      (roots.listChanged === undefined || typeof roots.listChanged === "boolean")
    )
  )
    return false;
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hasOnlyKeys(value: Record<string, unknown>, allowed: readonly string[]): boolean {
  return Object.keys(value).every((key) => allowed.includes(key));
}
