/**
 * Reading rules files from disk into a Policy: all of them, or none.
 *
 * A file that cannot be read, is not UTF-8, or fails to evaluate is an error that names it;
 * nothing is skipped and nothing is half-applied. Files are evaluated in the order given. Read
 * failures are worded as codex words them (Rust's `io::Error`: "No such file or directory (os
 * error 2)", "stream did not contain valid UTF-8").
 */
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import type { PathContext } from "./host-executable.js";
import type { Policy } from "./policy.js";
import { PolicyBuilder } from "./policy-builder.js";
import { PolicyError } from "./policy-error.js";

export interface LoadPolicyOptions {
  /**
   * Where relative program paths in `match` / `not_match` examples resolve; defaults to the
   * process's working directory and home directory, as codex.
   */
  readonly paths?: PathContext;
}

/** Loads `files` in order; throws a PolicyError naming the first file that fails. */
export async function loadPolicy(
  files: readonly string[],
  options: LoadPolicyOptions = {},
): Promise<Policy> {
  const builder = new PolicyBuilder(options.paths ?? processPathContext());
  for (const file of files) {
    builder.addFile(file, await readRulesFile(file), path.resolve(file));
  }
  return builder.build();
}

/** Evaluates rules given as text (for tests and embedders); `name` labels error locations. */
export function parsePolicy(
  sources: readonly { readonly name: string; readonly text: string }[],
  options: LoadPolicyOptions = {},
): Policy {
  const builder = new PolicyBuilder(options.paths ?? processPathContext());
  for (const source of sources) builder.addFile(source.name, source.text);
  return builder.build();
}

export function processPathContext(): PathContext {
  return { cwd: process.cwd(), home: process.env.HOME ?? os.homedir() };
}

async function readRulesFile(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new PolicyError(
      "rules_read",
      `failed to read policy at ${file}: ${describeOsError(error)}`,
      undefined,
      {
        cause: error,
      },
    );
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    throw new PolicyError(
      "rules_read",
      `failed to read policy at ${file}: stream did not contain valid UTF-8`,
      undefined,
      {
        cause: error,
      },
    );
  }
}

/** C library wording of the errors reading a file can meet, as Rust prints them. */
const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
  EISDIR: "Is a directory",
  ENOTDIR: "Not a directory",
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
  EMFILE: "Too many open files",
  EIO: "Input/output error",
};

/** Rust's `Display` of an OS `io::Error`: "No such file or directory (os error 2)". */
function describeOsError(error: unknown): string {
  if (error instanceof Error && "code" in error && typeof error.code === "string") {
    const errno = (os.constants.errno as Readonly<Record<string, number>>)[error.code];
    const text = STRERROR[error.code] ?? describeIoError(error);
    return errno === undefined ? text : `${text} (os error ${errno})`;
  }
  return String(error);
}

export function describeIoError(error: unknown): string {
  if (error instanceof Error && "code" in error && typeof error.code === "string") {
    switch (error.code) {
      case "ENOENT":
        return "no such file or directory";
      case "EACCES":
      case "EPERM":
        return "permission denied";
      case "EISDIR":
        return "is a directory";
      default:
        return `${error.code}: ${error.message}`;
    }
  }
  return String(error);
}
