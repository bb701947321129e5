/**
 * The client connections the proxy serves, per command (`ProxyClientContext`). Guards:
 * - each connection holds one of its command's slots (`maxPerContext`) until it ends, a tunnel
 *   until its relay reports its end; one over the limit is closed at once (and logged);
 * - every socket and tunnel opened for a command is remembered until it closes, so
 *   `closeContext` ends everything the command had open;
 * - deadlines: idle connections close; a request head or handshake must arrive in time
 *   (`startDeadline`, with a 408 first on HTTP).
 */
import type net from "node:net";

import type { ProxyClientContext } from "./proxy-client-context.js";
import type { ProxyLog } from "./proxy-log.js";

/** One accepted client connection: its command, its slot, and its deadline. */
export interface ClientConnection {
  readonly context: ProxyClientContext;
  readonly socket: net.Socket;
  /** Gives the command's slot back; only the first call counts. */
  readonly release: () => void;
  /** True once a relay owns the tunnel: the slot is then released by the relay's end. */
  handedOver: boolean;
  deadline: NodeJS.Timeout | undefined;
}

/** Open connections of one command; replaced (not reused) when the command ends. */
interface SlotCount {
  open: number;
}

export interface ProxyConnectionsOptions {
  readonly maxPerContext: number;
  readonly idleTimeoutMs: number;
  readonly log: ProxyLog;
}

export class ProxyConnections {
  readonly #options: ProxyConnectionsOptions;
  readonly #clients = new WeakMap<net.Socket, ClientConnection>();
  readonly #slots = new Map<ProxyClientContext, SlotCount>();
  /** Everything open on behalf of a context: client and upstream sockets, handed-over tunnels. */
  readonly #open = new Map<ProxyClientContext, Set<{ destroy(): void }>>();

  constructor(options: ProxyConnectionsOptions) {
    this.#options = options;
  }

  /** Takes a slot for `socket`; undefined (the socket closed) when the command has none left. */
  open(socket: net.Socket, context: ProxyClientContext): ClientConnection | undefined {
    const slots = this.#slots.get(context) ?? { open: 0 };
    this.#slots.set(context, slots);
    if (slots.open >= this.#options.maxPerContext) {
      this.#options.log.event("too many open connections for one command; refusing one");
      socket.destroy();
      return undefined;
    }
    slots.open++;
    let released = false;
    const connection: ClientConnection = {
      context,
      socket,
      release: () => {
        if (released) return;
        released = true;
        slots.open--;
      },
      handedOver: false,
      deadline: undefined,
    };
    this.#clients.set(socket, connection);
    this.track(context, socket);
    socket.on("error", (error) => this.#options.log.failure("client connection", error));
    socket.once("close", () => {
      clearTimeout(connection.deadline);
      if (!connection.handedOver) connection.release();
    });
    socket.setTimeout(this.#options.idleTimeoutMs, () => socket.destroy());
    return connection;
  }

  /** The connection `socket` was accepted as, if any. */
  of(socket: net.Socket): ClientConnection | undefined {
    return this.#clients.get(socket);
  }

  /** Ends the connection (with a 408 first on HTTP) unless the deadline is cleared in time. */
  startDeadline(connection: ClientConnection, ms: number, http408: boolean): void {
    const { socket } = connection;
    clearTimeout(connection.deadline);
    connection.deadline = setTimeout(() => {
      this.#options.log.event(`a client took longer than ${ms} ms; closing it`);
      if (http408 && socket.writable) {
        socket.end(
          "HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n",
        );
        socket.destroySoon();
      } else socket.destroy();
    }, ms);
  }

  /** Remembers a socket (or a tunnel's end function) until it closes or the context ends. */
  track(context: ProxyClientContext, item: net.Socket | { destroy(): void }): () => void {
    const open = this.#open.get(context) ?? new Set();
    this.#open.set(context, open);
    open.add(item);
    const forget = (): void => {
      open.delete(item);
      if (open.size === 0 && this.#open.get(context) === open) this.#open.delete(context);
    };
    if ("once" in item) item.once("close", forget);
    return forget;
  }

  /** Closes every connection opened for `context` (its command ended). */
  closeContext(context: ProxyClientContext): void {
    for (const item of this.#open.get(context) ?? []) item.destroy();
    this.#open.delete(context);
    this.#slots.delete(context);
  }
}
