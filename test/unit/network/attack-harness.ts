/**
 * What the network attack tests share: loopback servers that record every byte they get (a
 * canary fails its test by receiving one), a proxy on loopback listeners with an injectable
 * resolver that logs every name it is asked for, and hand-written HTTP and SOCKS5 clients that
 * send exactly the bytes an attacker would. Only 127.0.0.1 and ::1 are ever used.
 */
import net from "node:net";

import { NetworkApprovalBroker, type BrokerAnswer } from "../../../src/network/approval-broker.js";
import type { NetworkPolicyConfig } from "../../../src/network/network-policy.js";
import {
  NetworkProxy,
  type NetworkProxyOptions,
  type NetworkQuestion,
  type ProxyClientContext,
} from "../../../src/network/network-proxy.js";
import { policyWith } from "../../helpers/network-policy.js";

export type Cleanup = () => Promise<void>;

/** A TCP server that records what it receives; `greet` is written to every connection. */
export interface RecordingServer {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far. */
  connections(): number;
  /** Every byte received, all connections concatenated. */
  received(): Buffer;
}

export async function recordingServer(
  cleanups: Cleanup[],
  host: string,
  options: { port?: number; reply?: (data: Buffer, socket: net.Socket) => void } = {},
): Promise<RecordingServer> {
  let connections = 0;
  let received = Buffer.alloc(0);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      options.reply?.(chunk, socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    host,
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    received: () => received,
  };
}

/**
 * An HTTP-ish server on `host` answering every complete request head with a fixed 200 naming
 * `label`, and a canary on `canaryHost` at the same port. Retries until both binds succeed.
 */
export async function serverAndCanary(
  cleanups: Cleanup[],
  host: string,
  canaryHost: string,
  label: string,
): Promise<{ server: RecordingServer; canary: RecordingServer }> {
  for (let attempt = 0; ; attempt++) {
    const local: Cleanup[] = [];
    try {
      const server = await recordingServer(local, host, { reply: httpReply(label) });
      const canary = await recordingServer(local, canaryHost, { port: server.port });
      cleanups.push(...local);
      return { server, canary };
    } catch (error) {
      for (const cleanup of local.reverse()) await cleanup();
      if (attempt > 50) throw error;
    }
  }
}

