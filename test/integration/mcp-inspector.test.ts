// Smoke test with the MCP Inspector's CLI (devDependency): another real client lists the tool
// and calls it.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

import { describe, expect, it } from "vitest";

import { requireInCi } from "../helpers/ci.js";
import { CLI_PATH, REPO_ROOT } from "../helpers/paths.js";

const INSPECTOR = path.join(REPO_ROOT, "node_modules/.bin/mcp-inspector");
const run = promisify(execFile);

async function inspect(...args: string[]): Promise<unknown> {
  const { stdout } = await run(
    INSPECTOR,
    ["--cli", process.execPath, CLI_PATH, "mcp", "--sandbox", "danger-full-access", ...args],
    {
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout) as unknown;
}

describe.skipIf(requireInCi(existsSync(INSPECTOR) ? undefined : `${INSPECTOR} is missing`))(
  `MCP Inspector CLI${existsSync(INSPECTOR) ? "" : " (skipped: not installed)"}`,
  () => {
    it("lists the shell tool", async () => {
      const listed = (await inspect("--method", "tools/list")) as { tools: { name: string }[] };
      expect(listed.tools.map((tool) => tool.name)).toEqual(["shell"]);
    });

    it("calls it", async () => {
      const called = (await inspect(
        "--method",
        "tools/call",
        "--tool-name",
        "shell",
        "--tool-arg",
        "command=echo hello from the inspector",
        "--tool-arg",
        "workdir=/tmp",
        "--tool-arg",
        "login=false",
      )) as { content: { type: string; text: string }[]; structuredContent?: unknown };
      // Upstream's result: one text content holding the JSON, nothing else (see README).
      expect(called.structuredContent).toBeUndefined();
      expect(called.content).toHaveLength(1);
      expect(JSON.parse(called.content[0]?.text ?? "")).toMatchObject({
        exit_code: 0,
        output: "hello from the inspector\n",
      });
    });
  },
);
