/**
 * Fetches an npm package the tests use as an oracle or a client (upstream's binaries, the Codex
 * CLI) into node_modules/.cache once, with `npm pack`, so a contributor's `npm ci` never
 * downloads it. Fetched and unpacked aside, then moved into place whole: an interrupted run
 * leaves no half-unpacked package behind for the next one to trust.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import path from "node:path";

/**
 * Puts `spec` (`name@version`) at `<cache>/package` unless `present()` already holds. Returns
 * why it cannot be had (undefined: it is in place and `present()` holds).
 */
export function fetchPackedPackage(
  spec: string,
  cache: string,
  present: () => boolean,
  needed: string,
): string | undefined {
  if (present()) return undefined;
  mkdirSync(cache, { recursive: true });
  const staging = mkdtempSync(path.join(cache, "fetch-"));
  try {
    const pack = spawnSync(
      "npm",
      ["pack", spec, "--silent", "--fetch-retries=1", "--pack-destination", staging],
      { cwd: staging, encoding: "utf8", timeout: 10 * 60_000 },
    );
    const tarball = pack.stdout.trim().split("\n").at(-1);
    if (pack.status !== 0 || tarball === undefined || tarball === "")
      return `could not fetch ${spec} with npm pack: ${(pack.stderr || String(pack.error)).trim().slice(-300)}`;
    const untar = spawnSync("tar", ["xzf", tarball], { cwd: staging, encoding: "utf8" });
    if (untar.status !== 0) return `could not unpack ${tarball}: ${untar.stderr.trim()}`;
    try {
      renameSync(path.join(staging, "package"), path.join(cache, "package"));
    } catch (error) {
      // Another test file fetched it at the same time and moved its copy in first.
      if (!present()) return `could not put ${spec} in place: ${String(error)}`;
    }
    return present() ? undefined : `${spec} has no ${needed}`;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