/** Answers each request head (ended by a blank line) with `200` and a body naming `label`. */
export function httpReply(label: string): (data: Buffer, socket: net.Socket) => void {
  return (_data, socket) => {
    const body = `${label}\n`;
    socket.write(
      `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    );
    socket.end();
  };
}

export interface ProxyHarness {
  readonly proxy: NetworkProxy;
  readonly httpPort: number;
  readonly socksPort: number;
  readonly questions: NetworkQuestion[];
  /** Every name the proxy asked its resolver for, in order. */
  readonly resolved: string[];
  readonly context: ProxyClientContext;
}

/**
 * The real proxy on loopback listeners. `resolve` maps names (default: every name is unknown);
 * the harness records each call. `answer` is what the human says (or a rejection: nobody asked).
 */
export async function startProxy(
  cleanups: Cleanup[],
  config: Partial<NetworkPolicyConfig>,
  options: {
    answer?: BrokerAnswer | "unreachable";
    names?: Readonly<Record<string, readonly string[]>>;
    systemResolver?: boolean;
    proxy?: Partial<NetworkProxyOptions>;
  } = {},
): Promise<ProxyHarness> {
  const resolved: string[] = [];
  const names = options.names ?? {};
  const proxy = new NetworkProxy({
    policy: policyWith(config),
    broker: new NetworkApprovalBroker(),
    ...(options.systemResolver === true
      ? {}
      : {
          resolve: (host: string) => {
            resolved.push(host);
            const addresses = names[host];
            return addresses === undefined
              ? Promise.reject(new Error(`ENOTFOUND ${host}`))
              : Promise.resolve([...addresses]);
          },
        }),
    ...options.proxy,
  });
  const questions: NetworkQuestion[] = [];
  const answer = options.answer ?? "deny";
  const context: ProxyClientContext = {
    command: "attack",
    ask: (question) => {
      questions.push(question);
      return answer === "unreachable"
        ? Promise.reject(new Error("nobody can be asked"))
        : Promise.resolve(answer);
    },
  };
  const httpListener = await proxy.listen("http", context, 0);
  const socksListener = await proxy.listen("socks5", context, 0);
  cleanups.push(async () => {
    proxy.closeContext(context);
    await new Promise((resolve) => httpListener.close(resolve));
    await new Promise((resolve) => socksListener.close(resolve));
  });
  return {
    proxy,
    httpPort: (httpListener.address() as net.AddressInfo).port,
    socksPort: (socksListener.address() as net.AddressInfo).port,
    questions,
    resolved,
    context,
  };
}

/** A raw client connection that records what it receives and when it closes. */
export interface RawClient {
  readonly socket: net.Socket;
  send(data: string | Buffer): void;
  /** Resolves with everything received once `length` bytes came or the connection closed. */
  until(length: number): Promise<Buffer>;
  /** Resolves once the text appears in what was received, or the connection closed. */
  untilText(text: string): Promise<string>;
  /** Resolves with everything received, once the connection has closed. */
  all(): Promise<Buffer>;
  closed(): boolean;
}

export async function rawClient(cleanups: Cleanup[], port: number): Promise<RawClient> {
  const socket = net.connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  cleanups.push(() => Promise.resolve(void socket.destroy()));
  let received = Buffer.alloc(0);
  let closed = false;
  const waiters: (() => void)[] = [];
  const wake = (): void => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  socket.on("data", (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    wake();
  });
  socket.on("error", () => undefined);
  socket.on("close", () => {
    closed = true;
    wake();
  });
  const wait = () => new Promise<void>((resolve) => waiters.push(resolve));
  return {
    socket,
    send: (data) => void socket.write(data),
    async until(length) {
      while (received.length < length && !closed) await wait();
      return received;
    },
    async untilText(text) {
      while (!received.toString("latin1").includes(text) && !closed) await wait();
      return received.toString("latin1");
    },
    async all() {
      while (!closed) await wait();
      return received;
    },
    closed: () => closed,
  };
}

/** The status code of an HTTP response head, or undefined. */
export function statusOf(response: Buffer | string): number | undefined {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(response.toString());
  return match === null ? undefined : Number(match[1]);
}

/** A SOCKS5 CONNECT request naming a domain (address type 3): the name's bytes as given. */
export function socksDomainRequest(name: Buffer | string, port: number): Buffer {
  const bytes = typeof name === "string" ? Buffer.from(name, "latin1") : name;
  const portBytes = Buffer.alloc(2);
  portBytes.writeUInt16BE(port);
  return Buffer.concat([Buffer.from([5, 1, 0, 3, bytes.length]), bytes, portBytes]);
}

/**
 * Greets, sends `request`, and returns the reply code (undefined when the proxy closed without
 * one) with the client, still connected on success.
 */
export async function socksConnect(
  cleanups: Cleanup[],
  socksPort: number,
  request: Buffer,
): Promise<{ code: number | undefined; client: RawClient }> {
  const client = await rawClient(cleanups, socksPort);
  client.send(Buffer.from([5, 1, 0]));
  const greeting = await client.until(2);
  if (greeting.length < 2 || greeting[1] !== 0) return { code: undefined, client };
  client.send(request);
  const reply = await client.until(12);
  return { code: reply.length >= 12 ? reply[3] : undefined, client };
}

/** Sends a CONNECT and returns the response status and the client. */
export async function httpConnect(
  cleanups: Cleanup[],
  httpPort: number,
  authority: string,
): Promise<{ status: number | undefined; client: RawClient }> {
  const client = await rawClient(cleanups, httpPort);
  client.send(`CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n\r\n`);
  const head = await client.untilText("\r\n\r\n");
  return { status: statusOf(head), client };
}
