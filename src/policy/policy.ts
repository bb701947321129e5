/**
 * An immutable, loaded policy and its evaluation, with codex execpolicy's semantics.
 *
 * `evaluate` returns every matching rule and the strictest decision (`allow < prompt <
 * forbidden`); `decision` is undefined when no rule matches, and what that means (run in the
 * sandbox, ask...) is the caller's business. With `resolveHostExecutables`, a program path that
 * no rule names exactly (`/usr/bin/git`, `./git`) is retried as its basename, and each rule found
 * that way counts only if the policy lists no host executables for the rule's program or lists
 * this very path: the gate that keeps a writable `/tmp/git` from inheriting trust given to `git`.
 */
import { stricterDecision, type Decision } from "./decision.js";
import { pathFileName, resolveProgramPath, type PathContext } from "./host-executable.js";
import type { NetworkRule } from "./network-rule.js";
import { createPrefixRuleMatch, type PrefixRule, type PrefixRuleMatch } from "./rule.js";
import { RuleIndex } from "./rule-index.js";

export interface MatchOptions {
  /**
   * Let program paths match rules for their basename, gated by `host_executable` lists; relative
   * paths resolve against `paths.cwd`, `~` against `paths.home`.
   */
  readonly resolveHostExecutables?: PathContext;
}

export interface Evaluation {
  readonly matchedRules: readonly PrefixRuleMatch[];
  /** The strictest decision among `matchedRules`; undefined when nothing matched. */
  readonly decision: Decision | undefined;
}

export interface NetworkDomains {
  readonly allowed: readonly string[];
  readonly denied: readonly string[];
}

export class Policy {
  private readonly index: RuleIndex;
  readonly networkRules: readonly NetworkRule[];
  /** Allowed absolute paths per executable name, from `host_executable`. */
  readonly hostExecutables: ReadonlyMap<string, readonly string[]>;

  constructor(
    index: RuleIndex,
    networkRules: readonly NetworkRule[],
    hostExecutables: ReadonlyMap<string, readonly string[]>,
  ) {
    this.index = index;
    this.networkRules = networkRules;
    this.hostExecutables = hostExecutables;
  }

  static empty(): Policy {
    return new Policy(new RuleIndex(), [], new Map());
  }

  /** This policy plus `rules` (defined last): how an "always" answer applies at once. */
  withPrefixRules(rules: readonly PrefixRule[]): Policy {
    const index = new RuleIndex();
    for (const rule of [...this.prefixRules, ...rules]) index.add(rule);
    return new Policy(index, this.networkRules, this.hostExecutables);
  }

  /** The prefix rules, in the order they were defined. */
  get prefixRules(): readonly PrefixRule[] {
    return this.index.all();
  }

  evaluate(command: readonly string[], options: MatchOptions = {}): Evaluation {
    const matchedRules = this.matches(command, options);
    let decision: Decision | undefined;
    for (const match of matchedRules) {
      decision =
        decision === undefined ? match.decision : stricterDecision(decision, match.decision);
    }
    return { matchedRules, decision };
  }

  matches(command: readonly string[], options: MatchOptions = {}): PrefixRuleMatch[] {
    const exact = this.index.matching(command);
    if (exact.length > 0) {
      return exact.map((rule) =>
        createPrefixRuleMatch(rule, command.slice(0, rule.rest.length + 1)),
      );
    }
    const paths = options.resolveHostExecutables;
    return paths === undefined ? [] : this.matchHostExecutable(command, paths);
  }

  private matchHostExecutable(command: readonly string[], paths: PathContext): PrefixRuleMatch[] {
    const program = command[0];
    if (program === undefined) return [];
    const resolved = resolveProgramPath(program, paths);
    const basename = resolved === undefined ? undefined : pathFileName(resolved);
    if (resolved === undefined || basename === undefined || !this.index.hasProgram(basename)) {
      return [];
    }
    const basenameCommand = [basename, ...command.slice(1)];
    return this.index
      .matching(basenameCommand)
      .filter((rule) => this.hostExecutables.get(rule.program)?.includes(resolved) ?? true)
      .map((rule) =>
        createPrefixRuleMatch(rule, basenameCommand.slice(0, rule.rest.length + 1), resolved),
      );
  }

  /**
   * Domains allowed and denied by `network_rule`s, in rule order: a later rule for the same host
   * overrides an earlier one; `prompt` rules leave a host on neither list.
   */
  compiledNetworkDomains(): NetworkDomains {
    const allowed: string[] = [];
    const denied: string[] = [];
    const move = (host: string, to: string[], from: string[]): void => {
      for (const list of [to, from]) {
        const at = list.indexOf(host);
        if (at >= 0) list.splice(at, 1);
      }
      to.push(host);
    };
    for (const rule of this.networkRules) {
      if (rule.decision === "allow") move(rule.host, allowed, denied);
      else if (rule.decision === "forbidden") move(rule.host, denied, allowed);
    }
    return { allowed, denied };
  }
}
