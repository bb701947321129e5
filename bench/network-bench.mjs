// Proxy benchmark: CONNECT throughput and the added latency of opening a tunnel, against a
// direct loopback connection to the same server measured in the same run. The proxy is
// execward's NetworkProxy in its own process, listening on loopback: the path a sandboxed
// client takes is the same from the moment the bridge hands its socket over (the bridge copies
// no bytes).
import net from "node:net";

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const TOTAL_BYTES = 512 * 1024 * 1024;
const CHUNK = Buffer.alloc(256 * 1024, 97);

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** A server that counts what it receives and closes when it has it all. */
function sinkServer() {
  const server = net.createServer((socket) => {
    let received = 0;
    socket.on("data", (chunk) => {
      received += chunk.length;
      if (received >= TOTAL_BYTES) socket.end("done");
    });
    socket.on("error", () => undefined);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function openTunnel(proxyPort, targetPort) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(proxyPort, "127.0.0.1", () => {
      socket.write(
        `CONNECT 127.0.0.1:${targetPort} HTTP/1.1\r\nHost: 127.0.0.1:${targetPort}\r\n\r\n`,
      );
    });
    let head = "";
    const onData = (chunk) => {
      head += chunk.toString("latin1");
      if (head.includes("\r\n\r\n")) {
        socket.off("data", onData);
        if (!head.startsWith("HTTP/1.1 200")) reject(new Error(head));
        else resolve(socket);
      }
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

function openDirect(targetPort) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(targetPort, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

async function pump(socket) {
  const start = process.hrtime.bigint();
  const done = new Promise((resolve) => socket.once("data", resolve));
  for (let sent = 0; sent < TOTAL_BYTES; sent += CHUNK.length) {
    if (!socket.write(CHUNK)) await new Promise((resolve) => socket.once("drain", resolve));
  }
  await done;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  socket.destroy();
  return TOTAL_BYTES / (1024 * 1024) / seconds;
}

export async function runNetworkBench() {
  console.log("\n## Network proxy (CONNECT on loopback)");
  const sink = await sinkServer();
  const targetPort = sink.address().port;
  // The proxy runs in a process of its own, as it does in execward (the server).
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL("./proxy-process.mjs", import.meta.url))],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const proxyPort = await new Promise((resolve) => {
    child.stdout.once("data", (chunk) => resolve(Number(chunk.toString().trim())));
  });
  const direct = [];
  const tunnel = [];
  for (let i = 0; i < 200; i++) {
    let start = process.hrtime.bigint();
    (await openDirect(targetPort)).destroy();
    direct.push(Number(process.hrtime.bigint() - start) / 1e6);
    start = process.hrtime.bigint();
    (await openTunnel(proxyPort, targetPort)).destroy();
    tunnel.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  console.log(
    `  connect: direct ${median(direct).toFixed(3)} ms, through CONNECT ${median(tunnel).toFixed(3)} ms (+${(median(tunnel) - median(direct)).toFixed(3)} ms)`,
  );
  // Interleaved rounds, so a noisy neighbour hits both sides alike; the ratio is per round.
  const directRates = [];
  const tunnelRates = [];
  const ratios = [];
  const proxyCpuBefore = cpuSeconds(child.pid);
  for (let i = 0; i < 7; i++) {
    const d = await pump(await openDirect(targetPort));
    const t = await pump(await openTunnel(proxyPort, targetPort));
    directRates.push(d);
    tunnelRates.push(t);
    ratios.push(t / d);
  }
  console.log(
    `  throughput (${TOTAL_BYTES / 1024 / 1024} MB x 7 rounds): direct ${median(directRates).toFixed(0)} MB/s, through CONNECT ${median(tunnelRates).toFixed(0)} MB/s; ratio median ${(median(ratios) * 100).toFixed(0)}% (rounds ${ratios.map((r) => (r * 100).toFixed(0)).join("/")}%)   [budget >= 80%]`,
  );
  // The proxy's own cost, which noise on a shared machine does not move much.
  const gigabytes = (7 * TOTAL_BYTES) / 1024 ** 3;
  console.log(
    `  proxy process CPU: ${((cpuSeconds(child.pid) - proxyCpuBefore) / gigabytes).toFixed(2)} s per GB tunnelled`,
  );
  child.stdin.end();
  sink.close();
}
