// The hook against a server that misbehaves: gone, closing mid-request, answering garbage or an
// oversized frame. Every time the exec must not happen and stderr must say why.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { FrameDecoder } from "../../src/escalation/framing.js";
import { loadFdPassing, nativePaths } from "../../src/native/native-addon.js";

const addon = loadFdPassing();
const native = nativePaths();

type Behaviour =
  | "gone"
  | "close-after-request"
  | "close-before-request"
  | "garbage"
  | "oversized"
  | "unknown-action";

/** A fake server on a datagram pair that answers each request according to `behaviour`. */
function fakeServer(behaviour: Behaviour): { clientFd: number; close: () => void } {
  const [serverFd, clientFd] = addon.socketpair(false);
  if (behaviour === "gone") {
    addon.close(serverFd);
    return { clientFd, close: () => addon.close(clientFd) };
  }
  addon.setNonBlocking(serverFd);
  const watchers: { close(): void }[] = [];
  const handshakes = addon.watch(serverFd, () => {
    for (
      let message = addon.recvmsg(serverFd, 16);
      message !== null;
      message = addon.recvmsg(serverFd, 16)
    ) {
      const stream = message.fds[0];
      if (stream === undefined) continue;
      if (behaviour === "close-before-request") {
        addon.close(stream);
        continue;
      }
      addon.setNonBlocking(stream);
      const decoder = new FrameDecoder();
      const watcher = addon.watch(stream, () => {
        for (
          let chunk = addon.recvmsg(stream, 65536);
          chunk !== null;
          chunk = addon.recvmsg(stream, 65536)
        ) {
          if (chunk.data.length === 0) {
            watcher.close();
            addon.close(stream);
            return;
          }
          if (decoder.push(chunk.data).length === 0) continue;
          const header = Buffer.alloc(4);
          if (behaviour === "garbage") {
            header.writeUInt32LE(9, 0);
            addon.sendmsg(stream, Buffer.concat([header, Buffer.from("not json!")]));
          } else if (behaviour === "oversized") {
            header.writeUInt32LE(1 << 20, 0);
            addon.sendmsg(stream, header);
          } else if (behaviour === "unknown-action") {
            const body = Buffer.from('{"action":"Maybe"}');
            header.writeUInt32LE(body.length, 0);
            addon.sendmsg(stream, Buffer.concat([header, body]));
          }
          watcher.close();
          addon.close(stream);
          return;
        }
      });
      watcher.start(true, false);
      watchers.push(watcher);
    }
  });
  handshakes.start(true, false);
  return {
    clientFd,
    close: () => {
      handshakes.close();
      for (const watcher of watchers) watcher.close();
      addon.close(serverFd);
      addon.close(clientFd);
    },
  };
}

function runHooked(
  command: string,
  clientFd: number,
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/bash", ["-c", command], {
      cwd,
      stdio: ["ignore", "pipe", "pipe", clientFd],
      env: {
        PATH: "/usr/bin:/bin",
        LD_PRELOAD: native.hook,
        EXECWARD_HOOK: native.hook,
        EXECWARD_WRAPPER: native.wrapper,
        CODEX_ESCALATE_SOCKET: "3",
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "execward-failure-"));
  await writeFile(path.join(dir, "victim"), "x");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the hook fails closed", () => {
  it.each([
    ["gone", "the execward server is not reachable"],
    ["close-before-request", "no response from the execward server"],
    ["close-after-request", "no response from the execward server"],
    ["garbage", "the execward server sent a malformed response"],
    ["oversized", "the execward server sent an oversized response"],
    ["unknown-action", "the execward server sent a malformed response"],
  ] as const)("when the server is %s", async (behaviour, reason) => {
    const server = fakeServer(behaviour);
    try {
      const result = await runHooked("rm victim; echo status=$?", server.clientFd, dir);
      expect(existsSync(path.join(dir, "victim"))).toBe(true);
      expect(result.stderr).toContain(`execward: refusing to run /usr/bin/rm: ${reason}`);
      expect(result.stdout).toMatch(/^status=12[67]\n$/);
    } finally {
      server.close();
    }
  });

  it("when the hook is loaded without a session", async () => {
    const child = spawn("/bin/bash", ["-c", "rm victim; echo status=$?"], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: "/usr/bin:/bin", LD_PRELOAD: native.hook },
    });
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    await new Promise((resolve) => child.on("close", resolve));
    expect(existsSync(path.join(dir, "victim"))).toBe(true);
    expect(stderr).toContain("the exec hook is loaded without its execward session");
  });
});
