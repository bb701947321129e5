/**
 * Parser from tokens to the statements of a rules file.
 *
 * The surface execward evaluates is what real rules files use: calls to the builtins with literal
 * arguments (strings, ints, lists, tuples, dicts, True/False/None), keyword arguments, trailing
 * commas, comments and docstrings. Any other valid Starlark (assignments, operators, loops,
 * comprehensions, nested calls) becomes an `unsupported` statement, which evaluation reports
 * as an error when it reaches it: never silently accepted, never misreported as a syntax error.
 * Text that is not Starlark at all is a located `rules_syntax` error before anything runs, found
 * in codex's order: the first syntax error in the file, then (once the whole file has parsed)
 * misplaced or repeated call arguments. A dict literal repeating a key is an error codex reports
 * only when execution reaches its statement, so it is attached to the statement.
 */
import type { CallArgument, Expression, RulesModule, Statement } from "./ast.js";
import { tokenize, type Token } from "./lexer.js";
import { PolicyError } from "./policy-error.js";
import type { SourceText } from "./source-text.js";
import { NONE } from "./starlark-value.js";

/** Starlark keywords that open a block. */
const COMPOUND_KEYWORDS = new Set(["def", "if", "elif", "else", "for"]);
/** Other Starlark keywords. */
const SIMPLE_KEYWORDS = new Set([
  "and",
  "break",
  "continue",
  "in",
  "lambda",
  "load",
  "not",
  "or",
  "pass",
  "return",
]);
/** Python keywords Starlark reserves; using one is a syntax error. */
const RESERVED_WORDS = new Set([
  "as",
  "assert",
  "async",
  "await",
  "class",
  "del",
  "except",
  "finally",
  "from",
  "global",
  "import",
  "is",
  "nonlocal",
  "raise",
  "try",
  "while",
  "with",
  "yield",
]);
/** Keywords that begin a valid statement execward does not evaluate. */
const UNSUPPORTED_STATEMENT_KEYWORDS = new Set(["load", "return", "break", "continue"]);
/** Keywords that can begin an expression (`not x`, `lambda: x`). */
const EXPRESSION_START_KEYWORDS = new Set(["not", "lambda"]);
const ASSIGNMENT_OPERATORS = new Set([
  "=",
  "+=",
  "-=",
  "*=",
  "/=",
  "//=",
  "%=",
  "&=",
  "|=",
  "^=",
  "<<=",
  ">>=",
]);
const EXPRESSION_OPERATORS = new Set([
  "+",
  "-",
  "*",
  "/",
  "//",
  "%",
  "**",
  "~",
  "&",
  "|",
  "^",
  "<<",
  ">>",
  "<",
  ">",
  "<=",
  ">=",
  "==",
  "!=",
  ".",
  "[",
  "(",
]);
const EXPRESSION_KEYWORDS = new Set([
  "if",
  "else",
  "and",
  "or",
  "in",
  "not",
  "for",
  "is",
  "lambda",
]);

/** Valid Starlark that execward refuses; caught at statement level. */
class Unsupported extends Error {
  constructor(
    readonly what: string,
    readonly offset: number,
  ) {
    super(what);
  }
}

/**
 * Identity of a dict key that is a constant, to spot a repeated key as codex does: by value, with
 * ints and floats compared as numbers (`1` and `1.0` are one key, `1` and `True` are not).
 */
function constantKey(key: Expression): string | undefined {
  if (key.kind === "tuple") {
    const items = key.items.map(constantKey);
    return items.every((item) => item !== undefined) ? `tuple(${items.join(",")})` : undefined;
  }
  if (key.kind !== "literal") return undefined;
  const value = key.value;
  switch (value.type) {
    case "string":
    case "bytes":
      return `${value.type}:${JSON.stringify(value.value)}`;
    case "int":
      return `number:${value.value}`;
    case "float":
      return Number.isInteger(value.value)
        ? `number:${BigInt(value.value)}`
        : `number:${value.value}`;
    case "bool":
      return `bool:${value.value}`;
    case "NoneType":
      return "None";
    case "list":
    case "tuple":
    case "dict":
    case "function":
      return undefined;
  }
}

export function parseRules(source: SourceText): RulesModule {
  return new Parser(source, tokenize(source)).parseModule();
}

