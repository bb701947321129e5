// Soak test: `npm run soak -- --minutes M [--clients N]` (defaults: 10 minutes, 4 clients).
//
// N MCP clients, each with its own `execward mcp` (workspace-write, a rules file with allow,
// prompt and forbidden rules), call the shell tool in a loop with a mixed workload: short
// commands, 2 MB of output, a forbidden program, an escalated one, a refused prompt, a timeout,
// a cancellation and a write in the workspace. Every 5 s it samples, summed over the servers:
// RSS, open descriptors, threads, live descendant processes, and the host's mount count. It
// prints each series' first and last value and its growth per hour (least-squares slope after a
// warm-up: a fifth of the run, at least a minute of a run of two or more) and each minute's
// values, then checks that nothing is left once the clients are gone: no process, no mount point
// directory (.git, .codex, .agents) in any workspace or TMPDIR.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

// Started as users start it: the package's command (its sh line gives node execward's V8 settings).
const BIN = fileURLToPath(new URL("../bin/execward.js", import.meta.url));
const SAMPLE_MS = 5000;
const PROTECTED = [".git", ".codex", ".agents"];
const RULES = `
prefix_rule(pattern=["rm"], decision="forbidden", justification="soak")
prefix_rule(pattern=["printenv"], decision="allow")
prefix_rule(pattern=["touch", "asked"], decision="prompt")
`;

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    clients: { type: "string", default: "4" },
  },
});
const minutes = Number(values.minutes);
const clientCount = Number(values.clients);
if (!(minutes > 0) || !Number.isInteger(clientCount) || clientCount < 1) {
  console.error("usage: npm run soak -- --minutes M [--clients N]");
  process.exit(2);
}

const root = mkdtempSync(path.join(os.tmpdir(), "execward-soak-"));
const home = path.join(root, "home");
mkdirSync(path.join(home, "rules"), { recursive: true });
writeFileSync(path.join(home, "rules", "soak.rules"), RULES);

/** Each step: [tool arguments (workdir added), whether to cancel it]. */
const WORKLOAD = [
  [{ command: "echo hello" }],
  [{ command: "head -c 2000000 /dev/zero | tr '\\0' x" }],
  [{ command: "rm -rf nothing-here; echo after" }],
  [{ command: "printenv HOME" }],
  [{ command: "touch asked" }],
  [{ command: "sleep 5", timeout_ms: 200 }],
  [{ command: "sleep 5", timeout_ms: 60000 }, "cancel"],
  [{ command: "echo data > file.txt && cat file.txt && rm -f file.txt" }],
  [{ command: "ls -la /proc/self/fd | wc -l" }],
];

async function startClient(index) {
  const work = path.join(root, `work-${index}`);
  const tmp = path.join(root, `tmp-${index}`);
  mkdirSync(work);
  mkdirSync(tmp);
  const client = new Client({ name: "soak", version: "1" }, { capabilities: { elicitation: {} } });
  // Every question is declined: the prompt rule's command is refused.
  client.setRequestHandler(ElicitRequestSchema, () => ({ action: "decline" }));
  const transport = new StdioClientTransport({
    command: BIN,
    args: ["mcp", "--sandbox", "workspace-write"],
    env: {
      PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: home,
      CODEX_HOME: home,
      TMPDIR: tmp,
    },
    cwd: work,
    stderr: "ignore",
  });
  await client.connect(transport);
  return { client, transport, work, tmp, calls: 0, errors: 0 };
}

async function loop(state, deadline) {
  for (let step = 0; Date.now() < deadline; step++) {
    const [args, cancel] = WORKLOAD[step % WORKLOAD.length];
    const controller = new AbortController();
    const call = state.client.callTool(
      { name: "shell", arguments: { ...args, workdir: state.work } },
      undefined,
      { signal: controller.signal, timeout: 120000 },
    );
    if (cancel === "cancel") setTimeout(() => controller.abort(), 300);
    try {
      const result = await call;
      if (result.isError === true) {
        state.errors++;
        console.error(`tool error: ${JSON.stringify(result.content)}`);
      }
    } catch (error) {
      if (cancel !== "cancel") {
        state.errors++;
        console.error(`call failed: ${String(error)}`);
      }
    }
    state.calls++;
  }
}

function procStatus(pid, field) {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(
      readFileSync(`/proc/${pid}/status`, "latin1"),
    );
    return match === null ? 0 : Number(match[1]);
  } catch {
    return 0;
  }
}

