// Red team, from outside the teams that built them: the kernel exec backstop (issue 12) and the
// hidden credentials with their settings file (issue 14), attacked from inside the sandbox
// through the real `execward run`. Every attack first runs in plain bash, without execward, and
// must succeed there (the control that lets the execward half fail). Attacks that still succeed
// under execward are `it.fails`, each with a comment naming the gap.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { requireInCi } from "../helpers/ci.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { runCli, type CliResult } from "../helpers/run-cli.js";
import { hasTool, sandboxUnavailable } from "../helpers/sandbox.js";

const RULES = [
  `prefix_rule(pattern=["rm"], decision="forbidden")`,
  `prefix_rule(pattern=["touch"], decision="allow")`,
  "",
].join("\n");
const LOADER = "/lib64/ld-linux-x86-64.so.2";
const LOADER_MULTIARCH = "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";
const hasStaticGcc =
  hasTool("gcc", "--version") &&
  spawnSync("sh", ["-c", "echo 'int main(){return 0;}' | gcc -static -x c -o /dev/null -"])
    .status === 0;
const unavailable =
  sandboxUnavailable ??
  (process.arch === "x64" ? undefined : "the loader paths here are x86-64's") ??
  (hasStaticGcc ? undefined : "no gcc with a static libc (apt-get install gcc libc6-dev)") ??
  (existsSync(LOADER) && existsSync(LOADER_MULTIARCH) ? undefined : "no x86-64 dynamic loader");

let tools: string;
let helper: string;
let evilLib: string;
let workspace: string;
let scratch: string;
let home: string;

beforeAll(async () => {
  if (unavailable !== undefined) return;
  tools = await mkdtemp("/var/tmp/execward-redteam-tools-");
  helper = path.join(tools, "redteam-exec");
  execFileSync("gcc", [
    "-static",
    "-O2",
    "-o",
    helper,
    path.join(REPO_ROOT, "test/fixtures/attacks/redteam-exec.c"),
    "-lpthread",
  ]);
  // A library whose constructor writes a marker next to itself: proof it ran (and where).
  const source = path.join(tools, "evil.c");
  writeFileSync(
    source,
    `#include <fcntl.h>\n#include <unistd.h>\n__attribute__((constructor)) static void pwn(void) {\n` +
      `  int fd = open("${tools}/pwned", O_CREAT | O_WRONLY, 0644); if (fd >= 0) close(fd); }\n`,
  );
  evilLib = path.join(tools, "evil.so");
  execFileSync("gcc", ["-shared", "-fPIC", "-o", evilLib, source]);
});
afterAll(async () => {
  if (tools !== undefined) await rm(tools, { recursive: true, force: true });
});
beforeEach(async () => {
  if (unavailable !== undefined) return;
  scratch = await mkdtemp("/var/tmp/execward-redteam-");
  home = path.join(scratch, "home");
  workspace = path.join(scratch, "ws");
  mkdirSync(home);
  mkdirSync(workspace);
  await writeFile(path.join(scratch, "test.rules"), RULES);
  await writeFile(path.join(workspace, "victim"), "precious\n");
});
afterEach(async () => {
  if (scratch === undefined) return;
  spawnSync("rm", ["-rf", scratch]); // trees deeper than PATH_MAX, which GNU rm walks relatively
  await rm(scratch, { recursive: true, force: true });
});

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    CODEX_HOME: path.join(home, ".codex"),
    XDG_CONFIG_HOME: path.join(home, ".config"),
    LANG: "C.UTF-8",
    ...extra,
  };
}

