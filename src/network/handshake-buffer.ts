/**
 * The bytes a client sends before a tunnel starts (a SOCKS5 handshake), buffered for pure
 * parsers. Guards: at most `limit` bytes are buffered (a client cannot grow it without bound);
 * whatever came beyond the handshake is handed back, never lost, and reading stops when the
 * handshake is done so the tunnel gets the rest.
 */
import type net from "node:net";

export class HandshakeBuffer {
  #buffer = Buffer.alloc(0);
  #waiting: (() => void) | undefined;
  #ended = false;
  readonly #socket: net.Socket;
  readonly #limit: number;
  readonly #onData = (chunk: Buffer): void => {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    if (this.#buffer.length > this.#limit) this.#socket.destroy();
    this.#waiting?.();
  };
  readonly #onEnd = (): void => {
    this.#ended = true;
    this.#waiting?.();
  };

  constructor(socket: net.Socket, limit: number) {
    this.#socket = socket;
    this.#limit = limit;
    socket.on("data", this.#onData);
    socket.once("end", this.#onEnd);
    socket.once("close", this.#onEnd);
  }

  /**
   * Runs `parse` over the buffered bytes until it says something other than "more"; drops the
   * bytes it reports as consumed. Rejects when the connection ends first.
   */
  async parse<T extends { readonly kind: string; readonly consumed?: number }>(
    parse: (bytes: Buffer) => { readonly kind: "more" } | T,
  ): Promise<T> {
    for (;;) {
      const step = parse(this.#buffer);
      if (step.kind !== "more") {
        const done = step as T;
        this.#buffer = this.#buffer.subarray(done.consumed ?? 0);
        return done;
      }
      if (this.#ended) throw new Error("connection ended during the handshake");
      await new Promise<void>((resolve) => (this.#waiting = resolve));
      this.#waiting = undefined;
    }
  }

  /** Stops reading; returns the bytes received beyond the handshake. */
  release(): Buffer {
    this.#socket.off("data", this.#onData);
    this.#socket.off("end", this.#onEnd);
    this.#socket.off("close", this.#onEnd);
    this.#socket.pause();
    return this.#buffer;
  }
}
