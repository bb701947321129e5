// Network approvals end to end: a real curl inside the real sandbox (empty network namespace),
// reaching loopback servers on the host only through the sandbox init's bridge and execward's
// proxy. Allowed passes, denied gets 403, unknown destinations are asked about once per
// (host, protocol, port), answers are remembered as they should be, and nothing gets around
// the proxy. Skipped, with the reason, where bwrap or curl is missing.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";

import type { ApprovalAnswer, ApprovalRequest, Approver } from "../../src/approval/approver.js";
import { loadFdPassing } from "../../src/native/native-addon.js";
import { createKernelRelay } from "../../src/exec/kernel-relay.js";
import { NetworkApprovalBroker } from "../../src/network/approval-broker.js";
import type { NetworkPolicyConfig } from "../../src/network/network-policy.js";
import { NetworkProxy } from "../../src/network/network-proxy.js";
import type { SandboxPolicy } from "../../src/sandbox/sandbox-policy.js";
import { requireInCi } from "../helpers/ci.js";
import { hasTool, launcher, sandboxUnavailable } from "../helpers/sandbox.js";
import { runIntercepted } from "../helpers/intercepted.js";
import { CLI_PATH } from "../helpers/paths.js";
import { runInPty } from "../helpers/pty.js";
import { policyWith } from "../helpers/network-policy.js";

const missing =
  sandboxUnavailable ?? (hasTool("curl", "--version") ? undefined : "curl is not installed");
const hasOpenssl = hasTool("openssl", "version");

const NO_NETWORK: SandboxPolicy = {
  type: "read-only",
  access: { type: "full-access" },
  network_access: false,
};

/** Answers after a pause (so concurrent requests overlap), counting the questions. */
class SlowApprover implements Approver {
  readonly requests: ApprovalRequest[] = [];
  constructor(
    private readonly answer: ApprovalAnswer,
    private readonly delayMs = 300,
  ) {}
  async ask(request: ApprovalRequest): Promise<ApprovalAnswer> {
    this.requests.push(request);
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return this.answer;
  }
}

let dir: string;
const servers: net.Server[] = [];
let portA: number;
let portB: number;
let hashPort: number;
let tlsPort = 0;

async function serve(server: http.Server | https.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as net.AddressInfo).port;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "execward-net-"));
  const handler = (label: string) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    res.end(`${label} ${req.method} ${req.url}\n`);
  };
  portA = await serve(http.createServer(handler("A")));
  portB = await serve(http.createServer(handler("B")));
  // Answers a POST with the SHA-256 of its body, then 64 MB of zeros.
  hashPort = await serve(
    http.createServer((req, res) => {
      const hash = createHash("sha256");
      req.on("data", (chunk: Buffer) => hash.update(chunk));
      req.on("end", () => {
        res.write(hash.digest("hex"));
        const block = Buffer.alloc(1024 * 1024);
        let left = 64;
        const more = (): void => {
          while (left > 0) {
            left--;
            if (!res.write(block)) return void res.once("drain", more);
          }
          res.end();
        };
        more();
      });
    }),
  );
  if (hasOpenssl) {
    const key = path.join(dir, "key.pem");
    const cert = path.join(dir, "cert.pem");
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
        ...["-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"],
      ],
      { stdio: "ignore" },
    );
    const { readFileSync } = await import("node:fs");
    tlsPort = await serve(
      https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, handler("TLS")),
    );
  }
});
afterAll(async () => {
  for (const server of servers) server.close();
  await rm(dir, { recursive: true, force: true });
});

/** A proxy as execward builds it: tunnels relayed in the kernel (unless `jsRelay`). */
function proxyWith(config: Partial<NetworkPolicyConfig>, jsRelay = false): NetworkProxy {
  return new NetworkProxy({
    ...(jsRelay ? {} : { relay: createKernelRelay(loadFdPassing()) }),
    policy: policyWith(config),
    broker: new NetworkApprovalBroker(),
  });
}

function inSandbox(
  command: string,
  proxy: NetworkProxy,
  approver: Approver,
  policy: SandboxPolicy = NO_NETWORK,
) {
  return runIntercepted(command, {
    cwd: dir,
    sandbox: { launcher, policy },
    network: { proxy, approver },
  });
}

