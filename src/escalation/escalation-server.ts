/**
 * The escalation server for one command: receives the handshakes of every intercepted exec on
 * one datagram socket and runs each request as an independent session on its own stream socket.
 *
 * Guards:
 * - Nothing blocks: sockets are read and written with MSG_DONTWAIT (the addon's recvmsg and
 *   sendmsg) and watched by the event loop, so any number of pending requests (a pipeline, 8
 *   concurrent commands, a prompt waiting for a human) proceed independently.
 * - Fail closed per session: a malformed or oversized frame, a handshake without exactly one
 *   descriptor, or an error while deciding ends that session (the requester sees the connection
 *   close and refuses to exec), is logged, and the server keeps serving.
 * - A requester that goes away ends its session: a pending decision is aborted (nothing will
 *   run), and an escalated program it was waiting for is killed.
 * - Every received descriptor is closed or handed over exactly once, and descriptors are
 *   accepted only with the SuperExec message (at most 16): a request carrying any, or a frame
 *   piling them up, ends its session at once instead of leaving them with the server (E5).
 * - Bounded: at most MAX_SESSIONS open sessions per command (more handshakes are refused), at
 *   most MAX_PENDING_BYTES of unfinished frames across them (the session that goes over ends),
 *   and a requester that owes a frame (its request, its SuperExec message) has FRAME_TIMEOUT_MS
 *   to send it; malformed requests (relative workdir, impossible environment names) end the
 *   session.
 * - What a request names is found by the server (program-inspection.ts) from the peer's pid as
 *   the kernel reports it (SO_PEERCRED), never from the request alone; the inspection's host
 *   descriptors live exactly as long as the session.
 * - Nothing a requester sends can throw out of the event loop: decisions and starts that fail
 *   become a deny or an exit status (126/127) for that requester.
 */
import path from "node:path";

import { hasEscapedBytes } from "./byte-string.js";
import { checkEnvNames } from "./escalated-env.js";
import type { EscalatedExecutor, EscalatedRun } from "./escalated-executor.js";
import type { EscalationDecision, EscalationPolicy, ExecRequest } from "./escalation-policy.js";
import { encodeFrame, FrameDecoder, type DecodedFrame } from "./framing.js";
import type { FdPassing, FdWatcher } from "../native/native-addon.js";
import { inspectProgram, type ProgramInspection } from "./program-inspection.js";
import { RecentRuns } from "./recent-runs.js";
import {
  ExecNoticeSchema,
  FRAME_TIMEOUT_MS,
  HANDSHAKE_BYTE,
  MAX_FDS_PER_MESSAGE,
  MAX_PENDING_BYTES,
  MAX_SESSIONS,
  NOTICE_BYTE,
  parseEscalateRequest,
  parseSuperExecMessage,
  type EscalateResponse,
  type ExecNotice,
} from "./protocol.js";

export interface EscalationServerOptions {
  readonly addon: FdPassing;
  readonly policy: EscalationPolicy;
  readonly executor: EscalatedExecutor;
  /** Where session failures are reported (stderr by default). */
  readonly log?: (message: string) => void;
  /**
   * The hook's fast-path notices (see protocol.ts): the parsed notice, or undefined for a
   * datagram that claimed to be one and is not. Absent: notices are read and dropped.
   */
  readonly onNotice?: (notice: ExecNotice | undefined) => void;
}

const RECV_CHUNK = 64 * 1024;

export class EscalationServer {
  private readonly options: EscalationServerOptions;
  private readonly log: (message: string) => void;
  private serverFd = -1;
  private clientFd = -1;
  private watcher: FdWatcher | undefined;
  private readonly sessions = new Set<Session>();
  private closed = false;
  /** Set while handshakes are being refused, so the refusal is logged once per burst. */
  private saturated = false;
  /** Bytes of unfinished frames across all sessions (MAX_PENDING_BYTES at most). */
  private readonly pending: PendingBytes = { bytes: 0 };
  /** "run" answers given to hooks, for the kernel backstop (exec-backstop.ts) not to ask twice. */
  readonly recentRuns = new RecentRuns();

  constructor(options: EscalationServerOptions) {
    this.options = options;
    this.log = options.log ?? ((message) => process.stderr.write(`execward: ${message}\n`));
  }

  /** Opens the datagram pair; returns the client end, to pass to the shell as CODEX_ESCALATE_SOCKET. */
  start(): number {
    const { addon } = this.options;
    [this.serverFd, this.clientFd] = addon.socketpair(false);
    addon.setNonBlocking(this.serverFd);
    this.watcher = addon.watch(this.serverFd, () => this.acceptHandshakes());
    this.watcher.start(true, false);
    return this.clientFd;
  }

