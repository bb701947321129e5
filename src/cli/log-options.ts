/**
 * `execward log`'s command line: its option table, help and the --since parser (declarations
 * and pure parsing only). See option-table.ts for how to add an option.
 */
import { optionsHelp, parseArgs, usage, type OptionsOf } from "./option-table.js";

const HELP_COLUMN = 26;

export const LOG_OPTIONS = {
  denied: { kind: "flag", help: "Only denials (exec and network)." },
  escalated: { kind: "flag", help: "Only programs run outside the sandbox." },
  since: {
    kind: "value",
    arg: "WHEN",
    help: "Only records from WHEN on: an ISO 8601 time, or an age (30s, 10m, 2h, 7d).",
  },
  json: { kind: "flag", help: "Print the matching records as they are (JSON lines)." },
  help: { kind: "flag", short: "h", help: "Print this help." },
} as const;

export type LogOptions = OptionsOf<typeof LOG_OPTIONS>;

export const LOG_HELP = `Usage: execward log [OPTIONS] [FILE]

Show an audit log written with --audit-log (without FILE: the audit_log of
$CODEX_HOME/execward.toml): time, decision, program and arguments, the rule's file:line, who
approved. Records from inside the sandbox (the hook's fast path) are marked as
its claims. --denied and --escalated together show both.

Options:
${optionsHelp(LOG_OPTIONS, HELP_COLUMN)}`;

export type LogCommandLine =
  | { readonly help: true }
  | {
      readonly help: false;
      readonly options: LogOptions;
      /** Absent: the settings file's audit_log. */
      readonly file: string | undefined;
      /** Epoch milliseconds, from --since. */
      readonly since: number | undefined;
    };

export function parseLogCommandLine(argv: readonly string[], now = Date.now()): LogCommandLine {
  const { options, rest } = parseArgs(argv, LOG_OPTIONS);
  if (options.help) return { help: true };
  if (rest.length > 1) throw usage(`one audit log at a time (got ${rest.length} files)`);
  const since = options.since === undefined ? undefined : parseSince(options.since, now);
  return { help: false, options, file: rest[0], since };
}

/** `WHEN` as epoch milliseconds: an ISO 8601 time, or an age before `now`. */
export function parseSince(when: string, now: number): number {
  const age = /^(\d+)(s|m|h|d)$/.exec(when);
  if (age !== null) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
      age[2] as "s" | "m" | "h" | "d"
    ];
    return now - Number(age[1]) * unit;
  }
  const time = /^\d{4}-\d{2}-\d{2}/.test(when) ? Date.parse(when) : Number.NaN;
  if (Number.isNaN(time))
    throw usage(`--since must be an ISO 8601 time or an age like 10m, 2h, 7d (got ${when})`);
  return time;
}
