/**
 * The escalation wire protocol: the single source of truth for names, limits, messages and exit
 * statuses shared by the TypeScript server, the C exec hook and the C execve wrapper
 * (native/common/escalate_protocol.h repeats these constants; a test cross-checks them).
 *
 * Wire-compatible with Codex's shell-escalation protocol, so upstream's `codex-execve-wrapper`
 * and patched Bash work with our server, and our wrapper with upstream's server.
 *
 *   shell / descendant (hook or wrapper)                 execward server
 *   ────────────────────────────────────                 ───────────────
 *   socketpair(AF_UNIX, SOCK_STREAM) → (mine, theirs)
 *   sendmsg(CODEX_ESCALATE_SOCKET, [0x00], SCM_RIGHTS theirs) ──▶ recvmsg: exactly one fd, or drop
 *   frame EscalateRequest {file, argv, workdir, env}  ──────────▶ decide(file, argv, workdir)
 *                                                    ◀────────── frame EscalateResponse {action}
 *   Run:      execve(file, argv, env) in place (still inside the sandbox)
 *   Deny:     "Execution denied: <reason>" on stderr, exit 1 in place of the program
 *   Escalate: frame SuperExecMessage {fds:[0,1,2]} + SCM_RIGHTS dup(0),dup(1),dup(2) ──▶
 *                                                      spawn file outside the sandbox, stdio = fds
 *                                                    ◀────────── frame SuperExecResult {exit_code[, signal]}
 *             exit with exit_code, or re-raise `signal` (an execward extension; upstream reports 127)
 *
 * Framing: u32 little-endian payload length, then compact JSON; descriptors ride on the first
 * chunk of a frame, at most 16. Frames above MAX_FRAME_BYTES end the session (the server keeps
 * serving others). One datagram socket is shared by every process of a command; each request
 * gets its own stream socket, so requests never wait for each other.
 */
import { z } from "zod";

/** Decimal number of the inherited datagram socket (the client end of the server's pair). */
export const ESCALATE_SOCKET_ENV = "CODEX_ESCALATE_SOCKET";
/** Absolute path of the execve wrapper, read by patched shells (current name). */
export const EXEC_WRAPPER_ENV = "EXEC_WRAPPER";
/** The same, under the name the original Bash patch reads. */
export const LEGACY_BASH_EXEC_WRAPPER_ENV = "BASH_EXEC_WRAPPER";
/** execward's own variables: the hook library (for LD_PRELOAD re-injection) and the wrapper. */
export const HOOK_LIBRARY_ENV = "EXECWARD_HOOK";
export const HOOK_WRAPPER_ENV = "EXECWARD_WRAPPER";
/**
 * Program names the hook must ask about ("/"-separated, with leading and trailing "/"). Any other
 * program runs in the sandbox without a round trip: the server computed that no rule and no
 * heuristic can decide otherwise. Absent means "ask about everything".
 */
export const HOOK_ASK_ENV = "EXECWARD_ASK";

/**
 * "1": the hook sends a one-way notice for each exec it lets run without asking (its fast path).
 * Set only when something records them (an audit log, --verbose, MCP log messages); without it
 * the hot path sends nothing.
 */
export const HOOK_NOTICES_ENV = "EXECWARD_HOOK_NOTICES";

/** Variables the client strips before sending its environment (upstream strips the first three). */
export const PROTOCOL_ENV_NAMES = [
  ESCALATE_SOCKET_ENV,
  EXEC_WRAPPER_ENV,
  LEGACY_BASH_EXEC_WRAPPER_ENV,
  HOOK_LIBRARY_ENV,
  HOOK_WRAPPER_ENV,
  HOOK_ASK_ENV,
  HOOK_NOTICES_ENV,
] as const;

/** Largest frame either side accepts (a request carries the whole environment). */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** Most descriptors one message may carry. */
export const MAX_FDS_PER_MESSAGE = 16;
/** Most sessions (pending execs) one command may have open at once; more are refused. */
export const MAX_SESSIONS = 256;
/** Most bytes of unfinished frames one command's sessions may hold together (about four full requests). */
export const MAX_PENDING_BYTES = 64 * 1024 * 1024;
/** How long a requester may take to send a frame it owes (the request, the SuperExec message). */
export const FRAME_TIMEOUT_MS = 30_000;
/** The handshake datagram: one zero byte carrying one descriptor. */
export const HANDSHAKE_BYTE = 0x00;

/**
 * The hook's fast-path notice (execward extension): a datagram on the same socket, with no
 * descriptor, starting with this byte, then JSON `{file, workdir, argv, truncated?}`. One-way:
 * nothing answers it, and the program has already been let through. It comes from inside the
 * sandbox, so every field is the sandbox's claim: logged as such, never decided on.
 * (native/common/escalate_notice.h repeats these.)
 */
