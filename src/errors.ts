/**
 * The one error type execward's library code throws.
 *
 * Callers branch on `code`, never on `message`: messages are for people and may be reworded,
 * codes are part of the API. Each component documents the codes it raises next to its own
 * error helpers; the union below is the complete list.
 */

/** Every error code execward raises, grouped by the component that raises it. */
export type ErrorCode =
  // src/policy: the .rules language (see src/policy/policy-error.ts)
  | "rules_syntax"
  | "rules_unsupported"
  | "rules_argument"
  | "rules_name_not_found"
  | "invalid_decision"
  | "invalid_pattern"
  | "invalid_example"
  | "invalid_rule"
  | "example_did_not_match"
  | "example_did_match"
  | "rules_read"
  // src/policy/amend.ts
  | "amend_invalid"
  | "amend_io"
  // src/escalation
  | "frame_too_large"
  | "too_many_fds"
  | "malformed_request"
  | "protocol_error"
  | "native_unavailable"
  // src/sandbox
  | "invalid_sandbox_policy"
  | "sandbox_unavailable"
  | "sandbox_writable_root_missing"
  | "sandbox_protected_symlink"
  | "sandbox_state_unsupported"
  // src/exec
  | "descriptors_exhausted"
  // src/network
  | "invalid_host_pattern"
  | "invalid_address"
  | "invalid_network_config"
  // src/settings (execward.toml), and the sandbox applying it
  | "invalid_settings"
  // src/cli
  | "usage";

export interface ExecwardErrorOptions {
  cause?: unknown;
  data?: Readonly<Record<string, unknown>>;
}

export class ExecwardError extends Error {
  readonly code: ErrorCode;
  readonly data: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: ExecwardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ExecwardError";
    this.code = code;
    this.data = options.data;
  }
}

/** Narrowing helper for `catch (error: unknown)` blocks. */
export function isExecwardError(error: unknown): error is ExecwardError {
  return error instanceof ExecwardError;
}
