/**
 * One shape for how a command ended, and its rendering as upstream's MCP result JSON
 * `{"exit_code", "output", "duration": {"secs", "nanos"}, "timed_out"}`.
 */

/** Exit status reported for a command ended by its timeout (upstream's EXEC_TIMEOUT_EXIT_CODE). */
export const TIMEOUT_EXIT_CODE = 124;

export interface ExecResult {
  readonly exitCode: number;
  /** stdout and stderr in arrival order, capped (see output-capture.ts). */
  readonly output: string;
  readonly durationMs: number;
  readonly timedOut: boolean;
}

export interface UpstreamExecResult {
  readonly exit_code: number;
  readonly output: string;
  readonly duration: { readonly secs: number; readonly nanos: number };
  readonly timed_out: boolean;
}

export function toUpstreamExecResult(result: ExecResult): UpstreamExecResult {
  const totalNanos = Math.max(0, Math.round(result.durationMs * 1e6));
  return {
    exit_code: result.exitCode,
    output: result.output,
    duration: { secs: Math.floor(totalNanos / 1e9), nanos: totalNanos % 1e9 },
    timed_out: result.timedOut,
  };
}