function descendants(pids) {
  const parent = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "latin1");
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone
    }
  }
  const roots = new Set(pids);
  let count = 0;
  for (const [pid] of parent) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (roots.has(p)) {
        count++;
        break;
      }
    }
  }
  return count;
}

function sample(states) {
  const pids = states.map((state) => state.transport.pid).filter((pid) => pid !== null);
  return {
    t: Date.now(),
    rssMiB: pids.reduce((sum, pid) => sum + procStatus(pid, "VmRSS"), 0) / 1024,
    fds: pids.reduce((sum, pid) => {
      try {
        return sum + readdirSync(`/proc/${pid}/fd`).length;
      } catch {
        return sum;
      }
    }, 0),
    threads: pids.reduce((sum, pid) => sum + procStatus(pid, "Threads"), 0),
    processes: descendants(pids),
    mounts: readFileSync("/proc/self/mountinfo", "latin1").split("\n").length - 1,
  };
}

function slopePerHour(samples, key) {
  const n = samples.length;
  if (n < 2) return 0;
  const xs = samples.map((s) => (s.t - samples[0].t) / 3_600_000);
  const ys = samples.map((s) => s[key]);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const states = await Promise.all(Array.from({ length: clientCount }, (_, i) => startClient(i)));
const started = Date.now();
const deadline = started + minutes * 60_000;
const samples = [sample(states)];
const sampler = setInterval(() => samples.push(sample(states)), SAMPLE_MS);
console.log(
  `soak: ${clientCount} clients for ${minutes} min (servers ${states.map((s) => s.transport.pid).join(", ")})`,
);
await Promise.all(states.map((state) => loop(state, deadline)));
clearInterval(sampler);
samples.push(sample(states));
const pids = states.map((state) => state.transport.pid);
await Promise.all(states.map((state) => state.client.close()));

// Warm-up (V8's heap, the first sandboxes): a fifth of the run, at least a minute when the run
// is two minutes or longer.
const duration = deadline - started;
const warmUpMs = Math.max(duration / 5, Math.min(60_000, duration / 2));
const warm = samples.filter((s) => s.t >= started + warmUpMs);
const calls = states.reduce((sum, s) => sum + s.calls, 0);
const errors = states.reduce((sum, s) => sum + s.errors, 0);
console.log(`calls: ${calls} (${(calls / minutes).toFixed(0)}/min), unexpected errors: ${errors}`);
console.log("metric (sum over servers)   first      last       max        growth/hour");
for (const [key, label] of [
  ["rssMiB", "RSS MiB"],
  ["fds", "descriptors"],
  ["threads", "threads"],
  ["processes", "processes (descendants)"],
  ["mounts", "host mounts"],
]) {
  const series = samples.map((s) => s[key]);
  const fmt = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1)).padEnd(10);
  console.log(
    `${label.padEnd(27)} ${fmt(series[0])} ${fmt(series.at(-1))} ${fmt(Math.max(...series))} ${slopePerHour(warm, key).toFixed(1)}`,
  );
}
// The series at each minute, to tell a plateau (heap warming up) from steady growth.
const perMinute = samples.filter(
  (s, i) =>
    i === 0 ||
    Math.floor((s.t - started) / 60_000) > Math.floor((samples[i - 1].t - started) / 60_000),
);
console.log(
  `per minute: RSS MiB ${perMinute.map((s) => s.rssMiB.toFixed(0)).join(" ")}; descriptors ${perMinute.map((s) => s.fds).join(" ")}`,
);
// After the clients are gone: every server exited, nothing they started lives, nothing is left.
await new Promise((resolve) => setTimeout(resolve, 1000));
const alive = pids.filter((pid) => existsSync(`/proc/${pid}`));
const leftover = states.flatMap((state) =>
  [state.work, state.tmp].flatMap((dir) =>
    PROTECTED.filter((name) => existsSync(path.join(dir, name))).map((name) =>
      path.join(dir, name),
    ),
  ),
);
const strays = readdirSync("/proc").filter((entry) => {
  try {
    return /^\d+$/.test(entry) && readlinkSync(`/proc/${entry}/cwd`).startsWith(root);
  } catch {
    return false;
  }
});
console.log(
  `after close: servers alive ${alive.length}, processes still in the workspaces ${strays.length}, mount point directories left ${leftover.length}`,
);
rmSync(root, { recursive: true, force: true });
process.exit(
  errors === 0 && alive.length === 0 && strays.length === 0 && leftover.length === 0 ? 0 : 1,
);
