// MCP server benchmark: cold start (spawn to initialize result) and the latency of a `true` call
// (login false and true) without a sandbox and under each sandbox policy, against `bash -c true`
// measured in the same run.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { z } from "zod";

const CLI = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
// An empty HOME: a login shell must not measure the developer's own profile scripts.
const HOME = mkdtempSync(path.join(os.tmpdir(), "execward-bench-home-"));
const ENV = { PATH: "/usr/bin:/bin", HOME, CODEX_HOME: path.join(HOME, ".codex") };
const WORK = mkdtempSync(path.join(os.tmpdir(), "execward-bench-work-"));

function bashTrue() {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    spawn("/bin/bash", ["-c", "true"], { stdio: "ignore" }).on("close", () =>
      resolve(Number(process.hrtime.bigint() - start) / 1e6),
    );
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function runMcpBench() {
  console.log("\n## MCP server (stdio)");
  const starts = [];
  let client;
  let transport;
  for (let i = 0; i < 5; i++) {
    client = new Client({ name: "bench", version: "1" });
    transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, "mcp", "--sandbox", "danger-full-access"],
      env: ENV,
      stderr: "ignore",
    });
    const start = process.hrtime.bigint();
    await client.connect(transport);
    starts.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (i < 4) await client.close();
  }
  console.log(`  cold start (spawn to initialize result): median ${median(starts).toFixed(0)} ms`);
  const bash = [];
  for (let i = 0; i < 20; i++) bash.push(await bashTrue());
  const baseline = median(bash);
  console.log(`  baseline bash -c true: ${baseline.toFixed(1)} ms`);
  const setPolicy = (sandboxPolicy) =>
    client.request(
      { method: "codex/sandbox-state/update", params: { sandboxPolicy, sandboxCwd: WORK } },
      z.object({}).passthrough(),
    );
  const callTrue = async (login) => {
    const times = [];
    for (let i = 0; i < 30; i++) {
      const start = process.hrtime.bigint();
      const result = await client.callTool({
        name: "shell",
        arguments: { command: "true", workdir: WORK, login },
      });
      if (result.isError) throw new Error(`bench call failed: ${JSON.stringify(result.content)}`);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return median(times);
  };
  const unsandboxed = {};
  for (const login of [false, true]) {
    const m = await callTrue(login);
    unsandboxed[login] = m;
    console.log(
      `  shell call \`true\`, login ${login}, danger-full-access (no sandbox): median ${m.toFixed(1)} ms (${(m / baseline).toFixed(1)}x bash -c true)`,
    );
  }
  for (const [name, policy] of [
    ["read-only", { type: "read-only" }],
    ["workspace-write", { type: "workspace-write" }],
    ["read-only, restricted reads", { type: "read-only", access: { type: "restricted" } }],
  ]) {
    await setPolicy(policy);
    const m = await callTrue(false);
    console.log(
      `  shell call \`true\`, login false, ${name}: median ${m.toFixed(1)} ms (+${(m - unsandboxed[false]).toFixed(1)} ms over no sandbox)   [budget <= 15 ms]`,
    );
  }
  await setPolicy({ type: "danger-full-access" });
  // Memory: the server's resident set before and after a call printing 50 MB.
  const rss = () => {
    const status = readFileSync(`/proc/${transport.pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  };
  const before = rss();
  await client.callTool({
    name: "shell",
    arguments: {
      command: "head -c 50000000 /dev/zero | tr '\\0' a",
      workdir: WORK,
      login: false,
      timeout_ms: 60000,
    },
  });
  const after = rss();
  console.log(
    `  50 MB of output: server RSS ${before.toFixed(0)} MB -> ${after.toFixed(0)} MB (growth ${(after - before).toFixed(0)} MB)   [budget <= 64 MB]`,
  );
  await client.close();
}
