/**
 * `execward log [FILE]`: an audit log (default: the settings file's audit_log), readable (or as JSON lines with --json), filtered by
 * decision and time. Reads line by line (a log of any size in bounded memory); a line that is
 * not a record is counted and reported at the end, never fatal.
 */
import { createReadStream } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";

import type { AuditRecord } from "../exec/audit-record.js";
import { formatAuditRecord } from "./audit-format.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliIo } from "./cli-io.js";
import { isExecwardError } from "../errors.js";
import { loadSettings } from "./load-settings.js";
import type { LogOptions } from "./log-options.js";

export async function runLog(
  options: LogOptions,
  file: string | undefined,
  since: number | undefined,
  io: CliIo,
): Promise<number> {
  let target: string;
  if (file !== undefined) {
    target = path.resolve(io.cwd, file);
  } else {
    let loaded;
    try {
      loaded = await loadSettings(io.env, io.cwd, undefined);
    } catch (error) {
      if (!isExecwardError(error)) throw error;
      io.stderr.write(`execward: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    if (loaded.settings.auditLog === undefined) {
      io.stderr.write(
        "execward log: no FILE given, and no audit_log in $CODEX_HOME/execward.toml\nTry 'execward log --help' for more information.\n",
      );
      return EXIT_USAGE;
    }
    target = loaded.settings.auditLog;
  }
  const input = createReadStream(target);
  const opened = new Promise<Error | undefined>((resolve) => {
    input.once("open", () => resolve(undefined));
    input.once("error", (error) => resolve(error));
  });
  const failed = await opened;
  if (failed !== undefined) {
    io.stderr.write(`execward log: cannot read ${target}: ${failed.message}\n`);
    return EXIT_FAILURE;
  }
  let unreadable = 0;
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    let record: AuditRecord;
    try {
      record = JSON.parse(line) as AuditRecord;
      if (typeof record !== "object" || record === null || typeof record.kind !== "string")
        throw new Error("not a record");
    } catch {
      unreadable++;
      continue;
    }
    if (!matches(record, options, since)) continue;
    io.stdout.write(options.json ? `${line}\n` : `${formatAuditRecord(record)}\n`);
  }
  if (unreadable > 0)
    io.stderr.write(
      `execward log: skipped ${unreadable} line(s) of ${target} that are not records\n`,
    );
  return EXIT_OK;
}

function matches(record: AuditRecord, options: LogOptions, since: number | undefined): boolean {
  if (since !== undefined && !(Date.parse(record.time) >= since)) return false;
  if (options.denied || options.escalated) {
    if (record.kind === "dropped") return false;
    const denied = options.denied && record.decision === "deny";
    const escalated = options.escalated && record.decision === "escalate";
    return denied || escalated;
  }
  return true;
}
