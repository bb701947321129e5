// Start-up benchmark: how long a client waits for `execward mcp` to answer `initialize` (and then
// `tools/list`), and how long `execward --version` takes, each against a bare node process doing
// the same in the same run: a node script that answers every JSON-RPC request line with a fixed
// result, and `node -e 0`. Also printed, without a baseline: when a first `true` call returns
// (everything loaded, the sandbox probed and started). Runs are interleaved (one of each, repeated) so that load on a shared
// machine falls on both sides alike; figures are medians, printed with their ratio.
//
// execward is started as a user starts it: the package's command (bin/execward.js, through its sh
// line, with the V8 settings it passes to node).
//
// EXECWARD_STARTUP_COMPARE=/path/to/other/bin/execward.js (or .../dist/cli/main.js, run with node)
// adds another build of execward to the same interleaved runs (a before/after comparison).
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../bin/execward.js", import.meta.url));
const RUNS = 15;
const HOME = mkdtempSync(path.join(os.tmpdir(), "execward-startup-bench-"));
// The command's sh line finds node on PATH, as a user's shell would: this node first.
const ENV = {
  PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`,
  HOME,
  CODEX_HOME: path.join(HOME, ".codex"),
};

const INITIALIZE = `${JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: { elicitation: {} },
    clientInfo: { name: "startup-bench", version: "1" },
  },
})}\n`;
const INITIALIZED = `${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`;
const TOOLS_LIST = `${JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" })}\n`;
const CALL_TRUE = `${JSON.stringify({
  jsonrpc: "2.0",
  id: 3,
  method: "tools/call",
  params: { name: "shell", arguments: { command: "true", workdir: HOME, login: false } },
})}\n`;

/** The baseline server: node itself, answering each request line as soon as it is read. */
const BARE = path.join(HOME, "bare-server.mjs");
writeFileSync(
  BARE,
  `let buffered = "";
process.stdin.setEncoding("utf8").on("data", (chunk) => {
  buffered += chunk;
  let end;
  while ((end = buffered.indexOf("\\n")) !== -1) {
    const message = JSON.parse(buffered.slice(0, end));
    buffered = buffered.slice(end + 1);
    if (message.id === undefined) continue;
    process.stdout.write(JSON.stringify({ result: {}, jsonrpc: "2.0", id: message.id }) + "\\n");
  }
});
`,
);

function elapsedMs(start) {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Spawn to the `initialize` answer, then to the `tools/list` answer (sent right after the first
 * answer, as a client does), then to the answer of a first `true` call (sent after the list).
 */
function handshake([command, ...args]) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { env: ENV, stdio: ["pipe", "pipe", "ignore"] });
    let out = "";
    const times = [];
    child.on("error", reject);
    child.on("exit", (code) => {
      if (times.length < 3)
        reject(new Error(`${command} ${args.join(" ")} exited (${code}) before answering`));
    });
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      out += chunk;
      const lines = out.split("\n").length - 1;
      while (times.length < Math.min(lines, 3)) {
        times.push(elapsedMs(start));
        if (times.length === 1) child.stdin.write(INITIALIZED + TOOLS_LIST);
        if (times.length === 2) child.stdin.write(CALL_TRUE);
      }
      if (times.length === 3) {
        child.stdin.end();
        child.kill();
        const [initialized, listed, called] = times;
        resolve({ initialized, listed, called });
      }
    });
    child.stdin.write(INITIALIZE);
  });
}

function exits([command, ...args]) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { env: ENV, stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve(elapsedMs(start))
        : reject(new Error(`${command} ${args.join(" ")}: exit ${code}`)),
    );
  });
}

/** The argv that starts another build: its command as it is, or its dist entry under node. */
function command(file) {
  return file.endsWith("/bin/execward.js") ? [file] : [process.execPath, file];
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function runStartupBench() {
  console.log("\n## Start-up (spawn to answer; interleaved with bare node, medians)");
  const compare = process.env.EXECWARD_STARTUP_COMPARE;
  const servers = {
    bare: [process.execPath, BARE],
    execward: [BIN, "mcp"],
    ...(compare === undefined ? {} : { compared: [...command(compare), "mcp"] }),
  };
  const versions = {
    bare: [process.execPath, "-e", "0"],
    execward: [BIN, "--version"],
    ...(compare === undefined ? {} : { compared: [...command(compare), "--version"] }),
  };
  const handshakes = Object.fromEntries(Object.keys(servers).map((name) => [name, []]));
  const versionTimes = Object.fromEntries(Object.keys(versions).map((name) => [name, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const [name, args] of Object.entries(servers))
      handshakes[name].push(await handshake(args));
    for (const [name, args] of Object.entries(versions)) versionTimes[name].push(await exits(args));
  }
  const figure = (name, key) => median(handshakes[name].map((h) => h[key]));
  const bareInit = figure("bare", "initialized");
  const bareList = figure("bare", "listed");
  console.log(
    `  bare node answering the same lines: initialize ${bareInit.toFixed(1)} ms, then tools/list ${bareList.toFixed(1)} ms`,
  );
  for (const name of Object.keys(servers).filter((n) => n !== "bare")) {
    const label = name === "execward" ? "execward mcp" : `execward mcp (${compare})`;
    const init = figure(name, "initialized");
    const list = figure(name, "listed");
    console.log(
      `  ${label}: initialize ${init.toFixed(1)} ms (${(init / bareInit).toFixed(2)}x bare node), then tools/list ${list.toFixed(1)} ms (${(list / bareList).toFixed(2)}x), then a first \`true\` call (read-only sandbox) ${figure(name, "called").toFixed(1)} ms`,
    );
  }
  const bareVersion = median(versionTimes.bare);
  console.log(`  node -e 0: ${bareVersion.toFixed(1)} ms`);
  for (const name of Object.keys(versions).filter((n) => n !== "bare")) {
    const label = name === "execward" ? "execward --version" : `execward --version (${compare})`;
    const time = median(versionTimes[name]);
    console.log(
      `  ${label}: ${time.toFixed(1)} ms (${(time / bareVersion).toFixed(2)}x node -e 0)`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runStartupBench();