class Parser {
  private pos = 0;
  private readonly assignedNames = new Set<string>();
  /** Argument-order errors, reported only if the whole file parses. */
  private readonly argumentErrors: PolicyError[] = [];
  /** Repeated dict keys in the statement being parsed. */
  private repeatedKeyErrors: PolicyError[] = [];

  constructor(
    private readonly source: SourceText,
    private readonly tokens: readonly Token[],
  ) {}

  parseModule(): RulesModule {
    const statements: Statement[] = [];
    let inBlock = false;
    for (;;) {
      const token = this.peek();
      if (token.kind === "eof") break;
      if (token.kind === "newline") {
        this.pos++;
        continue;
      }
      if (token.kind === "indent") {
        if (!inBlock) this.fail(token.offset, "unexpected indentation");
        this.skipStatement();
        continue;
      }
      if (token.kind === "name" && (token.text === "else" || token.text === "elif")) {
        this.keywordMisused(token);
      }
      if (token.kind === "name" && COMPOUND_KEYWORDS.has(token.text)) {
        // `def f():` binds `f` for the rest of the file, as an assignment would.
        const defined = this.peek(1);
        if (token.text === "def" && defined.kind === "name") this.assignedNames.add(defined.text);
        statements.push({
          kind: "unsupported",
          what: `\`${token.text}\` blocks`,
          offset: token.offset,
        });
        inBlock = true;
        this.skipStatement();
        continue;
      }
      inBlock = false;
      // Simple statements, separated by `;` on one line (an optional `;` may end the line).
      for (;;) {
        statements.push(this.parseSimpleStatement());
        const next = this.peek();
        if (next.kind === "newline" || next.kind === "eof") break;
        if (!this.isOp(next, ";")) this.unexpected(next, "the end of the statement");
        this.pos++;
        const after = this.peek();
        if (after.kind === "newline" || after.kind === "eof") break;
      }
    }
    const [argumentError] = this.argumentErrors;
    if (argumentError !== undefined) throw argumentError;
    return { source: this.source, statements, assignedNames: this.assignedNames };
  }

  private parseSimpleStatement(): Statement {
    this.repeatedKeyErrors = [];
    const statement = this.parseSimpleStatementBody();
    const [compileError] = this.repeatedKeyErrors;
    return compileError === undefined || statement.kind === "unsupported"
      ? statement
      : { ...statement, compileError };
  }

  private parseSimpleStatementBody(): Statement {
    const start = this.peek();
    if (start.kind === "name" && start.text === "pass") {
      this.pos++;
      return { kind: "value", expression: undefined, offset: start.offset };
    }
    if (start.kind === "name" && this.isOp(this.peek(1), "=")) this.assignedNames.add(start.text);
    try {
      if (start.kind === "name" && UNSUPPORTED_STATEMENT_KEYWORDS.has(start.text)) {
        throw new Unsupported(`\`${start.text}\` statements`, start.offset);
      }
      if (start.kind === "name" && this.isOp(this.peek(1), "(")) {
        const call = this.parseCall();
        const next = this.peek();
        if (this.isOp(next, "(") || this.isOp(next, "[") || this.isOp(next, ".")) {
          throw new Unsupported("calling, indexing or reading the result of a call", next.offset);
        }
        this.checkNothingFollows(start.offset, "call");
        return call;
      }
      const expression = this.parseValue();
      this.checkNothingFollows(start.offset, expression.kind);
      return { kind: "value", expression, offset: start.offset };
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      this.skipStatement();
      return { kind: "unsupported", what: error.what, offset: error.offset };
    }
  }

  private parseCall(): Statement {
    const callee = this.next();
    this.pos++; // (
    const args: CallArgument[] = [];
    while (!this.isOp(this.peek(), ")")) {
      const token = this.peek();
      if (this.isOp(token, "*") || this.isOp(token, "**")) {
        throw new Unsupported("`*args` and `**kwargs` arguments", token.offset);
      }
      if (token.kind === "name" && this.isOp(this.peek(1), "=")) {
        if (this.isKeyword(token.text)) this.keywordMisused(token);
        this.pos += 2;
        args.push({ name: token.text, value: this.parseValue(), offset: token.offset });
      } else {
        args.push({ value: this.parseValue(), offset: token.offset });
      }
      if (this.isOp(this.peek(), ",")) {
        this.pos++;
        continue;
      }
      if (!this.isOp(this.peek(), ")")) this.unexpected(this.peek(), "`,` or `)`");
    }
    this.pos++; // )
    args.forEach((arg, i) => {
      const earlier = args.slice(0, i);
      if (arg.name === undefined && earlier.some((other) => other.name !== undefined)) {
        this.argumentErrors.push(
          this.error(arg.offset, "positional argument after keyword argument"),
        );
      } else if (arg.name !== undefined && earlier.some((other) => other.name === arg.name)) {
        this.argumentErrors.push(this.error(arg.offset, "repeated named argument"));
      }
    });
    return { kind: "call", callee: callee.text, args, offset: callee.offset };
  }

