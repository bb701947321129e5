/**
 * The server side of the kernel exec backstop: answers execward-exec-supervisor (native/
 * exec-supervisor), which holds the seccomp listener of one sandbox and asks here about each
 * exec its C fast path cannot wave through (a name on the ask list, something it cannot
 * resolve).
 *
 * Guards:
 * - The channel is a private stream socketpair: one end here, the other given only to the
 *   supervisor (which runs outside the sandbox and closes it on exec of bwrap). Nothing in the
 *   sandbox holds it, so no sandboxed process can send a question or forge an answer.
 * - The program is found by the server (program-inspection.ts) in the exec'ing process's view,
 *   from the pid the kernel gave the supervisor; every name counts, the stricter outcome wins,
 *   exactly as for the hook (the same EscalationPolicy decides).
 * - The backstop never escalates: "escalate" (an allow rule, or a prompt answered yes) lets the
 *   exec continue INSIDE the sandbox; "deny" fails the syscall with EPERM and the reason goes to
 *   the command's stderr. Any error deciding is a deny.
 * - An exec the hook already had judged "run" (same pid, same inode in its view, same argv:
 *   recent-runs.ts) is not asked again: no second prompt.
 * - An exec that dies while its question waits (the supervisor sends "cancel", id) aborts its
 *   decision: a pending prompt is withdrawn, as for a hook's requester that went away.
 * - Bad frames end the channel (the supervisor then denies every exec it would ask about).
 * - Fast-path notices (only when the supervisor runs with --notices, i.e. an audit log is on):
 *   one-way reports of execs its C fast path continued, which nobody else may have seen (a static
 *   program's). They decide nothing; they are handed to `onNotice` for the audit log. The
 *   hook's own notices are read first (`beforeNotice`, once per chunk received), so a record can
 *   be matched to the hook's notice of the same exec, which the hook sent before it made the
 *   system call (so before the chunk was received).
 *
 * Wire format: frames of u32 little-endian length + payload.
 *   supervisor -> here  id \0 pid \0 file \0 resolved \0 workdir \0 argv[0] \0 argv[1] \0 ...
 *   supervisor -> here  "cancel" \0 id \0     (that exec is gone)
 *   here -> supervisor  id \0 ("continue" | "deny") \0 message
 *   supervisor -> here  "notice" \0 pid \0 file \0 workdir \0 ("read" | "truncated") \0 argv...
 *   supervisor -> here  "dropped" \0 count \0   (notices its outbox could not take)
 */
import path from "node:path";

import { fromBytes, hasEscapedBytes } from "./byte-string.js";
import type { EscalationDecision, EscalationPolicy, ExecRequest } from "./escalation-policy.js";
import type { FdPassing, FdWatcher } from "../native/native-addon.js";
import { inspectProgram } from "./program-inspection.js";
import type { RecentRuns } from "./recent-runs.js";

/** Largest question the supervisor sends (its argv buffer is 4 MiB) plus its paths. */
const MAX_QUESTION_BYTES = 5 * 1024 * 1024;
const RECV_CHUNK = 256 * 1024;

export interface ExecBackstopOptions {
  readonly addon: FdPassing;
  readonly policy: EscalationPolicy;
  readonly recentRuns: RecentRuns;
  readonly log?: (message: string) => void;
  /** Fast-path notices (audit log); absent: the supervisor is not asked for them. */
  readonly onNotice?: (notice: BackstopNotice) => void;
  /** Notices the supervisor dropped (its outbox was full), or a malformed notice (1). */
  readonly onNoticesDropped?: (count: number, reason: string) => void;
  /** Called before each notice is handed on: reads what the hook sent meanwhile. */
  readonly beforeNotice?: () => void;
}

/**
 * An exec the supervisor's fast path let through. `pid` (the kernel's, outside the sandbox's pid
 * namespace) and `file` (the program as named, made absolute in the process's view) and
 * `workdir` (resolved in its view, "" when unknown) are the supervisor's own reading; `argv` is
 * what the process had in its memory when it was read (a thread could change it right after).
 */
export interface BackstopNotice {
  readonly pid: number;
  readonly file: string;
  readonly workdir: string;
  readonly argv: readonly string[];
  /** argv was cut (at 4 KiB) or could not be read. */
  readonly truncated: boolean;
}

