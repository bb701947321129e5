// Credentials inside the sandbox, from the outside: a scratch HOME full of fake credentials,
// real `execward run` and `execward mcp` with the real bwrap. Every attack first runs in plain
// bash (the control: the secret is readable), so each test can fail.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { link, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { requireInCi } from "../helpers/ci.js";
import { CLI_PATH } from "../helpers/paths.js";
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

/**
 * Bind mounts in a private mount namespace: as root (`unshare -m`), else in a user namespace
 * (`unshare -rm`, wherever bwrap itself works).
 */
const UNSHARE_FLAGS: string | undefined = ["-m", "-rm"].find(
  (flags) =>
    spawnSync("unshare", [flags, "sh", "-c", "mount --bind / /mnt"], { stdio: "ignore" }).status ===
    0,
);
const bindMountUnavailable: string | undefined =
  UNSHARE_FLAGS === undefined
    ? "cannot bind-mount in a private mount namespace (unshare -m and -rm both failed)"
    : undefined;

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

function expectNoSecret(output: string): void {
  for (const file of CREDENTIALS) expect(output).not.toContain(secretOf(file));
}

function run(home: string, args: readonly string[], command: string, cwd = home) {
  return runCli(["run", "--no-discover", ...args, "--", command], { cwd, env: envFor(home) });
}

