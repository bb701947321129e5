// The git config reader against the real `git config --list`: whenever it accepts a file, it
// must read exactly the names and values git reads; whenever git rejects a file, so must it.
// (It may reject more than git: the caller then fails closed.)
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { gitConfigName, parseGitConfig } from "../../../src/escalation/git-config-file.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "execward-git-config-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** What git itself reads from `text`: `name=value` (`name` alone for a bare boolean), or null. */
function gitReads(text: string): string[] | null {
  const file = path.join(dir, "config");
  writeFileSync(file, text);
  const result = spawnSync("git", ["config", "--file", file, "--list", "-z"], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", GIT_CONFIG_NOSYSTEM: "1" },
  });
  if (result.status !== 0) return null;
  return result.stdout
    .split("\0")
    .filter((item) => item !== "")
    .map((item) => {
      const nl = item.indexOf("\n");
      return nl < 0 ? item : `${item.slice(0, nl)}=${item.slice(nl + 1)}`;
    });
}

function weRead(text: string): string[] | null {
  const parsed = parseGitConfig(text);
  if (!parsed.ok) return null;
  return parsed.entries.map((e) =>
    e.value === null ? gitConfigName(e) : `${gitConfigName(e)}=${e.value}`,
  );
}

const SAMPLES: readonly string[] = [
  "",
  "# only a comment\n; another\n",
  "[core]\n\tfsmonitor = /x/y.sh\n",
  "[core]\nfsmonitor=/x\n",
  "[Core]\n\tFsMonitor = A\n",
  '[includeIf "gitdir:~/work/"]\n\tpath = ~/work.gitconfig\n',
  '[filter "Lfs"]\n\tclean = git-lfs clean -- %f\n',
  "[branch.Main]\n\tremote = origin\n",
  '[a "sub \\"q\\" \\\\ x"]\n\tk = v\n',
  '[alias]\n\tst = "!sh -c \\"touch x\\"" # trailing comment\n',
  "[core]\n\tpager = less ; comment\n",
  '[core]\n\tpager = "less ; not a comment"\n',
  "[core]\n\tpager = a \\\n  b\n",
  "[core]\n\ta = x\\ty\\nz\\b\n",
  "[core]\n\tbare\n",
  "[core]\n\tempty =\n",
  "[core]   \n\tk = v   \n",
  "[core] k = v\n",
  "[core]\n\tk = one  two   three  \n",
  '[core]\n\tk = "  spaced  "  after\n',
  "\uFEFF[core]\n\tk = v\n",
  "[core]\r\n\tk = v\r\n",
  "[core]\n\tk = v",
  "[a]\n[b]\n\tk = 1\n[a]\n\tk = 2\n",
  "[core]\n\t2k = v\n",
  "k = v\n",
  "[core\n\tk = v\n",
  '[core "unterminated]\n',
  '[core]\n\tk = "unterminated\n',
  "[core]\n\tk = bad \\q escape\n",
  "[core]\n\tk v\n",
  "[]\n",
  "[.x]\n\tk = v\n",
  '[a.b "c"]\n\tk = v\n',
  "[core]\n\tk_x = v\n",
  "[co_re]\n\tk = v\n",
  "[core]\n\tk = v\n\t[other]\n\tj = w\n",
];

describe("parseGitConfig", () => {
  it.each(SAMPLES.map((text) => [JSON.stringify(text), text]))(
    "reads %s as git does (or refuses it)",
    (_label, text) => {
      const ours = weRead(text);
      const gits = gitReads(text);
      if (ours !== null) expect(ours).toEqual(gits);
      if (gits === null) expect(ours).toBeNull();
    },
  );

  it("accepts the common cases (the comparison above is not vacuous)", () => {
    const accepted = SAMPLES.filter((text) => weRead(text) !== null);
    expect(accepted.length).toBeGreaterThan(20);
    expect(weRead('[includeIf "gitdir:~/w/"]\n\tpath = x\n')).toEqual([
      "includeif.gitdir:~/w/.path=x",
    ]);
  });

  it("reports the line of a syntax error", () => {
    expect(parseGitConfig('[core]\n\tk = v\n\tk = "x\n')).toMatchObject({ ok: false, line: 3 });
  });
});
