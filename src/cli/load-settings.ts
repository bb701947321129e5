/**
 * Reading the settings file for `run` and `mcp`: `--config FILE` (which must exist), else
 * `$CODEX_HOME/execward.toml` (absent: the defaults), and turning the settings into what every
 * sandbox of the process hides and keeps read-only. A file that exists but cannot be read or
 * is invalid is an error: execward never runs on a guess about what the user configured.
 */
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { ExecwardError } from "../errors.js";
import { credentialLocations, listedPath } from "../sandbox/credential-locations.js";
import type { FilesystemRules } from "../sandbox/hidden-layout.js";
import {
  DEFAULT_SETTINGS,
  MAX_SETTINGS_BYTES,
  parseSettings,
  type Settings,
} from "../settings/execward-settings.js";

export interface LoadedSettings {
  readonly settings: Settings;
  /** The file read, if any. */
  readonly file: string | undefined;
}

export function homeOf(env: Readonly<Record<string, string | undefined>>): string {
  const home = env.HOME;
  return home !== undefined && path.isAbsolute(home) ? home : os.homedir();
}

export function codexHomeOf(env: Readonly<Record<string, string | undefined>>): string {
  return path.resolve(env.CODEX_HOME ?? path.join(homeOf(env), ".codex"));
}

export async function loadSettings(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  configFlag: string | undefined,
): Promise<LoadedSettings> {
  const file =
    configFlag === undefined
      ? path.join(codexHomeOf(env), "execward.toml")
      : path.resolve(cwd, configFlag);
  let text: string;
  try {
    const handle = await readFile(file);
    if (handle.length > MAX_SETTINGS_BYTES)
      throw new ExecwardError(
        "invalid_settings",
        `${file}: larger than ${MAX_SETTINGS_BYTES} bytes; this is not a settings file`,
      );
    text = handle.toString("utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && configFlag === undefined)
      return { settings: DEFAULT_SETTINGS, file: undefined };
    if (error instanceof ExecwardError) throw error;
    throw new ExecwardError(
      "invalid_settings",
      `cannot read the settings file ${file}: ${(error as Error).message}`,
      { cause: error, data: { file } },
    );
  }
  return { settings: parseSettings(text, file, homeOf(env)), file };
}

/**
 * What every sandbox hides and keeps read-only: the credential locations (unless
 * `credentials = "visible"`), `deny_read`; `deny_write`, plus `$CODEX_HOME` itself (rules and
 * settings: a sandbox that could write them would choose the next run's policy).
 */
export function filesystemRules(
  settings: Settings,
  env: Readonly<Record<string, string | undefined>>,
): FilesystemRules {
  const credentials =
    settings.filesystem.credentials === "hidden"
      ? credentialLocations({
          home: homeOf(env),
          codexHome: codexHomeOf(env),
          xdgConfigHome: env.XDG_CONFIG_HOME,
        })
      : [];
  return {
    hide: [...credentials, ...settings.filesystem.denyRead.map(listedPath)],
    readOnly: [...settings.filesystem.denyWrite, codexHomeOf(env)],
  };
}
