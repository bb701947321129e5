/**
 * Loading the policy a command runs under: the discovered layers, then `--rules` files.
 * Notices (untrusted project folders, skipped symlinks) go to stderr.
 */
import os from "node:os";
import path from "node:path";

import { discoverRules, loadPolicy, type Policy } from "../policy/index.js";
import type { CliIo } from "./cli-io.js";

export async function loadRunPolicy(
  io: CliIo,
  explicit: readonly string[],
  options: { readonly discover: boolean; readonly trustProject: boolean },
): Promise<Policy> {
  const home = io.env.HOME ?? os.homedir();
  let files = [...explicit];
  if (options.discover) {
    const discovered = await discoverRules({
      cwd: io.cwd,
      codexHome: io.env.CODEX_HOME ?? path.join(home, ".codex"),
      trustProject: options.trustProject,
    });
    for (const notice of discovered.notices)
      io.stderr.write(`execward: note: ${notice.path}: ${notice.reason}\n`);
    files = [...discovered.files, ...explicit];
  }
  return loadPolicy(files, { paths: { cwd: io.cwd, home } });
}