  /** A literal value: the only expressions execward evaluates as arguments. */
  private parseValue(): Expression {
    const value = this.parseAtom();
    const next = this.peek();
    if (next.kind === "op" && EXPRESSION_OPERATORS.has(next.text)) {
      const what =
        next.text === "("
          ? "calls used as values"
          : next.text === "."
            ? "attribute access"
            : next.text === "["
              ? "indexing"
              : `the \`${next.text}\` operator`;
      throw new Unsupported(what, next.offset);
    }
    if (next.kind === "name" && RESERVED_WORDS.has(next.text)) this.keywordMisused(next);
    if (next.kind === "name" && EXPRESSION_KEYWORDS.has(next.text)) {
      throw new Unsupported(
        next.text === "for" ? "comprehensions" : `the \`${next.text}\` operator`,
        next.offset,
      );
    }
    return value;
  }

  private parseAtom(): Expression {
    const token = this.next();
    switch (token.kind) {
      case "string":
        if (token.unsupportedPrefix !== undefined) {
          throw new Unsupported("f-string replacement fields", token.offset);
        }
        if (this.peek().kind === "string") {
          this.fail(
            this.peek().offset,
            "adjacent string literals are not concatenated in Starlark; use one string",
          );
        }
        return {
          kind: "literal",
          value: { type: token.bytes === true ? "bytes" : "string", value: token.value ?? "" },
          offset: token.offset,
        };
      case "int":
        return {
          kind: "literal",
          value: { type: "int", value: token.intValue ?? 0n },
          offset: token.offset,
        };
      case "float":
        return {
          kind: "literal",
          value: { type: "float", value: Number(token.text) },
          offset: token.offset,
        };
      case "name":
        return this.parseName(token);
      case "op":
        if (token.text === "[") return this.parseList(token);
        if (token.text === "(") return this.parseParenthesized(token);
        if (token.text === "{") return this.parseDict(token);
        if (token.text === "-" || token.text === "+" || token.text === "~") {
          throw new Unsupported(`the unary \`${token.text}\` operator`, token.offset);
        }
        return this.unexpected(token, "an expression");
      case "newline":
      case "indent":
      case "eof":
      case "error":
        return this.unexpected(token, "an expression");
    }
  }

  private parseName(token: Token): Expression {
    switch (token.text) {
      case "None":
        return { kind: "literal", value: NONE, offset: token.offset };
      case "True":
        return { kind: "literal", value: { type: "bool", value: true }, offset: token.offset };
      case "False":
        return { kind: "literal", value: { type: "bool", value: false }, offset: token.offset };
      default:
        if (EXPRESSION_START_KEYWORDS.has(token.text)) {
          throw new Unsupported(`\`${token.text}\` expressions`, token.offset);
        }
        if (this.isKeyword(token.text)) this.keywordMisused(token);
        return { kind: "name", name: token.text, offset: token.offset };
    }
  }

  private parseList(open: Token): Expression {
    const items = this.parseSequence("]");
    return { kind: "list", items, offset: open.offset };
  }

  private parseParenthesized(open: Token): Expression {
    if (this.isOp(this.peek(), ")")) {
      this.pos++;
      return { kind: "tuple", items: [], offset: open.offset };
    }
    const first = this.parseValue();
    if (this.isOp(this.peek(), ")")) {
      this.pos++;
      return first;
    }
    if (!this.isOp(this.peek(), ",")) this.unexpected(this.peek(), "`,` or `)`");
    this.pos++;
    const rest = this.parseSequence(")");
    return { kind: "tuple", items: [first, ...rest], offset: open.offset };
  }

