/**
 * What an escalated git's command line and environment say about where it will look: the
 * directory it starts in (`-C`, cumulative), an explicit repository (`--git-dir`, `GIT_DIR`),
 * work tree, configuration given on the command line (`-c`, `--config-env`, `GIT_CONFIG_COUNT`,
 * `GIT_CONFIG_PARAMETERS`), and the configuration files it will read instead of the defaults
 * (`GIT_CONFIG_GLOBAL`, `GIT_CONFIG_SYSTEM`, `GIT_CONFIG_NOSYSTEM`).
 *
 * Guards git-exposure.ts against judging a different repository than the one git uses. It
 * follows git.c's handle_options(): global options are read up to the first word that is not
 * one; an option this module does not know makes the invocation `uncertain` (the caller then
 * fails closed) rather than guessed at. Pure: argv, env and a directory in, a plan out; how a
 * directory change is resolved is the caller's (`changeDirectory`, lexical by default; git
 * itself goes through symlinks, which git-exposure.ts follows on the file system).
 */
import path from "node:path";

import type { GitConfigEntry } from "./git-config-file.js";

export interface GitInvocation {
  /** Absolute directory git starts from, after every `-C`. */
  readonly startDir: string;
  /** Absolute `--git-dir` / `GIT_DIR` (the option wins), relative ones resolved from `startDir`. */
  readonly gitDir: string | undefined;
  readonly workTree: string | undefined;
  /** `GIT_COMMON_DIR`, absolute. */
  readonly commonDir: string | undefined;
  /** `--exec-path=<dir>` or `GIT_EXEC_PATH`: where git finds its helper programs. */
  readonly execPath: string | undefined;
  /** `-c`, `--config-env`, `GIT_CONFIG_PARAMETERS` and `GIT_CONFIG_COUNT` entries. */
  readonly commandLineConfig: readonly GitConfigEntry[];
  /** The global configuration files git reads, in order (none when HOME is unset). */
  readonly globalConfigFiles: readonly string[];
  /** The system configuration file, undefined with `GIT_CONFIG_NOSYSTEM`. */
  readonly systemConfigFile: string | undefined;
  /** The subcommand, if any (`status`); undefined for `git --version` and the like. */
  readonly subcommand: string | undefined;
  /** Why the invocation could not be read with confidence; undefined when it could. */
  readonly uncertain: string | undefined;
}

/** The system configuration of Debian's, Fedora's and Alpine's git (`$(prefix)/etc/gitconfig`). */
export const DEFAULT_SYSTEM_GIT_CONFIG = "/etc/gitconfig";

/** Global options without a value (git.c handle_options, git 2.39-2.50). */
const FLAG_OPTIONS = new Set([
  "-p",
  "--paginate",
  "-P",
  "--no-pager",
  "--no-replace-objects",
  "--bare",
  "--literal-pathspecs",
  "--no-literal-pathspecs",
  "--glob-pathspecs",
  "--noglob-pathspecs",
  "--icase-pathspecs",
  "--no-optional-locks",
  "--no-lazy-fetch",
  "--no-advice",
  "--html-path",
  "--man-path",
  "--info-path",
  "--version",
  "-v",
  "--help",
  "-h",
]);

/** Global options taking a value, as `--opt value` or `--opt=value`. */
const VALUE_OPTIONS = new Set([
  "--git-dir",
  "--work-tree",
  "--namespace",
  "--super-prefix",
  "--shallow-file",
  "--attr-source",
  "--config-env",
  "--list-cmds",
]);

const TRUE_WORDS = new Set(["1", "true", "yes", "on"]);

/** Where `cd to` from `from` (absolute) lands; `to` may be relative or absolute. */
export type ChangeDirectory = (from: string, to: string) => string;

export function readGitInvocation(
  argv: readonly string[],
  workdir: string,
  env: Readonly<Record<string, string>>,
  changeDirectory: ChangeDirectory = (from, to) => path.resolve(from, to),
): GitInvocation {
  let startDir = changeDirectory("/", workdir);
  let gitDirOption: string | undefined;
  let workTreeOption: string | undefined;
  let execPath = env.GIT_EXEC_PATH;
  let bare = false;
  let uncertain: string | undefined;
  const commandLineConfig: GitConfigEntry[] = [];
  const noteUncertain = (why: string): void => {
    uncertain ??= why;
  };

  const addConfig = (spec: string, value: string | null): void => {
    const entry = configEntry(spec, value);
    if (entry === undefined) noteUncertain(`cannot read the configuration ${JSON.stringify(spec)}`);
    else commandLineConfig.push(entry);
  };

  fromEnvironment(env, addConfig, noteUncertain);

  let i = 1;
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("-")) break;
    if (arg === "--") {
      noteUncertain("`--` before git's subcommand");
      break;
    }
    if (arg === "-C" || arg === "-c") {
      const value = argv[++i];
      if (value === undefined) {
        noteUncertain(`${arg} without a value`);
        break;
      }
      if (arg === "-C") {
        if (value !== "") startDir = changeDirectory(startDir, value);
      } else {
        const eq = value.indexOf("=");
        addConfig(eq < 0 ? value : value.slice(0, eq), eq < 0 ? null : value.slice(eq + 1));
      }
      continue;
    }
    if (arg === "--exec-path" || FLAG_OPTIONS.has(arg)) {
      if (arg === "--bare") bare = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg : arg.slice(0, eq);
    if (name === "--exec-path") {
      execPath = arg.slice(eq + 1);
      continue;
    }
    if (!VALUE_OPTIONS.has(name)) {
      noteUncertain(`unknown git option ${JSON.stringify(name)}`);
      break;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined) {
      noteUncertain(`${name} without a value`);
      break;
    }
    if (name === "--git-dir") gitDirOption = value;
    else if (name === "--work-tree") workTreeOption = value;
    else if (name === "--config-env") {
      const at = value.indexOf("=");
      const source = at < 0 ? undefined : env[value.slice(at + 1)];
      if (at <= 0 || source === undefined) noteUncertain(`--config-env ${JSON.stringify(value)}`);
      else addConfig(value.slice(0, at), source);
    }
  }
  const subcommand = argv[i];

  const resolveFromStart = (p: string | undefined): string | undefined =>
    p === undefined || p === "" ? undefined : changeDirectory(startDir, p);
  // `--bare` sets GIT_DIR to the starting directory unless one was given.
  const gitDir =
    resolveFromStart(gitDirOption) ??
    (bare && env.GIT_DIR === undefined ? startDir : resolveFromStart(env.GIT_DIR));

  return {
    startDir,
    gitDir,
    workTree: resolveFromStart(workTreeOption ?? env.GIT_WORK_TREE),
    commonDir: resolveFromStart(env.GIT_COMMON_DIR),
    execPath: resolveFromStart(execPath),
    commandLineConfig,
    globalConfigFiles: globalConfigFiles(env),
    systemConfigFile: TRUE_WORDS.has((env.GIT_CONFIG_NOSYSTEM ?? "").toLowerCase())
      ? undefined
      : (nonEmpty(env.GIT_CONFIG_SYSTEM) ?? DEFAULT_SYSTEM_GIT_CONFIG),
    subcommand,
    uncertain,
  };
}

