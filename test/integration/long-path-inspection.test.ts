// Red team of the escalation's inspection (found in review of the round-trip performance pass):
// a script at a path of exactly 4095 bytes, whose #! interpreter the rules forbid. The kernel
// gives a /proc/<pid>/fd link of that length whole, but the addon once refused any link that
// filled its buffer less one byte: the program was then "not found in the sandbox's view", its
// #! chain was never read, and the forbidden interpreter ran. Each length first runs in plain
// bash (the attack works there: cat prints the script), then under execward (denied).
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { requireInCi } from "../helpers/ci.js";
import { runCli } from "../helpers/run-cli.js";
import { sandboxUnavailable } from "../helpers/sandbox.js";

let workspace: string;
let home: string;

beforeEach(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), "execward-long-path-"));
  home = await mkdtemp(path.join(os.tmpdir(), "execward-long-path-home-"));
});

afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
});

const env = (): NodeJS.ProcessEnv => ({
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: home,
  CODEX_HOME: path.join(home, ".codex"),
  LANG: "C.UTF-8",
});

/** bash: a script at a path of exactly `length` bytes below $PWD, run by /usr/bin/cat; run it. */
function attack(length: number): string {
  return [
    `p="$PWD"`,
    `while [ $(( ${length} - \${#p} - 1 )) -gt 250 ]; do p="$p/$(printf 'd%.0s' $(seq 200))"; done`,
    `mkdir -p "$p"`,
    `n=$(( ${length} - \${#p} - 1 ))`,
    `f="$p/$(printf 'f%.0s' $(seq $n))"`,
    `printf '#!/usr/bin/cat\\nMARK-ran-by-cat-${length}\\n' > "$f" && chmod +x "$f"`,
    `"$f"; echo "status $? length \${#f}"`,
  ].join("\n");
}

describe.skipIf(requireInCi(sandboxUnavailable))(
  `a script at a long path whose interpreter is forbidden${sandboxUnavailable === undefined ? "" : ` (SKIPPED: ${sandboxUnavailable})`}`,
  () => {
    it.each([4093, 4094, 4095])(
      "%i bytes: the forbidden interpreter does not run",
      async (length) => {
        const control = spawnSync("bash", ["-c", attack(length)], {
          cwd: workspace,
          env: env(),
          encoding: "utf8",
        });
        expect(control.stdout, control.stderr).toContain(`MARK-ran-by-cat-${length}`);
        expect(control.stdout).toContain(`length ${length}`);

        const rules = path.join(home, "long-path.rules");
        await writeFile(rules, `prefix_rule(pattern=["cat"], decision="forbidden")\n`);
        const result = await runCli(
          ["run", "--no-discover", "--rules", rules, "--", attack(length)],
          { cwd: workspace, env: env() },
        );
        expect(result.stdout, result.stderr).toContain(`length ${length}`);
        expect(result.stdout, result.stderr).not.toContain(`MARK-ran-by-cat-${length}`);
        // Refused, by name (the policy's denial) or, where the answer naming a 4 KB path is too
        // big for the hook, by the hook failing closed.
        expect(result.stderr).toMatch(/Execution denied|execward: refusing to run/);
      },
    );
  },
);
