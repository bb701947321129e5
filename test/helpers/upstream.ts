/**
 * Upstream's binaries from @openai/codex-shell-tool-mcp@0.97.0 (test oracles only): its patched
 * Bash and `codex-execve-wrapper`, for linux-x64.
 *
 * The 48 MB package is fetched at test time into node_modules/.cache (once, with `npm pack`, as
 * codex.ts fetches Codex), so a contributor's `npm ci` never downloads it. `upstreamUnavailable`
 * is why this host cannot have it (another platform, no registry), for a visible skip; CI sets
 * CI=true and must not skip (requireInCi).
 */
import { existsSync } from "node:fs";
import path from "node:path";

import { fetchPackedPackage } from "./npm-pack-cache.js";
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
  return fetchPackedPackage(
    PACKAGE,
    CACHE,
    () => existsSync(UPSTREAM_PATCHED_BASH) && existsSync(UPSTREAM_EXECVE_WRAPPER),
    UPSTREAM_PATCHED_BASH,
  );
}

/** Why upstream's binaries cannot be had here (undefined: they are in place). */
export const upstreamUnavailable: string | undefined = fetchUpstream();
export const HAS_UPSTREAM = upstreamUnavailable === undefined;