/** Waits until `file` exists (the sandboxed command's signal), at most ~20 s. */
async function waitFor(file: string): Promise<void> {
  for (let i = 0; i < 400 && !existsSync(file); i++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  if (!existsSync(file)) throw new Error(`${file} never appeared`);
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
        `umount -l ~/.ssh; umount ~/.netrc; mv ~/.aws ~/aws-moved; mv ~/.npmrc ~/npmrc-moved; cat ~/aws-moved/credentials ~/npmrc-moved; ${CAT_ALL}; cat ~/notes.txt ~/.cargo/config.toml ~/.kube/cache-note; ls -A ~/.ssh ~/.aws ~/.gnupg ~/.config/gh ~/.config/gcloud ~/.azure; grep -r SECRET ~ 2>/dev/null; true`,
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

  it("read-only, with HOME outside every writable root: none readable", async () => {
    const home = await scratchHome(await mkdtemp("/var/tmp/execward-creds-ro-"), "home");
    try {
      const result = await run(home, ["--sandbox", "read-only"], `${CAT_ALL}; cat ~/notes.txt`);
      expect(result.stdout).toContain("ORDINARY-notes");
      expectNoSecret(result.stdout);
    } finally {
      await rm(path.dirname(home), { recursive: true, force: true });
    }
  });

  it("restricted reads that include HOME: none readable", async () => {
    const home = await scratchHome(base, "restricted");
    const result = await run(
      home,
      [
        "--sandbox",
        "read-only",
        "--readable-root",
        home,
        "--readable-root",
        path.join(home, ".ssh"),
      ],
      `${CAT_ALL}; cat ~/notes.txt; ls -A ~/.ssh`,
    );
    expect(result.stdout).toContain("ORDINARY-notes");
    expectNoSecret(result.stdout);
    expect(result.stdout).not.toContain("id_ed25519");
  });

  it("aliases: symlinks (made before and during the call), /proc/self/root, another HOME spelling", async () => {
    const home = await scratchHome(base, "aliases");
    const work = path.join(home, "work");
    await symlink(path.join(home, ".ssh/id_ed25519"), path.join(work, "key-link"));
    await symlink(path.join(home, ".aws"), path.join(work, "aws-link"));
    // The credential itself a symlink to a file elsewhere (a dotfiles repository).
    const dotfiles = path.join(home, "dotfiles");
    await mkdir(dotfiles);
    await rm(path.join(home, ".npmrc"));
    await writeFile(path.join(dotfiles, "npmrc"), `${secretOf(".npmrc")}\n`);
    await symlink(path.join(dotfiles, "npmrc"), path.join(home, ".npmrc"));
    const spelled = path.join(home, "..", path.basename(home), ".", "work", "..");
    const command = [
      "cat key-link aws-link/credentials",
      'ln -s "$HOME/.netrc" made-link; cat made-link',
      'cat "/proc/self/root$HOME/.git-credentials"',
      `cat "${spelled}/.docker/config.json" "${spelled}/.kube/config"`,
      `cat "${dotfiles}/npmrc" "$HOME/.npmrc"`,
      "cat /proc/$$/root$HOME/.ssh/id_ed25519",
      "true",
    ].join("; ");
    const control = plainBash(`cd ${work} && ${command}`, home);
    for (const file of [
      ".ssh/id_ed25519",
      ".aws/credentials",
      ".netrc",
      ".git-credentials",
      ".docker/config.json",
      ".kube/config",
      ".npmrc",
    ])
      expect(control).toContain(secretOf(file));
    const result = await run(home, [], command, work);
    expectNoSecret(result.stdout);
  });

  it.skipIf(requireInCi(bindMountUnavailable))(
    "a bind mount showing HOME again elsewhere: hidden there too",
    async () => {
      const home = await scratchHome(base, "bound");
      await rm(path.join(home, ".pypirc"));
      const alias = path.join(base, "bound-alias");
      await mkdir(alias);
      // In a mount namespace of its own, execward (and the control) see HOME at a second place.
      const inNamespace = (inner: string[]): string[] => [
        UNSHARE_FLAGS ?? "-m",
        "sh",
        "-c",
        'mount --bind "$1" "$2" && shift 2 && exec "$@"',
        "sh",
        home,
        alias,
        ...inner,
      ];
      const command = `cat ${alias}/.ssh/id_ed25519 ${alias}/.netrc ${alias}/.codex/auth.json; echo x > ${alias}/.pypirc; cat ${alias}/notes.txt`;
      const control = spawnSync("unshare", inNamespace(["bash", "-c", command]), {
        env: envFor(home),
        encoding: "utf8",
      }).stdout;
      expect(control).toContain(secretOf(".ssh/id_ed25519"));
      await rm(path.join(home, ".pypirc"));
      const result = spawnSync(
        "unshare",
        inNamespace([process.execPath, CLI_PATH, "run", "--no-discover", "--", command]),
        { env: envFor(home), encoding: "utf8", cwd: path.join(home, "work") },
      );
      expect(result.stdout).toContain("ORDINARY-notes");
      expectNoSecret(result.stdout);
      expect(existsSync(path.join(home, ".pypirc"))).toBe(false);
    },
  );

  it("HOME given as a symlink (and with ..): hidden under both spellings", async () => {
    const home = await scratchHome(base, "linked-home");
    const link = path.join(base, "home-link");
    await symlink(home, link);
    const env = { ...envFor(home), HOME: `${link}/../home-link`, CODEX_HOME: `${link}/.codex` };
    const command = `cat ~/.ssh/id_ed25519 ${home}/.aws/credentials ${link}/.netrc ~/.codex/auth.json; cat ~/notes.txt`;
    const control = spawnSync("bash", ["-c", command], { env, encoding: "utf8" }).stdout;
    expect(control).toContain(secretOf(".ssh/id_ed25519"));
    const result = await runCli(["run", "--no-discover", "--", command], {
      cwd: path.join(home, "work"),
      env,
    });
    expect(result.stdout).toContain("ORDINARY-notes");
    expectNoSecret(result.stdout);
  });

  it("a hard link made before the call is another name: execward warns about it", async () => {
    const home = await scratchHome(base, "hardlink");
    await link(path.join(home, ".git-credentials"), path.join(home, "work", "copy"));
    const result = await run(home, [], "cat ~/.git-credentials");
    expectNoSecret(result.stdout);
    expect(result.stderr).toContain(".git-credentials has 2 hard links");
  });

  it("a credential created during the call (by the host) stays hidden; placeholders are removed after", async () => {
    const home = path.join(base, "later");
    await mkdir(path.join(home, "work"), { recursive: true });
    await mkdir(path.join(home, ".cargo"));
    await writeFile(path.join(home, "notes.txt"), "ORDINARY-notes\n");
    // A dotfiles symlink whose target does not exist yet.
    await mkdir(path.join(home, "dots"));
    await symlink(path.join(home, "dots/git-credentials"), path.join(home, ".git-credentials"));
    const work = path.join(home, "work");
    const running = run(
      home,
      [],
      "touch started; while [ ! -e go ]; do sleep 0.05; done; cat ~/.netrc ~/.aws/credentials ~/.cargo/credentials.toml ~/.config/gh/hosts.yml ~/.git-credentials; echo x > ~/.ssh/planted; ls -A ~/.aws; echo done",
      work,
    );
    await waitFor(path.join(work, "started"));
    // The host writes them now, as `aws configure` or `gh auth login` in another terminal would.
    await writeFile(path.join(home, ".netrc"), `${secretOf(".netrc")}\n`);
    await mkdir(path.join(home, ".aws"), { recursive: true });
    await writeFile(path.join(home, ".aws/credentials"), `${secretOf(".aws/credentials")}\n`);
    await writeFile(
      path.join(home, ".cargo/credentials.toml"),
      `${secretOf(".cargo/credentials.toml")}\n`,
    );
    // Not $CODEX_HOME/auth.json: it gets no placeholder (Codex reads it while execward runs; an
    // empty one would be a broken login), so only a login made during the call would show.
    await mkdir(path.join(home, ".config/gh"), { recursive: true });
    await writeFile(
      path.join(home, ".config/gh/hosts.yml"),
      `${secretOf(".config/gh/hosts.yml")}\n`,
    );
    await writeFile(path.join(home, "dots/git-credentials"), `${secretOf(".git-credentials")}\n`);
    await writeFile(path.join(work, "go"), "");
    const result = await running;
    expect(result.stdout).toContain("done");
    expectNoSecret(result.stdout);
    // The sandbox could not plant anything in a credential location either.
    expect(existsSync(path.join(home, ".ssh/planted"))).toBe(false);
    // Placeholders that stayed empty are gone; what the host wrote is intact.
    expect(existsSync(path.join(home, ".ssh"))).toBe(false);
    expect(existsSync(path.join(home, ".azure"))).toBe(false);
    expect(existsSync(path.join(home, ".pypirc"))).toBe(false);
    expect(await readFile(path.join(home, ".netrc"), "utf8")).toBe(`${secretOf(".netrc")}\n`);
    expect(readdirSync(path.join(home, ".aws"))).toEqual(["credentials"]);
  });

  it("escalated programs (an allow rule) and danger-full-access still read them: they run as the user", async () => {
    const home = await scratchHome(base, "escalated");
    const rules = path.join(base, "allow-cat.rules");
    await writeFile(rules, 'prefix_rule(pattern = ["cat"], decision = "allow")\n');
    const escalated = await run(home, ["--rules", rules], "cat ~/.ssh/id_ed25519");
    expect(escalated.stdout).toContain(secretOf(".ssh/id_ed25519"));
    const full = await run(home, ["--sandbox", "danger-full-access"], "head -q ~/.aws/credentials");
    expect(full.stdout).toContain(secretOf(".aws/credentials"));
  });
});

