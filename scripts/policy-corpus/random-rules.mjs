/**
 * Random rules and the commands to check against them: patterns with alternatives, commands
 * that match or almost match, path spellings of programs, `match` / `not_match` examples.
 */
import {
  ARGS,
  DECISIONS,
  JUSTIFICATIONS,
  ODD_TOKENS,
  PROGRAMS,
  SUBCOMMANDS,
} from "./vocabulary.mjs";

export function subcommandsOf(program) {
  return SUBCOMMANDS[program] ?? ARGS;
}

export function randomToken(r, program, odd = 0.05) {
  if (r.chance(odd)) return r.pick(ODD_TOKENS);
  return r.chance(0.6) ? r.pick(subcommandsOf(program)) : r.pick(ARGS);
}

/** A random pattern: program (or alternatives) then 0..3 tokens, some alternatives. */
export function randomPattern(r, options = {}) {
  const program = options.program ?? r.pick(PROGRAMS);
  const pattern = [];
  if (r.chance(options.firstAlternatives ?? 0.12)) {
    const alternatives = [
      program,
      ...r.sample(
        PROGRAMS.filter((p) => p !== program),
        r.int(1, 2),
      ),
    ];
    pattern.push(alternatives);
  } else {
    pattern.push(program);
  }
  const length =
    options.length ??
    r.weighted([
      [3, 0],
      [6, 1],
      [3, 2],
      [1, 3],
    ]);
  for (let i = 0; i < length; i++) {
    if (r.chance(options.laterAlternatives ?? 0.2)) {
      const alternatives = [
        ...new Set([randomToken(r, program), randomToken(r, program), randomToken(r, program)]),
      ];
      pattern.push(
        alternatives.length === 1 ? [alternatives[0], `${alternatives[0]}-x`] : alternatives,
      );
    } else {
      pattern.push(randomToken(r, program, options.odd ?? 0.05));
    }
  }
  return pattern;
}

export function programsOf(pattern) {
  return typeof pattern[0] === "string" ? [pattern[0]] : pattern[0];
}

/** A command matching `pattern`, plus `extra` trailing tokens. */
export function instantiate(r, pattern, extra = r.int(0, 2)) {
  const command = pattern.map((el) => (typeof el === "string" ? el : r.pick(el)));
  const program = command[0];
  for (let i = 0; i < extra; i++) command.push(randomToken(r, program, 0.1));
  return command;
}

/** A command that differs from `pattern` (wrong token somewhere, or too short). */
export function mutate(r, pattern) {
  const command = instantiate(r, pattern, 0);
  const choice = r.int(0, 3);
  if (choice === 0 && command.length > 1) return command.slice(0, r.int(1, command.length - 1));
  const at = r.int(0, command.length - 1);
  const taken = new Set(pattern.flatMap((el) => (typeof el === "string" ? [el] : el)));
  let replacement = r.pick([...ARGS, ...PROGRAMS, "other", "Git", "STATUS"]);
  for (let i = 0; i < 10 && taken.has(replacement); i++)
    replacement = r.pick([...ARGS, ...PROGRAMS, "zzz"]);
  command[at] = taken.has(replacement) ? "zzz-none" : replacement;
  return command;
}

export function randomCase(r) {
  return (token) => {
    if (token.length === 0) return token;
    switch (r.int(0, 3)) {
      case 0:
        return token.toUpperCase();
      case 1:
        return token[0].toUpperCase() + token.slice(1);
      case 2:
        return [...token].map((c) => (r.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join("");
      default:
        return token;
    }
  };
}

/** A path spelling of `program` that resolves (with cwd `/`, HOME fixed) to something ending in it. */
export function programPath(r, program) {
  return r.pick([
    `/usr/bin/${program}`,
    `/usr/local/bin/${program}`,
    `/opt/homebrew/bin/${program}`,
    `./${program}`,
    `bin/${program}`,
    `~/${program}`,
    `~/bin/${program}`,
    `~/bin/../${program}`,
    `//usr/bin/${program}`,
    `/usr/bin/${program}/`,
    `/usr/./bin/${program}`,
    `/usr/bin/../bin/${program}`,
    `${program}/`,
    `/${program}`,
    `../${program}`,
    `~root/${program}`,
    `./././${program}`,
    `/usr/bin//${program}`,
  ]);
}

/** Examples that should match `pattern` (as a string or a token list). */
export function matchingExample(r, pattern, canonical) {
  let tokens = instantiate(r, pattern, r.int(0, 2));
  if (canonical && r.chance(0.5)) tokens = tokens.map(randomCase(r));
  if (r.chance(0.1)) tokens[0] = programPath(r, tokens[0]);
  return asExample(r, tokens);
}

export function nonMatchingExample(r, pattern) {
  return asExample(r, mutate(r, pattern));
}

/** Writes tokens as a shell-words string when that is easy, otherwise as a list. */
export function asExample(r, tokens) {
  if (tokens.every((t) => /^[A-Za-z0-9_./:=@%+-]+$/.test(t)) && r.chance(0.6)) {
    return tokens.join(r.pick([" ", " ", "  ", "\t"]));
  }
  if (r.chance(0.3) && tokens.every((t) => !t.includes("'") && !t.includes("\0"))) {
    return tokens.map((t) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(t) ? t : `'${t}'`)).join(" ");
  }
  return tokens;
}

export function randomRule(r, options = {}) {
  const pattern = options.pattern ?? randomPattern(r, options);
  const rule = { pattern };
  if (options.decision !== undefined) rule.decision = options.decision;
  else if (r.chance(0.75)) rule.decision = r.pick(DECISIONS);
  if (r.chance(options.justification ?? 0.4)) rule.justification = r.pick(JUSTIFICATIONS);
  if (options.canonical !== undefined) rule.canonical = options.canonical;
  else if (r.chance(0.03)) rule.canonical = false;
  if (r.chance(options.examples ?? 0.3)) {
    rule.match = Array.from({ length: r.int(1, 3) }, () =>
      matchingExample(r, pattern, rule.canonical),
    );
  }
  if (r.chance(options.examples ?? 0.3)) {
    rule.notMatch = Array.from({ length: r.int(1, 2) }, () => nonMatchingExample(r, pattern));
  }
  return rule;
}

/** A command for a set of rules: usually one that matches some rule, sometimes not. */
export function commandFor(r, rules) {
  const withPatterns = rules.filter((rule) => rule.pattern !== undefined);
  if (withPatterns.length === 0 || r.chance(0.12)) {
    return instantiate(r, [r.pick(PROGRAMS)], r.int(0, 3));
  }
  const rule = r.pick(withPatterns);
  if (r.chance(0.2)) return mutate(r, rule.pattern);
  return instantiate(r, rule.pattern, r.int(0, 3));
}
