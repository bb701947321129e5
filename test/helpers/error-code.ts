/** The ExecwardError code a call throws (or a note that it threw something else, or nothing). */
import { isExecwardError } from "../../src/errors.js";

export function errorCode(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isExecwardError(error) ? error.code : `not an ExecwardError: ${String(error)}`;
  }
  return undefined;
}