  /** Closes the client end held here (call once the shell has its copy). */
  releaseClientFd(): void {
    if (this.clientFd >= 0) {
      this.options.addon.close(this.clientFd);
      this.clientFd = -1;
    }
  }

  get activeSessions(): number {
    return this.sessions.size;
  }

  /** Stops accepting requests and ends every session (killing escalated programs). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watcher?.close();
    this.releaseClientFd();
    if (this.serverFd >= 0) this.options.addon.close(this.serverFd);
    this.serverFd = -1;
    for (const session of this.sessions) session.end("the command finished");
  }

  /**
   * Reads what is waiting on the escalation socket now (handshakes, the hook's notices). The
   * backstop calls it before it hands on a notice of its own, so the hook's notice of the same
   * exec (sent before the system call) is always seen first.
   */
  drain(): void {
    if (!this.closed && this.serverFd >= 0) this.acceptHandshakes();
  }

  private acceptHandshakes(): void {
    const { addon } = this.options;
    for (;;) {
      let message;
      try {
        message = addon.recvmsg(this.serverFd, 8192);
      } catch (error) {
        this.log(`escalation socket failed: ${String(error)}`);
        return;
      }
      if (message === null) return;
      if (message.fds.length === 0 && message.data[0] === NOTICE_BYTE) {
        this.options.onNotice?.(parseNotice(message.data));
        continue;
      }
      if (
        message.fds.length !== 1 ||
        message.data.length !== 1 ||
        message.data[0] !== HANDSHAKE_BYTE
      ) {
        this.log(
          `ignored a malformed handshake (${message.data.length} bytes, ${message.fds.length} descriptors)`,
        );
        for (const fd of message.fds) addon.close(fd);
        continue;
      }
      const fd = message.fds[0] as number;
      if (this.sessions.size >= MAX_SESSIONS) {
        addon.close(fd);
        if (!this.saturated) this.log(`refused requests: ${MAX_SESSIONS} are already pending`);
        this.saturated = true;
        continue;
      }
      this.saturated = false;
      const session = new Session(fd, this.options, this.log, this.pending, this.recentRuns, () =>
        this.sessions.delete(session),
      );
      this.sessions.add(session);
      session.begin();
    }
  }
}

