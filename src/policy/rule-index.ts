/**
 * The lookup structure behind policy evaluation: rules keyed by program, then a token trie.
 *
 * Evaluation cost depends on the command's length, not on how many rules a policy has: a
 * command walks one path of single-token edges plus the alternative sets that contain its token.
 * Rules declared with `canonical_matching=True` live in a second trie over case-folded tokens.
 * Matches come back in codex's order: rules whose program is spelled exactly like the command's
 * first token, in definition order, then case-insensitive matches spelled differently (codex
 * leaves the order of that second group to a hash map; here it is definition order).
 */
import { foldCase } from "./case-fold.js";
import type { PatternToken, PrefixRule } from "./rule.js";

interface TrieNode {
  /** Indices of rules whose pattern ends at this depth. */
  readonly terminals: number[];
  readonly next: Map<string, TrieNode>;
  /** Positions held by alternatives, one entry per distinct set. */
  readonly alternatives: { readonly tokens: ReadonlySet<string>; readonly node: TrieNode }[];
  readonly alternativesByKey: Map<string, TrieNode>;
}

function createNode(): TrieNode {
  return { terminals: [], next: new Map(), alternatives: [], alternativesByKey: new Map() };
}

/** Rules whose alternatives multiply to at most this many paths are indexed path by path. */
const MAX_EXPANDED_PATHS = 64;

function insert(
  roots: Map<string, TrieNode>,
  program: string,
  rest: readonly PatternToken[],
  index: number,
): void {
  let root: TrieNode | undefined = roots.get(program);
  if (root === undefined) {
    root = createNode();
    roots.set(program, root);
  }
  let paths = 1;
  for (const token of rest) paths *= token.kind === "single" ? 1 : new Set(token.tokens).size;
  if (paths <= MAX_EXPANDED_PATHS) insertExpanded(root, rest, 0, index);
  else insertWithAlternatives(root, rest, index);
}

/** Indexes every concrete token path of the rule, so lookups are one map access per token. */
function insertExpanded(
  node: TrieNode,
  rest: readonly PatternToken[],
  position: number,
  index: number,
): void {
  const token = rest[position];
  if (token === undefined) {
    node.terminals.push(index);
    return;
  }
  const tokens = token.kind === "single" ? [token.token] : [...new Set(token.tokens)];
  for (const value of tokens) {
    let child = node.next.get(value);
    if (child === undefined) {
      child = createNode();
      node.next.set(value, child);
    }
    insertExpanded(child, rest, position + 1, index);
  }
}

/** For rules with many alternatives: alternative sets are edges, scanned at lookup. */
function insertWithAlternatives(
  root: TrieNode,
  rest: readonly PatternToken[],
  index: number,
): void {
  let node = root;
  for (const token of rest) {
    if (token.kind === "single") {
      let child: TrieNode | undefined = node.next.get(token.token);
      if (child === undefined) {
        child = createNode();
        node.next.set(token.token, child);
      }
      node = child;
    } else {
      const key = JSON.stringify(token.tokens);
      let child: TrieNode | undefined = node.alternativesByKey.get(key);
      if (child === undefined) {
        child = createNode();
        node.alternativesByKey.set(key, child);
        node.alternatives.push({ tokens: new Set(token.tokens), node: child });
      }
      node = child;
    }
  }
  node.terminals.push(index);
}

function collect(node: TrieNode, command: readonly string[], depth: number, found: number[]): void {
  for (const index of node.terminals) found.push(index);
  if (depth >= command.length) return;
  const token = command[depth] as string;
  const child = node.next.get(token);
  if (child !== undefined) collect(child, command, depth + 1, found);
  for (const alternative of node.alternatives) {
    if (alternative.tokens.has(token)) collect(alternative.node, command, depth + 1, found);
  }
}

function foldToken(token: PatternToken): PatternToken {
  return token.kind === "single"
    ? { kind: "single", token: foldCase(token.token) }
    : { kind: "alternatives", tokens: token.tokens.map(foldCase) };
}

export class RuleIndex {
  private readonly rules: PrefixRule[] = [];
  private readonly exact = new Map<string, TrieNode>();
  private readonly folded = new Map<string, TrieNode>();

  add(rule: PrefixRule): void {
    const index = this.rules.length;
    this.rules.push(rule);
    if (rule.canonical)
      insert(this.folded, foldCase(rule.program), rule.rest.map(foldToken), index);
    else insert(this.exact, rule.program, rule.rest, index);
  }

  /** Whether any rule could match a command whose first token is `program`. */
  hasProgram(program: string): boolean {
    return this.exact.has(program) || (this.folded.size > 0 && this.folded.has(foldCase(program)));
  }

  get size(): number {
    return this.rules.length;
  }

  /** Every rule in the order added. */
  all(): readonly PrefixRule[] {
    return this.rules;
  }

  /** Rules matching `command` (whose first token is the program), in codex's order. */
  matching(command: readonly string[]): PrefixRule[] {
    const program = command[0];
    if (program === undefined) return [];
    const found: number[] = [];
    const exactRoot = this.exact.get(program);
    if (exactRoot !== undefined) collect(exactRoot, command, 1, found);
    if (this.folded.size > 0) {
      const foldedRoot = this.folded.get(foldCase(program));
      if (foldedRoot !== undefined) collect(foldedRoot, command.map(foldCase), 1, found);
    }
    if (found.length > 1) {
      const group = (index: number): number =>
        (this.rules[index] as PrefixRule).program === program ? 0 : 1;
      found.sort((a, b) => group(a) - group(b) || a - b);
    }
    return found.map((index) => this.rules[index] as PrefixRule);
  }
}
