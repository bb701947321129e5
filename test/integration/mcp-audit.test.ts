// `execward mcp` driven by the official SDK client: "always" through elicitation (a decision
// enum) writes a rule that `rules check` reports as allow and the next call is not asked; the
// audit log records the calls; decisions reach a client that set a log level as
// notifications/message, and none reach a client that did not.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  type ElicitResult,
} from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { requireInCi } from "../helpers/ci.js";
import { CLI_PATH } from "../helpers/paths.js";
import { runCli } from "../helpers/run-cli.js";
import { sandboxUnavailable } from "../helpers/sandbox.js";

let dir: string;
let codexHome: string;
let work: string;
let auditLog: string;
const clients: Client[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "execward-mcp-audit-"));
  codexHome = path.join(dir, "codex-home");
  work = path.join(dir, "work");
  auditLog = path.join(dir, "audit.jsonl");
  await mkdir(codexHome);
  await mkdir(work);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await rm(dir, { recursive: true, force: true });
});

interface Connected {
  readonly client: Client;
  readonly asked: { message: string; schema: unknown }[];
  readonly logged: unknown[];
}

async function connect(answer: () => ElicitResult): Promise<Connected> {
  const asked: Connected["asked"] = [];
  const logged: unknown[] = [];
  const client = new Client(
    { name: "test", version: "1.0.0" },
    { capabilities: { elicitation: {} } },
  );
  client.setRequestHandler(ElicitRequestSchema, (request) => {
    asked.push({
      message: request.params.message,
      schema: (request.params as { requestedSchema?: unknown }).requestedSchema,
    });
    return Promise.resolve(answer());
  });
  client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
    logged.push(notification.params);
  });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_PATH, "mcp", "--sandbox", "workspace-write", "--audit-log", auditLog],
    env: { PATH: "/usr/bin:/bin", HOME: dir, CODEX_HOME: codexHome },
    stderr: "ignore",
  });
  await client.connect(transport);
  clients.push(client);
  return { client, asked, logged };
}

async function shell(client: Client, command: string): Promise<string> {
  const response = await client.callTool({
    name: "shell",
    arguments: { command, workdir: work, login: false },
  });
  const text = (response.content as { text: string }[])[0]?.text ?? "";
  return response.isError === true ? text : (JSON.parse(text) as { output: string }).output;
}

describe.skipIf(requireInCi(sandboxUnavailable))(
  `execward mcp: always, audit log, log messages${sandboxUnavailable === undefined ? "" : ` (SKIPPED: ${sandboxUnavailable})`}`,
  () => {
    it("allow-always writes a rule, applies at once, and the next call is not asked", async () => {
      const { client, asked, logged } = await connect(() => ({
        action: "accept",
        content: { decision: "allow-always" },
      }));
      await client.setLoggingLevel("info");
      await mkdir(path.join(work, "junk"));
      expect(await shell(client, "rm -rf junk; echo status=$?")).toBe("status=0\n");
      expect(asked).toHaveLength(1);
      expect(asked[0]?.schema).toMatchObject({
        properties: {
          decision: { enum: ["allow-once", "allow-session", "allow-always", "deny"] },
        },
      });
      const rulesFile = path.join(codexHome, "rules", "default.rules");
      expect(await readFile(rulesFile, "utf8")).toBe(
        `prefix_rule(pattern=["rm", "-rf", "junk"], decision="allow")\n`,
      );
      const check = await runCli([
        "rules",
        "check",
        "--rules",
        rulesFile,
        "--",
        "rm",
        "-rf",
        "junk",
      ]);
      expect(JSON.parse(check.stdout)).toMatchObject({ decision: "allow" });
      // A second call: the running server applies the new rule (escalated, not asked).
      await mkdir(path.join(work, "junk"));
      expect(await shell(client, "rm -rf junk; echo status=$?")).toBe("status=0\n");
      expect(asked).toHaveLength(1);
      expect(existsSync(path.join(work, "junk"))).toBe(false);
      // The audit log has both calls: the human's "always" and then the rule.
      const records = (await readFile(auditLog, "utf8"))
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((record) => record.kind === "exec" && record.reported_by === "server");
      expect(records[0]).toMatchObject({
        call: 1,
        decision: "run",
        argv: ["rm", "-rf", "junk"],
        approval: { via: "mcp-elicitation", answer: "accept-always" },
      });
      expect(records[1]).toMatchObject({
        call: 2,
        decision: "escalate",
        rule: { file: rulesFile, line: 1 },
        approval: null,
      });
      // The client asked for info and above: the decisions came as log messages.
      expect(logged).toContainEqual(
        expect.objectContaining({
          level: "notice",
          logger: "execward",
          data: expect.objectContaining({ decision: "escalate" }) as unknown,
        }),
      );
    });

    it("an accept with no content is once; a client that set no level gets no log messages", async () => {
      const { client, asked, logged } = await connect(() => ({ action: "accept" }));
      await mkdir(path.join(work, "junk"));
      expect(await shell(client, "rm -rf junk; echo status=$?")).toBe("status=0\n");
      await mkdir(path.join(work, "junk"));
      expect(await shell(client, "rm -rf junk; echo status=$?")).toBe("status=0\n");
      expect(asked).toHaveLength(2);
      expect(existsSync(path.join(codexHome, "rules", "default.rules"))).toBe(false);
      expect(logged).toEqual([]);
    });
  },
);
