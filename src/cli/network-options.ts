/**
 * The network options shared by `run` and `mcp`, and loading the network configuration: the
 * `[network_proxy]` section of `--network-config FILE` (default `$CODEX_HOME/config.toml`, which
 * may be absent), the `network_rule`s of the loaded .rules files, then the flags. The proxy is
 * used only when something was configured and the sandbox has no network access of its own.
 */
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { ExecwardError } from "../errors.js";
import {
  mergeNetworkConfig,
  parseNetworkConfigToml,
  type NetworkConfig,
} from "../network/network-config.js";
import type { Policy } from "../policy/index.js";
import type { CliIo } from "./cli-io.js";
import type { OptionSpec, ParsedCommandLine } from "./parse-command-line.js";
import { usage } from "./parse-command-line.js";

export const NETWORK_OPTION_SPECS: readonly OptionSpec[] = [
  { name: "allow-domain", kind: "values" },
  { name: "deny-domain", kind: "values" },
  { name: "allow-local-address", kind: "values" },
  { name: "network-approvals", kind: "value" },
  { name: "network-config", kind: "value" },
];

export function networkOptionsHelp(column: number): string {
  const pad = " ".repeat(column);
  const line = (name: string, text: string): string =>
    `      ${name}`.length + 1 <= column
      ? `      ${name}`.padEnd(column) + text
      : `      ${name}\n${pad}${text}`;
  return [
    line("--allow-domain <PATTERN>", "Let sandboxed commands reach it through the proxy"),
    `${pad}(example.com, *.example.com, **.example.com; repeatable).`,
    line("--deny-domain <PATTERN>", "Never let them reach it (repeatable; deny wins)."),
    line("--allow-local-address <CIDR>", "A private or loopback range they may reach."),
    line("--network-approvals <ask|never>", "Ask about other destinations (default ask), or deny."),
    line("--network-config <FILE>", "TOML with [network_proxy] (default $CODEX_HOME/config.toml)."),
  ]
    .join("\n")
    .concat("\n");
}

export async function loadNetworkConfig(
  parsed: ParsedCommandLine,
  io: CliIo,
  policy: Policy,
): Promise<NetworkConfig> {
  const approvals = parsed.values.get("network-approvals")?.[0];
  if (approvals !== undefined && approvals !== "ask" && approvals !== "never")
    throw usage(`--network-approvals must be ask or never (got ${approvals})`);
  const explicitFile = parsed.values.get("network-config")?.[0];
  const file =
    explicitFile ??
    path.join(io.env.CODEX_HOME ?? path.join(io.env.HOME ?? os.homedir(), ".codex"), "config.toml");
  let text: string | undefined;
  try {
    text = await readFile(path.resolve(io.cwd, file), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (explicitFile !== undefined || (code !== "ENOENT" && code !== "ENOTDIR")) {
      throw new ExecwardError(
        "invalid_network_config",
        `cannot read the network configuration ${file}: ${(error as Error).message}`,
      );
    }
  }
  const rules = policy.compiledNetworkDomains();
  return mergeNetworkConfig([
    text === undefined ? undefined : parseNetworkConfigToml(text, file),
    { allowedDomains: rules.allowed, deniedDomains: rules.denied },
    {
      allowedDomains: parsed.values.get("allow-domain") ?? [],
      deniedDomains: parsed.values.get("deny-domain") ?? [],
      allowedLocalAddresses: parsed.values.get("allow-local-address") ?? [],
      ...(approvals === undefined ? {} : { approvals }),
    },
  ]);
}
