/**
 * Evaluates rules files, one after another, into one Policy.
 *
 * Files are evaluated in order into a shared builder, like codex: a file's statements run top to
 * bottom and the first error stops everything; names that do not exist are reported before any
 * statement runs, a statement's compile error (a dict literal repeating a key) just before it
 * runs; each `prefix_rule`'s `match` / `not_match` examples are checked when its file
 * has been evaluated completely (so a later error in the same file wins), against the rules of
 * that call only, with host-executable resolution on. A builder whose `addFile` threw must not be
 * used further: the caller reports the error and loads nothing.
 */
import type { Expression, RulesModule } from "./ast.js";
import {
  BUILTIN_NAMES,
  callHostExecutable,
  callNetworkRule,
  callPrefixRule,
  type PrefixRuleCall,
} from "./builtins.js";
import type { PathContext } from "./host-executable.js";
import type { NetworkRule } from "./network-rule.js";
import { parseRules } from "./parser.js";
import { Policy } from "./policy.js";
import { PolicyError, type SourceLocation } from "./policy-error.js";
import { debugPrefixRule, debugPrefixRuleMatch, withSource, type RuleSource } from "./rule.js";
import { RuleIndex } from "./rule-index.js";
import { rustDebugStringList } from "./rust-debug.js";
import { shlexJoin } from "./shlex.js";
import { SourceText } from "./source-text.js";
import type { StarlarkValue } from "./starlark-value.js";

/** Names of Starlark's standard library: valid names that execward does not evaluate. */
const STARLARK_GLOBALS = new Set([
  "abs",
  "all",
  "any",
  "bool",
  "chr",
  "dict",
  "dir",
  "enumerate",
  "fail",
  "float",
  "getattr",
  "hasattr",
  "hash",
  "int",
  "len",
  "list",
  "max",
  "min",
  "ord",
  "range",
  "repr",
  "reversed",
  "sorted",
  "str",
  "tuple",
  "type",
  "zip",
]);

interface PendingValidation extends PrefixRuleCall {
  /** Where the call is; computed only for an error (columns cost a scan of the line). */
  readonly locate: () => SourceLocation;
}

export class PolicyBuilder {
  private readonly index = new RuleIndex();
  private readonly networkRules: NetworkRule[] = [];
  private readonly hostExecutables = new Map<string, string[]>();
  private readonly paths: PathContext;

  /** `paths` resolves relative program paths in `match` / `not_match` examples. */
  constructor(paths: PathContext) {
    this.paths = paths;
  }

  /**
   * Parses and evaluates one file; throws a located PolicyError. `sourceFile` is what rules
   * record as their origin (default `path`; the loader gives the absolute path).
   */
  addFile(path: string, text: string, sourceFile = path): void {
    const module = parseRules(new SourceText(path, text));
    checkNames(module);
    const pending: PendingValidation[] = [];
    for (const statement of module.statements) {
      const locate = (): SourceLocation => module.source.locate(statement.offset);
      const source = { file: sourceFile, line: module.source.lineOf(statement.offset) };
      if (statement.kind !== "unsupported" && statement.compileError !== undefined) {
        throw statement.compileError;
      }
      switch (statement.kind) {
        case "unsupported":
          throw unsupported(statement.what, locate());
        case "value":
          if (statement.expression !== undefined) evaluate(module, statement.expression);
          break;
        case "call": {
          const args = statement.args.map((arg) => ({
            ...arg,
            evaluated: evaluate(module, arg.value),
          }));
          try {
            this.call(statement.callee, args, locate, pending, source);
          } catch (error) {
            throw error instanceof PolicyError ? error.at(locate()) : error;
          }
          break;
        }
      }
    }
    for (const validation of pending) this.validate(validation);
  }

  build(): Policy {
    return new Policy(this.index, [...this.networkRules], new Map(this.hostExecutables));
  }

