/**
 * Warnings for `allow` rules that cannot be as narrow as they look.
 *
 * Guards the user against a false sense of safety (invariant E3, issue 16): an `allow` rule runs
 * its program outside the sandbox, and some programs, by design, run code chosen by their
 * working directory (a Makefile, package.json, Cargo.toml, conftest.py), by their arguments (an
 * interpreter's script, a wrapper's command, `find -exec`) or by configuration the sandboxed
 * command can write. Whatever the rule's prefix, the sandboxed command can then make the escalated
 * program run anything on the host. execward cannot make such a rule safe; it says so. (git is
 * handled at escalation time, see src/escalation/git-exposure.ts; only a rule that allows every
 * git command is warned about here.)
 *
 * Pure: rules, or a rules file's text, in; warnings out. The file-level lint re-reads the
 * `prefix_rule` calls with their locations; it expects a file that loads (loadPolicy reports
 * the errors of one that does not).
 */
import type { Expression, Statement } from "./ast.js";
import { callPrefixRule } from "./builtins.js";
import { parseRules } from "./parser.js";
import type { SourceLocation } from "./policy-error.js";
import type { PatternToken, PrefixRule } from "./rule.js";
import { SourceText } from "./source-text.js";
import type { StarlarkValue } from "./starlark-value.js";

export interface LintWarning {
  readonly location: SourceLocation;
  /** The rule's pattern for display: `make test`, `npm [run|test]`. */
  readonly pattern: string;
  readonly program: string;
  /** Why the program cannot be confined by a prefix rule. */
  readonly reason: string;
}

interface LauncherFamily {
  readonly names: RegExp;
  readonly reason: (program: string) => string;
}

const WORKDIR = "which the sandboxed command can write";

/** Programs that run code from their working directory, arguments or environment, by design. */
const LAUNCHERS: readonly LauncherFamily[] = [
  {
    names: /^g?make$|^(cmake|ninja|meson|scons|just|task|bazel|bazelisk|buck2?)$/,
    reason: (p) => `${p} runs the commands of the build files in its working directory, ${WORKDIR}`,
  },
  {
    names: /^(gradlew?|mvnw?|ant|sbt|lein|mix|rake|dotnet|msbuild|xcodebuild|swift)$/,
    reason: (p) =>
      `${p} runs the build scripts and plugins of the project it is run in, ${WORKDIR}`,
  },
  {
    names: /^(cargo|go|cabal|stack)$/,
    reason: (p) =>
      `${p} builds and runs the project's code (build scripts, tests, generators, \`run\`), ${WORKDIR}`,
  },
  {
    names: /^(npm|npx|yarn|yarnpkg|pnpm|pnpx|bun|bunx|deno|corepack)$/,
    reason: (p) =>
      `${p} runs package scripts and install hooks from package.json and node_modules, ${WORKDIR}`,
  },
  {
    names:
      /^(pip[0-9.]*|pipx|uv|uvx|poetry|pdm|hatch|tox|nox|pytest|py\.test|gem|bundle|bundler|composer|nix|nix-shell)$/,
    reason: (p) =>
      `${p} runs project code (setup scripts, conftest.py, Gemfile, composer scripts...) from its working directory, ${WORKDIR}`,
  },
  {
    names:
      /^(python|pypy|perl|ruby|php|lua)[0-9.]*$|^(pythonw|node|nodejs|luajit|Rscript|R|julia|tclsh|wish|java|jshell|osascript|irb|erl|escript|ghci|runghc|guile|racket|sbcl|clisp)$/,
    reason: (p) =>
      `${p} is an interpreter: it runs whatever script or code its arguments name, and modules from its working directory, ${WORKDIR}`,
  },
  {
    names:
      /^(sh|bash|dash|zsh|fish|ksh|mksh|pdksh|csh|tcsh|ash|busybox|pwsh|powershell|rc|es|xonsh|nu)$/,
    reason: (p) => `${p} is a shell: it runs whatever command or script its arguments give it`,
  },
  {
    names: /^(g|m|n)?awk$|^sed$|^(vim?|nvim|ex|emacs)$/,
    reason: (p) =>
      `${p} can run commands from its script or arguments (system(), the e command, :!), outside the sandbox`,
  },
  {
    names:
      /^(env|xargs|sudo|doas|su|runuser|pkexec|nice|nohup|timeout|time|stdbuf|setsid|flock|chroot|unshare|nsenter|chrt|ionice|taskset|watch|script|expect|parallel|entr|strace|ltrace|gdb|lldb|valgrind|perf|systemd-run|tmux|screen|exec|command|builtin|eval|xdg-open|firejail)$/,
    reason: (p) =>
      `${p} runs another program named by its arguments, outside the sandbox, and the rule does not judge that program`,
  },
  {
    names: /^find$/,
    reason: () =>
      "find runs programs with -exec / -execdir / -ok, and deletes or writes files anywhere with -delete / -fprint, outside the sandbox",
  },
  {
    names: /^(ssh|scp|sftp|rsync)$/,
    reason: (p) =>
      `${p} runs local programs named by its options or configuration (ProxyCommand, LocalCommand, -S, -e)`,
  },
  {
    names: /^(tar|zip|unzip|bsdtar)$/,
    reason: (p) =>
      `${p} runs programs named by its options (--to-command, --use-compress-program, -I, checkpoint actions, -TT) and writes files anywhere`,
  },
  {
    names: /^(docker|podman|nerdctl|ctr|buildah|lxc)$/,
    reason: (p) =>
      `${p} starts containers with host access chosen by its arguments (a bind mount of /, --privileged), and builds run Dockerfiles from the working directory`,
  },
];

