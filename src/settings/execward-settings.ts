/**
 * execward's settings file, `$CODEX_HOME/execward.toml` or `--config FILE`, parsed strictly:
 * an unknown table or key, a value of the wrong type, a relative path or a malformed
 * variable name is an `invalid_settings` error naming `file:line`, never a silent default.
 * Pure: the text and the home directory in, the settings out (the CLI reads the file).
 *
 *   [filesystem]
 *   deny_read = ["~/secrets", "/srv/keys"]    # hidden inside the sandbox
 *   deny_write = ["~/work/project/.env"]      # read-only inside the sandbox
 *   credentials = "hidden"                    # or "visible" (default "hidden")
 *
 *   [escalation]
 *   env = ["SSH_AUTH_SOCK"]                   # as --escalation-env NAME (the flags replace it)
 *
 *   audit_log = "~/.codex/execward-audit.jsonl"  # top level: as --audit-log FILE (the flag wins)
 *
 * Keys get their line by parsing ever longer prefixes of the file with the same TOML parser
 * (a key appears in the first prefix that parses and holds it; its line is the first line of
 * content after the previous prefix that parsed), so dotted keys, inline tables and
 * multi-line arrays are located without a second, hand-written TOML grammar.
 */
import path from "node:path";

import { parse as parseToml, TomlError } from "smol-toml";

import { ExecwardError } from "../errors.js";

export interface Settings {
  readonly filesystem: {
    /** Absolute paths hidden inside the sandbox. */
    readonly denyRead: readonly string[];
    /** Absolute paths kept read-only inside the sandbox. */
    readonly denyWrite: readonly string[];
    readonly credentials: "hidden" | "visible";
  };
  readonly escalation: {
    /** Variables escalated programs may take from the sandboxed command. */
    readonly env: readonly string[];
  };
  /** Where every decision is appended (absolute), as `--audit-log`; absent: no audit log. */
  readonly auditLog?: string;
}

export const DEFAULT_SETTINGS: Settings = {
  filesystem: { denyRead: [], denyWrite: [], credentials: "hidden" },
  escalation: { env: [] },
};

/** The largest settings file read (it is a handful of lines). */
export const MAX_SETTINGS_BYTES = 64 * 1024;

type Checker = (value: unknown, home: string) => unknown;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const pathList: Checker = (value, home) => {
  if (!Array.isArray(value)) throw new Error("must be an array of paths");
  return value.map((entry, index) => {
    if (typeof entry !== "string" || entry === "")
      throw new Error(`element ${index + 1} must be a non-empty string`);
    // A control character (NUL above all) cannot be in a path the sandbox can mask.
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(entry))
      throw new Error(
        `element ${index + 1} (${JSON.stringify(entry)}) contains a control character`,
      );
    // Patterns are not expanded: taken literally, `~/secr*` would hide nothing and say nothing.
    if (/[*?[]/.test(entry))
      throw new Error(
        `element ${index + 1} (${JSON.stringify(entry)}): wildcards (* ? [) are not expanded; name each path`,
      );
    return expandPath(entry, home, index);
  });
};

/** The sandbox needs its own `/`, `/proc` and `/dev`: a mask there could not hold. */
const hideablePathList: Checker = (value, home) => {
  const paths = pathList(value, home) as string[];
  paths.forEach((file, index) => {
    if (file === "/" || isUnder(file, "/proc") || isUnder(file, "/dev"))
      throw new Error(
        `element ${index + 1} (${file}): the sandbox cannot hide /, /proc or /dev (it needs them to run)`,
      );
  });
  return paths;
};

function isUnder(file: string, dir: string): boolean {
  return file === dir || file.startsWith(`${dir}/`);
}

/** Keys outside any table. */
const TOP_LEVEL: Readonly<Record<string, Checker>> = {
  audit_log: (value, home) => {
    if (typeof value !== "string" || value === "") throw new Error("must be a path (a string)");
    return (pathList([value], home) as string[])[0];
  },
};

const SCHEMA: Readonly<Record<string, Readonly<Record<string, Checker>>>> = {
  filesystem: {
    deny_read: hideablePathList,
    deny_write: pathList,
    credentials: (value) => {
      if (value !== "hidden" && value !== "visible")
        throw new Error(`must be "hidden" or "visible" (got ${JSON.stringify(value)})`);
      return value;
    },
  },
  escalation: {
    env: (value) => {
      if (!Array.isArray(value)) throw new Error("must be an array of variable names");
      return value.map((entry, index) => {
        if (typeof entry !== "string" || !ENV_NAME.test(entry))
          throw new Error(
            `element ${index + 1} must be a variable name (letters, digits, _; got ${JSON.stringify(entry)})`,
          );
        return entry;
      });
    },
  },
};

