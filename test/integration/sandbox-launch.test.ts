// `execward run` and the sandbox launcher from the outside: the CLI's sandbox options, failing
// closed (no bwrap, no user namespaces) with a reason and nothing run, upstream's /proc retry,
// exec-wrapper mode inside the sandbox, and a sandboxed command unable to type into the
// terminal it was started from.
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { requireInCi } from "../helpers/ci.js";
import { hasTool, launcher, sandboxUnavailable } from "../helpers/sandbox.js";
import { runIntercepted } from "../helpers/intercepted.js";
import { CLI_PATH } from "../helpers/paths.js";
import { runInPty } from "../helpers/pty.js";
import { runCli } from "../helpers/run-cli.js";
import { UPSTREAM_PATCHED_BASH, upstreamUnavailable } from "../helpers/upstream.js";

const unavailable = sandboxUnavailable;
const realBwrap = unavailable === undefined ? (await launcher.capabilities()).bwrap : "";
const hasPython = hasTool("python3", "-c", "pass");

let dir: string;
let outside: string;
const ENV = { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: "/nonexistent" };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "execward-launch-"));
  outside = await mkdtemp("/var/tmp/execward-launch-out-");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

async function fakeBwrap(name: string, script: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\n${script}\n`);
  await chmod(file, 0o755);
  return file;
}

describe("failing closed", () => {
  it("no bwrap: says how to install it, runs nothing, exits 1", async () => {
    const result = await runCli(
      ["run", "--no-discover", "--bwrap", path.join(dir, "no-such-bwrap"), "--", "touch ran"],
      { cwd: dir, env: ENV },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("apt-get install bubblewrap");
    expect(result.stderr).toContain("Only the danger-full-access policy runs without it");
    expect(existsSync(path.join(dir, "ran"))).toBe(false);
  });

  it("bwrap unable to create namespaces (e.g. Ubuntu's AppArmor restriction): explains the fix", async () => {
    const bwrap = await fakeBwrap(
      "userns-denied-bwrap",
      'echo "bwrap: setting up uid map: Permission denied" >&2; exit 1',
    );
    const result = await runCli(["run", "--no-discover", "--bwrap", bwrap, "--", "touch ran"], {
      cwd: dir,
      env: ENV,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("setting up uid map: Permission denied");
    expect(result.stderr).toContain("kernel.apparmor_restrict_unprivileged_userns");
    expect(existsSync(path.join(dir, "ran"))).toBe(false);
  });

  it("only danger-full-access runs without a sandbox, and says so", async () => {
    const result = await runCli(
      [
        "run",
        "--no-discover",
        "--sandbox",
        "danger-full-access",
        "--bwrap",
        path.join(dir, "no-such-bwrap"),
        "--",
        "echo ran",
      ],
      { cwd: dir, env: ENV },
    );
    expect(result).toMatchObject({ code: 0, stdout: "ran\n" });
    expect(result.stderr).toContain("danger-full-access: no sandbox");
  });

  it("rejects contradictory sandbox options as usage errors", async () => {
    for (const args of [
      ["--sandbox", "read-only", "--writable-root", dir],
      ["--sandbox", "danger-full-access", "--network"],
      ["--sandbox", "bogus"],
      ["--sandbox-policy", '{"type":"read-only","network_access":"yes"}'],
    ]) {
      const result = await runCli(["run", "--no-discover", ...args, "--", "true"], {
        cwd: dir,
        env: ENV,
      });
      expect(result.code, args.join(" ")).toBe(2);
    }
  });
});

describe.skipIf(requireInCi(unavailable))(
  `execward run in the sandbox${unavailable === undefined ? "" : ` (SKIPPED: ${unavailable})`}`,
  () => {
    it("defaults to workspace-write on the current directory", async () => {
      const result = await runCli(
        [
          "run",
          "--no-discover",
          "--",
          `echo in > here && echo in-ok; echo out > ${outside}/x || echo out-refused`,
        ],
        { cwd: dir, env: ENV },
      );
      expect(result.stdout).toBe("in-ok\nout-refused\n");
      expect(await readFile(path.join(dir, "here"), "utf8")).toBe("in\n");
    });

    it("--writable-root adds a root, --sandbox read-only writes nowhere", async () => {
      const extra = await mkdtemp(path.join(outside, "extra-"));
      const wrote = await runCli(
        ["run", "--no-discover", "--writable-root", extra, "--", `echo x > ${extra}/f && echo ok`],
        { cwd: dir, env: ENV },
      );
      expect(wrote.stdout).toBe("ok\n");
      const refused = await runCli(
        ["run", "--no-discover", "--sandbox", "read-only", "--", "echo x > ro || echo refused"],
        { cwd: dir, env: ENV },
      );
      expect(refused.stdout).toBe("refused\n");
      expect(existsSync(path.join(dir, "ro"))).toBe(false);
    });

    it("--sandbox-policy takes upstream's JSON, --readable-root restricts reads", async () => {
      const secret = path.join(outside, "secret");
      await writeFile(secret, "s3cret\n");
      const json = await runCli(
        [
          "run",
          "--no-discover",
          "--sandbox-policy",
          JSON.stringify({ type: "workspace-write", writable_roots: [outside] }),
          "--",
          `echo y > ${outside}/from-json && echo ok`,
        ],
        { cwd: dir, env: ENV },
      );
      expect(json.stdout).toBe("ok\n");
      const restricted = await runCli(
        [
          "run",
          "--no-discover",
          "--readable-root",
          dir,
          "--",
          `cat ${secret} 2>/dev/null || echo hidden`,
        ],
        { cwd: dir, env: ENV },
      );
      expect(restricted.stdout).toBe("hidden\n");
    });

    it("retries without a fresh /proc when the host refuses it, hiding the host's", async () => {
      const bwrap = await fakeBwrap(
        "no-proc-bwrap",
        `for a in "$@"; do [ "$a" = "--proc" ] && { echo "bwrap: Can't mount proc on /newroot/proc: Operation not permitted" >&2; exit 1; }; done
exec ${realBwrap} "$@"`,
      );
      const result = await runCli(
        ["run", "--no-discover", "--bwrap", bwrap, "--", "ls /proc | wc -l; echo ran"],
        { cwd: dir, env: ENV },
      );
      expect(result.stderr).toContain("could not mount /proc");
      expect(result.stdout).toBe("0\nran\n");
    });

    it.skipIf(requireInCi(upstreamUnavailable))(
      "exec-wrapper mode: upstream's patched bash and our wrapper work inside the sandbox",
      async () => {
        const result = await runIntercepted("printenv HOME; rm -f x; echo status=$?", {
          shell: UPSTREAM_PATCHED_BASH,
          mode: "exec-wrapper",
          cwd: dir,
          rules: `prefix_rule(pattern=["printenv"], decision="allow")\nprefix_rule(pattern=["rm"], decision="forbidden")\n`,
          sandbox: {
            launcher,
            policy: {
              type: "read-only",
              access: { type: "full-access" },
              network_access: false,
            },
          },
        });
        expect(result.stdout).toBe(`${process.env.HOME ?? "/root"}\nstatus=1\n`);
        expect(result.stderr).toContain("Execution denied");
        expect(
          result.decisions.map((d) => [path.basename(d.request.file), d.decision.action]),
        ).toEqual([
          ["printenv", "escalate"],
          ["rm", "deny"],
        ]);
      },
    );

    it.skipIf(requireInCi(hasPython ? undefined : "python3 is not installed"))(
      "a sandboxed command cannot type into the terminal it was started from (TIOCSTI)",
      async ({ skip }) => {
        const attempt = (sandbox: string): Promise<string> => {
          const inject =
            'python3 -c \'import fcntl, termios\ntry:\n    fcntl.ioctl(0, termios.TIOCSTI, b"X"); print("injected")\nexcept OSError as e:\n    print("refused:", e.strerror)\'';
          // A real pseudo-terminal, the controlling terminal of `execward run`.
          return runInPty(
            [
              process.execPath,
              CLI_PATH,
              "run",
              "--no-discover",
              "--sandbox",
              sandbox,
              "--",
              inject,
            ],
            { cwd: dir, env: ENV },
          );
        };
        const control = await attempt("danger-full-access");
        // The kernel refuses TIOCSTI outright (dev.tty.legacy_tiocsti=0): nothing to prove.
        if (!control.includes("injected"))
          skip(`the host refuses TIOCSTI even unsandboxed: ${control.trim()}`);
        const sandboxed = await attempt("read-only");
        expect(sandboxed).toContain("refused: Operation not permitted");
        expect(sandboxed).not.toContain("injected");
      },
    );
  },
);