/** A "notice" frame's payload; undefined for other payloads, "malformed" for a bad notice. */
export function parseNotice(payload: Buffer): BackstopNotice | "malformed" | undefined {
  if (!payload.subarray(0, 7).equals(Buffer.from("notice\0"))) return undefined;
  const fields: string[] = [];
  let start = 7;
  for (let i = start; i < payload.length; i++) {
    if (payload[i] === 0) {
      fields.push(fromBytes(payload.subarray(start, i)));
      start = i + 1;
    }
  }
  const [pid, file, workdir, state, ...argv] = fields;
  const pidNumber = Number(pid);
  if (
    start !== payload.length ||
    !/^\d+$/.test(pid ?? "") ||
    !Number.isSafeInteger(pidNumber) ||
    pidNumber <= 0 ||
    !path.isAbsolute(file ?? "") ||
    (workdir !== "" && !path.isAbsolute(workdir ?? "")) ||
    (state !== "read" && state !== "truncated")
  )
    return "malformed";
  return {
    pid: pidNumber,
    file: file as string,
    workdir: workdir as string,
    argv,
    truncated: state === "truncated",
  };
}

/** The count of a "dropped" frame, or undefined for any other payload. */
export function parseDropped(payload: Buffer): number | undefined {
  const match = /^dropped\0(\d+)\0$/.exec(payload.toString("latin1"));
  return match === null ? undefined : Number(match[1]);
}

export interface BackstopQuestion {
  readonly id: string;
  readonly pid: number;
  readonly file: string;
  readonly resolved: string | undefined;
  readonly workdir: string;
  readonly argv: readonly string[];
}

/** Parses one question's payload; undefined when it is malformed. */
export function parseQuestion(payload: Buffer): BackstopQuestion | undefined {
  const fields: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < payload.length; i++) {
    if (payload[i] === 0) {
      fields.push(payload.subarray(start, i));
      start = i + 1;
    }
  }
  if (start !== payload.length || fields.length < 6) return undefined;
  const [id, pid, file, resolved, workdir, ...argv] = fields.map((field) => fromBytes(field));
  const pidNumber = Number(pid);
  if (
    !/^\d+$/.test(id ?? "") ||
    !Number.isSafeInteger(pidNumber) ||
    pidNumber <= 0 ||
    !path.isAbsolute(file ?? "") ||
    !path.isAbsolute(workdir ?? "")
  )
    return undefined;
  return {
    id: id as string,
    pid: pidNumber,
    file: file as string,
    resolved: resolved === "" ? undefined : resolved,
    workdir: workdir as string,
    argv,
  };
}

/** The id of a "cancel" frame (that exec is gone), or undefined for any other payload. */
export function parseCancel(payload: Buffer): string | undefined {
  const text = payload.toString("latin1");
  const match = /^cancel\0(\d+)\0$/.exec(text);
  return match?.[1];
}

export function encodeAnswer(id: string, decision: EscalationDecision): Buffer {
  const body = Buffer.concat([
    Buffer.from(`${id}\0${decision.action === "deny" ? "deny" : "continue"}\0`),
    Buffer.from(decision.action === "deny" ? decision.reason : ""),
  ]);
  const header = Buffer.alloc(4);
  header.writeUInt32LE(body.length, 0);
  return Buffer.concat([header, body]);
}

export class ExecBackstop {
  private ownFd = -1;
  private childFd = -1;
  private watcher: FdWatcher | undefined;
  private buffered = Buffer.alloc(0);
  private outgoing: Buffer[] = [];
  private readonly abort = new AbortController();
  /** Questions being decided, by id, each abortable on its own. */
  private readonly open = new Map<string, AbortController>();
  private closed = false;
  private readonly log: (message: string) => void;

  constructor(private readonly options: ExecBackstopOptions) {
    this.log = options.log ?? ((message) => process.stderr.write(`execward: ${message}\n`));
  }

  /** Opens the channel; returns the supervisor's end (close it here once spawned). */
  start(): number {
    const { addon } = this.options;
    [this.ownFd, this.childFd] = addon.socketpair(true);
    addon.setNonBlocking(this.ownFd);
    this.watcher = addon.watch(this.ownFd, (status, readable, writable) => {
      if (status < 0) this.close(`socket error ${status}`);
      else {
        if (writable) this.flush();
        if (readable) this.read();
      }
    });
    this.watcher.start(true, false);
    return this.childFd;
  }

  releaseChildFd(): void {
    if (this.childFd >= 0) this.options.addon.close(this.childFd);
    this.childFd = -1;
  }

