/**
 * The Starlark values a rules file can pass to a builtin, with Starlark's type names (they appear
 * in upstream's error messages: "... (got int)").
 */

export type StarlarkValue =
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "bytes"; readonly value: string }
  | { readonly type: "int"; readonly value: bigint }
  | { readonly type: "float"; readonly value: number }
  | { readonly type: "bool"; readonly value: boolean }
  | { readonly type: "NoneType" }
  | { readonly type: "list"; readonly items: readonly StarlarkValue[] }
  | { readonly type: "tuple"; readonly items: readonly StarlarkValue[] }
  | {
      readonly type: "dict";
      readonly entries: readonly (readonly [StarlarkValue, StarlarkValue])[];
    }
  | { readonly type: "function"; readonly name: string };

export const NONE: StarlarkValue = { type: "NoneType" };

/** Starlark's `type(x)` spelling, used in "(got T)" messages. */
export function starlarkTypeName(value: StarlarkValue): string {
  return value.type;
}

/** Starlark's `repr(x)`, as shown in argument type errors ("actual `string (repr: "git")`"). */
export function starlarkRepr(value: StarlarkValue): string {
  switch (value.type) {
    case "string":
      return quoteRepr(value.value);
    case "bytes":
      return `b${quoteRepr(value.value)}`;
    case "int":
      return value.value.toString();
    case "float":
      return Number.isInteger(value.value) ? value.value.toFixed(1) : String(value.value);
    case "bool":
      return value.value ? "True" : "False";
    case "NoneType":
      return "None";
    case "list":
      return `[${value.items.map(starlarkRepr).join(", ")}]`;
    case "tuple":
      return value.items.length === 1
        ? `(${starlarkRepr(value.items[0] as StarlarkValue)},)`
        : `(${value.items.map(starlarkRepr).join(", ")})`;
    case "dict":
      return `{${value.entries.map(([k, v]) => `${starlarkRepr(k)}: ${starlarkRepr(v)}`).join(", ")}}`;
    case "function":
      return value.name;
  }
}

function quoteRepr(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}