/** kubectl subcommands that run commands in a cluster, or the whole tool. */
const KUBECTL_EXEC = new Set(["exec", "run", "debug", "attach", "cp", "plugin"]);

/**
 * Why an `allow` rule for this program and pattern cannot be confined, or undefined. Paths are
 * judged by their file name (`/usr/bin/make` is make).
 */
export function launcherReason(program: string, rest: readonly PatternToken[]): string | undefined {
  const name = program.slice(program.lastIndexOf("/") + 1);
  if (name === "git") {
    const first = rest[0];
    const words = first === undefined ? [] : first.kind === "single" ? [first.token] : first.tokens;
    // `git -C dir`, `git -c k=v`: a global option first leaves the subcommand free.
    return first === undefined || words.some((word) => word.startsWith("-"))
      ? "a rule for every git command allows `git -c core.pager=...`, aliases and hooks, which run any program; allow the subcommands you mean (git status, git diff)"
      : undefined;
  }
  if (name === "kubectl" || name === "oc") {
    const first = rest[0];
    const words = first === undefined ? [] : first.kind === "single" ? [first.token] : first.tokens;
    const runs = first === undefined || words.some((word) => KUBECTL_EXEC.has(word));
    return runs
      ? `${name} exec / run / debug run commands in the cluster, and plugins run local programs`
      : undefined;
  }
  return LAUNCHERS.find((family) => family.names.test(name))?.reason(name);
}

/** The warning for one rule, located at `location`; undefined when the rule is fine. */
export function lintPrefixRule(
  rule: PrefixRule,
  location: SourceLocation,
): LintWarning | undefined {
  if (rule.decision !== "allow") return undefined;
  const reason = launcherReason(rule.program, rule.rest);
  if (reason === undefined) return undefined;
  return { location, pattern: displayPattern(rule), program: rule.program, reason };
}

/** Every warning for the `prefix_rule` calls of one rules file, in file order. */
export function lintRulesText(path: string, text: string): LintWarning[] {
  const module = parseRules(new SourceText(path, text));
  const warnings: LintWarning[] = [];
  for (const statement of module.statements) {
    const call = prefixRuleArguments(statement);
    if (call === undefined) continue;
    const location = module.source.locate(statement.offset);
    for (const rule of callPrefixRule(call).rules) {
      const warning = lintPrefixRule(rule, location);
      if (warning !== undefined) warnings.push(warning);
    }
  }
  return warnings;
}

/** `file:line: warning: allow rule for "make test" runs make outside the sandbox: <reason>`. */
export function formatLintWarning(warning: LintWarning): string {
  const { location } = warning;
  return (
    `${location.path}:${String(location.line)}: warning: allow rule for ` +
    `${JSON.stringify(warning.pattern)} runs ${warning.program} outside the sandbox: ${warning.reason}`
  );
}

function displayPattern(rule: PrefixRule): string {
  return [
    rule.program,
    ...rule.rest.map((token) =>
      token.kind === "single" ? token.token : `[${token.tokens.join("|")}]`,
    ),
  ].join(" ");
}

type EvaluatedArgument = Parameters<typeof callPrefixRule>[0][number];

/** A `prefix_rule(...)` call's arguments when they are all literals; undefined otherwise. */
function prefixRuleArguments(statement: Statement): EvaluatedArgument[] | undefined {
  if (statement.kind !== "call" || statement.callee !== "prefix_rule") return undefined;
  const args: EvaluatedArgument[] = [];
  for (const arg of statement.args) {
    const evaluated = literal(arg.value);
    if (evaluated === undefined) return undefined;
    args.push({ ...arg, evaluated });
  }
  return args;
}

function literal(expression: Expression): StarlarkValue | undefined {
  switch (expression.kind) {
    case "literal":
      return expression.value;
    case "list":
    case "tuple": {
      const items = expression.items.map(literal);
      if (items.some((item) => item === undefined)) return undefined;
      return { type: expression.kind, items: items as StarlarkValue[] };
    }
    case "dict":
    case "name":
      return undefined;
  }
}
