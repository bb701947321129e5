/**
 * Where a `run` or `mcp` session's decisions go: the audit log file (--audit-log), stderr as they
 * happen (--verbose), and whether "always" answers can be written ($CODEX_HOME/rules/default.rules,
 * under flock). An audit log that cannot be opened is an error before anything runs; one that
 * fails later is reported once by the writer (audit-log.ts) and the session goes on.
 */
import os from "node:os";
import path from "node:path";

import type { FileLocker } from "../policy/amend.js";
import { AuditLogFile } from "../exec/audit-log.js";
import type { AuditSink } from "../exec/audit-record.js";
import type { ExecSessionOptions } from "../exec/exec-session.js";
import { ExecwardError } from "../errors.js";
import { formatAuditRecord } from "./audit-format.js";
import type { CliIo } from "./cli-io.js";

export interface AuditSetup {
  readonly sink: AuditSink | undefined;
  readonly amend: ExecSessionOptions["amend"];
  /** Waits for queued lines and closes the file. */
  close(): Promise<void>;
}

export function setUpAudit(
  io: CliIo,
  lock: FileLocker,
  options: { readonly auditLog?: string | undefined; readonly verbose?: boolean },
): AuditSetup {
  let file: AuditLogFile | undefined;
  if (options.auditLog !== undefined) {
    const target = path.resolve(io.cwd, options.auditLog);
    try {
      file = new AuditLogFile(target, (message) => io.stderr.write(`execward: ${message}\n`));
    } catch (error) {
      throw new ExecwardError(
        "usage",
        `cannot open the audit log ${target}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  const sinks: AuditSink[] = [];
  if (file !== undefined) {
    const opened = file;
    sinks.push((record) => opened.write(record));
  }
  if (options.verbose === true)
    sinks.push((record) =>
      io.stderr.write(`execward: ${formatAuditRecord(record, { time: false })}\n`),
    );
  const codexHome = io.env.CODEX_HOME ?? path.join(io.env.HOME ?? os.homedir(), ".codex");
  return {
    sink:
      sinks.length === 0
        ? undefined
        : (record) => {
            for (const sink of sinks) sink(record);
          },
    amend: {
      rulesFile: path.join(path.resolve(io.cwd, codexHome), "rules", "default.rules"),
      lock,
    },
    close: () => file?.close() ?? Promise.resolve(),
  };
}