/** git's global configuration files: `GIT_CONFIG_GLOBAL`, or the XDG file and `~/.gitconfig`. */
export function globalConfigFiles(env: Readonly<Record<string, string>>): readonly string[] {
  const override = env.GIT_CONFIG_GLOBAL;
  if (override !== undefined) return override === "" ? [] : [override];
  const home = nonEmpty(env.HOME);
  const xdg = nonEmpty(env.XDG_CONFIG_HOME);
  const files: string[] = [];
  if (xdg !== undefined) files.push(path.join(xdg, "git", "config"));
  else if (home !== undefined) files.push(path.join(home, ".config", "git", "config"));
  if (home !== undefined) files.push(path.join(home, ".gitconfig"));
  return files;
}

function fromEnvironment(
  env: Readonly<Record<string, string>>,
  addConfig: (spec: string, value: string | null) => void,
  noteUncertain: (why: string) => void,
): void {
  const parameters = env.GIT_CONFIG_PARAMETERS;
  if (parameters !== undefined && parameters.trim() !== "") {
    const words = splitSingleQuoted(parameters);
    if (words === undefined) noteUncertain("cannot read GIT_CONFIG_PARAMETERS");
    else {
      // `'key'='value'` pairs (git >= 2.31) come out as one word "key=value" here; old
      // `'key=value'` words too; a key alone is a boolean.
      for (const word of words) {
        const eq = word.indexOf("=");
        addConfig(eq < 0 ? word : word.slice(0, eq), eq < 0 ? null : word.slice(eq + 1));
      }
    }
  }
  const count = env.GIT_CONFIG_COUNT;
  if (count !== undefined && count !== "") {
    const n = /^\d{1,4}$/.test(count) ? Number(count) : Number.NaN;
    if (Number.isNaN(n)) noteUncertain("cannot read GIT_CONFIG_COUNT");
    for (let k = 0; k < (Number.isNaN(n) ? 0 : n); k++) {
      const key = env[`GIT_CONFIG_KEY_${String(k)}`];
      const value = env[`GIT_CONFIG_VALUE_${String(k)}`];
      if (key === undefined || value === undefined) noteUncertain(`GIT_CONFIG_KEY_${String(k)}`);
      else addConfig(key, value);
    }
  }
}

/** `section[.subsection].key` and a value as a config entry, through the file parser. */
function configEntry(spec: string, value: string | null): GitConfigEntry | undefined {
  const firstDot = spec.indexOf(".");
  const lastDot = spec.lastIndexOf(".");
  if (firstDot <= 0 || lastDot === spec.length - 1) return undefined;
  const section = spec.slice(0, firstDot);
  const key = spec.slice(lastDot + 1);
  if (!/^[A-Za-z0-9-]+$/.test(section) || !/^[A-Za-z][A-Za-z0-9-]*$/.test(key)) return undefined;
  return {
    section: section.toLowerCase(),
    subsection: firstDot === lastDot ? undefined : spec.slice(firstDot + 1, lastDot),
    key: key.toLowerCase(),
    value,
    line: 0,
  };
}

/** Git's sq_dequote_to_argv: words in single quotes, `'\''`-style escapes, blanks between. */
function splitSingleQuoted(text: string): string[] | undefined {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === " " || text[i] === "\t") i++;
    if (i >= text.length) break;
    let word = "";
    // A word is one or more single-quoted pieces, joined by `\x` escapes or by `=`.
    do {
      if (text[i] === "'") {
        const end = text.indexOf("'", i + 1);
        if (end < 0) return undefined;
        word += text.slice(i + 1, end);
        i = end + 1;
      } else if (text[i] === "\\" && i + 1 < text.length) {
        word += text[i + 1];
        i += 2;
      } else if (text[i] === "=") {
        word += "=";
        i++;
      } else return undefined;
    } while (i < text.length && text[i] !== " " && text[i] !== "\t");
    words.push(word);
  }
  return words;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
