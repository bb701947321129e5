/**
 * Finding the rules files that apply to a working directory, in codex's layer order.
 *
 * Layers, lowest precedence first: the system folder (`/etc/codex`), the user's `$CODEX_HOME`
 * (default `~/.codex`), then the project's `.codex` folders from the project root (the nearest
 * ancestor holding `.git`) down to the working directory. Each layer contributes
 * `<folder>/rules/*.rules`: regular files only, sorted by path. As in codex, project folders
 * count only when the project is trusted in `$CODEX_HOME/config.toml`
 * (`[projects."<dir>"] trust_level = "trusted"`, for the working directory or the project root):
 * a cloned repository must not be able to grant itself `allow` rules. Symlinked rules files are
 * skipped as codex skips them, and reported. A folder or file that exists but cannot be read (a
 * `$CODEX_HOME` that is a regular file, a `*.rules` entry that is a directory or a FIFO), or a
 * config.toml that cannot be parsed, is an error: a policy is never silently partial.
 */
import { lstat, readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";

import { parse as parseToml } from "smol-toml";

import { describeIoError } from "./load-policy.js";
import { PolicyError } from "./policy-error.js";

export type RulesLayerSource = "system" | "user" | "project";

export interface RulesLayer {
  readonly source: RulesLayerSource;
  /** The config folder (`/etc/codex`, `~/.codex`, `<dir>/.codex`). */
  readonly folder: string;
  /** Its `rules/*.rules` files, sorted. */
  readonly files: readonly string[];
}

export interface DiscoveryNotice {
  readonly path: string;
  readonly reason: string;
}

export interface DiscoveredRules {
  readonly layers: readonly RulesLayer[];
  /** Every file, lowest precedence first: what to load. */
  readonly files: readonly string[];
  /** Things left out on purpose (untrusted project folders, symlinks), to show the user. */
  readonly notices: readonly DiscoveryNotice[];
}

export interface DiscoverRulesOptions {
  /** The working directory the policy is for (absolute). */
  readonly cwd: string;
  /** `$CODEX_HOME`, or `~/.codex`. */
  readonly codexHome: string;
  /** The system folder; `/etc/codex` unless given. */
  readonly systemFolder?: string;
  /** Load project folders even if config.toml does not mark the project trusted. */
  readonly trustProject?: boolean;
}

export async function discoverRules(options: DiscoverRulesOptions): Promise<DiscoveredRules> {
  const notices: DiscoveryNotice[] = [];
  const layers: RulesLayer[] = [];
  const codexHome = path.resolve(options.codexHome);
  const add = async (source: RulesLayerSource, folder: string): Promise<void> => {
    const files = await listRulesFiles(path.join(folder, "rules"), notices);
    if (files.length > 0) layers.push({ source, folder, files });
  };

  await add("system", options.systemFolder ?? "/etc/codex");
  await add("user", codexHome);

  const cwd = path.resolve(options.cwd);
  const root = (await findProjectRoot(cwd)) ?? cwd;
  const projectFolders: string[] = [];
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    const folder = path.join(dir, ".codex");
    if (folder !== codexHome && (await isDirectory(folder))) projectFolders.unshift(folder);
    if (dir === root || dir === path.dirname(dir)) break;
  }
  if (projectFolders.length > 0) {
    const trusted =
      options.trustProject === true || (await isProjectTrusted(codexHome, [cwd, root]));
    for (const folder of projectFolders) {
      if (trusted) {
        await add("project", folder);
      } else if (
        // An untrusted project cannot stop execward with a broken folder: it is not loaded.
        (await listRulesFiles(path.join(folder, "rules"), []).catch(() => [])).length > 0
      ) {
        notices.push({
          path: folder,
          reason:
            `project rules are not loaded: the project is not trusted. Add [projects."${root}"] ` +
            `trust_level = "trusted" to ${path.join(codexHome, "config.toml")} (as Codex does), ` +
            "or pass --trust-project",
        });
      }
    }
  }
  return { layers, files: layers.flatMap((layer) => layer.files), notices };
}

