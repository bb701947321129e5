// "Always allow" amendments, with the cases of codex's amend.rs tests plus de-duplication.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { appendAllowPrefixRule, appendNetworkRule, loadPolicy } from "../../../src/policy/index.js";

let dir: string;
let policyPath: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "execward-amend-"));
  policyPath = path.join(dir, "rules", "default.rules");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("appendAllowPrefixRule", () => {
  it("creates the folder and file and writes codex's line", async () => {
    expect(await appendAllowPrefixRule(policyPath, ["echo", "Hello, world!"])).toBe(true);
    expect(await readFile(policyPath, "utf8")).toBe(
      `prefix_rule(pattern=["echo", "Hello, world!"], decision="allow")\n`,
    );
  });

  it("does not duplicate an existing rule", async () => {
    await appendAllowPrefixRule(policyPath, ["python3"]);
    expect(await appendAllowPrefixRule(policyPath, ["python3"])).toBe(false);
    expect(await readFile(policyPath, "utf8")).toBe(
      `prefix_rule(pattern=["python3"], decision="allow")\n`,
    );
  });

  it("adds a missing final newline before appending", async () => {
    await mkdir(path.dirname(policyPath), { recursive: true });
    await writeFile(policyPath, `prefix_rule(pattern=["ls"], decision="allow")`);
    await appendAllowPrefixRule(policyPath, ["echo", "Hello, world!"]);
    expect(await readFile(policyPath, "utf8")).toBe(
      `prefix_rule(pattern=["ls"], decision="allow")\nprefix_rule(pattern=["echo", "Hello, world!"], decision="allow")\n`,
    );
  });

  it("writes a rule that loads back and allows exactly that prefix, quotes and all", async () => {
    const prefix = ["sh", "-c", `echo "a\\b" 'c'\n`];
    await appendAllowPrefixRule(policyPath, prefix);
    const policy = await loadPolicy([policyPath]);
    expect(policy.evaluate([...prefix, "more"]).matchedRules).toEqual([
      { matchedPrefix: prefix, decision: "allow" },
    ]);
  });

  it("rejects an empty prefix", async () => {
    await expect(appendAllowPrefixRule(policyPath, [])).rejects.toMatchObject({
      code: "amend_invalid",
      message: "prefix rule requires at least one token",
    });
  });
});

describe("appendNetworkRule", () => {
  it("writes codex's network_rule line, with and without a justification", async () => {
    await appendNetworkRule(policyPath, {
      host: "api.example.com",
      protocol: "https",
      decision: "allow",
      justification: "Allow API calls",
    });
    await appendNetworkRule(policyPath, {
      host: "b.example.com",
      protocol: "http",
      decision: "deny",
    });
    expect(await readFile(policyPath, "utf8")).toBe(
      `network_rule(host="api.example.com", protocol="https", decision="allow", justification="Allow API calls")\n` +
        `network_rule(host="b.example.com", protocol="http", decision="deny")\n`,
    );
    expect((await loadPolicy([policyPath])).compiledNetworkDomains()).toEqual({
      allowed: ["api.example.com"],
      denied: ["b.example.com"],
    });
  });

  it("rejects invalid inputs", async () => {
    await expect(
      appendNetworkRule(policyPath, { host: " ", protocol: "https", decision: "allow" }),
    ).rejects.toThrow("network rule host cannot be empty");
    await expect(
      appendNetworkRule(policyPath, {
        host: "a.com",
        protocol: "socks5" as "https",
        decision: "allow",
      }),
    ).rejects.toThrow("network rule protocol must be http or https");
    await expect(
      appendNetworkRule(policyPath, {
        host: "a.com",
        protocol: "https",
        decision: "ask" as "allow",
      }),
    ).rejects.toThrow("network rule decision must be allow, deny, or prompt");
  });
});
