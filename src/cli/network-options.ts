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
import type { NetworkOptions } from "./network-option-table.js";

export async function loadNetworkConfig(
  options: NetworkOptions,
  io: CliIo,
  policy: Policy,
): Promise<NetworkConfig> {
  const approvals = options.networkApprovals;
  const explicitFile = options.networkConfig;
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
      allowedDomains: options.allowDomain,
      deniedDomains: options.denyDomain,
      allowedLocalAddresses: options.allowLocalAddress,
      ...(approvals === undefined ? {} : { approvals }),
    },
  ]);
}