function execward(
  command: string,
  flags: readonly string[] = [],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<CliResult> {
  const rules = path.join(scratch, "test.rules");
  return runCli(["run", "--no-discover", "--rules", rules, ...flags, "--", command], {
    cwd: workspace,
    env: env(extraEnv),
  });
}

function plain(command: string, extraEnv: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync("bash", ["-c", command], { cwd: workspace, env: env(extraEnv) });
  return `${r.stdout.toString()}${r.stderr.toString()}`;
}

const victim = (): string => path.join(workspace, "victim");

/** Plain bash deletes the victim with `command`; execward must not. */
async function expectRmBlocked(command: string): Promise<CliResult> {
  plain(command);
  expect(existsSync(victim()), `control: \`${command}\` deletes the victim without execward`).toBe(
    false,
  );
  await writeFile(victim(), "precious\n");
  const result = await execward(command);
  expect(existsSync(victim()), `${result.stdout}\n${result.stderr}`).toBe(true);
  return result;
}

describe.skipIf(requireInCi(unavailable))("red team: the kernel exec backstop", () => {
  const H = (): string => helper;
  const routes: readonly (readonly [string, () => string])[] = [
    ["a raw execve system call", () => `${H()} raw /usr/bin/rm victim`],
    ["a raw execve whose argv[0] names another program", () => `${H()} argv0 /usr/bin/rm victim`],
    ["execveat AT_EMPTY_PATH on an O_PATH descriptor", () => `${H()} opath /usr/bin/rm victim`],
    ["/proc/self/fd/N of an O_PATH descriptor", () => `${H()} procfd /usr/bin/rm victim`],
    ["/dev/fd/N", () => `${H()} devfd /usr/bin/rm victim`],
    ["another process's /proc/PID/fd/N", () => `${H()} procpid /usr/bin/rm victim`],
    ["/proc/self/root/usr/bin/rm", () => `${H()} raw /proc/self/root/usr/bin/rm victim`],
    ["a symlink with another name", () => `ln -sf /usr/bin/rm del && ${H()} raw ./del victim`],
    ["a symlink with a non-UTF-8 name", () => `ln -sf /usr/bin/rm $'\\xff' && ./$'\\xff' victim`],
    ["more arguments than the supervisor reads", () => `${H()} bigargv /usr/bin/rm victim 60000`],
    ["ld.so --argv0", () => `${LOADER} --argv0 ls /usr/bin/rm victim`],
    ["ld.so --inhibit-cache", () => `${LOADER} --inhibit-cache /usr/bin/rm victim`],
    ["ld.so --library-path", () => `${LOADER} --library-path /tmp /usr/bin/rm victim`],
    ["ld.so --audit", () => `${LOADER} --audit /nonexistent.so /usr/bin/rm victim`],
    ["ld.so by its multiarch path", () => `${LOADER_MULTIARCH} /usr/bin/rm victim`],
    [
      "ld.so through a symlink named myld",
      () => `ln -sf ${LOADER} myld && ./myld /usr/bin/rm victim`,
    ],
    ["a storm of 64 parallel raw execs", () => `${H()} storm /usr/bin/rm victim 64`],
  ];
  for (const [name, command] of routes)
    it(`${name} does not let a forbidden rm delete a file`, async () => {
      const result = await expectRmBlocked(command());
      expect(result.stderr + result.stdout).toMatch(/denied|Permission denied|not permitted/);
    });

  it("a program deep below PATH_MAX's reach is refused, not waved through", async () => {
    // cwd longer than PATH_MAX: the supervisor cannot name it, so the exec must fail closed.
    const deep = `d=$PWD; for i in $(seq 1 25); do mkdir -p ${"a".repeat(200)} && cd ${"a".repeat(200)}; done`;
    const command = `${deep}; ln -sf /usr/bin/rm x; cp $d/victim v; ${helper} raw ./x v; test -e v && echo KEPT || echo GONE`;
    expect(plain(command)).toContain("GONE");
    const result = await execward(command);
    expect(result.stdout).toContain("KEPT");
  });

  it("a program the rules allow, reached only through the backstop, is not escalated", async () => {
    // Control: through the hook, `touch` (allow) escalates and writes outside the sandbox.
    const hookMarker = path.join(scratch, "escalated-by-hook");
    const staticMarker = path.join(scratch, "escalated-by-backstop");
    await execward(`touch ${hookMarker}`);
    expect(existsSync(hookMarker), "control: the hook escalates an allowed touch").toBe(true);
    const result = await execward(`${helper} raw /usr/bin/touch ${staticMarker}`);
    expect(existsSync(staticMarker), result.stderr).toBe(false);
    expect(result.stderr).toContain("Read-only file system");
  });

  it("an escalated `ld.so --preload EVIL touch` does not carry the preload to the host", async () => {
    plain(`${LOADER} --preload ${evilLib} /usr/bin/true`);
    expect(existsSync(path.join(tools, "pwned")), "control: --preload runs the library").toBe(true);
    await rm(path.join(tools, "pwned"));
    const marker = path.join(scratch, "escalated-ld");
    await execward(`${LOADER} --preload ${evilLib} /usr/bin/touch ${marker}`);
    expect(existsSync(marker), "the loader's touch is escalated, as touch").toBe(true);
    expect(existsSync(path.join(tools, "pwned"))).toBe(false);
  });

  it("the supervisor is not visible from inside the sandbox", async () => {
    const result = await execward(
      `for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done`,
    );
    expect(result.stdout).toContain("bwrap");
    expect(result.stdout).not.toContain("exec-supervisor");
  });

  // GAP (documented in docs/exec-interception.md, "A race in user notification"): a thread
  // flips the exec's path from /usr/bin/true to /usr/bin/rm after the supervisor read it; the
  // kernel then runs rm. It stays inside the sandbox (never escalated), but the forbidden rule
  // does not hold. Fix direction: the supervisor opens the program itself and answers with
  // SECCOMP_IOCTL_NOTIF_ADDFD + an execveat of that descriptor is not possible from outside, so
  // only a kernel-side check (Landlock/LSM exec hook) closes it.
  it.fails(
    "a thread racing the path after the supervisor read it runs a forbidden rm",
    async () => {
      expect(plain(`${helper} race /usr/bin/true victim 5000`)).toContain("race won");
      await writeFile(victim(), "precious\n");
      const result = await execward(`${helper} race /usr/bin/true victim 5000`);
      expect(existsSync(victim()), result.stdout).toBe(true);
    },
  );

  // GAP (documented as "copies"): a copy of the dynamic loader under another name is not
  // recognised as the loader, so `./ldcopy /usr/bin/rm` is judged as `ldcopy`. Fix direction:
  // recognise the loader by content (ELF with no PT_INTERP and the loader's soname / the same
  // device+inode or hash as the system loader), not by name.
  it.fails("a copy of ld.so under another name runs a forbidden rm", async () => {
    const command = `cp ${LOADER} ./ldcopy && ./ldcopy /usr/bin/rm victim`;
    await expectRmBlocked(command);
  });
});

const SECRETS: Readonly<Record<string, string>> = {
  ".ssh/id_ed25519": "SECRET-ssh",
  ".aws/credentials": "SECRET-aws",
  ".netrc": "SECRET-netrc",
  ".git-credentials": "SECRET-gitcred",
  ".docker/config.json": "SECRET-docker",
  ".config/gh/hosts.yml": "SECRET-gh",
  ".codex/auth.json": "SECRET-codex",
};

function plantSecrets(root: string): void {
  for (const [file, content] of Object.entries(SECRETS)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), `${content}\n`);
  }
  writeFileSync(path.join(root, "notes.txt"), "ordinary\n");
  mkdirSync(path.join(root, "secrets"), { recursive: true });
  writeFileSync(path.join(root, "secrets", "s"), "SECRET-denied\n");
}

