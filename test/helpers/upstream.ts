/**
 * Upstream's binaries from @openai/codex-shell-tool-mcp@0.97.0 (test oracles only): its patched
 * Bash and `codex-execve-wrapper`, for linux-x64.
 *
 * The 48 MB package is fetched at test time into node_modules/.cache (once, with `npm pack`, as
 * codex.ts fetches Codex), so a contributor's `npm ci` never downloads it. `upstreamUnavailable`
 * is why this host cannot have it (another platform, no registry), for a visible skip; CI sets
 * CI=true and must not skip (requireInCi).
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";

import { REPO_ROOT } from "./paths.js";

export const UPSTREAM_VERSION = "0.97.0";
const PACKAGE = `@openai/codex-shell-tool-mcp@${UPSTREAM_VERSION}`;
const CACHE = path.join(REPO_ROOT, "node_modules/.cache/execward-upstream", UPSTREAM_VERSION);
const VENDOR = path.join(CACHE, "package/vendor/x86_64-unknown-linux-musl");

export const UPSTREAM_PATCHED_BASH = path.join(VENDOR, "bash/debian-12/bash");
export const UPSTREAM_EXECVE_WRAPPER = path.join(VENDOR, "codex-execve-wrapper");

function fetchUpstream(): string | undefined {
  if (process.platform !== "linux" || process.arch !== "x64")
    return `upstream's binaries used here are for linux-x64 (this is ${process.platform}-${process.arch})`;
  const present = (): boolean =>
    existsSync(UPSTREAM_PATCHED_BASH) && existsSync(UPSTREAM_EXECVE_WRAPPER);
  if (present()) return undefined;
  // Fetched and unpacked aside, then moved into place whole: an interrupted run leaves no
  // half-unpacked package behind for the next one to trust.
  mkdirSync(CACHE, { recursive: true });
  const staging = mkdtempSync(path.join(CACHE, "fetch-"));
  try {
    const pack = spawnSync(
      "npm",
      ["pack", PACKAGE, "--silent", "--fetch-retries=1", "--pack-destination", staging],
      { cwd: staging, encoding: "utf8", timeout: 10 * 60_000 },
    );
    const tarball = pack.stdout.trim().split("\n").at(-1);
    if (pack.status !== 0 || tarball === undefined || tarball === "")
      return `could not fetch ${PACKAGE} with npm pack: ${(pack.stderr || String(pack.error)).trim().slice(-300)}`;
    const untar = spawnSync("tar", ["xzf", tarball], { cwd: staging, encoding: "utf8" });
    if (untar.status !== 0) return `could not unpack ${tarball}: ${untar.stderr.trim()}`;
    try {
      renameSync(path.join(staging, "package"), path.join(CACHE, "package"));
    } catch (error) {
      // Another test file fetched it at the same time and moved its copy in first.
      if (!present()) return `could not put ${PACKAGE} in place: ${String(error)}`;
    }
    return present() ? undefined : `${PACKAGE} has no ${UPSTREAM_PATCHED_BASH}`;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Why upstream's binaries cannot be had here (undefined: they are in place). */
export const upstreamUnavailable: string | undefined = fetchUpstream();
export const HAS_UPSTREAM = upstreamUnavailable === undefined;
