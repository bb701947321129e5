/**
 * Length-prefixed frames (u32 little-endian + JSON), pure: encoding, and an incremental decoder
 * that enforces the size limit when reading the header, before buffering anything.
 *
 * Guards against a peer that announces or sends an oversized frame (it is rejected with
 * `frame_too_large` as soon as the header is read) or piles up descriptors for one frame
 * (`too_many_fds`: the caller closes them all), and keeps descriptors with the frame whose first
 * bytes they arrived with.
 */
import { ExecwardError } from "../errors.js";
import { MAX_FDS_PER_MESSAGE, MAX_FRAME_BYTES } from "./protocol.js";

export function encodeFrame(message: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(message), "utf8");
  if (payload.length > MAX_FRAME_BYTES) {
    throw new ExecwardError(
      "frame_too_large",
      `frame of ${payload.length} bytes exceeds ${MAX_FRAME_BYTES}`,
    );
  }
  const header = Buffer.alloc(4);
  header.writeUInt32LE(payload.length, 0);
  return Buffer.concat([header, payload]);
}

export interface DecodedFrame {
  readonly payload: Buffer;
  /** Descriptors received with this frame's bytes. */
  readonly fds: readonly number[];
}

/** Accumulates received chunks and yields complete frames. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Payload length of the frame being received, once its header is in. */
  private expected: number | undefined;
  private pendingFds: number[] = [];
  private readonly maxBytes: number;

  private readonly maxFds: number;

  constructor(maxBytes = MAX_FRAME_BYTES, maxFds = MAX_FDS_PER_MESSAGE) {
    this.maxBytes = maxBytes;
    this.maxFds = maxFds;
  }

  /** Adds received bytes (and descriptors); returns the frames now complete. */
  push(data: Buffer, fds: readonly number[] = []): DecodedFrame[] {
    if (data.length > 0) {
      this.chunks.push(Buffer.from(data));
      this.buffered += data.length;
    }
    this.pendingFds.push(...fds);
    if (this.pendingFds.length > this.maxFds) {
      throw new ExecwardError(
        "too_many_fds",
        `peer sent ${this.pendingFds.length} descriptors for one frame (limit ${this.maxFds})`,
      );
    }
    const frames: DecodedFrame[] = [];
    for (;;) {
      if (this.expected === undefined) {
        if (this.buffered < 4) break;
        const head =
          (this.chunks[0] as Buffer).length >= 4
            ? (this.chunks[0] as Buffer)
            : Buffer.concat(this.chunks);
        const length = head.readUInt32LE(0);
        if (length > this.maxBytes) {
          throw new ExecwardError(
            "frame_too_large",
            `peer announced a frame of ${length} bytes (limit ${this.maxBytes})`,
          );
        }
        this.expected = length;
      }
      if (this.buffered < 4 + this.expected) break;
      const all =
        this.chunks.length === 1
          ? (this.chunks[0] as Buffer)
          : Buffer.concat(this.chunks, this.buffered);
      frames.push({ payload: all.subarray(4, 4 + this.expected), fds: this.pendingFds });
      const rest = all.subarray(4 + this.expected);
      this.pendingFds = [];
      this.expected = undefined;
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
    return frames;
  }

  /** Descriptors received but not attached to a complete frame (the owner closes them). */
  drainFds(): number[] {
    const fds = this.pendingFds;
    this.pendingFds = [];
    return fds;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }
}
