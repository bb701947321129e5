/**
 * Hands an established proxy tunnel (client socket, upstream socket) to the fd-passing addon's
 * kernel relay (splice), so tunnel bytes never pass through JavaScript. Guards: nothing already
 * read or written is lost in the hand-over (pending writes are flushed, reading is stopped, and
 * bytes Node had already read are forwarded first); when a socket's descriptor is not available
 * the caller keeps relaying in JavaScript; the relay's end (either side closed, an error, the
 * idle timeout, a cancel) is reported once through `onEnd`, so the proxy can free the tunnel's
 * slot.
 *
 * It relies on `socket._handle.fd` and `_handle.readStop()`, Node internals that are stable on
 * POSIX but undocumented; a missing one means "not handed over", never a broken tunnel.
 */
import type net from "node:net";

import type { FdPassing } from "../native/native-addon.js";

interface HandleInternals {
  readonly fd?: number;
  readStop?(): number;
}

function handleOf(socket: net.Socket): HandleInternals | undefined {
  const handle = (socket as unknown as { _handle?: HandleInternals | null })._handle;
  return handle ?? undefined;
}

function flushed(socket: net.Socket): Promise<void> {
  if (socket.writableLength === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    socket.once("drain", resolve);
    socket.once("error", reject);
  });
}

function write(socket: net.Socket, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.write(data, (error) => (error ? reject(error) : resolve())),
  );
}

function readBuffered(socket: net.Socket): Buffer {
  const chunks: Buffer[] = [];
  for (
    let chunk = socket.read() as Buffer | null;
    chunk !== null;
    chunk = socket.read() as Buffer | null
  )
    chunks.push(chunk);
  return Buffer.concat(chunks);
}

export function createKernelRelay(
  addon: FdPassing,
  log?: (message: string) => void,
  /** Ends a tunnel after this long without traffic either way (the proxy's idle timeout). */
  idleMs = 5 * 60_000,
): (
  client: net.Socket,
  upstream: net.Socket,
  onEnd?: () => void,
) => Promise<(() => void) | undefined> {
  return async (client, upstream, onEnd) => {
    const a = handleOf(client);
    const b = handleOf(upstream);
    if (
      a?.fd === undefined ||
      b?.fd === undefined ||
      a.fd < 0 ||
      b.fd < 0 ||
      typeof a.readStop !== "function" ||
      typeof b.readStop !== "function"
    )
      return undefined;
    a.readStop();
    b.readStop();
    client.pause();
    upstream.pause();
    await Promise.all([flushed(client), flushed(upstream)]);
    const fromClient = readBuffered(client);
    const fromUpstream = readBuffered(upstream);
    if (fromClient.length > 0) await write(upstream, fromClient);
    if (fromUpstream.length > 0) await write(client, fromUpstream);
    const cancel = addon.relay(a.fd, b.fd, idleMs, (error) => {
      if (error !== null && !error.includes("cancel") && !error.includes("timed out"))
        log?.(`network: tunnel ended: ${error}`);
      onEnd?.();
    });
    // The relay owns duplicates: closing these copies does not end the connection.
    client.destroy();
    upstream.destroy();
    return cancel ?? (() => undefined);
  };
}
