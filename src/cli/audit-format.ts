/**
 * One audit record as a line for a human (`execward log`, `execward run --verbose`): time,
 * decision, program and arguments, rule file:line, who approved, and whose claim it is. Text
 * that came from the command (program, arguments, reasons) is escaped so a log line cannot
 * repaint the terminal.
 */
import { displayCommand, escapeForDisplay } from "../approval/display.js";
import type { AuditRecord } from "../exec/audit-record.js";

export function formatAuditRecord(record: AuditRecord, options: { time?: boolean } = {}): string {
  const time = options.time === false ? "" : `${record.time} `;
  if (record.kind === "dropped")
    return `${time}DROPPED  ${record.count} record(s): ${escapeForDisplay(record.reason)}`;
  const decision = record.decision.toUpperCase().padEnd(8);
  const approval =
    record.approval === null
      ? ""
      : `  [${escapeForDisplay(record.approval.via)}: ${escapeForDisplay(record.approval.answer)}${record.approval.wrote === undefined ? "" : `, wrote ${escapeForDisplay(record.approval.wrote)}`}]`;
  if (record.kind === "network") {
    return `${time}${decision} net ${escapeForDisplay(`${record.protocol}://${record.host}:${record.port}`)}  (${escapeForDisplay(record.reason)})${approval}`;
  }
  const rule =
    record.rule === null
      ? ""
      : `  rule ${escapeForDisplay(`${record.rule.file}:${record.rule.line}`)}`;
  const claim =
    record.reported_by === "sandbox"
      ? "  (claimed by the sandbox)"
      : record.reported_by === "backstop"
        ? "  (seen by the backstop)"
        : "";
  const why =
    record.decision === "run" && record.reported_by !== "server"
      ? ""
      : `  (${escapeForDisplay(record.reason)})`;
  return `${time}${decision} ${displayCommand(record.program, record.argv.slice(1))}${rule}${approval}${why}${claim}`;
}