/**
 * curl printing the body, then the status code (or its exit code when it fails). The targets
 * are loopback addresses, which the sandbox's NO_PROXY sends direct: `--noproxy ''` overrides.
 */
const curl = (args: string) =>
  `curl -sS --noproxy '' --max-time 20 -w ' [%{http_code}]\\n' ${args} 2>&1 || echo "curl-exit=$?"`;

describe.skipIf(requireInCi(missing))(
  `network proxy and approvals${missing === undefined ? "" : ` (SKIPPED: ${missing})`}`,
  () => {
    it("lets an allowed destination through, over HTTP, CONNECT and SOCKS5", async () => {
      const approver = new SlowApprover("decline");
      const proxy = proxyWith({ allowedDomains: ["127.0.0.1"] });
      const result = await inSandbox(
        [
          curl(`http://127.0.0.1:${portA}/plain`),
          curl(`--proxytunnel http://127.0.0.1:${portA}/tunnel`),
          curl(`--proxy socks5h://127.0.0.1:1080 http://127.0.0.1:${portA}/socks`),
        ].join("; "),
        proxy,
        approver,
      );
      expect(result.stdout).toBe(
        `A GET /plain\n [200]\nA GET /tunnel\n [200]\nA GET /socks\n [200]\n`,
      );
      expect(approver.requests).toEqual([]);
    });

    it.each([
      ["the kernel relay", false],
      ["the JavaScript relay", true],
    ])("moves 64 MB both ways through a CONNECT tunnel intact, over %s", async (_name, js) => {
      const proxy = proxyWith({ allowedDomains: ["127.0.0.1"] }, js);
      // Upload 64 MB through the tunnel; the server answers with its SHA-256 and 64 MB back.
      const result = await inSandbox(
        `head -c 67108864 /dev/urandom > up.bin
         curl -sS --noproxy '' --proxytunnel -X POST --data-binary @up.bin -o down.bin http://127.0.0.1:${hashPort}/ &&
         echo "$(sha256sum < up.bin | cut -d' ' -f1) $(head -c 64 down.bin) $(stat -c %s down.bin)"`,
        proxy,
        new SlowApprover("decline"),
        {
          ...NO_NETWORK,
          type: "workspace-write",
          writable_roots: [],
          read_only_access: { type: "full-access" },
          exclude_slash_tmp: true,
          exclude_tmpdir_env_var: true,
        },
      );
      const [local, remote, size] = result.stdout.trim().split(" ");
      expect(result.stderr).toBe("");
      expect(remote).toBe(local);
      expect(size).toBe(String(64 * 1024 * 1024 + 64));
    });

    it("relays a server that speaks first, and ends the tunnel with the command", async () => {
      let closed!: () => void;
      const serverSawClose = new Promise<void>((resolve) => (closed = resolve));
      const idle = net.createServer((socket) => {
        socket.write("hello from an idle server\n");
        socket.on("error", () => undefined);
        socket.once("close", closed);
      });
      servers.push(idle);
      await new Promise<void>((resolve) => idle.listen(0, "127.0.0.1", resolve));
      const port = (idle.address() as net.AddressInfo).port;
      const result = await inSandbox(
        `exec 3<>/dev/tcp/127.0.0.1/3128
         printf 'CONNECT 127.0.0.1:${port} HTTP/1.1\\r\\n\\r\\n' >&3
         head -n 3 <&3 | tr -d '\\r'`,
        proxyWith({ allowedDomains: ["127.0.0.1"] }),
        new SlowApprover("decline", 0),
      );
      expect(result.stdout).toBe(
        "HTTP/1.1 200 Connection Established\n\nhello from an idle server\n",
      );
      await serverSawClose;
    });

    it.skipIf(requireInCi(hasOpenssl ? undefined : "openssl is not installed"))(
      "tunnels HTTPS through CONNECT",
      async () => {
        const proxy = proxyWith({ allowedDomains: ["127.0.0.1"] });
        const result = await inSandbox(
          curl(`-k https://127.0.0.1:${tlsPort}/secure`),
          proxy,
          new SlowApprover("decline"),
        );
        expect(result.stdout).toBe("TLS GET /secure\n [200]\n");
      },
    );

    it("refuses a denied destination with 403 and x-proxy-error, without asking", async () => {
      const approver = new SlowApprover("accept");
      const proxy = proxyWith({
        allowedDomains: ["127.0.0.1"],
        deniedDomains: ["127.0.0.1"],
      });
      const result = await inSandbox(
        `curl -sS -i --noproxy '' http://127.0.0.1:${portA}/ | tr -d '\\r' | grep -iE '^(HTTP/|x-proxy-error)'`,
        proxy,
        approver,
      );
      expect(result.stdout).toBe("HTTP/1.1 403 Forbidden\nx-proxy-error: blocked-by-denylist\n");
      expect(approver.requests).toEqual([]);
    });

    it("asks once for three concurrent requests to one destination, and once per port", async () => {
      const approver = new SlowApprover("accept");
      const proxy = proxyWith({ allowedLocalAddresses: ["127.0.0.1"] });
      const result = await inSandbox(
        `for i in 1 2 3; do ${curl(`http://127.0.0.1:${portA}/$i`)} & done; wait
         ${curl(`http://127.0.0.1:${portB}/b`)}`,
        proxy,
        approver,
      );
      expect(result.stdout.split("\n").filter(Boolean).sort()).toEqual(
        [
          "A GET /1",
          "A GET /2",
          "A GET /3",
          "B GET /b",
          " [200]",
          " [200]",
          " [200]",
          " [200]",
        ].sort(),
      );
      expect(approver.requests.map((r) => (r.kind === "network" ? r.target : r.kind))).toEqual([
        `http://127.0.0.1:${portA}`,
        `http://127.0.0.1:${portB}`,
      ]);
      const question = approver.requests[0];
      expect(question?.kind === "network" && question.command).toContain("for i in 1 2 3");
    });

    it("does not ask again after allow-for-session; remembers a deny", async () => {
      const sessionProxy = proxyWith({ allowedLocalAddresses: ["127.0.0.1"] });
      const allowing = new SlowApprover("accept-for-session", 0);
      const allowed = await inSandbox(
        `${curl(`http://127.0.0.1:${portA}/1`)}; ${curl(`http://127.0.0.1:${portA}/2`)}`,
        sessionProxy,
        allowing,
      );
      expect(allowed.stdout).toBe("A GET /1\n [200]\nA GET /2\n [200]\n");
      // A later command of the same session is not asked either.
      const again = await inSandbox(curl(`http://127.0.0.1:${portA}/3`), sessionProxy, allowing);
      expect(again.stdout).toBe("A GET /3\n [200]\n");
      expect(allowing.requests).toHaveLength(1);

      const denyingProxy = proxyWith({ allowedLocalAddresses: ["127.0.0.1"] });
      const denying = new SlowApprover("decline", 0);
      const denied = await inSandbox(
        `${curl(`http://127.0.0.1:${portA}/1`)}; ${curl(`http://127.0.0.1:${portA}/2`)}`,
        denyingProxy,
        denying,
      );
      expect(denied.stdout).toContain(" [403]\n");
      expect(denied.stdout.match(/\[403\]/g)).toHaveLength(2);
      expect(denying.requests).toHaveLength(1);
    });

    it("denies without asking under approvals = never", async () => {
      const approver = new SlowApprover("accept", 0);
      const proxy = proxyWith({ allowedLocalAddresses: ["127.0.0.1"], approvals: "never" });
      const result = await inSandbox(
        `curl -sS -i --noproxy '' http://127.0.0.1:${portA}/ | tr -d '\\r' | grep -iE '^x-proxy-error'`,
        proxy,
        approver,
      );
      expect(result.stdout).toBe("x-proxy-error: blocked-by-allowlist\n");
      expect(approver.requests).toEqual([]);
    });

    it("gives escalated programs, which run outside, the proxy settings from before the sandbox", async () => {
      const result = await runIntercepted(
        `echo "inside: $http_proxy"; printenv http_proxy || echo "escalated: none"`,
        {
          cwd: dir,
          rules: `prefix_rule(pattern=["printenv"], decision="allow")\n`,
          env: { http_proxy: "http://corporate.example:8080" },
          sandbox: { launcher, policy: NO_NETWORK },
          network: { proxy: proxyWith({}), approver: new SlowApprover("decline", 0) },
        },
      );
      // Inside, the sandbox's proxy; outside, the caller's own again.
      expect(result.stdout).toBe("inside: http://127.0.0.1:3128\nhttp://corporate.example:8080\n");
    });

    it("cannot go around the proxy", async () => {
      const proxy = proxyWith({ allowedDomains: ["127.0.0.1"] });
      const result = await inSandbox(
        `curl -sS --noproxy '*' http://127.0.0.1:${portA}/direct 2>/dev/null || echo "curl-exit=$?"

         exec 3<>/dev/tcp/127.0.0.1/${portA} 2>/dev/null && echo tcp-open || echo tcp-refused`,
        proxy,
        new SlowApprover("accept", 0),
      );
      expect(result.stdout).toMatch(/curl-exit=7\ntcp-refused\n$/);
    });

    it("blocks a name that resolves to a private address unless it is allowed exactly", async () => {
      const approver = new SlowApprover("accept", 0);
      const wildcard = proxyWith({ allowedDomains: ["**.localhost"] });
      const blocked = await inSandbox(
        `curl -sS -i --noproxy '' http://localhost:${portA}/ | tr -d '\\r' | grep -iE '^(HTTP/|x-proxy-error)'`,
        wildcard,
        approver,
      );
      expect(blocked.stdout).toBe("HTTP/1.1 403 Forbidden\nx-proxy-error: blocked-by-policy\n");
      expect(approver.requests).toEqual([]);
      const exact = proxyWith({ allowedDomains: ["localhost"] });
      const allowed = await inSandbox(curl(`http://localhost:${portA}/named`), exact, approver);
      expect(allowed.stdout).toBe("A GET /named\n [200]\n");
    });
  },
);