  close(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (reason !== undefined) this.log(`exec backstop channel closed: ${reason}`);
    this.abort.abort();
    this.watcher?.close();
    this.releaseChildFd();
    if (this.ownFd >= 0) this.options.addon.close(this.ownFd);
    this.ownFd = -1;
  }

  /** Reads what is waiting on the channel now (the supervisor's last notices, at the end). */
  drain(): void {
    if (!this.closed && this.ownFd >= 0) this.read();
  }

  private read(): void {
    for (;;) {
      if (this.closed) return;
      let message;
      try {
        message = this.options.addon.recvmsg(this.ownFd, RECV_CHUNK);
      } catch (error) {
        this.close(`receive failed: ${String(error)}`);
        return;
      }
      if (message === null) return;
      for (const fd of message.fds) this.options.addon.close(fd);
      if (message.data.length === 0) {
        this.close();
        return;
      }
      // The hook's notices of the execs in this chunk were sent before it was received: read
      // them once, before the first notice of the chunk is handed on.
      let hookRead = false;
      this.buffered = Buffer.concat([this.buffered, message.data]);
      while (this.buffered.length >= 4) {
        const length = this.buffered.readUInt32LE(0);
        if (length > MAX_QUESTION_BYTES) {
          this.close(`a question of ${length} bytes`);
          return;
        }
        if (this.buffered.length < 4 + length) break;
        const payload = this.buffered.subarray(4, 4 + length);
        this.buffered = this.buffered.subarray(4 + length);
        const cancelled = parseCancel(payload);
        if (cancelled !== undefined) {
          this.open.get(cancelled)?.abort();
          continue;
        }
        const notice = parseNotice(payload);
        if (notice !== undefined) {
          if (notice === "malformed")
            this.options.onNoticesDropped?.(1, "a malformed notice from the exec supervisor");
          else {
            if (!hookRead) this.options.beforeNotice?.();
            hookRead = true;
            this.options.onNotice?.(notice);
          }
          continue;
        }
        const dropped = parseDropped(payload);
        if (dropped !== undefined) {
          this.options.onNoticesDropped?.(
            dropped,
            "exec supervisor notices its channel could not take in time",
          );
          continue;
        }
        const question = parseQuestion(Buffer.from(payload));
        if (question === undefined) {
          this.close("a malformed question");
          return;
        }
        void this.answer(question);
      }
    }
  }

  private async answer(question: BackstopQuestion): Promise<void> {
    let decision: EscalationDecision;
    const own = new AbortController();
    this.open.set(question.id, own);
    try {
      decision = await this.decide(question, AbortSignal.any([this.abort.signal, own.signal]));
    } catch (error) {
      decision = {
        action: "deny",
        reason: `execward could not decide: ${error instanceof Error ? error.message : String(error)}`,
      };
    } finally {
      this.open.delete(question.id);
    }
    if (!own.signal.aborted) this.send(encodeAnswer(question.id, decision));
  }

  private async decide(
    question: BackstopQuestion,
    signal: AbortSignal,
  ): Promise<EscalationDecision> {
    const inspection = inspectProgram(this.options.addon, {
      pid: question.pid,
      file: question.file,
      workdir: question.workdir,
      claimedResolved: question.resolved,
    });
    try {
      const identity = inspection.identity;
      if (
        identity !== undefined &&
        this.options.recentRuns.consume({ pid: question.pid, ...identity, argv: question.argv })
      )
        return { action: "run" };
      const request: ExecRequest = {
        file: question.file,
        argv: question.argv,
        workdir: question.workdir,
        env: {},
        faithful: ![question.file, question.workdir, ...question.argv].some(hasEscapedBytes),
        inspection,
      };
      const decision = await this.options.policy.decide(request, signal);
      // Never escalated from here: an allowed (or approved) program runs in the sandbox.
      return decision.action === "escalate" ? { action: "run" } : decision;
    } finally {
      inspection.close();
    }
  }

  private send(frame: Buffer): void {
    if (this.closed) return;
    this.outgoing.push(frame);
    this.flush();
  }

  private flush(): void {
    while (this.outgoing.length > 0 && !this.closed) {
      const head = this.outgoing[0] as Buffer;
      let written;
      try {
        written = this.options.addon.sendmsg(this.ownFd, head);
      } catch (error) {
        this.close(`send failed: ${String(error)}`);
        return;
      }
      if (written === 0) {
        this.watcher?.start(true, true);
        return;
      }
      if (written < head.length) this.outgoing[0] = head.subarray(written);
      else this.outgoing.shift();
    }
    if (!this.closed) this.watcher?.start(true, false);
  }
}