/** Reads every planted secret by `prefix` (a spelling of HOME) and greps what is reachable. */
function readAll(prefix: string): string {
  return [
    `cat ~/notes.txt`,
    ...Object.keys(SECRETS).map((f) => `cat ${prefix}/${f}`),
    `ln -sf ${prefix}/.ssh/id_ed25519 link && cat link`,
    `ln ${prefix}/.netrc hard && cat hard`,
    `grep -r SECRET ${prefix} /proc/self/root${prefix} /proc/1/root${prefix}`,
  ]
    .map((c) => `${c} 2>/dev/null`)
    .join("; ");
}

function leaked(output: string): string[] {
  return Object.values(SECRETS).filter((s) => output.includes(s));
}

describe.skipIf(requireInCi(unavailable))("red team: hidden credentials", () => {
  beforeEach(() => {
    if (unavailable !== undefined) return;
    plantSecrets(home);
  });

  const spellings: readonly (readonly [string, () => string])[] = [
    ["~", () => "~"],
    ["/proc/self/root + HOME", () => `/proc/self/root${home}`],
    ["HOME with //", () => home.replace("/home", "//home")],
    ["HOME with /./", () => home.replace("/home", "/./home")],
    ["HOME with ../", () => home.replace("/home", "/ws/../home")],
  ];
  for (const [name, prefix] of spellings)
    it(`no credential is readable through ${name}`, async () => {
      const command = readAll(prefix());
      expect(leaked(plain(command)), "control: plain bash reads them all").toHaveLength(
        Object.keys(SECRETS).length,
      );
      const result = await execward(command);
      expect(result.stdout).toContain("ordinary");
      expect(leaked(result.stdout + result.stderr)).toEqual([]);
    });

  for (const root of ["/home/", "//home", "/home/.ssh/", "/home/.ssh/.", "/home/.aws/../.ssh"])
    it(`a writable root spelled ${root} does not unmask a credential`, async () => {
      const command = readAll("~");
      const result = await execward(command, ["--writable-root", scratch + root]);
      expect(result.stdout).toContain("ordinary");
      expect(leaked(result.stdout + result.stderr)).toEqual([]);
    });

  it("a HOME that is a symlink, with ~/.ssh a symlink to a dotfiles dir, hides the targets", async () => {
    const keys = path.join(scratch, "keys");
    mkdirSync(keys);
    await rm(path.join(home, ".ssh"), { recursive: true });
    writeFileSync(path.join(keys, "id_ed25519"), "SECRET-ssh\n");
    symlinkSync(keys, path.join(home, ".ssh"));
    const homeLink = path.join(scratch, "homelink");
    symlinkSync(home, homeLink);
    const command = `${readAll("~")}; cat ${keys}/id_ed25519 ${home}/.netrc 2>/dev/null`;
    expect(leaked(plain(command, { HOME: homeLink }))).toContain("SECRET-ssh");
    const result = await execward(command, [], { HOME: homeLink });
    expect(result.stdout).toContain("ordinary");
    expect(leaked(result.stdout + result.stderr)).toEqual([]);
  });

  it("CODEX_HOME inside the writable workspace keeps auth.json hidden, even moved", async () => {
    const codexHome = path.join(workspace, ".cx");
    mkdirSync(codexHome);
    writeFileSync(path.join(codexHome, "auth.json"), "SECRET-codex\n");
    const command = `cat .cx/auth.json; mv .cx .cy; cat .cy/auth.json; cp -r . /tmp/copy-$$ ; grep -r SECRET /tmp/copy-$$; rm -rf /tmp/copy-$$`;
    expect(plain(command, { CODEX_HOME: codexHome })).toContain("SECRET-codex");
    await rm(path.join(workspace, ".cy"), { recursive: true, force: true });
    mkdirSync(codexHome, { recursive: true });
    writeFileSync(path.join(codexHome, "auth.json"), "SECRET-codex\n");
    const result = await execward(command, [], { CODEX_HOME: codexHome });
    expect(result.stdout + result.stderr).not.toContain("SECRET-codex");
  });

  it("the sandbox cannot unshare a mount namespace to take a mask off", async () => {
    const command = `unshare -rm sh -c 'umount ${home}/.ssh; cat ${home}/.ssh/id_ed25519'`;
    expect(plain(command)).toContain("SECRET-ssh");
    const result = await execward(command);
    expect(result.stdout + result.stderr).not.toContain("SECRET-ssh");
  });

  describe("settings file", () => {
    const config = (toml: string): string => {
      const file = path.join(scratch, "execward.toml");
      writeFileSync(file, toml);
      return file;
    };
    const readDenied = `cat ~/secrets/s 2>&1; cat ~/.netrc 2>&1; true`;

    for (const [name, toml] of [
      ["dotted keys", `filesystem.deny_read = ["~/secrets"]\n`],
      ["an inline table", `filesystem = { deny_read = ["~/secrets"] }\n`],
      ["a quoted key", `[filesystem]\n"deny_read" = ["~/secrets"]\n`],
      ["a trailing slash", `[filesystem]\ndeny_read = ["~/secrets/"]\n`],
      ["a path with .. and //", `[filesystem]\ndeny_read = ["~/x/..//secrets"]\n`],
      ["a UTF-8 BOM", `\ufeff[filesystem]\ndeny_read = ["~/secrets"]\n`],
    ] as const)
      it(`deny_read written with ${name} hides the path`, async () => {
        expect(plain(readDenied)).toContain("SECRET-denied");
        const result = await execward(readDenied, ["--config", config(toml)]);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).not.toContain("SECRET-denied");
      });

    for (const [name, toml, line] of [
      ["a duplicate key", `[filesystem]\ndeny_read = ["~/secrets"]\ndeny_read = []\n`, ":3"],
      ["a duplicate table", `[filesystem]\n[filesystem]\ndeny_read = []\n`, ":2"],
      ["an array of tables", `[[filesystem]]\ndeny_read = ["~/secrets"]\n`, ":1"],
      ["an unknown key", `[filesystem]\ndeny_reads = ["~/secrets"]\n`, ":2"],
      ["a table in the wrong case", `[Filesystem]\ndeny_read = ["~/secrets"]\n`, ":1"],
      ["a string for an array", `[filesystem]\ndeny_read = "~/secrets"\n`, ":2"],
      ["a boolean credentials", `[filesystem]\ncredentials = true\n`, ":2"],
      ["a capitalised credentials", `[filesystem]\ncredentials = "Visible"\n`, ":2"],
      ["a relative path", `[filesystem]\ndeny_read = ["secrets"]\n`, ":2"],
      ["~user", `[filesystem]\ndeny_read = ["~root/x"]\n`, ":2"],
      ["an empty path", `[filesystem]\ndeny_read = [""]\n`, ":2"],
      ["a denied /", `[filesystem]\ndeny_read = ["/"]\n`, ":2"],
    ] as const)
      it(`a settings file with ${name} is refused with file:line and runs nothing`, async () => {
        const file = config(toml);
        const marker = path.join(scratch, "ran");
        const result = await execward(`echo ran > ${marker}`, ["--config", file]);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain(`${file}${line}`);
        expect(existsSync(marker)).toBe(false);
      });

    // Was a gap (fixed): a glob in deny_read was taken literally, hiding nothing, silently.
    it("a glob in deny_read is refused or honoured, never silently ignored", async () => {
      const file = config(`[filesystem]\ndeny_read = ["~/secr*"]\n`);
      const result = await execward(readDenied, ["--config", file]);
      const refused = result.code !== 0 && result.stderr.includes(`${file}:2`);
      expect(refused || !result.stdout.includes("SECRET-denied"), result.stdout).toBe(true);
    });

    // Was a gap (fixed): a NUL passed validation and failed later without file:line.
    it("a NUL byte in a deny_read path is refused with file:line", async () => {
      const file = config(`[filesystem]\ndeny_read = ["~/secrets\\u0000x"]\n`);
      const result = await execward("true", ["--config", file]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`${file}:2`);
    });

    it("credentials = visible shows them (the control for the hiding tests)", async () => {
      const file = config(`[filesystem]\ncredentials = "visible"\n`);
      const result = await execward(readAll("~"), ["--config", file]);
      expect(leaked(result.stdout)).toContain("SECRET-netrc");
    });
  });
});
