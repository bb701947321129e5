/**
 * The syntax tree of a rules file: the statements execward evaluates, and placeholders for the
 * valid Starlark it deliberately refuses (reported when evaluation reaches them, so errors come
 * in the same order as in codex, which evaluates statements top to bottom).
 */
import type { PolicyError } from "./policy-error.js";
import type { StarlarkValue } from "./starlark-value.js";
import type { SourceText } from "./source-text.js";

export type Expression =
  | { readonly kind: "literal"; readonly value: StarlarkValue; readonly offset: number }
  | { readonly kind: "list"; readonly items: readonly Expression[]; readonly offset: number }
  | { readonly kind: "tuple"; readonly items: readonly Expression[]; readonly offset: number }
  | {
      readonly kind: "dict";
      readonly entries: readonly (readonly [Expression, Expression])[];
      readonly offset: number;
    }
  | { readonly kind: "name"; readonly name: string; readonly offset: number };

export interface CallArgument {
  /** Keyword name, absent for a positional argument. */
  readonly name?: string;
  readonly value: Expression;
  readonly offset: number;
}

export type Statement =
  | {
      readonly kind: "call";
      readonly callee: string;
      readonly args: readonly CallArgument[];
      /** Offset of the callee's name: where codex points its errors. */
      readonly offset: number;
      /**
       * What codex finds when it compiles this statement, just before running it (a dict literal
       * repeating a key): earlier statements run, and fail, first.
       */
      readonly compileError?: PolicyError;
    }
  /** An expression without effect (a docstring, `None`, `pass`). */
  | {
      readonly kind: "value";
      readonly expression: Expression | undefined;
      readonly offset: number;
      readonly compileError?: PolicyError;
    }
  | { readonly kind: "unsupported"; readonly what: string; readonly offset: number };

export interface RulesModule {
  readonly source: SourceText;
  readonly statements: readonly Statement[];
  /** Names the file assigns somewhere (in statements execward refuses to evaluate). */
  readonly assignedNames: ReadonlySet<string>;
}
