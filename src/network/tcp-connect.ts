/**
 * The proxy's outgoing TCP connections: to checked IP literals only, never to a name. Guards:
 * a host that is not an IP literal is refused here (so no code path can hand a name to the
 * socket layer, which would resolve it again); each attempt has a connect timeout; the addresses
 * are tried in the order the resolver gave them, the first that answers wins.
 */
import net from "node:net";

export type Connector = (address: string, port: number) => Promise<net.Socket>;

/** A connector with a connect timeout, and an idle timeout on the connection it returns. */
export function tcpConnector(connectTimeoutMs: number, idleTimeoutMs: number): Connector {
  return (address, port) =>
    new Promise((resolve, reject) => {
      if (net.isIP(address) === 0) {
        reject(new Error(`${address} is not an IP address; the proxy never connects to a name`));
        return;
      }
      const upstream = net.connect({ host: address, port });
      const timer = setTimeout(() => {
        upstream.destroy();
        reject(new Error(`connecting to ${address}:${port} timed out`));
      }, connectTimeoutMs);
      upstream.once("connect", () => {
        clearTimeout(timer);
        upstream.setTimeout(idleTimeoutMs, () => upstream.destroy());
        resolve(upstream);
      });
      upstream.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
}

/** Connects to the first of the checked addresses that answers. */
export async function connectFirst(
  connect: Connector,
  addresses: readonly string[],
  port: number,
): Promise<net.Socket> {
  let last: unknown = new Error("no address");
  for (const address of addresses) {
    try {
      return await connect(address, port);
    } catch (error) {
      last = error;
    }
  }
  throw last;
}
