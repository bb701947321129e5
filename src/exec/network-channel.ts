/**
 * The way from a sandbox's bridge to the proxy for one command: a datagram socketpair whose
 * far end goes into the sandbox (execward-sandbox-init `--bridge`). Each datagram carries a
 * one-byte tag (H: HTTP proxy, S: SOCKS5) and the descriptor of a connection the bridge accepted
 * inside the sandbox; the proxy serves it directly. Guards: unknown tags and malformed messages
 * close what came with them; closing the channel closes every connection it delivered.
 */
import net from "node:net";

import type { FdPassing, FdWatcher } from "../native/native-addon.js";
import type { NetworkProxy, ProxyClientContext } from "../network/network-proxy.js";

export const HTTP_BRIDGE_TAG = "H";
export const SOCKS_BRIDGE_TAG = "S";

export interface NetworkChannel {
  /** The descriptor to hand to the sandbox (close it here once the child has it). */
  readonly childFd: number;
  releaseChildFd(): void;
  close(): void;
}

export function openNetworkChannel(
  addon: FdPassing,
  proxy: NetworkProxy,
  context: ProxyClientContext,
): NetworkChannel {
  const [ownFd, childFd] = addon.socketpair(false);
  let child = childFd;
  let own = ownFd;
  let watcher: FdWatcher;
  // Both ends are closed if the channel cannot be set up (a call must not leak descriptors).
  try {
    addon.setNonBlocking(own);
    watcher = addon.watch(own, () => {
      for (;;) {
        if (own < 0) return;
        let message: { data: Buffer; fds: number[] } | null;
        try {
          message = addon.recvmsg(own, 16);
        } catch {
          close();
          return;
        }
        if (message === null) return;
        const tag = message.data.toString("latin1");
        for (const fd of message.fds) {
          const kind =
            tag === HTTP_BRIDGE_TAG ? "http" : tag === SOCKS_BRIDGE_TAG ? "socks5" : undefined;
          if (kind === undefined || message.fds.length !== 1) {
            addon.close(fd);
            continue;
          }
          proxy.accept(new net.Socket({ fd, readable: true, writable: true }), kind, context);
        }
      }
    });
    watcher.start(true, false);
  } catch (error) {
    addon.close(ownFd);
    addon.close(childFd);
    throw error;
  }
  const releaseChildFd = (): void => {
    if (child >= 0) addon.close(child);
    child = -1;
  };
  const close = (): void => {
    releaseChildFd();
    if (own >= 0) {
      watcher.close();
      addon.close(own);
      own = -1;
    }
    proxy.closeContext(context);
  };
  return { childFd, releaseChildFd, close };
}
