/**
 * A command's output (stdout and stderr in arrival order), kept within a fixed budget.
 *
 * Guards the server's memory against a command that prints without end: at most `maxBytes` are
 * kept however much arrives, the first half and the most recent half, with a marker saying how
 * many bytes were left out between them. Text is decoded at the end, lossily (invalid UTF-8
 * becomes U+FFFD), so a multi-byte character cut at a boundary never breaks the result.
 */

export const DEFAULT_OUTPUT_CAP_BYTES = 1024 * 1024;

export class OutputCapture {
  private readonly headCap: number;
  private readonly tailCap: number;
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private omitted = 0;
  private total = 0;

  constructor(maxBytes = DEFAULT_OUTPUT_CAP_BYTES) {
    this.headCap = Math.floor(maxBytes / 2);
    this.tailCap = maxBytes - this.headCap;
  }

  /** Bytes received so far, kept or not. */
  get receivedBytes(): number {
    return this.total;
  }

  get truncated(): boolean {
    return this.omitted > 0;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headBytes < this.headCap) {
      const take = Math.min(this.headCap - this.headBytes, rest.length);
      this.head.push(Buffer.from(rest.subarray(0, take)));
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0) return;
    if (rest.length >= this.tailCap) {
      this.omitted += this.tailBytes + rest.length - this.tailCap;
      this.tail = [Buffer.from(rest.subarray(rest.length - this.tailCap))];
      this.tailBytes = this.tailCap;
      return;
    }
    this.tail.push(Buffer.from(rest));
    this.tailBytes += rest.length;
    while (this.tailBytes > this.tailCap) {
      const first = this.tail[0] as Buffer;
      const excess = this.tailBytes - this.tailCap;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
        this.omitted += first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
        this.omitted += excess;
      }
    }
  }

  /** The kept output as text, with a marker where bytes were left out. */
  text(): string {
    const decoder = new TextDecoder("utf-8");
    const head = decoder.decode(Buffer.concat(this.head, this.headBytes));
    const tail = decoder.decode(Buffer.concat(this.tail, this.tailBytes));
    if (this.omitted === 0) return head + tail;
    return `${head}\n[... execward: ${this.omitted} bytes of output omitted ...]\n${tail}`;
  }
}
