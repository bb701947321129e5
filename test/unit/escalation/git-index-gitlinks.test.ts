// Gitlinks read from index files the real git wrote: versions 2, 3 (extended flags) and 4
// (prefix-compressed paths), SHA-1 and SHA-256, compared with `git ls-files -s`; anything damaged
// or not understood is undefined, never a shorter list.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { indexGitlinks } from "../../../src/escalation/git-index-gitlinks.js";

let repo: string;
beforeEach(() => {
  repo = mkdtempSync(path.join(os.tmpdir(), "execward-git-index-"));
});
afterEach(() => {
  rmSync(repo, { recursive: true, force: true });
});

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: repo,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "a",
      GIT_AUTHOR_EMAIL: "a@example.com",
      GIT_COMMITTER_NAME: "a",
      GIT_COMMITTER_EMAIL: "a@example.com",
    },
  });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

const LONG = `${"x".repeat(200)}/${"y".repeat(200)}.txt`;

/** A repository with files, two gitlinks (one embedded repository, one by hand) and long paths. */
function populate(objectFormat: "sha1" | "sha256"): void {
  git(repo, "init", "-q", `--object-format=${objectFormat}`);
  for (const name of ["a.txt", "dir/b.txt", "dir/deeper/c.txt", LONG]) {
    mkdirSync(path.dirname(path.join(repo, name)), { recursive: true });
    writeFileSync(path.join(repo, name), name);
  }
  const embedded = path.join(repo, "dir", "embedded");
  mkdirSync(embedded);
  git(embedded, "init", "-q", `--object-format=${objectFormat}`);
  git(embedded, "commit", "-q", "--allow-empty", "-m", "x");
  git(repo, "add", "a.txt", "dir", "x".repeat(200));
  const oid = git(embedded, "rev-parse", "HEAD").trim();
  git(repo, "update-index", "--add", "--cacheinfo", `160000,${oid},vendor/lib`);
}

function gitlinksPerGit(): string[] {
  return git(repo, "ls-files", "-s")
    .split("\n")
    .filter((line) => line.startsWith("160000 "))
    .map((line) => line.slice(line.indexOf("\t") + 1));
}

function ours(): readonly string[] | undefined {
  return indexGitlinks(readFileSync(path.join(repo, ".git", "index")));
}

describe("indexGitlinks", () => {
  it.each([
    ["sha1", 2],
    ["sha1", 3],
    ["sha1", 4],
    ["sha256", 2],
    ["sha256", 4],
  ] as const)("reads a %s index, version %i, as git does", (format, version) => {
    populate(format);
    git(repo, "update-index", `--index-version=${String(version)}`);
    if (version === 3) git(repo, "update-index", "--skip-worktree", "a.txt");
    expect(gitlinksPerGit()).toEqual(["dir/embedded", "vendor/lib"]);
    expect(ours()).toEqual(["dir/embedded", "vendor/lib"]);
  });

  it("reads an index without gitlinks as an empty list", () => {
    git(repo, "init", "-q");
    writeFileSync(path.join(repo, "f"), "f");
    git(repo, "add", "f");
    expect(ours()).toEqual([]);
  });

  it("is undefined for a damaged or foreign file", () => {
    populate("sha1");
    const index = readFileSync(path.join(repo, ".git", "index"));
    expect(indexGitlinks(index.subarray(0, index.length - 40))).toBeUndefined();
    const bad = Buffer.from(index);
    bad.write("DIRX", 0);
    expect(indexGitlinks(bad)).toBeUndefined();
    expect(indexGitlinks(Buffer.from("not an index at all, not at all"))).toBeUndefined();
  });

  it("is undefined for a split index (its entries live in another file)", () => {
    populate("sha1");
    git(repo, "update-index", "--split-index");
    expect(ours()).toBeUndefined();
  });
});
