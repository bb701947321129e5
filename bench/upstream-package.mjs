// Upstream's binaries (@openai/codex-shell-tool-mcp@0.97.0, linux-x64) for the benchmarks'
// side-by-side figures: fetched once with `npm pack` into node_modules/.cache, the same place
// test/helpers/upstream.ts keeps them (no devDependency: `npm ci` never downloads 48 MB for this).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const VERSION = "0.97.0";
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CACHE = path.join(ROOT, "node_modules/.cache/execward-upstream", VERSION);
const VENDOR = path.join(CACHE, "package/vendor/x86_64-unknown-linux-musl");

export const UPSTREAM_PATCHED_BASH = path.join(VENDOR, "bash/debian-12/bash");

/** The path of upstream's patched Bash, or why it cannot be had here. */
export function fetchUpstream() {
  if (process.platform !== "linux" || process.arch !== "x64")
    return {
      missing: `upstream's binaries are for linux-x64 (this is ${process.platform}-${process.arch})`,
    };
  if (existsSync(UPSTREAM_PATCHED_BASH)) return { bash: UPSTREAM_PATCHED_BASH };
  mkdirSync(CACHE, { recursive: true });
  const staging = mkdtempSync(path.join(CACHE, "fetch-"));
  try {
    const pack = spawnSync(
      "npm",
      [
        "pack",
        `@openai/codex-shell-tool-mcp@${VERSION}`,
        "--silent",
        "--pack-destination",
        staging,
      ],
      { cwd: staging, encoding: "utf8", timeout: 10 * 60_000 },
    );
    const tarball = pack.stdout?.trim().split("\n").at(-1);
    if (pack.status !== 0 || !tarball) return { missing: "npm pack of upstream's package failed" };
    if (spawnSync("tar", ["xzf", tarball], { cwd: staging }).status !== 0)
      return { missing: "could not unpack upstream's package" };
    if (!existsSync(UPSTREAM_PATCHED_BASH))
      renameSync(path.join(staging, "package"), path.join(CACHE, "package"));
    return { bash: UPSTREAM_PATCHED_BASH };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
