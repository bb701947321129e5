/**
 * The environment an escalated program gets: execward's own (the user's, as execward was
 * started), plus a short allow-list of presentation variables taken from the request.
 *
 * Guards the escalation invariant E1: nothing the sandboxed command controls steers what runs
 * outside. A deny-list cannot do that (HOME, XDG_CONFIG_HOME, GIT_DIR, GIT_TRACE, TAR_OPTIONS,
 * PATH... every program has its own), so the request's environment is ignored except for:
 * - locale, terminal, colour, time zone and size variables, each with a value that can only
 *   name a setting, never a file (no `/` in a locale or TERM, no absolute or `..` time zone), so
 *   `LC_ALL=/tmp/evil` cannot load a sandbox-written locale;
 * - names the user adds (`--escalation-env NAME`), passed as they are.
 * Names in a request are checked first: empty, containing `=` or NUL is a malformed request
 * (`PYTHONPATH=/tmp/p` as a name would otherwise smuggle a variable in), which ends the session.
 */
import { ExecwardError } from "../errors.js";

/** Values that name a setting: letters, digits and `_ . @ - + ,`. */
const SETTING_VALUE = /^[\w.@+,-]*$/;
/** A time zone: `UTC`, `Europe/Paris`, `:Europe/Paris`, `EST5EDT`, `UTC+2`; no `..`, not absolute. */
const TIME_ZONE_VALUE = /^:?(?!.*\.\.)[\w+,-]+(?:\/[\w+.,-]+)*$/;
const DIGITS = /^\d{1,6}$/;

const ALLOWED_FROM_REQUEST: ReadonlyMap<string, RegExp> = new Map([
  ["LANG", SETTING_VALUE],
  ["LANGUAGE", /^[\w.@:-]*$/],
  ["LC_ALL", SETTING_VALUE],
  ["LC_CTYPE", SETTING_VALUE],
  ["LC_COLLATE", SETTING_VALUE],
  ["LC_MESSAGES", SETTING_VALUE],
  ["LC_NUMERIC", SETTING_VALUE],
  ["LC_TIME", SETTING_VALUE],
  ["LC_MONETARY", SETTING_VALUE],
  ["TERM", SETTING_VALUE],
  ["COLORTERM", SETTING_VALUE],
  ["NO_COLOR", SETTING_VALUE],
  ["CLICOLOR", SETTING_VALUE],
  ["CLICOLOR_FORCE", SETTING_VALUE],
  ["TZ", TIME_ZONE_VALUE],
  ["COLUMNS", DIGITS],
  ["LINES", DIGITS],
]);

/** The variables an escalated program may take from its request (documented in docs/escalation.md). */
export const REQUEST_ENV_ALLOW_LIST: readonly string[] = [...ALLOWED_FROM_REQUEST.keys()];

export interface EscalatedEnvInput {
  /** execward's own environment (the user's), as the command was started. */
  readonly base: Readonly<Record<string, string>>;
  /** The request's environment (the sandboxed process's). */
  readonly requested: Readonly<Record<string, string>>;
  /** Names the user allowed to pass from the request, values unchecked. */
  readonly extraNames?: readonly string[];
  /** The escalated program's working directory (for PWD). */
  readonly workdir: string;
}

/** Throws `malformed_request` for a name no real environment can hold. */
export function checkEnvNames(env: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(env)) {
    if (name === "" || name.includes("=") || name.includes("\0") || value.includes("\0")) {
      throw new ExecwardError(
        "malformed_request",
        `the request's environment has an invalid variable name ${JSON.stringify(name)} (empty, or containing "=" or NUL)`,
      );
    }
  }
}

export function escalatedEnv(input: EscalatedEnvInput): Record<string, string> {
  const env: Record<string, string> = { ...input.base };
  for (const [name, value] of requestOverrides(input)) env[name] = value;
  return env;
}

/** What the request changes in the base, in the order set (a name set again keeps its place): the allowed variables, then PWD. */
export function requestOverrides(input: Omit<EscalatedEnvInput, "base">): Map<string, string> {
  const overrides = new Map<string, string>();
  for (const [name, value] of Object.entries(input.requested)) {
    const shape = ALLOWED_FROM_REQUEST.get(name);
    if (shape !== undefined ? shape.test(value) : input.extraNames?.includes(name) === true)
      overrides.set(name, value);
  }
  overrides.set("PWD", input.workdir);
  return overrides;
}

/** What of an exec request the escalated environment depends on. */
export interface EscalationEnvRequest {
  readonly env: Readonly<Record<string, string>>;
  readonly workdir: string;
  readonly inspection?: { readonly host?: { readonly workdirPath: string } | undefined };
}

/** The environment function for one command: `base` (execward's own) plus allowed request variables. */
export function escalationEnvFor(
  base: Readonly<Record<string, string>>,
  extraNames: readonly string[] = [],
): (request: EscalationEnvRequest) => Record<string, string> {
  return (request) =>
    escalatedEnv({
      base,
      requested: request.env,
      extraNames,
      workdir: request.inspection?.host?.workdirPath ?? request.workdir,
    });
}