/** `~` and `~/x` are the home directory; anything else must be absolute. */
function expandPath(entry: string, home: string, index: number): string {
  if (entry === "~") return path.resolve(home);
  if (entry.startsWith("~/")) return path.resolve(home, entry.slice(2));
  if (entry.startsWith("~"))
    throw new Error(
      `element ${index + 1} (${JSON.stringify(entry)}): only ~ and ~/ are expanded, not ~user`,
    );
  if (!path.isAbsolute(entry))
    throw new Error(
      `element ${index + 1} (${JSON.stringify(entry)}) must be absolute or start with ~/`,
    );
  return path.resolve(entry);
}

/** Parses and validates settings text; `file` names it in errors, `home` expands `~`. */
export function parseSettings(text: string, file: string, home: string): Settings {
  if (Buffer.byteLength(text) > MAX_SETTINGS_BYTES)
    throw invalid(
      `${file}: larger than ${MAX_SETTINGS_BYTES} bytes; this is not a settings file`,
      file,
    );
  let document: Record<string, unknown>;
  try {
    document = parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) {
      const [summary = "invalid TOML", ...frame] = error.message.split("\n");
      throw invalid(
        `${file}:${error.line}:${error.column}: ${summary}\n${frame.join("\n").trimEnd()}`,
        file,
        error.line,
      );
    }
    throw error;
  }
  const at = (keyPath: readonly string[], message: string): ExecwardError => {
    const line = keyLine(text, keyPath);
    return invalid(`${file}:${line}: ${keyPath.join(".")}: ${message}`, file, line);
  };
  const values: Record<string, Record<string, unknown>> = {};
  const top: Record<string, unknown> = {};
  for (const [table, content] of Object.entries(document)) {
    const topCheck = TOP_LEVEL[table];
    if (topCheck !== undefined) {
      try {
        top[table] = topCheck(content, home);
      } catch (error) {
        throw at([table], (error as Error).message.replace(/^element 1 /, ""));
      }
      continue;
    }
    const keys = SCHEMA[table];
    if (keys === undefined)
      throw at(
        [table],
        `unknown setting (known tables: ${Object.keys(SCHEMA).join(", ")}; keys: ${Object.keys(TOP_LEVEL).join(", ")})`,
      );
    if (content === null || typeof content !== "object" || Array.isArray(content))
      throw at([table], "must be a table");
    values[table] = {};
    for (const [key, value] of Object.entries(content as Record<string, unknown>)) {
      const check = keys[key];
      if (check === undefined)
        throw at(
          [table, key],
          `unknown setting (known in [${table}]: ${Object.keys(keys).join(", ")})`,
        );
      try {
        values[table][key] = check(value, home);
      } catch (error) {
        throw at([table, key], (error as Error).message);
      }
    }
  }
  const fs = values.filesystem ?? {};
  const esc = values.escalation ?? {};
  return {
    filesystem: {
      denyRead: (fs.deny_read as string[] | undefined) ?? [],
      denyWrite: (fs.deny_write as string[] | undefined) ?? [],
      credentials: (fs.credentials as "hidden" | "visible" | undefined) ?? "hidden",
    },
    escalation: { env: (esc.env as string[] | undefined) ?? [] },
    ...(typeof top.audit_log === "string" ? { auditLog: top.audit_log } : {}),
  };
}

/**
 * The 1-based line where `keyPath` is defined: the first line of content after the longest
 * prefix of the file that parses without holding it (see the header). 1 if never found.
 */
export function keyLine(text: string, keyPath: readonly string[]): number {
  const lines = text.split("\n");
  let contentStart = 0;
  for (let i = 0; i < lines.length; i++) {
    let parsed: unknown;
    try {
      parsed = parseToml(lines.slice(0, i + 1).join("\n"));
    } catch {
      continue;
    }
    if (holds(parsed, keyPath)) {
      for (let j = contentStart; j <= i; j++) {
        const line = (lines[j] ?? "").trim();
        if (line !== "" && !line.startsWith("#")) return j + 1;
      }
      return i + 1;
    }
    contentStart = i + 1;
  }
  return 1;
}

function holds(document: unknown, keyPath: readonly string[]): boolean {
  let node = document;
  for (const key of keyPath) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, key)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

function invalid(message: string, file: string, line?: number): ExecwardError {
  return new ExecwardError("invalid_settings", message, {
    data: line === undefined ? { file } : { file, line },
  });
}
