/**
 * Errors of the .rules language, located in the file that caused them.
 *
 * A policy that cannot be loaded must never be half-applied, so every problem is an exception
 * carrying `file:line:col` and upstream's wording, where codex execpolicy has one:
 *
 * - `rules_syntax`: the text is not valid Starlark (unterminated string, stray bracket...).
 * - `rules_unsupported`: valid Starlark that execward deliberately does not evaluate
 *   (assignments, loops, operators, functions other than the three builtins).
 * - `rules_argument`: a builtin called with missing, unknown or mistyped arguments.
 * - `rules_name_not_found`: a call to a name that does not exist.
 * - `invalid_decision`, `invalid_pattern`, `invalid_example`, `invalid_rule`: upstream's
 *   `Error::Invalid*` variants; their messages carry upstream's prefixes.
 * - `example_did_not_match`, `example_did_match`: a rule's `match` / `not_match` examples,
 *   checked after the whole file has been evaluated.
 * - `rules_read`: a rules file or folder that exists but cannot be read.
 */
import { ExecwardError, type ErrorCode } from "../errors.js";

/** A 1-based position in a rules file. */
export interface SourceLocation {
  readonly path: string;
  readonly line: number;
  readonly column: number;
}

export type PolicyErrorCode = Extract<
  ErrorCode,
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
>;

export class PolicyError extends ExecwardError {
  declare readonly code: PolicyErrorCode;
  /** Where the problem is; absent only while the error travels up to the code that knows it. */
  readonly location: SourceLocation | undefined;
  /** The message without its location: upstream's wording, for comparisons and for display. */
  readonly detail: string;

  constructor(
    code: PolicyErrorCode,
    detail: string,
    location?: SourceLocation,
    options: { cause?: unknown } = {},
  ) {
    super(
      code,
      location === undefined ? detail : `${formatLocation(location)}: ${detail}`,
      options,
    );
    this.name = "PolicyError";
    this.detail = detail;
    this.location = location;
  }

  /** The same error, placed at `location` unless it already has a place. */
  at(location: SourceLocation): PolicyError {
    if (this.location !== undefined) return this;
    return new PolicyError(this.code, this.detail, location, { cause: this.cause });
  }
}

export function formatLocation(location: SourceLocation): string {
  return `${location.path}:${location.line}:${location.column}`;
}