describe.skipIf(
  requireInCi(
    missing ??
      (spawnSync("python3", ["-c", "pass"]).status === 0 ? undefined : "python3 is not installed"),
  ),
)(
  `network approvals on the terminal in execward run${missing === undefined ? "" : ` (SKIPPED: ${missing})`}`,
  () => {
    it("asks on the terminal, names the destination and the command; 'for this run' covers the run", async () => {
      // A real terminal that answers "s" (yes, for this run) to every question.
      const output = await runInPty(
        [
          process.execPath,
          CLI_PATH,
          "run",
          "--no-discover",
          "--sandbox",
          "read-only",
          "--allow-local-address",
          "127.0.0.1",
          "--",
          `${curl(`http://127.0.0.1:${portA}/tty1`)}; ${curl(`http://127.0.0.1:${portA}/tty2`)}`,
        ],
        {
          cwd: dir,
          env: { PATH: "/usr/bin:/bin", HOME: dir },
          answer: { prompt: "answer [y/s/a/N]: ", reply: "s\n" },
        },
      );
      expect(output.match(/allow network access to/g)).toHaveLength(1);
      expect(output).toContain(`execward: allow network access to http://127.0.0.1:${portA}?`);
      expect(output).toContain("for curl -sS");
      expect(output).toContain("A GET /tty1");
      expect(output).toContain("A GET /tty2");
    });
  },
);

