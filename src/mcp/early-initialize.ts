/**
 * The `initialize` answer, written before the MCP SDK has loaded.
 *
 * A client waits for `initialize` before it sends anything else, and loading the SDK with zod,
 * ajv and the rest of execward takes several times as long as node's own start
 * (bench/startup-bench.mjs). So `execward mcp` reads stdin itself from its first moment: when the
 * first line is a plain `initialize` request in the shape the SDK accepts, it is answered at once
 * from server-identity.ts (the values the SDK's `Server` is built with), the protocol version
 * negotiated as the SDK does. Everything read meanwhile is kept; once the server is ready,
 * `handOver()` gives the SDK's stdio transport the whole input from the first byte (the
 * `initialize` too, so the SDK records the client's capabilities and answers it). That second
 * answer is compared with the one already sent and dropped; a difference is logged on stderr.
 * Everything after it passes through untouched.
 *
 * Guards: the early path can only say what the SDK would say. Anything that is not plainly such a
 * request (another first message, a line that is not JSON, `_meta`, icons, task capabilities, a
 * value of an unexpected type, a first line longer than 64 KiB) is left for the SDK to answer.
 * Nothing read is lost or reordered.
 */
import { PassThrough, Writable, type Readable } from "node:stream";
import { isDeepStrictEqual } from "node:util";

import { SERVER_INSTRUCTIONS, SERVER_NAME, serverCapabilities } from "./server-identity.js";

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

/** The longest first line looked at; a longer one is left to the SDK. */
const MAX_FIRST_LINE = 64 * 1024;

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

export class EarlyInitialize {
  readonly #options: EarlyInitializeOptions;
  /** Everything read before the hand-over. */
  readonly #chunks: Buffer[] = [];
  #bufferedBytes = 0;
  /** Whether the first line has been looked at (answered or left to the SDK). */
  #decided = false;
  /** The early answer, until the SDK's own answer to the same request has been seen. */
  #pendingDuplicate: Record<string, unknown> | undefined;
  #ended = false;
  #sink: PassThrough | undefined;
  readonly #onData = (chunk: Buffer): void => this.#read(chunk);
  readonly #onEnd = (): void => {
    this.#ended = true;
    this.#sink?.end();
  };

  constructor(options: EarlyInitializeOptions) {
    this.#options = options;
    options.input.on("data", this.#onData);
    options.input.once("end", this.#onEnd);
  }

  /** True once an `initialize` was answered before the SDK loaded. */
  get answered(): boolean {
    return this.#pendingDuplicate !== undefined;
  }

  /**
   * The server is ready: its transport reads everything from the first byte on and writes
   * through a filter that drops its duplicate `initialize` answer.
   */
  handOver(): HandedOverStdio {
    if (this.#sink !== undefined) throw new Error("EarlyInitialize: handed over twice");
    const sink = new PassThrough();
    this.#sink = sink;
    for (const chunk of this.#chunks) sink.write(chunk);
    this.#chunks.length = 0;
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

  /** Stops reading (the server did not start); unread input stays unread. */
  stop(): void {
    this.#options.input.off("data", this.#onData);
    this.#options.input.off("end", this.#onEnd);
    this.#options.input.pause();
  }

  #read(chunk: Buffer): void {
    if (this.#sink !== undefined) {
      this.#sink.write(chunk);
      return;
    }
    this.#chunks.push(chunk);
    this.#bufferedBytes += chunk.length;
    if (!this.#decided) this.#lookAtFirstLine();
  }

  #lookAtFirstLine(): void {
    const buffered = Buffer.concat(this.#chunks);
    const end = buffered.indexOf(0x0a);
    if (end === -1) {
      if (this.#bufferedBytes > MAX_FIRST_LINE) this.#decided = true;
      return;
    }
    this.#decided = true;
    if (end > MAX_FIRST_LINE) return;
    let request: unknown;
    try {
      request = JSON.parse(buffered.toString("utf8", 0, end).replace(/\r$/, ""));
    } catch {
      return; // the SDK reports it
    }
    const answer = earlyInitializeAnswer(request, this.#options.version);
    if (answer === undefined) return;
    this.#pendingDuplicate = answer;
    this.#options.output.write(`${JSON.stringify(answer)}\n`);
  }

  /** Whether `chunk` is the SDK's answer to the request answered early (compared, then dropped). */
  #isDuplicate(chunk: string | Buffer): boolean {
    const sent = this.#pendingDuplicate;
    if (sent === undefined) return false;
    let message: unknown;
    try {
      message = JSON.parse(typeof chunk === "string" ? chunk : chunk.toString("utf8"));
    } catch {
      return false;
    }
    if (!isRecord(message) || message.id !== sent.id || message.method !== undefined) return false;
    this.#pendingDuplicate = undefined;
    if (!isDeepStrictEqual(message, sent))
      this.#options.log(
        `the MCP SDK's initialize answer differs from the one sent before it loaded (kept): sent ${JSON.stringify(sent)}, SDK ${JSON.stringify(message)}`,
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