export const NOTICE_BYTE = 0x01;
export const MAX_NOTICE_BYTES = 4096;

export const ExecNoticeSchema = z.object({
  file: z.string(),
  workdir: z.string(),
  argv: z.array(z.string()),
  truncated: z.boolean().optional(),
});
export type ExecNotice = z.infer<typeof ExecNoticeSchema>;

/** The sandbox's mark, checked by the hook before it trusts its channel (plan-bwrap.ts). */
export { SANDBOX_MARKER_PATH } from "../sandbox/plan-bwrap.js";

/** How a denied program ends, as upstream's wrapper: this message on stderr and exit status 1. */
export const DENIED_EXIT_STATUS = 1;
export const DENIED_MESSAGE_PREFIX = "Execution denied";

export const EscalateRequestSchema = z.object({
  /** The program as given to execve; may be relative, then resolved against `workdir`. */
  file: z.string(),
  /** argv, argv[0] included. */
  argv: z.array(z.string()),
  /** The requesting process's working directory (absolute). */
  workdir: z.string(),
  /** Its environment, without the protocol's own variables. */
  env: z.record(z.string(), z.string()),
  /**
   * execward extension, from execward's hook: the program's canonical path as the requester's
   * kernel resolves it (through /dev/fd/N, /proc/self/fd/N...), which the server cannot follow
   * from outside. A claim, used to judge names only, never to choose what escalates.
   */
  resolved: z.string().optional(),
});
export type EscalateRequest = z.infer<typeof EscalateRequestSchema>;

/**
 * An EscalateRequest from its parsed JSON, or undefined when it is not one. The schema above is
 * the definition; the plain shape every client sends (strings, an array of strings, an object of
 * strings, nothing else to look at) is checked here directly, because zod's general machinery
 * was one of the larger costs on every asked exec (and grows with the environment); anything
 * else goes through the schema. The two give the same answer: test/unit/escalation/
 * protocol-parse.test.ts.
 */
export function parseEscalateRequest(value: unknown): EscalateRequest | undefined {
  if (isPlainObject(value)) {
    const { file, argv, workdir, env, resolved } = value;
    if (
      typeof file === "string" &&
      typeof workdir === "string" &&
      (resolved === undefined || typeof resolved === "string") &&
      isStringArray(argv) &&
      isStringRecord(env)
    ) {
      return resolved === undefined
        ? { file, argv, workdir, env }
        : { file, argv, workdir, env, resolved };
    }
  }
  const parsed = EscalateRequestSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype
  );
}

function isStringArray(value: unknown): value is string[] {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== "string") return false;
  return true;
}

/** A plain object of string values; "__proto__" (which zod's copy drops) is left to the schema. */
function isStringRecord(value: unknown): value is Record<string, string> {
  if (!isPlainObject(value) || Object.hasOwn(value, "__proto__")) return false;
  for (const key in value) if (typeof value[key] !== "string") return false;
  return true;
}

export type EscalateAction =
  "Run" | "Escalate" | { readonly Deny: { readonly reason: string | null } };
export interface EscalateResponse {
  readonly action: EscalateAction;
}

export const SuperExecMessageSchema = z.object({
  /** Destination descriptor numbers; the descriptors themselves ride on the frame. */
  fds: z.array(z.number().int().nonnegative()).max(MAX_FDS_PER_MESSAGE),
});
export type SuperExecMessage = z.infer<typeof SuperExecMessageSchema>;

/**
 * A SuperExecMessage from its parsed JSON, or undefined: as parseEscalateRequest, the plain
 * shape (an array of small descriptor numbers) directly, anything else through the schema.
 */
export function parseSuperExecMessage(value: unknown): SuperExecMessage | undefined {
  if (isPlainObject(value)) {
    const { fds } = value;
    if (Array.isArray(fds) && fds.length <= MAX_FDS_PER_MESSAGE) {
      let plain = true;
      for (let i = 0; i < fds.length && plain; i++) {
        const fd: unknown = fds[i];
        plain = typeof fd === "number" && Number.isInteger(fd) && fd >= 0 && fd < 1024;
      }
      if (plain) return { fds: fds as number[] };
    }
  }
  const parsed = SuperExecMessageSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

export interface SuperExecResult {
  /** The escalated program's exit status; 128 + signal number if a signal killed it. */
  readonly exit_code: number;
  /** execward extension: the signal that killed it (number), for the hook to re-raise. */
  readonly signal?: number;
}
