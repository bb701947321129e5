/**
 * The proxy's messages on stderr. Decisions (a refused destination, a client over its limit) are
 * logged every time; failures that a peer usually causes (a reset connection, a handshake cut
 * short, an upstream that broke off) are logged the first time per cause, so nothing fails
 * silently and a flood of resets does not flood the log. State is per proxy.
 */

export class ProxyLog {
  readonly #log: ((message: string) => void) | undefined;
  readonly #seen = new Set<string>();

  constructor(log: ((message: string) => void) | undefined) {
    this.#log = log;
  }

  /** A decision or an unexpected failure: always logged. */
  event(message: string): void {
    this.#log?.(`network: ${message}`);
  }

  /** A failure in `where`: logged once per (where, cause) for the proxy's lifetime. */
  failure(where: string, error: unknown): void {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const text = errorText(error);
    const key = `${where}\0${code ?? text}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.#log?.(`network: ${where}: ${text} (logged once; later ones like it are not)`);
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