/**
 * `<dir>/*.rules` regular files, sorted; [] when the folder does not exist. A location that
 * exists but is not a directory, and a `*.rules` entry that is neither a regular file nor a
 * symlink (a directory, a FIFO), are errors: the user meant rules there, and loading none of
 * them silently would drop their `forbidden` rules.
 */
async function listRulesFiles(dir: string, notices: DiscoveryNotice[]): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return [];
    if (errorCode(error) === "ENOTDIR") {
      const culprit = await notADirectory(dir);
      if (culprit === undefined) return []; // a parent went away meanwhile
      throw new PolicyError(
        "rules_read",
        `cannot load rules from ${dir}: ${culprit} is not a directory`,
        undefined,
        { cause: error },
      );
    }
    throw new PolicyError(
      "rules_read",
      `failed to read rules files from ${dir}: ${describeIoError(error)}`,
      undefined,
      {
        cause: error,
      },
    );
  }
  const files: string[] = [];
  for (const name of names.sort()) {
    if (path.extname(name) !== ".rules") continue;
    const file = path.join(dir, name);
    const info = await lstat(file).catch((error: unknown) => {
      throw new PolicyError(
        "rules_read",
        `failed to read rules file ${file}: ${describeIoError(error)}`,
        undefined,
        {
          cause: error,
        },
      );
    });
    if (info.isSymbolicLink()) {
      notices.push({
        path: file,
        reason: "symlinked rules files are not loaded (Codex skips them too)",
      });
    } else if (info.isFile()) {
      files.push(file);
    } else {
      throw new PolicyError(
        "rules_read",
        `cannot load rules file ${file}: it is not a regular file (${fileKind(info)})`,
      );
    }
  }
  return files.sort();
}

/** The first existing component of `dir` (from the root down) that is not a directory. */
async function notADirectory(dir: string): Promise<string | undefined> {
  const parts: string[] = [];
  for (let current = dir; ; current = path.dirname(current)) {
    parts.unshift(current);
    if (current === path.dirname(current)) break;
  }
  for (const part of parts) {
    const info = await stat(part).catch(() => undefined);
    if (info === undefined) return undefined;
    if (!info.isDirectory()) return part;
  }
  return undefined;
}

function fileKind(info: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
}): string {
  if (info.isDirectory()) return "a directory";
  if (info.isFIFO()) return "a FIFO";
  if (info.isSocket()) return "a socket";
  return "a device";
}

async function findProjectRoot(cwd: string): Promise<string | undefined> {
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    try {
      await lstat(path.join(dir, ".git"));
      return dir;
    } catch (error) {
      if (errorCode(error) !== "ENOENT" && errorCode(error) !== "ENOTDIR") throw error;
    }
    if (dir === path.dirname(dir)) return undefined;
  }
}

async function isProjectTrusted(
  codexHome: string,
  candidates: readonly string[],
): Promise<boolean> {
  const configPath = path.join(codexHome, "config.toml");
  let text: string;
  try {
    text = await readFile(configPath, "utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return false;
    throw new PolicyError(
      "rules_read",
      `failed to read ${configPath}: ${describeIoError(error)}`,
      undefined,
      {
        cause: error,
      },
    );
  }
  let config: unknown;
  try {
    config = parseToml(text);
  } catch (error) {
    throw new PolicyError(
      "rules_read",
      `failed to parse ${configPath}: ${String(error)}`,
      undefined,
      {
        cause: error,
      },
    );
  }
  const projects = isRecord(config) && isRecord(config.projects) ? config.projects : {};
  for (const candidate of candidates) {
    const entry = projects[candidate];
    if (isRecord(entry) && "trust_level" in entry) return entry.trust_level === "trusted";
  }
  return false;
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch (error) {
    if (errorCode(error) === "ENOENT" || errorCode(error) === "ENOTDIR") return false;
    throw new PolicyError(
      "rules_read",
      `failed to read ${dir}: ${describeIoError(error)}`,
      undefined,
      {
        cause: error,
      },
    );
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined;
}
