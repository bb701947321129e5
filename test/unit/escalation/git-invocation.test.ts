// Reading git's global options and environment: which directory, repository and configuration
// an escalated git would use. Pure: no file system.
import { describe, expect, it } from "vitest";

import { globalConfigFiles, readGitInvocation } from "../../../src/escalation/git-invocation.js";

describe("readGitInvocation", () => {
  it("applies -C cumulatively and resolves --git-dir / --work-tree from the final directory", () => {
    const inv = readGitInvocation(
      ["git", "-C", "/a", "-C", "b", "--git-dir", "g", "--work-tree=w", "-C", "", "status", "-C"],
      "/start",
      {},
    );
    expect(inv).toMatchObject({
      startDir: "/a/b",
      gitDir: "/a/b/g",
      workTree: "/a/b/w",
      subcommand: "status",
      uncertain: undefined,
    });
  });

  it("takes GIT_DIR, GIT_WORK_TREE, GIT_COMMON_DIR from the environment; the option wins", () => {
    const env = { GIT_DIR: "rel", GIT_WORK_TREE: "/wt", GIT_COMMON_DIR: "/c" };
    expect(readGitInvocation(["git", "log"], "/s", env)).toMatchObject({
      gitDir: "/s/rel",
      workTree: "/wt",
      commonDir: "/c",
    });
    expect(readGitInvocation(["git", "--git-dir=/x", "log"], "/s", env).gitDir).toBe("/x");
    expect(readGitInvocation(["git", "--bare", "log"], "/s", {}).gitDir).toBe("/s");
  });

  it("collects -c, --config-env, GIT_CONFIG_COUNT and GIT_CONFIG_PARAMETERS", () => {
    const inv = readGitInvocation(
      ["git", "-c", "include.path=/i", "-c", "core.bare", "--config-env=core.pager=PG", "log"],
      "/s",
      {
        PG: "less",
        GIT_CONFIG_COUNT: "1",
        GIT_CONFIG_KEY_0: "core.hooksPath",
        GIT_CONFIG_VALUE_0: "/h",
        GIT_CONFIG_PARAMETERS: "'alias.x'='!y' 'Include.Sub.Path=/p'",
      },
    );
    expect(inv.commandLineConfig.map((e) => [e.section, e.subsection, e.key, e.value])).toEqual([
      ["alias", undefined, "x", "!y"],
      ["include", "Sub", "path", "/p"],
      ["core", undefined, "hookspath", "/h"],
      ["include", undefined, "path", "/i"],
      ["core", undefined, "bare", null],
      ["core", undefined, "pager", "less"],
    ]);
  });

  it("reads --exec-path and GIT_EXEC_PATH", () => {
    expect(readGitInvocation(["git", "--exec-path=/e", "x"], "/s", {}).execPath).toBe("/e");
    expect(readGitInvocation(["git", "--exec-path"], "/s", {}).execPath).toBeUndefined();
    expect(readGitInvocation(["git", "x"], "/s", { GIT_EXEC_PATH: "/g" }).execPath).toBe("/g");
  });

  it("is uncertain about what it does not know", () => {
    const uncertain = (argv: string[], env: Record<string, string> = {}): string | undefined =>
      readGitInvocation(argv, "/s", env).uncertain;
    expect(uncertain(["git", "--frob", "status"])).toMatch(/--frob/);
    expect(uncertain(["git", "-C"])).toMatch(/-C/);
    expect(uncertain(["git", "--git-dir"])).toMatch(/--git-dir/);
    expect(uncertain(["git", "-c", "nodot=1", "status"])).toMatch(/nodot/);
    expect(uncertain(["git", "--config-env=core.pager=MISSING", "log"])).toMatch(/config-env/);
    expect(uncertain(["git", "log"], { GIT_CONFIG_PARAMETERS: "'unterminated" })).toMatch(
      /GIT_CONFIG_PARAMETERS/,
    );
    expect(uncertain(["git", "log"], { GIT_CONFIG_COUNT: "x" })).toMatch(/GIT_CONFIG_COUNT/);
    // Options after the subcommand are the subcommand's.
    expect(uncertain(["git", "status", "--frob"])).toBeUndefined();
  });

  it("finds the system configuration unless GIT_CONFIG_NOSYSTEM", () => {
    expect(readGitInvocation(["git"], "/s", {}).systemConfigFile).toBe("/etc/gitconfig");
    expect(readGitInvocation(["git"], "/s", { GIT_CONFIG_SYSTEM: "/x" }).systemConfigFile).toBe(
      "/x",
    );
    expect(
      readGitInvocation(["git"], "/s", { GIT_CONFIG_NOSYSTEM: "true" }).systemConfigFile,
    ).toBeUndefined();
  });
});

describe("globalConfigFiles", () => {
  it("is GIT_CONFIG_GLOBAL, or the XDG file and ~/.gitconfig", () => {
    expect(globalConfigFiles({ HOME: "/h" })).toEqual(["/h/.config/git/config", "/h/.gitconfig"]);
    expect(globalConfigFiles({ HOME: "/h", XDG_CONFIG_HOME: "/x" })).toEqual([
      "/x/git/config",
      "/h/.gitconfig",
    ]);
    expect(globalConfigFiles({ HOME: "/h", GIT_CONFIG_GLOBAL: "/g" })).toEqual(["/g"]);
    expect(globalConfigFiles({})).toEqual([]);
  });
});
