/**
 * Loads the native parts once per command (`run`, `mcp`) so that everything below takes them as
 * a value. A missing or unloadable part is reported with the fix (native-location.ts names it),
 * never as an internal error.
 */
import { isExecwardError } from "../errors.js";
import { loadNativeParts, type NativeParts } from "../native/native-addon.js";
import type { CliIo } from "./cli-io.js";

export function loadNative(io: CliIo): NativeParts | undefined {
  try {
    return loadNativeParts();
  } catch (error) {
    if (!isExecwardError(error)) throw error;
    io.stderr.write(`execward: ${error.message}\n`);
    return undefined;
  }
}
