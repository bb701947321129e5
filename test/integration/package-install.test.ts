// The package as a user gets it: built with its prebuilt native parts (scripts/build-prebuilds.mjs,
// what `npm pack` runs), packed, installed with `npm i -g --ignore-scripts` into an empty prefix
// (no compiler, no install script, no build/), and then `execward run` and `execward mcp` from
// that prefix: the exec hook refuses a forbidden program, the sandbox holds, an allowed program
// is escalated by the addon, and the MCP server answers a shell call. The tarball carries the
// LICENSE, both platforms' parts, and no source maps or developer files.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { requireInCi } from "../helpers/ci.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { sandboxUnavailable } from "../helpers/sandbox.js";

const ON_X64_LINUX = process.platform === "linux" && process.arch === "x64";
/** The other architecture's parts need Debian's cross compiler and qemu-user (see .ci/run). */
const crossUnavailable = ((): string | undefined => {
  if (!ON_X64_LINUX) return `the cross build is set up for x64 hosts (this is ${process.arch})`;
  const missing = ["aarch64-linux-gnu-gcc", "qemu-aarch64-static"].filter(
    (tool) => spawnSync("sh", ["-c", 'command -v "$1"', "sh", tool]).status !== 0,
  );
  return missing.length === 0
    ? undefined
    : `${missing.join(" and ")} missing (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static)`;
})();
const unavailable = ON_X64_LINUX
  ? sandboxUnavailable
  : `this is ${process.platform}-${process.arch}`;

describe.skipIf(requireInCi(unavailable))("the packed package, installed without scripts", () => {
  const work = mkdtempSync(path.join(os.tmpdir(), "execward-package-"));
  const prefix = path.join(work, "prefix");
  const bin = path.join(prefix, "bin/execward");
  const installed = path.join(prefix, "lib/node_modules/execward");
  let files: string[] = [];

  beforeAll(() => {
    execFileSync(process.execPath, ["scripts/build-prebuilds.mjs"], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        ...process.env,
        ...(crossUnavailable === undefined ? {} : { EXECWARD_PREBUILD_TARGETS: "linux-x64" }),
      },
    });
    // dist/ is fresh (the suite's global setup builds it); prepack would rebuild it under the
    // feet of other test files, so the pack runs without scripts after the prebuilds above.
    const packed = execFileSync(
      "npm",
      ["pack", "--ignore-scripts", "--silent", "--pack-destination", work],
      { cwd: REPO_ROOT, encoding: "utf8" },
    );
    const tarball = path.join(work, packed.trim().split("\n").at(-1) ?? "");
    files = execFileSync("tar", ["tzf", tarball], { encoding: "utf8" }).trim().split("\n");
    execFileSync(
      "npm",
      [
        "install",
        "--global",
        "--ignore-scripts",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--prefix",
        prefix,
        tarball,
      ],
      { cwd: work, stdio: ["ignore", "ignore", "pipe"] },
    );
  }, 600_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** Runs the installed `execward` (the last test breaks the install, so it goes last). */
  const execward = (args: readonly string[]) =>
    spawnSync(bin, args, {
      cwd: work,
      encoding: "utf8",
      env: {
        PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`,
        HOME: mkdtempSync(path.join(work, "home-")),
      },
    });

  it("carries the LICENSE and the prebuilt parts, and no source maps or developer files", () => {
    expect(files).toContain("package/LICENSE");
    for (const part of [
      "fd_passing.node",
      "execward-hook.so",
      "execward-execve-wrapper",
      "execward-sandbox-init",
    ]) {
      expect(files).toContain(`package/prebuilds/linux-x64/${part}`);
    }
    expect(files.filter((file) => file.endsWith(".map"))).toEqual([]);
    expect(
      files.filter((file) =>
        /^package\/(test|bench|src|\.ci|build|node_modules|scripts\/build-prebuilds)/.test(file),
      ),
    ).toEqual([]);
  });

  it.skipIf(requireInCi(crossUnavailable))("carries the linux-arm64 parts too", () => {
    expect(files).toContain("package/prebuilds/linux-arm64/fd_passing.node");
    expect(files).toContain("package/prebuilds/linux-arm64/execward-hook.so");
  });

  it("installed nothing built: the parts come from prebuilds/", () => {
    expect(existsSync(path.join(installed, "build"))).toBe(false);
    expect(readdirSync(path.join(installed, "prebuilds"))).toContain("linux-x64");
  });

  it("runs `execward run`: the hook, the sandbox and an escalation all work from the install", () => {
    const outside = mkdtempSync(path.join(work, "outside-"));
    const rules = path.join(work, "package.rules");
    writeFileSync(
      rules,
      [
        `prefix_rule(pattern=["rm"], decision="forbidden")`,
        `prefix_rule(pattern=["touch"], decision="allow")`,
      ].join("\n"),
    );
    const command = [
      "echo inside",
      `rm -f ${outside}/nothing`,
      `echo direct > ${outside}/direct`,
      `touch ${outside}/escalated`,
    ].join("; ");
    const result = execward([
      "run",
      "--no-discover",
      "--rules",
      rules,
      "--sandbox",
      "read-only",
      "--",
      command,
    ]);
    expect(result.stdout).toContain("inside");
    // the hook: rm is refused by the rules
    expect(result.stderr).toMatch(/Execution (denied|forbidden)/);
    // the sandbox: a plain write outside the writable roots fails (the control for the next)
    expect(existsSync(path.join(outside, "direct"))).toBe(false);
    // the addon: the allowed touch ran outside the sandbox, on the host
    expect(existsSync(path.join(outside, "escalated"))).toBe(true);
  });

  it("serves `execward mcp`: initialize, and a shell call", async () => {
    const home = mkdtempSync(path.join(work, "home-"));
    const client = new Client({ name: "package-test", version: "1" });
    await client.connect(
      new StdioClientTransport({
        command: bin,
        args: ["mcp"],
        env: { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: home },
        stderr: "ignore",
      }),
    );
    try {
      const result = await client.callTool({
        name: "shell",
        arguments: { command: "echo from-the-package", workdir: work, login: false },
      });
      const text = (result.content as { type: string; text: string }[])[0]?.text ?? "";
      expect(JSON.parse(text)).toMatchObject({ exit_code: 0, output: "from-the-package\n" });
    } finally {
      await client.close();
    }
  });

  it("says which part is missing and how to fix it when a prebuilt part is gone", () => {
    // control: the install works (the tests above); now one part of the only set is removed
    expect(execward(["run", "--sandbox", "danger-full-access", "--", "true"]).status).toBe(0);
    rmSync(path.join(installed, "prebuilds/linux-x64/execward-hook.so"));
    const result = execward(["run", "--sandbox", "danger-full-access", "--", "true"]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("native parts for linux-x64 are missing");
    expect(result.stderr).toContain("prebuilds/linux-x64/execward-hook.so");
    expect(result.stderr).toContain("npm rebuild execward");
  });
});
