/**
 * Parser from tokens to the statements of a rules file.
 *
 * The surface execward evaluates is what real rules files use: calls to the builtins with literal
 * arguments (strings, ints, lists, tuples, dicts, True/False/None), keyword arguments, trailing
 * commas, comments and docstrings. Any other valid Starlark (assignments, operators, loops,
 * comprehensions, nested calls) becomes an `unsupported` statement, which evaluation reports
 * as an error when it reaches it: never silently accepted, never misreported as a syntax error.
 * Text that is not Starlark at all is a located `rules_syntax` error before anything runs.
 */
import type { CallArgument, Expression, RulesModule, Statement } from "./ast.js";
import { tokenize, type Token } from "./lexer.js";
import { PolicyError } from "./policy-error.js";
import type { SourceText } from "./source-text.js";
import { NONE } from "./starlark-value.js";

/** Starlark keywords that open a block. */
const COMPOUND_KEYWORDS = new Set(["def", "if", "elif", "else", "for", "while"]);
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
  "with",
  "yield",
]);
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
class Unsupported {
  constructor(
    readonly what: string,
    readonly offset: number,
  ) {}
}

export function parseRules(source: SourceText): RulesModule {
  return new Parser(source, tokenize(source)).parseModule();
}

class Parser {
  private pos = 0;
  private readonly assignedNames = new Set<string>();

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
      if (token.kind === "newline" || this.isOp(token, ";")) {
        this.pos++;
        continue;
      }
      if (token.kind === "indent") {
        if (!inBlock) this.fail(token.offset, "unexpected indentation");
        this.skipStatement();
        continue;
      }
      if (token.kind === "name" && COMPOUND_KEYWORDS.has(token.text)) {
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
      statements.push(this.parseSimpleStatement());
      this.expectStatementEnd();
    }
    return { source: this.source, statements, assignedNames: this.assignedNames };
  }

  private parseSimpleStatement(): Statement {
    const start = this.peek();
    if (start.kind === "name" && start.text === "pass") {
      this.pos++;
      return { kind: "value", expression: undefined, offset: start.offset };
    }
    if (start.kind === "name" && this.isOp(this.peek(1), "=")) this.assignedNames.add(start.text);
    try {
      if (start.kind === "name" && SIMPLE_KEYWORDS.has(start.text)) {
        throw new Unsupported(`\`${start.text}\` statements`, start.offset);
      }
      if (start.kind === "name" && this.isOp(this.peek(1), "(")) {
        const call = this.parseCall();
        this.checkNothingFollows(start.offset);
        return call;
      }
      const expression = this.parseValue();
      this.checkNothingFollows(start.offset);
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
    let sawKeyword = false;
    while (!this.isOp(this.peek(), ")")) {
      const token = this.peek();
      if (this.isOp(token, "*") || this.isOp(token, "**")) {
        throw new Unsupported("`*args` and `**kwargs` arguments", token.offset);
      }
      if (token.kind === "name" && this.isOp(this.peek(1), "=") && !this.isKeyword(token.text)) {
        this.pos += 2;
        if (args.some((arg) => arg.name === token.text)) {
          this.fail(token.offset, "repeated named argument");
        }
        args.push({ name: token.text, value: this.parseValue(), offset: token.offset });
        sawKeyword = true;
      } else {
        if (sawKeyword) this.fail(token.offset, "positional argument after keyword argument");
        args.push({ value: this.parseValue(), offset: token.offset });
      }
      if (this.isOp(this.peek(), ",")) {
        this.pos++;
        continue;
      }
      if (!this.isOp(this.peek(), ")")) this.unexpected(this.peek(), "`,` or `)`");
    }
    this.pos++; // )
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
        if (RESERVED_WORDS.has(token.text))
          this.fail(token.offset, `\`${token.text}\` is a reserved keyword`);
        if (SIMPLE_KEYWORDS.has(token.text) || COMPOUND_KEYWORDS.has(token.text)) {
          throw new Unsupported(`\`${token.text}\` expressions`, token.offset);
        }
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
    return { kind: "dict", entries, offset: open.offset };
  }

  /** After a complete statement: an operator or assignment makes it unsupported Starlark. */
  private checkNothingFollows(statementOffset: number): void {
    const next = this.peek();
    if (next.kind === "op" && ASSIGNMENT_OPERATORS.has(next.text)) {
      throw new Unsupported("assignments", statementOffset);
    }
    if (next.kind === "op" && next.text === ",") {
      throw new Unsupported("tuple expressions", statementOffset);
    }
  }

  private expectStatementEnd(): void {
    const next = this.peek();
    if (next.kind === "newline" || next.kind === "eof" || this.isOp(next, ";")) return;
    this.unexpected(next, "the end of the statement");
  }

  /** Skips to the end of the current logical line (brackets never span statements here). */
  private skipStatement(): void {
    while (this.peek().kind !== "newline" && this.peek().kind !== "eof") this.pos++;
  }

  private isKeyword(word: string): boolean {
    return SIMPLE_KEYWORDS.has(word) || COMPOUND_KEYWORDS.has(word) || RESERVED_WORDS.has(word);
  }

  private isOp(token: Token | undefined, text: string): boolean {
    return token !== undefined && token.kind === "op" && token.text === text;
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== "eof") this.pos++;
    return token;
  }

  private unexpected(token: Token, expected: string): never {
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
    throw new PolicyError("rules_syntax", message, this.source.locate(offset));
  }
}