  private parseSequence(close: string): Expression[] {
    const items: Expression[] = [];
    while (!this.isOp(this.peek(), close)) {
      items.push(this.parseValue());
      if (this.isOp(this.peek(), ",")) {
        this.pos++;
        continue;
      }
      if (!this.isOp(this.peek(), close)) this.unexpected(this.peek(), `\`,\` or \`${close}\``);
    }
    this.pos++;
    return items;
  }

  private parseDict(open: Token): Expression {
    const entries: (readonly [Expression, Expression])[] = [];
    while (!this.isOp(this.peek(), "}")) {
      const key = this.parseValue();
      if (!this.isOp(this.peek(), ":")) this.unexpected(this.peek(), "`:`");
      this.pos++;
      entries.push([key, this.parseValue()]);
      if (this.isOp(this.peek(), ",")) {
        this.pos++;
        continue;
      }
      if (!this.isOp(this.peek(), "}")) this.unexpected(this.peek(), "`,` or `}`");
    }
    this.pos++;
    const seen = new Set<string>();
    for (const [key] of entries) {
      const identity = constantKey(key);
      if (identity === undefined) continue;
      if (seen.has(identity)) {
        this.repeatedKeyErrors.push(this.error(key.offset, "dictionary key repeated"));
      }
      seen.add(identity);
    }
    return { kind: "dict", entries, offset: open.offset };
  }

  /**
   * After a complete statement: an assignment to a name or a tuple makes it unsupported Starlark;
   * assigning to a call or a literal, or a trailing comma, makes it a syntax error.
   */
  private checkNothingFollows(statementOffset: number, kind: Expression["kind"] | "call"): void {
    const next = this.peek();
    if (next.kind === "op" && ASSIGNMENT_OPERATORS.has(next.text)) {
      if (kind === "call" || kind === "literal" || kind === "dict") {
        this.fail(statementOffset, "cannot assign to this expression");
      }
      throw new Unsupported("assignments", statementOffset);
    }
    if (next.kind === "op" && next.text === ",") {
      const after = this.peek(1);
      if (after.kind === "newline" || after.kind === "eof" || this.isOp(after, ";")) {
        this.fail(statementOffset, "unparenthesized tuple with a trailing comma");
      }
      throw new Unsupported("tuple expressions", statementOffset);
    }
  }

  /** Skips the rest of an unsupported statement, up to the end of its logical line. */
  private skipStatement(): void {
    while (this.peek().kind !== "newline" && this.peek().kind !== "eof") this.pos++;
    // Whatever the statement is, brackets left open at the end of the file make it invalid.
    const end = this.peek();
    if (end.unclosedBracket !== undefined) this.unexpected(end, "a closing bracket");
  }

  private isKeyword(word: string): boolean {
    return SIMPLE_KEYWORDS.has(word) || COMPOUND_KEYWORDS.has(word) || RESERVED_WORDS.has(word);
  }

  /** A keyword where a name or an expression must be: always a syntax error. */
  private keywordMisused(token: Token): never {
    return this.fail(
      token.offset,
      RESERVED_WORDS.has(token.text)
        ? `\`${token.text}\` is a reserved keyword`
        : `unexpected keyword \`${token.text}\`, expected an expression`,
    );
  }

  private isOp(token: Token | undefined, text: string): boolean {
    return token !== undefined && token.kind === "op" && token.text === text;
  }

  /** The token `ahead` positions on; reaching a lexical error throws it. */
  private peek(ahead = 0): Token {
    const token = this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)] as Token;
    if (token.error !== undefined) throw token.error;
    return token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== "eof") this.pos++;
    return token;
  }

  private unexpected(token: Token, expected: string): never {
    if (token.unclosedBracket !== undefined) {
      const opened = this.source.locate(token.unclosedBracket);
      const bracket = this.source.text[token.unclosedBracket] ?? "(";
      return this.fail(
        token.offset,
        `unexpected end of file: \`${bracket}\` at ${opened.line}:${opened.column} is never closed`,
      );
    }
    const what =
      token.kind === "eof"
        ? "end of file"
        : token.kind === "newline"
          ? "new line"
          : token.kind === "indent"
            ? "indentation"
            : `\`${token.text}\``;
    return this.fail(token.offset, `unexpected ${what}, expected ${expected}`);
  }

  private fail(offset: number, message: string): never {
    throw this.error(offset, message);
  }

  private error(offset: number, message: string): PolicyError {
    return new PolicyError("rules_syntax", message, this.source.locate(offset));
  }
}
