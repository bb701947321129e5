/**
 * A small, strict command-line parser: options first, then the command after `--` (or from the
 * first token that is not an option). Unknown options and missing values are usage errors;
 * nothing after the command's first token is ever read as an option of ours.
 */
import { ExecwardError } from "../errors.js";

export interface OptionSpec {
  /** Long name without dashes. */
  readonly name: string;
  readonly short?: string;
  readonly kind: "flag" | "value" | "values";
}

export interface ParsedCommandLine {
  readonly flags: ReadonlySet<string>;
  readonly values: ReadonlyMap<string, readonly string[]>;
  readonly rest: readonly string[];
}

export function parseCommandLine(
  argv: readonly string[],
  specs: readonly OptionSpec[],
): ParsedCommandLine {
  const flags = new Set<string>();
  const values = new Map<string, string[]>();
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") break;
    const eq = arg.indexOf("=");
    const key = arg.startsWith("--") ? arg.slice(2, eq < 0 ? undefined : eq) : arg.slice(1);
    const spec = specs.find((s) => (arg.startsWith("--") ? s.name === key : s.short === key));
    if (spec === undefined) throw usage(`unknown option ${arg.slice(0, eq < 0 ? undefined : eq)}`);
    if (spec.kind === "flag") {
      if (eq >= 0) throw usage(`--${spec.name} takes no value`);
      flags.add(spec.name);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0 && arg.startsWith("--")) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined) throw usage(`--${spec.name} needs a value`);
    const list = values.get(spec.name) ?? [];
    if (spec.kind === "value" && list.length > 0) throw usage(`--${spec.name} given twice`);
    list.push(value);
    values.set(spec.name, list);
  }
  return { flags, values, rest: argv.slice(i) };
}

export function usage(message: string): ExecwardError {
  return new ExecwardError("usage", message);
}
