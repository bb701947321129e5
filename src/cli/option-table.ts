/**
 * The one command-line parser: a declarative option table per (sub)command, from which both the
 * parsing and the TypeScript type of the options object are derived, so no command reads an
 * option by a string name or casts a value after validating it.
 *
 * Semantics: options first, then the command after `--` (or from the first token that is not an
 * option); nothing after the command's first token is ever read as an option of ours. Unknown
 * options, missing values, a value on a flag, a value outside `choices` and a single-valued option
 * given twice are usage errors (ExecwardError code "usage"); `values` options accumulate.
 *
 * HOW TO ADD AN OPTION: add one entry to the command's table (e.g. RUN_OPTIONS in
 * run-options.ts), keyed by its long name without dashes:
 *     "audit-log": { kind: "value", arg: "FILE", help: "Append one JSON line per decision." },
 *     verbose: { kind: "flag", short: "v", help: "Log every decision to stderr." },
 * The typed field appears by itself on the options object, camel-cased: `options.auditLog`
 * (string | undefined), `options.verbose` (boolean); a `values` option is a readonly string[],
 * a `choices` option is the union of its choices, and one with a `default` is never undefined.
 * The help text lists table entries in order, from `arg` and `help`. The command's runner gets
 * the typed object (runRun(options, ...), runMcp(options, ...)) and reads `options.auditLog`.
 * An option of both `run` and `mcp` (e.g. `--config FILE`) goes in a shared table spread into
 * both, as sandbox-option-table.ts and network-option-table.ts are; a test in
 * test/unit/cli/command-options.test.ts counts the entries so a name clash cannot hide one.
 * A check the table cannot express (a number, a combination) goes in the command's
 * parse*CommandLine (run-options.ts...) or its runner, as `throw usage("...")`.
 */
import { ExecwardError } from "../errors.js";

export interface FlagOption {
  readonly kind: "flag";
  readonly short?: string;
  readonly help: string | readonly string[];
}

export interface ValueOption {
  /** "value": at most once; "values": repeatable, accumulated in order. */
  readonly kind: "value" | "values";
  readonly short?: string;
  /** The placeholder shown in help, e.g. FILE. */
  readonly arg: string;
  readonly choices?: readonly string[];
  /** Only for "value": used when the option is absent. */
  readonly default?: string;
  readonly help: string | readonly string[];
}

export type OptionDecl = FlagOption | ValueOption;
export type OptionTable = Readonly<Record<string, OptionDecl>>;

type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;
type ValueType<D> = D extends { readonly choices: readonly (infer C)[] } ? C : string;
type FieldType<D> = D extends { readonly kind: "flag" }
  ? boolean
  : D extends { readonly kind: "values" }
    ? readonly ValueType<D>[]
    : D extends { readonly default: string }
      ? ValueType<D>
      : ValueType<D> | undefined;

/** The typed options object a table produces. */
export type OptionsOf<T extends OptionTable> = {
  readonly [K in keyof T & string as CamelCase<K>]: FieldType<T[K]>;
};

export interface ParsedArgs<T extends OptionTable> {
  readonly options: OptionsOf<T>;
  /** The command's words, untouched (everything from `--` or the first non-option on). */
  readonly rest: readonly string[];
}

export function usage(message: string): ExecwardError {
  return new ExecwardError("usage", message);
}

export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function parseArgs<T extends OptionTable>(argv: readonly string[], table: T): ParsedArgs<T> {
  const entries = Object.entries(table);
  const seen = new Map<string, string[]>();
  const flags = new Set<string>();
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") break;
    const long = arg.startsWith("--");
    const eq = long ? arg.indexOf("=") : -1;
    const key = long ? arg.slice(2, eq < 0 ? undefined : eq) : arg.slice(1);
    const found = entries.find(([name, decl]) => (long ? name === key : decl.short === key));
    if (found === undefined)
      throw usage(`unknown option ${long && eq >= 0 ? arg.slice(0, eq) : arg}`);
    const [name, decl] = found;
    if (decl.kind === "flag") {
      if (eq >= 0) throw usage(`--${name} takes no value`);
      flags.add(name);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw usage(`--${name} needs a value (${decl.arg})`);
    if (decl.choices !== undefined && !decl.choices.includes(value))
      throw usage(`--${name} must be ${listOr(decl.choices)} (got ${value})`);
    const list = seen.get(name) ?? [];
    if (decl.kind === "value" && list.length > 0) throw usage(`--${name} given twice`);
    list.push(value);
    seen.set(name, list);
  }
  const options: Record<string, unknown> = {};
  for (const [name, decl] of entries) {
    const field = camelCase(name);
    if (decl.kind === "flag") options[field] = flags.has(name);
    else if (decl.kind === "values") options[field] = seen.get(name) ?? [];
    else options[field] = seen.get(name)?.[0] ?? decl.default;
  }
  return { options: options as OptionsOf<T>, rest: argv.slice(i) };
}

function listOr(items: readonly string[]): string {
  return items.length <= 1
    ? (items[0] ?? "")
    : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1] ?? ""}`;
}

/** The help lines for a table, descriptions starting at `column`. */
export function optionsHelp(table: OptionTable, column: number): string {
  const pad = " ".repeat(column);
  return Object.entries(table)
    .map(([name, decl]) => {
      const short = decl.short === undefined ? "    " : `-${decl.short}, `;
      const arg = decl.kind === "flag" ? "" : ` <${decl.arg}>`;
      const head = `  ${short}--${name}${arg}`;
      const lines = typeof decl.help === "string" ? [decl.help] : decl.help;
      const first =
        head.length + 1 <= column ? head.padEnd(column) + lines[0] : `${head}\n${pad}${lines[0]}`;
      return [first, ...lines.slice(1).map((line) => pad + line)].join("\n");
    })
    .join("\n")
    .concat("\n");
}