/** A notice datagram's JSON, or undefined when it is not a valid notice. */
function parseNotice(data: Buffer): ExecNotice | undefined {
  try {
    const parsed = ExecNoticeSchema.safeParse(JSON.parse(data.subarray(1).toString("utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

type SessionState = "request" | "deciding" | "super-exec" | "running" | "done";

/** Unfinished request bytes held across a server's sessions. */
interface PendingBytes {
  bytes: number;
}

class Session {
  private state: SessionState = "request";
  private readonly decoder = new FrameDecoder();
  /** Created only when the session has to wait for its socket (most answer without waiting). */
  private watcher: FdWatcher | undefined;
  private wantWritable = false;
  private readonly abort = new AbortController();
  private outgoing: Buffer[] = [];
  private request: ExecRequest | undefined;
  private inspection: ProgramInspection | undefined;
  private run: EscalatedRun | undefined;
  private ended = false;
  /** Ends the session when the requester owes a frame for too long. */
  private deadline: NodeJS.Timeout | undefined;
  /** The requester's pid as the kernel reports it (0: not visible, -1: unknown). */
  private readonly peerPid: number;

  constructor(
    private readonly fd: number,
    private readonly options: EscalationServerOptions,
    private readonly log: (message: string) => void,
    private readonly pending: PendingBytes,
    private readonly recentRuns: RecentRuns,
    private readonly onEnd: () => void,
  ) {
    // No fcntl(O_NONBLOCK) here: every read and write of a session is MSG_DONTWAIT (two system
    // calls fewer per exec), and a watcher, when one is needed, makes the socket non-blocking too.
    let pid = -1;
    try {
      pid = options.addon.peerPid(fd);
    } catch {
      // not a Unix socket: the request cannot be tied to a process, so nothing escalates
    }
    this.peerPid = pid;
  }

  private expectFrameWithin(): void {
    clearTimeout(this.deadline);
    this.deadline = setTimeout(
      () =>
        this.end(
          `no ${this.state === "request" ? "request" : "SuperExec message"} within ${FRAME_TIMEOUT_MS} ms`,
        ),
      FRAME_TIMEOUT_MS,
    );
    this.deadline.unref();
  }

  /**
   * The client wrote its request before handing the socket over, so it is usually here already:
   * read it now (the deadline is armed only when it is not); watch the socket only if the
   * session is still open once the decision had its chance to complete (a pending approval, a
   * running escalated program, a slow client).
   */
  begin(): void {
    this.read();
    if (!this.ended && this.state === "request") this.expectFrameWithin();
    setImmediate(() => {
      if (!this.ended) this.watch();
    });
  }

  private watch(): void {
    this.watcher ??= this.options.addon.watch(this.fd, (status, readable, writable) =>
      this.onReady(status, readable, writable),
    );
    this.watcher.start(true, this.wantWritable);
  }

  end(reason?: string): void {
    if (this.ended) return;
    this.ended = true;
    if (reason !== undefined && this.state !== "done")
      this.log(`escalation session ended: ${reason}`);
    clearTimeout(this.deadline);
    // Only a pending decision has anything to abort (and an abort builds a DOMException with a
    // stack trace: a cost on every escalated exec otherwise).
    if (this.state === "deciding") this.abort.abort();
    this.run?.kill();
    this.watcher?.close();
    for (const fd of this.decoder.drainFds()) this.options.addon.close(fd);
    this.pending.bytes -= this.decoder.bufferedBytes;
    this.inspection?.close();
    this.options.addon.close(this.fd);
    this.onEnd();
  }

  private onReady(status: number, readable: boolean, writable: boolean): void {
    if (this.ended) return;
    if (status < 0) {
      this.end(`socket error ${status}`);
      return;
    }
    if (writable) this.flush();
    if (readable) this.read();
  }

  private read(): void {
    for (;;) {
      if (this.ended) return;
      let message;
      try {
        message = this.options.addon.recvmsg(this.fd, RECV_CHUNK);
      } catch (error) {
        this.end(`receive failed: ${String(error)}`);
        return;
      }
      if (message === null) return;
      // A session carries frames only (notices come on the datagram socket): a frame's length
      // header may well start with the notice byte (a 257-byte request does).
      if (message.data.length === 0 && message.fds.length === 0) {
        // The requester went away: abort a pending decision, kill an escalated program.
        this.end(this.state === "done" ? undefined : "the requesting process went away");
        return;
      }
      if (message.fds.length > 0 && this.state !== "super-exec") {
        for (const fd of message.fds) this.options.addon.close(fd);
        this.end("descriptors are accepted only with the SuperExec message");
        return;
      }
      let frames: DecodedFrame[];
      const before = this.decoder.bufferedBytes;
      try {
        frames = this.decoder.push(message.data, message.fds);
      } catch (error) {
        // The decoder holds every descriptor (and byte) it was given; end() releases them once.
        this.pending.bytes += this.decoder.bufferedBytes - before;
        this.end(error instanceof Error ? error.message : String(error));
        return;
      }
      this.pending.bytes += this.decoder.bufferedBytes - before;
      if (this.pending.bytes > MAX_PENDING_BYTES) {
        this.end(`unfinished requests hold more than ${MAX_PENDING_BYTES} bytes`);
        return;
      }
      for (const frame of frames) this.onFrame(frame);
    }
  }

  private onFrame(frame: DecodedFrame): void {
    switch (this.state) {
      case "request":
        this.onRequest(frame);
        return;
      case "super-exec":
        this.onSuperExec(frame);
        return;
      case "deciding":
      case "running":
      case "done":
        for (const fd of frame.fds) this.options.addon.close(fd);
        this.end("unexpected frame from the requester");
        return;
    }
  }

  private onRequest(frame: DecodedFrame): void {
    for (const fd of frame.fds) this.options.addon.close(fd);
    clearTimeout(this.deadline);
    const decoded = decodePayload(frame.payload);
    const raw = decoded === undefined ? undefined : parseEscalateRequest(decoded.value);
    if (decoded === undefined || raw === undefined) {
      this.end("malformed EscalateRequest");
      return;
    }
    if (!path.isAbsolute(raw.workdir)) {
      this.end("malformed EscalateRequest: the workdir is not absolute");
      return;
    }
    try {
      checkEnvNames(raw.env);
    } catch (error) {
      this.end(`malformed EscalateRequest: ${(error as Error).message}`);
      return;
    }
    const workdir = path.resolve(raw.workdir);
    const file = path.resolve(workdir, raw.file);
    this.state = "deciding";
    try {
      this.inspection = inspectProgram(this.options.addon, {
        pid: this.peerPid,
        file,
        workdir,
        claimedResolved: raw.resolved,
      });
    } catch (error) {
      this.respond({
        action: "deny",
        reason: `execward could not inspect ${file}: ${String(error)}`,
      });
      return;
    }
    this.request = {
      file,
      argv: raw.argv,
      workdir,
      env: raw.env,
      faithful:
        decoded.faithful && ![file, workdir, ...raw.argv].some((text) => hasEscapedBytes(text)),
      inspection: this.inspection,
    };
    const request = this.request;
    Promise.resolve()
      .then(() => this.options.policy.decide(request, this.abort.signal))
      .then(
        (decision) => this.respond(decision),
        (error: unknown) =>
          this.respond({
            action: "deny",
            reason: `execward could not decide: ${error instanceof Error ? error.message : String(error)}`,
          }),
      );
  }

  private respond(decision: EscalationDecision): void {
    if (this.ended) return;
    let response: EscalateResponse;
    switch (decision.action) {
      case "run":
        response = { action: "Run" };
        this.state = "done";
        break;
      case "escalate":
        response = { action: "Escalate" };
        this.state = "super-exec";
        break;
      case "deny":
        response = { action: { Deny: { reason: decision.reason } } };
        this.state = "done";
        break;
    }
    // The answer first, the bookkeeping after: the requester is waiting, and nothing else runs
    // in between (the backstop reads recentRuns from a later event-loop callback).
    this.send(encodeFrame(response));
    if (decision.action === "run") {
      const identity = this.inspection?.identity;
      if (identity !== undefined && this.request !== undefined)
        this.recentRuns.record({ pid: this.peerPid, ...identity, argv: this.request.argv });
    } else if (decision.action === "escalate" && !this.ended && this.state === "super-exec") {
      this.expectFrameWithin();
    }
  }

  private onSuperExec(frame: DecodedFrame): void {
    clearTimeout(this.deadline);
    const decoded = decodePayload(frame.payload);
    const parsed = decoded === undefined ? undefined : parseSuperExecMessage(decoded.value);
    const closeAll = (): void => frame.fds.forEach((fd) => this.options.addon.close(fd));
    if (parsed === undefined || this.request === undefined) {
      closeAll();
      this.end("malformed SuperExecMessage");
      return;
    }
    const targets = parsed.fds;
    if (targets.length !== frame.fds.length || targets.length > MAX_FDS_PER_MESSAGE) {
      closeAll();
      this.end(
        `mismatched number of fds in SuperExecMessage: ${targets.length} in the message, ${frame.fds.length} received`,
      );
      return;
    }
    if (new Set(targets).size !== targets.length || targets.some((target) => target > 15)) {
      closeAll();
      this.end("invalid destination descriptors in SuperExecMessage");
      return;
    }
    this.state = "running";
    const run = this.options.executor.start(this.request, targets, frame.fds);
    this.run = run;
    void run.exit.then((exit) => {
      if (this.ended) return;
      this.state = "done";
      this.run = undefined;
      this.send(
        encodeFrame(
          exit.signal === undefined
            ? { exit_code: exit.exitCode }
            : { exit_code: exit.exitCode, signal: exit.signal },
        ),
      );
    });
  }

  private send(frame: Buffer): void {
    this.outgoing.push(frame);
    this.flush();
  }

  private flush(): void {
    while (this.outgoing.length > 0 && !this.ended) {
      const head = this.outgoing[0] as Buffer;
      let written;
      try {
        written = this.options.addon.sendmsg(this.fd, head);
      } catch (error) {
        this.end(`send failed: ${String(error)}`);
        return;
      }
      if (written === 0) {
        this.wantWritable = true;
        this.watch();
        return;
      }
      if (written < head.length) this.outgoing[0] = head.subarray(written);
      else this.outgoing.shift();
    }
    if (this.ended) return;
    if (this.state === "done" && this.outgoing.length === 0) {
      this.end();
      return;
    }
    if (this.wantWritable) {
      this.wantWritable = false;
      this.watch();
    }
  }
}

/** Parses a JSON payload; `faithful` is false when its bytes were not valid UTF-8. */
function decodePayload(payload: Buffer): { value: unknown; faithful: boolean } | undefined {
  let text: string;
  let faithful = true;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(payload);
  } catch {
    text = payload.toString("utf8");
    faithful = false;
  }
  try {
    return { value: JSON.parse(text) as unknown, faithful };
  } catch {
    return undefined;
  }
}
