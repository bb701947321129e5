// MCP server benchmark: cold start (spawn to initialize result) against a bare node process
// answering the same line, the latency of a `true` call (login false and true) without a sandbox
// and under each sandbox policy against `bash -c true`, and the server's resident memory through a
// session against a bare node process's, all measured in the same run.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { z } from "zod";

// The server is started as a user starts it: the package's command, whose sh line passes node
// the V8 settings execward's memory figures depend on; the memory loop also runs it under plain
// `node dist/cli/main.js` (V8's defaults), to show what those settings buy.
const BIN = fileURLToPath(new URL("../bin/execward.js", import.meta.url));
const CLI = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
// An empty HOME: a login shell must not measure the developer's own profile scripts.
const HOME = mkdtempSync(path.join(os.tmpdir(), "execward-bench-home-"));
const ENV = {
  PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`,
  HOME,
  CODEX_HOME: path.join(HOME, ".codex"),
};
const WORK = mkdtempSync(path.join(os.tmpdir(), "execward-bench-work-"));
// `id` is allowed, so the exec loop below escalates every program it starts.
mkdirSync(path.join(ENV.CODEX_HOME, "rules"), { recursive: true });
writeFileSync(
  path.join(ENV.CODEX_HOME, "rules/bench.rules"),
  'prefix_rule(pattern=["id"], decision="allow")\n',
);
/** A bare node process that answers one JSON-RPC line and reports its resident set. */
const BARE_NODE = `
process.stdin.once("data", (line) => {
  const { id } = JSON.parse(String(line).split("\\n")[0]);
  const rss = /VmRSS:\\s+(\\d+)/.exec(require("fs").readFileSync("/proc/self/status", "utf8"))[1];
  process.stdout.write(JSON.stringify({ jsonrpc: "2.0", id, result: { rssKb: Number(rss) } }) + "\\n");
  process.exit(0);
});`;

function bareNode() {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, ["-e", BARE_NODE], { env: ENV });
    let out = "";
    child.on("error", reject);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (!out.includes("\n")) return;
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      resolve({ ms, rssMb: JSON.parse(out).result.rssKb / 1024 });
    });
    child.stdin.write(
      JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: {} }) + "\n",
    );
  });
}

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

/** The peak resident set of a fresh server (MiB: all, anonymous, file-backed) through a session. */
async function sessionMemory(command, args) {
  const client = new Client({ name: "bench", version: "1" });
  const transport = new StdioClientTransport({
    command,
    args: [...args, "mcp", "--sandbox", "read-only"],
    env: ENV,
    stderr: "ignore",
  });
  await client.connect(transport);
  const kb = (text, name) =>
    Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0) / 1024;
  // Anonymous: the JS heap, compiled code, buffers; file-backed: mostly node's own code.
  const sample = () => {
    const text = readFileSync(`/proc/${transport.pid}/status`, "utf8");
    return { rss: kb(text, "VmRSS"), anon: kb(text, "RssAnon"), file: kb(text, "RssFile") };
  };
  let peak = sample();
  const sampler = setInterval(() => {
    const now = sample();
    if (now.rss > peak.rss) peak = now;
  }, 5);
  const call = async (command) => {
    const result = await client.callTool({
      name: "shell",
      arguments: { command, workdir: WORK, login: false, timeout_ms: 120000 },
    });
    if (result.isError) throw new Error(`bench call failed: ${JSON.stringify(result.content)}`);
  };
  for (const sandboxPolicy of [{ type: "read-only" }, { type: "workspace-write" }]) {
    await client.request(
      { method: "codex/sandbox-state/update", params: { sandboxPolicy, sandboxCwd: WORK } },
      z.object({}).passthrough(),
    );
    for (let i = 0; i < 30; i++) await call("true");
  }
  await call("for i in $(seq 300); do id >/dev/null; done");
  clearInterval(sampler);
  const last = sample();
  await client.close();
  return last.rss > peak.rss ? last : peak;
}

export async function runMcpBench() {
  console.log("\n## MCP server (stdio)");
  const starts = [];
  let client;
  let transport;
  for (let i = 0; i < 5; i++) {
    client = new Client({ name: "bench", version: "1" });
    transport = new StdioClientTransport({
      command: BIN,
      args: ["mcp", "--sandbox", "danger-full-access"],
      env: ENV,
      stderr: "ignore",
    });
    const start = process.hrtime.bigint();
    await client.connect(transport);
    starts.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (i < 4) await client.close();
  }
  const bare = [];
  for (let i = 0; i < 5; i++) bare.push(await bareNode());
  const bareStart = median(bare.map((b) => b.ms));
  const bareRss = median(bare.map((b) => b.rssMb));
  console.log(
    `  cold start (spawn to initialize result): median ${median(starts).toFixed(0)} ms against ${bareStart.toFixed(0)} ms for a bare node process answering one line (${(median(starts) / bareStart).toFixed(2)}x)   [budget <= 2x]`,
  );
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
  // Memory: a fresh server's resident set, sampled through a session (sandboxed calls, then a
  // command that escalates 300 programs), started as users start it and under V8's defaults.
  const bareRssLine = `${bareRss.toFixed(1)} MiB for a bare node process`;
  for (const [label, command, args] of [
    ["the execward command", BIN, []],
    ["node dist/cli/main.js (V8 defaults)", process.execPath, [CLI]],
  ]) {
    const peak = await sessionMemory(command, args);
    console.log(
      `  server RSS through a session of 60 sandboxed calls and 300 escalated execs, ${label}: peak ${peak.rss.toFixed(1)} MiB (${peak.anon.toFixed(1)} anonymous, ${peak.file.toFixed(1)} file-backed) against ${bareRssLine} (${(peak.rss / bareRss).toFixed(2)}x)${command === BIN ? "   [budget <= 50 MiB]" : ""}`,
    );
  }
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
