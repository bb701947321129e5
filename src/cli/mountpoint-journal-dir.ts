/**
 * Where an execward process records the sandbox mount points it creates (so the next one can
 * remove what a crash left): a place the sandboxed command cannot write, `$XDG_RUNTIME_DIR`
 * (per user, on tmpfs) when set, else `$CODEX_HOME` (default `~/.codex`), whose name is
 * read-only in every sandbox.
 */
import os from "node:os";
import path from "node:path";

export function mountpointJournalDir(env: Readonly<Record<string, string | undefined>>): string {
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime !== undefined && path.isAbsolute(runtime))
    return path.join(runtime, "execward", "mountpoints");
  const codexHome = env.CODEX_HOME ?? path.join(env.HOME ?? os.homedir(), ".codex");
  return path.join(path.resolve(codexHome), "execward", "mountpoints");
}
