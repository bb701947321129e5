// Credentials inside the sandbox, from the outside: a scratch HOME full of fake credentials,
// real `execward run` and `execward mcp` with the real bwrap. Every attack first runs in plain
// bash (the control: the secret is readable), so each test can fail.
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { requireInCi } from "../helpers/ci.js";
import { runCli } from "../helpers/run-cli.js";
import { sandboxUnavailable } from "../helpers/sandbox.js";

/** Every documented location (relative to HOME; `.codex/auth.json` is $CODEX_HOME's). */
const CREDENTIALS = [
  ".ssh/id_ed25519",
  ".aws/credentials",
  ".netrc",
  ".docker/config.json",
  ".config/gh/hosts.yml",
  ".git-credentials",
  ".codex/auth.json",
  ".gnupg/private-keys-v1.d/key.key",
  ".kube/config",
  ".config/gcloud/credentials.db",
  ".azure/msal_token_cache.json",
  ".npmrc",
  ".pypirc",
  ".cargo/credentials.toml",
  ".terraform.d/credentials.tfrc.json",
];
const secretOf = (name: string): string => `SECRET-${name.replace(/[^a-z0-9]/gi, "_")}`;

let base: string;

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), "execward-creds-"));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

/** A HOME full of fake credentials and some ordinary files, with its own CODEX_HOME. */
async function scratchHome(parent: string, name: string): Promise<string> {
  const home = path.join(parent, name);
  for (const file of CREDENTIALS) {
    await mkdir(path.dirname(path.join(home, file)), { recursive: true });
    await writeFile(path.join(home, file), `${secretOf(file)}\n`, { mode: 0o600 });
  }
  await writeFile(path.join(home, "notes.txt"), "ORDINARY-notes\n");
  await writeFile(path.join(home, ".cargo/config.toml"), "ORDINARY-cargo-config\n");
  await writeFile(path.join(home, ".kube/cache-note"), "ORDINARY-kube-cache\n");
  await mkdir(path.join(home, "work"));
  return home;
}

function envFor(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    CODEX_HOME: path.join(home, ".codex"),
    ...extra,
  };
}

const CAT_ALL = CREDENTIALS.map((file) => `cat "$HOME/${file}"`).join("; ");

function plainBash(command: string, home: string): string {
  return spawnSync("bash", ["-c", command], { env: envFor(home), encoding: "utf8" }).stdout;
}

describe.skipIf(requireInCi(sandboxUnavailable))("credentials are hidden by default", () => {
  it("a writable HOME (workspace-write in HOME): none readable, ordinary files are", async () => {
    const home = await scratchHome(base, "writable");
    const control = plainBash(`${CAT_ALL}; cat ~/notes.txt`, home);
    for (const file of CREDENTIALS) expect(control).toContain(secretOf(file));

    const result = await runCli(
      [
        "run",
        "--no-discover",
        "--",
        `${CAT_ALL}; cat ~/notes.txt ~/.cargo/config.toml ~/.kube/cache-note; ls -A ~/.ssh ~/.aws ~/.gnupg ~/.config/gh ~/.config/gcloud ~/.azure; grep -r SECRET ~ 2>/dev/null; true`,
      ],
      { cwd: home, env: envFor(home) },
    );
    expect(result.stderr).not.toContain("internal error");
    for (const file of CREDENTIALS) expect(result.stdout).not.toContain(secretOf(file));
    expect(result.stdout).not.toContain("id_ed25519");
    expect(result.stdout).toContain("ORDINARY-notes");
    expect(result.stdout).toContain("ORDINARY-cargo-config");
    expect(result.stdout).toContain("ORDINARY-kube-cache");
  });
});
