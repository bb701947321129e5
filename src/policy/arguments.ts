/**
 * Binding a builtin call's arguments to its parameters, with Starlark's rules and messages.
 *
 * Order of checks, as codex's Starlark runtime does them: too many positional arguments, a
 * parameter given twice, a missing required parameter, unknown keywords, then each parameter's
 * type in declaration order. `None` is not accepted for optional parameters.
 */
import type { CallArgument } from "./ast.js";
import { PolicyError } from "./policy-error.js";
import { starlarkRepr, starlarkTypeName, type StarlarkValue } from "./starlark-value.js";

/** The Starlark type a parameter accepts: `str`, `list` or `bool`. */
export type ParameterType = "str" | "list" | "bool";

export interface ParameterSpec {
  readonly name: string;
  readonly type: ParameterType;
  readonly required: boolean;
}

export interface BuiltinSpec {
  readonly name: string;
  readonly parameters: readonly ParameterSpec[];
}

const ACCEPTS: Readonly<Record<ParameterType, StarlarkValue["type"]>> = {
  str: "string",
  list: "list",
  bool: "bool",
};

/** Argument values by parameter name; absent parameters are missing from the map. */
export type BoundArguments = ReadonlyMap<string, StarlarkValue>;

export function bindArguments(
  spec: BuiltinSpec,
  args: readonly (CallArgument & { readonly evaluated: StarlarkValue })[],
): BoundArguments {
  const bound = new Map<string, StarlarkValue>();
  const positional = args.filter((arg) => arg.name === undefined);
  if (positional.length > spec.parameters.length) {
    throw argumentError(
      `Found ${positional.length - spec.parameters.length} extra positional argument(s) for call to ${spec.name}`,
    );
  }
  positional.forEach((arg, i) =>
    bound.set((spec.parameters[i] as ParameterSpec).name, arg.evaluated),
  );

  const unknown: string[] = [];
  for (const arg of args) {
    if (arg.name === undefined) continue;
    if (!spec.parameters.some((parameter) => parameter.name === arg.name)) {
      unknown.push(arg.name);
    } else if (bound.has(arg.name)) {
      throw argumentError(`Argument \`${arg.name}\` occurs more than once`);
    } else {
      bound.set(arg.name, arg.evaluated);
    }
  }
  const missing = spec.parameters.find(
    (parameter) => parameter.required && !bound.has(parameter.name),
  );
  if (missing !== undefined) {
    throw argumentError(`Missing parameter \`${missing.name}\` for call to \`${spec.name}\``);
  }
  if (unknown.length > 0) {
    const names = unknown.map((name) => `\`${name}\``).join(" ");
    throw argumentError(`Found ${names} extra named parameter(s) for call to ${spec.name}`);
  }
  for (const parameter of spec.parameters) {
    const value = bound.get(parameter.name);
    if (value !== undefined && value.type !== ACCEPTS[parameter.type]) {
      throw argumentError(
        `Type of parameter \`${parameter.name}\` doesn't match, expected \`${parameter.type}\`, ` +
          `actual \`${starlarkTypeName(value)} (repr: ${starlarkRepr(value)})\``,
      );
    }
  }
  return bound;
}

/** The string value of a bound `str` parameter, if given. */
export function stringArgument(bound: BoundArguments, name: string): string | undefined {
  const value = bound.get(name);
  return value?.type === "string" ? value.value : undefined;
}

/** The items of a bound `list` parameter, if given. */
export function listArgument(
  bound: BoundArguments,
  name: string,
): readonly StarlarkValue[] | undefined {
  const value = bound.get(name);
  return value?.type === "list" ? value.items : undefined;
}

function argumentError(detail: string): PolicyError {
  return new PolicyError("rules_argument", detail);
}