describe.skipIf(requireInCi(sandboxUnavailable))("the settings file", () => {
  it('$CODEX_HOME/execward.toml credentials = "visible": each readable', async () => {
    const home = await scratchHome(base, "visible");
    await writeFile(
      path.join(home, ".codex/execward.toml"),
      '[filesystem]\ncredentials = "visible"\n',
    );
    const result = await run(home, [], CAT_ALL);
    for (const file of CREDENTIALS) expect(result.stdout).toContain(secretOf(file));
  });

  it("$CODEX_HOME/execward.toml deny_read and deny_write (with ~), also for missing paths", async () => {
    const home = await scratchHome(base, "deny");
    await mkdir(path.join(home, "secrets"));
    await writeFile(path.join(home, "secrets/plan.txt"), "SECRET-plan\n");
    await writeFile(path.join(home, "work/.env"), "KEEP=1\n");
    await writeFile(path.join(home, "work/token"), "SECRET-token\n");
    await writeFile(
      path.join(home, ".codex/execward.toml"),
      [
        "[filesystem]",
        'deny_read = ["~/secrets", "~/work/token", "~/later"]',
        'deny_write = ["~/work/.env", "~/work/locked"]',
        "",
      ].join("\n"),
    );
    const work = path.join(home, "work");
    const command = [
      "cat ~/secrets/plan.txt; ls -A ~/secrets; cat token",
      "echo X=2 > .env; echo env=$?",
      "mkdir locked; echo locked=$?",
      "echo y > ~/later; echo later=$?",
      "echo ok > fine; cat fine",
    ].join("; ");
    const control = plainBash(`cd ${work} && cat ~/secrets/plan.txt token`, home);
    expect(control).toContain("SECRET-plan");
    const result = await run(home, [], command, work);
    expect(result.stdout).not.toContain("SECRET-plan");
    expect(result.stdout).not.toContain("plan.txt");
    expect(result.stdout).not.toContain("SECRET-token");
    expect(result.stdout).toMatch(/env=[1-9]/);
    expect(result.stdout).toMatch(/locked=[1-9]/);
    expect(result.stdout).toMatch(/later=[1-9]/);
    expect(result.stdout).toContain("ok");
    expect(await readFile(path.join(work, ".env"), "utf8")).toBe("KEEP=1\n");
    expect(existsSync(path.join(work, "locked"))).toBe(false);
    expect(existsSync(path.join(home, "later"))).toBe(false);
  });

  it("[escalation] env passes a variable to escalated programs; --escalation-env replaces the list", async () => {
    const home = await scratchHome(base, "escalation-env");
    await writeFile(path.join(home, ".codex/execward.toml"), '[escalation]\nenv = ["EW_PASSED"]\n');
    const rules = path.join(base, "allow-printenv.rules");
    await writeFile(rules, 'prefix_rule(pattern = ["printenv"], decision = "allow")\n');
    const command = "EW_PASSED=from-sandbox EW_OTHER=other printenv EW_PASSED EW_OTHER; true";
    const fromFile = await run(home, ["--rules", rules], command, path.join(home, "work"));
    expect(fromFile.stdout).toBe("from-sandbox\n");
    const flag = await run(
      home,
      ["--rules", rules, "--escalation-env", "EW_OTHER"],
      command,
      path.join(home, "work"),
    );
    expect(flag.stdout).toBe("other\n");
  });

  it("--config FILE: deny_read and deny_write from it, visible credentials; it replaces $CODEX_HOME/execward.toml", async () => {
    const home = await scratchHome(base, "config-flag");
    const work = path.join(home, "work");
    await writeFile(path.join(work, "private.txt"), "SECRET-private\n");
    await writeFile(path.join(work, "keep.txt"), "KEEP\n");
    // The default file would hide private.txt too; --config replaces it, not adds to it.
    await writeFile(
      path.join(home, ".codex/execward.toml"),
      '[filesystem]\ndeny_read = ["~/notes.txt"]\n',
    );
    const config = path.join(base, "config-flag.toml");
    await writeFile(
      config,
      '[filesystem]\ndeny_read = ["~/work/private.txt"]\ndeny_write = ["~/work/keep.txt"]\ncredentials = "visible"\n',
    );
    const command =
      "cat private.txt ~/notes.txt ~/.ssh/id_ed25519; echo changed > keep.txt; echo keep=$?";
    const result = await run(home, ["--config", config], command, work);
    expect(result.stdout).not.toContain("SECRET-private");
    expect(result.stdout).toContain("ORDINARY-notes");
    expect(result.stdout).toContain(secretOf(".ssh/id_ed25519"));
    expect(result.stdout).toMatch(/keep=[1-9]/);
    expect(await readFile(path.join(work, "keep.txt"), "utf8")).toBe("KEEP\n");
    // A --config file that does not exist is an error, not the defaults.
    const missing = await run(home, ["--config", path.join(base, "nope.toml")], "touch ran", work);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("nope.toml");
    expect(existsSync(path.join(work, "ran"))).toBe(false);
  });

  it("a bad settings file refuses to run, naming file:line", async () => {
    const home = await scratchHome(base, "bad");
    const settings = path.join(home, ".codex/execward.toml");
    const cases: [string, RegExp][] = [
      [
        '[filesystem]\n\ncredentials = "hiden"\n',
        /execward\.toml:3: filesystem\.credentials: must be "hidden" or "visible"/,
      ],
      [
        '[filesystem]\ndeny_read = [\n  "~/a",\n]\ndeny_wirte = []\n',
        /execward\.toml:5: filesystem\.deny_wirte: unknown setting/,
      ],
      [
        '[filesystem]\ndeny_read = [\n  "~/a",\n  "relative/b",\n]\n',
        /execward\.toml:2: filesystem\.deny_read: element 2/,
      ],
      ['audit_logs = "/tmp/x"\n', /execward\.toml:1: audit_logs: unknown setting/],
      [
        '[escalation]\nenv = ["A=B"]\n',
        /execward\.toml:2: escalation\.env: element 1 must be a variable name/,
      ],
      ["[filesystem\ndeny_read = []\n", /execward\.toml:1:\d+: Invalid TOML document/],
    ];
    for (const [text, message] of cases) {
      await writeFile(settings, text);
      const result = await run(home, [], "touch ran", path.join(home, "work"));
      expect(result.stderr).toMatch(message);
      expect(result.code).toBe(1);
      expect(existsSync(path.join(home, "work/ran"))).toBe(false);
    }
    // The server refuses to start too, and so does --config naming a bad file.
    const bad = path.join(base, "bad-mcp.toml");
    await writeFile(bad, '[filesystem]\ndeny_write = "~/x"\n');
    const mcp = await runCli(["mcp", "--config", bad], { env: envFor(home), cwd: home });
    expect(mcp.code).toBe(1);
    expect(mcp.stderr).toContain(`${bad}:2: filesystem.deny_write: must be an array of paths`);
    expect(mcp.stdout).toBe("");
  });
});