  private call(
    callee: string,
    args: Parameters<typeof callPrefixRule>[0],
    locate: () => SourceLocation,
    pending: PendingValidation[],
    source: RuleSource,
  ): void {
    switch (callee) {
      case "prefix_rule": {
        const call = callPrefixRule(args);
        if (call.matches.length > 0 || call.notMatches.length > 0)
          pending.push({ ...call, locate });
        for (const rule of call.rules) this.index.add(withSource({ ...rule }, source));
        return;
      }
      case "network_rule":
        this.networkRules.push(withSource({ ...callNetworkRule(args) }, source));
        return;
      case "host_executable": {
        const { name, paths } = callHostExecutable(args);
        this.hostExecutables.set(name, paths);
        return;
      }
      default:
        throw unsupported(`calling \`${callee}\``, locate());
    }
  }

  private validate(validation: PendingValidation): void {
    const index = new RuleIndex();
    for (const rule of validation.rules) index.add(rule);
    const policy = new Policy(index, [], this.hostExecutables);
    const options = { resolveHostExecutables: this.paths };
    for (const example of validation.notMatches) {
      const [match] = policy.matches(example, options);
      if (match !== undefined) {
        throw new PolicyError(
          "example_did_match",
          `expected example to not match rule \`${debugPrefixRuleMatch(match)}\`: ${renderExample(example)}`,
          validation.locate(),
        );
      }
    }
    const unmatched = validation.matches.filter(
      (example) => policy.matches(example, options).length === 0,
    );
    if (unmatched.length > 0) {
      throw new PolicyError(
        "example_did_not_match",
        `expected every example to match at least one rule. rules: ${rustDebugStringList(
          validation.rules.map(debugPrefixRule),
        )}; unmatched examples: ${rustDebugStringList(unmatched.map(renderExample))}`,
        validation.locate(),
      );
    }
  }
}

function renderExample(example: readonly string[]): string {
  return shlexJoin(example) ?? "unable to render example";
}

/** Codex resolves names before running anything: an unknown name fails the file up front. */
function checkNames(module: RulesModule): void {
  const known = (name: string): boolean =>
    BUILTIN_NAMES.has(name) || STARLARK_GLOBALS.has(name) || module.assignedNames.has(name);
  const visit = (expression: Expression): void => {
    switch (expression.kind) {
      case "name":
        if (!known(expression.name)) {
          throw new PolicyError(
            "rules_name_not_found",
            `Variable \`${expression.name}\` not found`,
            module.source.locate(expression.offset),
          );
        }
        return;
      case "list":
      case "tuple":
        expression.items.forEach(visit);
        return;
      case "dict":
        for (const [key, value] of expression.entries) {
          visit(key);
          visit(value);
        }
        return;
      case "literal":
        return;
    }
  };
  for (const statement of module.statements) {
    if (statement.kind === "call") {
      visit({ kind: "name", name: statement.callee, offset: statement.offset });
      for (const arg of statement.args) visit(arg.value);
    } else if (statement.kind === "value" && statement.expression !== undefined) {
      visit(statement.expression);
    }
  }
}

function evaluate(module: RulesModule, expression: Expression): StarlarkValue {
  switch (expression.kind) {
    case "literal":
      return expression.value;
    case "list":
      return { type: "list", items: expression.items.map((item) => evaluate(module, item)) };
    case "tuple":
      return { type: "tuple", items: expression.items.map((item) => evaluate(module, item)) };
    case "dict":
      return {
        type: "dict",
        entries: expression.entries.map(
          ([k, v]) => [evaluate(module, k), evaluate(module, v)] as const,
        ),
      };
    case "name":
      if (BUILTIN_NAMES.has(expression.name) || STARLARK_GLOBALS.has(expression.name)) {
        return { type: "function", name: expression.name };
      }
      throw unsupported(
        `the variable \`${expression.name}\` (variables are not evaluated)`,
        module.source.locate(expression.offset),
      );
  }
}

function unsupported(what: string, location: SourceLocation): PolicyError {
  return new PolicyError(
    "rules_unsupported",
    `unsupported Starlark: ${what}; execward evaluates calls to prefix_rule, network_rule and ` +
      "host_executable with literal arguments (strings, lists, numbers, True/False/None)",
    location,
  );
}
