// The mountinfo path escaping, and finding mount points held by other (real) bwrap sandboxes.
import { spawn, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { escapeMountinfoPath, mountsHeldElsewhere } from "../../../src/sandbox/mount-scan.js";

describe("escapeMountinfoPath", () => {
  it.each([
    ["/a b", String.raw`/a\040b`],
    ["/a\tb", String.raw`/a\011b`],
    ["/a\nb", String.raw`/a\012b`],
    ["/a\\b", String.raw`/a\134b`],
    ["/plain/path-é_1.x", "/plain/path-é_1.x"],
    [" \t\n\\", String.raw`\040\011\012\134`],
  ])("%j → %s", (value, escaped) => {
    expect(escapeMountinfoPath(value)).toBe(escaped);
  });
});

const bwrapUsable =
  spawnSync("bwrap", ["--unshare-user", "--ro-bind", "/", "/", "--", "true"]).status === 0;

describe("mountsHeldElsewhere", () => {
  it("reports nothing for paths that nothing mounts", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "execward-mount-scan-"));
    try {
      expect(await mountsHeldElsewhere([path.join(dir, "mount point")], new Set())).toEqual(
        new Set(),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!bwrapUsable)(
    "finds a path a running bwrap sandbox has mounted, unless that sandbox is the caller's own",
    async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), "execward-mount-scan-"));
      const held = path.join(dir, "held dir");
      const free = path.join(dir, "free");
      await mkdir(held);
      const sandbox = spawn(
        "bwrap",
        ["--unshare-user", "--unshare-pid", "--die-with-parent", "--ro-bind", "/", "/"].concat([
          "--tmpfs",
          held,
          "--json-status-fd",
          "3",
          "--",
          "sleep",
          "30",
        ]),
        { stdio: ["ignore", "ignore", "ignore", "pipe"] },
      );
      try {
        const status = await new Promise<string>((resolve) => {
          let text = "";
          (sandbox.stdio[3] as NodeJS.ReadableStream)
            .setEncoding("utf8")
            .on("data", (c: string) => {
              text += c;
              if (text.includes("mnt-namespace")) resolve(text);
            });
        });
        const namespace = `mnt:[${/"mnt-namespace": *(\d+)/.exec(status)?.[1] ?? ""}]`;
        expect(await mountsHeldElsewhere([held, free], new Set())).toEqual(new Set([held]));
        expect(await mountsHeldElsewhere([held, free], new Set([namespace]))).toEqual(new Set());
      } finally {
        sandbox.kill("SIGKILL");
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
