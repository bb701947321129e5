/**
 * The audit log file: one JSON line per record, appended.
 *
 * Guards:
 * - atomic lines: the file is opened O_APPEND and whole lines go out in one write(2) (one at a
 *   time, in order; lines queued meanwhile are joined into the next), so lines from concurrent
 *   execward processes never interleave;
 * - never blocks a command: `write` only queues; at most MAX_QUEUED_BYTES wait for the disk,
 *   and what does not fit is dropped and counted (a `dropped` record follows once there is room);
 * - a log that cannot be written is reported once, clearly (path and error), then given up:
 *   commands keep running, nothing is retried line by line.
 */
import { closeSync, openSync, write as writeFd, constants as fsConstants } from "node:fs";

import { auditLine, type AuditRecord } from "./audit-record.js";

/** Bytes of lines waiting for the disk before new ones are dropped. */
export const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

export class AuditLogFile {
  readonly path: string;
  readonly #report: (message: string) => void;
  #fd: number | undefined;
  #failed = false;
  #queuedBytes = 0;
  #dropped = 0;
  #writing = false;
  #queue: Buffer[] = [];
  #drained: (() => void)[] = [];

  /** Opens (creates, mode 0600) `path` for appending; throws when it cannot be opened. */
  constructor(path: string, report: (message: string) => void) {
    this.path = path;
    this.#report = report;
    this.#fd = openSync(
      path,
      fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT,
      0o600,
    );
  }

  /** Lines dropped so far because the disk did not keep up. */
  get dropped(): number {
    return this.#dropped;
  }

  write(record: AuditRecord): void {
    if (this.#failed || this.#fd === undefined) return;
    const line = Buffer.from(auditLine(record));
    if (this.#queuedBytes + line.length > MAX_QUEUED_BYTES) {
      this.#dropped++;
      return;
    }
    if (this.#dropped > 0 && record.kind !== "dropped") {
      const count = this.#dropped;
      this.#dropped = 0;
      this.write({
        time: record.time,
        session: record.session,
        call: record.call,
        kind: "dropped",
        reported_by: "server",
        count,
        reason: "the audit log's disk writes did not keep up",
      });
    }
    this.#queuedBytes += line.length;
    this.#queue.push(line);
    this.#pump();
  }

  #pump(): void {
    if (this.#writing || this.#fd === undefined) return;
    if (this.#failed || this.#queue.length === 0) {
      this.#queue = [];
      this.#queuedBytes = 0;
      for (const resolve of this.#drained.splice(0)) resolve();
      return;
    }
    const batch = Buffer.concat(this.#queue.splice(0));
    this.#writing = true;
    writeFd(this.#fd, batch, 0, batch.length, null, (error, written) => {
      this.#writing = false;
      this.#queuedBytes -= batch.length;
      if (error !== null || written !== batch.length) this.#fail(error ?? new Error("short write"));
      this.#pump();
    });
  }

  /** Settles once every queued line was written (or given up). */
  flush(): Promise<void> {
    if (!this.#writing && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #fail(error: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#report(
      `cannot write the audit log ${this.path} (${error.message}); no further decisions will be logged there`,
    );
  }
}