describe.skipIf(requireInCi(missing))(
  `network approvals through execward mcp${missing === undefined ? "" : ` (SKIPPED: ${missing})`}`,
  () => {
    async function connect(
      elicitation?: (message: string) => Promise<ElicitResult>,
      extraArgs: readonly string[] = [],
    ): Promise<Client> {
      const client = new Client(
        { name: "test", version: "1.0.0" },
        { capabilities: elicitation === undefined ? {} : { elicitation: {} } },
      );
      if (elicitation !== undefined) {
        client.setRequestHandler(ElicitRequestSchema, (request) =>
          elicitation(request.params.message),
        );
      }
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [CLI_PATH, "mcp", "--allow-local-address", "127.0.0.1", ...extraArgs],
          env: { PATH: "/usr/bin:/bin", HOME: dir, CODEX_HOME: path.join(dir, "codex-home") },
          stderr: "ignore",
        }),
      );
      return client;
    }

    async function shellOutput(client: Client, command: string): Promise<string> {
      const response = await client.callTool({
        name: "shell",
        arguments: { command, workdir: dir, login: false, timeout_ms: 30_000 },
      });
      const text = (response.content as { text: string }[])[0]?.text ?? "";
      return (JSON.parse(text) as { output: string }).output;
    }

    it("asks through elicitation, naming the destination and the command; allow-for-session sticks", async () => {
      const messages: string[] = [];
      const client = await connect((message) => {
        messages.push(message);
        return Promise.resolve({ action: "accept", content: { decision: "allow-session" } });
      });
      try {
        const command = curl(`http://127.0.0.1:${portA}/mcp`);
        expect(await shellOutput(client, command)).toBe("A GET /mcp\n [200]\n");
        expect(await shellOutput(client, command)).toBe("A GET /mcp\n [200]\n");
        expect(messages).toHaveLength(1);
        expect(messages[0]).toContain(
          `Allow network access to \`http://127.0.0.1:${portA}\` for the command \`curl -sS`,
        );
        expect(messages[0]).toContain("127.0.0.1 is not in the allowed domains");
      } finally {
        await client.close();
      }
    });

    it("an unanswered question times out as a deny, and is asked again next time", async () => {
      let asked = 0;
      const client = await connect(() => {
        asked++;
        return new Promise<ElicitResult>(() => undefined);
      }, ["--elicitation-timeout-ms", "300"]);
      try {
        const first = await shellOutput(client, curl(`http://127.0.0.1:${portA}/late`));
        expect(first).toContain(" [403]");
        expect(first).toContain("went unanswered");
        await shellOutput(client, curl(`http://127.0.0.1:${portA}/late`));
        expect(asked).toBe(2);
      } finally {
        await client.close();
      }
    });

    it("denies with the reason when the client cannot ask; network_access true bypasses the proxy", async () => {
      const client = await connect();
      try {
        const refused = await shellOutput(client, curl(`http://127.0.0.1:${portA}/nobody`));
        expect(refused).toContain("the MCP client does not support elicitation");
        expect(refused).toContain(" [403]");
        await client.request(
          {
            method: "codex/sandbox-state/update",
            params: {
              sandboxPolicy: { type: "read-only", network_access: true },
              sandboxCwd: dir,
            },
          },
          z.object({}).passthrough(),
        );
        const direct = await shellOutput(
          client,
          `printenv http_proxy || echo no-proxy; ${curl(`http://127.0.0.1:${portA}/direct`)}`,
        );
        expect(direct).toBe("no-proxy\nA GET /direct\n [200]\n");
      } finally {
        await client.close();
      }
    });

    // Last in this block: the rule it writes would allow 127.0.0.1 for later servers (removed after).
    it("allow-always writes a network_rule to default.rules; the audit log records the decision", async () => {
      const audit = path.join(dir, "network-audit.jsonl");
      const rulesFile = path.join(dir, "codex-home", "rules", "default.rules");
      const client = await connect(
        () => Promise.resolve({ action: "accept", content: { decision: "allow-always" } }),
        ["--audit-log", audit],
      );
      try {
        expect(await shellOutput(client, curl(`http://127.0.0.1:${portA}/always`))).toBe(
          "A GET /always\n [200]\n",
        );
        expect(await readFile(rulesFile, "utf8")).toBe(
          `network_rule(host="127.0.0.1", protocol="http", decision="allow")\n`,
        );
        const records = (await readFile(audit, "utf8"))
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .filter((record) => record.kind === "network");
        expect(records).toContainEqual(
          expect.objectContaining({
            decision: "allow",
            protocol: "http",
            host: "127.0.0.1",
            port: portA,
            approval: { via: "mcp-elicitation", answer: "allow-always" },
          }),
        );
      } finally {
        await client.close();
        await rm(rulesFile, { force: true });
      }
    });
  },
);
