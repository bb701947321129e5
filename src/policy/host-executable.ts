/**
 * `host_executable(name, paths)` and the path rules behind host-executable resolution.
 *
 * A basename rule (`prefix_rule(["git", ...])`) may match an absolute program path
 * (`/usr/bin/git`) only when resolution is asked for, and, if the policy lists host executables
 * for that name, only for the listed paths. This is what keeps `/tmp/git` (a file a sandboxed
 * command could write) from borrowing the trust given to `git`. Paths follow Rust's `Path`
 * semantics (file name of `/usr/bin/git/` is `git`; of `/usr/bin/..` there is none) and are
 * compared after lexical normalisation, as codex's `AbsolutePathBuf`.
 */
import { PolicyError } from "./policy-error.js";

/** The last normal component of `path`, as Rust's `Path::file_name`; undefined if none. */
export function pathFileName(path: string): string | undefined {
  const components = path
    .split("/")
    .filter((part, index) => part !== "" && (part !== "." || index === 0));
  const last = components[components.length - 1];
  if (last === undefined || last === ".." || (last === "." && components.length === 1))
    return undefined;
  return last;
}

/** Where relative program paths are resolved, as codex's `AbsolutePathBuf` does. */
export interface PathContext {
  /** Base for relative paths (`./git`, `bin/git`). */
  readonly cwd: string;
  /** Expansion of a leading `~` (`~`, `~/bin/git`); without it such paths do not resolve. */
  readonly home: string | undefined;
}

/**
 * The absolute, lexically normalised form of a program path: `~` and `~/x` expand to the home
 * directory, relative paths join `cwd`; symlinks are not followed. Undefined if it cannot resolve.
 */
export function resolveProgramPath(path: string, context: PathContext): string | undefined {
  if (path === "~" || path.startsWith("~/")) {
    return context.home === undefined
      ? undefined
      : normalizeAbsolutePath(`${context.home}/${path.slice(1)}`);
  }
  return normalizeAbsolutePath(path.startsWith("/") ? path : `${context.cwd}/${path}`);
}

/** Lexically normalised absolute path (`.` and `..` resolved, slashes collapsed); undefined if relative. */
export function normalizeAbsolutePath(path: string): string | undefined {
  if (!path.startsWith("/")) return undefined;
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return `/${out.join("/")}`;
}

export function validateHostExecutableName(name: string): void {
  if (name.length === 0) throw invalidRule("host_executable name cannot be empty");
  if (name.includes("/") || name === "." || name === "..") {
    throw invalidRule(`host_executable name must be a bare executable name (got ${name})`);
  }
}

/** Validates one `paths` entry of `host_executable(name, ...)`; returns its normalised form. */
export function parseHostExecutablePath(name: string, raw: string): string {
  const normalized = normalizeAbsolutePath(raw);
  if (normalized === undefined)
    throw invalidRule(`host_executable paths must be absolute (got ${raw})`);
  if (pathFileName(raw) !== name) {
    throw invalidRule(`host_executable path \`${raw}\` must have basename \`${name}\``);
  }
  return normalized;
}

function invalidRule(detail: string): PolicyError {
  return new PolicyError("invalid_rule", `invalid rule: ${detail}`);
}