describe.skipIf(requireInCi(sandboxUnavailable))("execward mcp", () => {
  it("a call whose _meta sandbox state is permissive still cannot read them; restricted reads combine", async () => {
    const home = await scratchHome(base, "mcp");
    await writeFile(
      path.join(home, ".codex/execward.toml"),
      '[filesystem]\ndeny_read = ["~/private"]\ndeny_write = ["~/work/keep.txt"]\n',
    );
    await writeFile(path.join(home, "private"), "SECRET-private\n");
    await writeFile(path.join(home, "work/keep.txt"), "KEEP\n");
    const client = new Client({ name: "test", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI_PATH, "mcp"],
        env: envFor(home) as Record<string, string>,
        stderr: "ignore",
      }),
    );
    try {
      const call = async (meta: Record<string, unknown>): Promise<string> => {
        const response = await client.callTool({
          name: "shell",
          arguments: {
            command: `${CAT_ALL}; cat ~/private ~/notes.txt; echo changed > ~/work/keep.txt; echo keep=$?; true`,
            workdir: home,
            login: false,
          },
          _meta: meta,
        });
        return (response.content as { text: string }[])[0]?.text ?? "";
      };
      const special = (kind: string) => ({ type: "special", value: { kind } });
      const state = (entries: unknown[]) => ({
        "codex/sandbox-state-meta": {
          permissionProfile: {
            type: "managed",
            file_system: { type: "restricted", entries },
            network: "restricted",
          },
          sandboxCwd: `file://${home}`,
        },
      });
      // Everything readable, HOME and its credential directories writable.
      const permissive = await call(
        state([
          { path: special("root"), access: "read" },
          { path: { type: "path", path: home }, access: "write" },
          { path: { type: "path", path: path.join(home, ".ssh") }, access: "write" },
        ]),
      );
      expect(permissive).toContain("ORDINARY-notes");
      expectNoSecret(permissive);
      expect(permissive).not.toContain("SECRET-private");
      // The profile makes HOME writable; deny_write still holds.
      expect(permissive).toMatch(/keep=[1-9]/);
      expect(await readFile(path.join(home, "work/keep.txt"), "utf8")).toBe("KEEP\n");
      // Restricted reads that name HOME.
      const restricted = await call(
        state([
          { path: special("minimal"), access: "read" },
          { path: { type: "path", path: home }, access: "read" },
        ]),
      );
      expect(restricted).toContain("ORDINARY-notes");
      expectNoSecret(restricted);
      expect(restricted).not.toContain("SECRET-private");
      // The legacy policy, the whole disk readable.
      const legacy = await call({
        "codex/sandbox-state-meta": {
          sandboxPolicy: { type: "workspace-write", writable_roots: [home] },
          sandboxCwd: home,
        },
      });
      expect(legacy).toContain("ORDINARY-notes");
      expectNoSecret(legacy);
    } finally {
      await client.close();
    }
  });
});
