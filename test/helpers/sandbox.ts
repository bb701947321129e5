/**
 * One sandbox launcher for a test file, as execward builds it, and whether this host can run
 * it: `sandboxUnavailable` is bwrap's own reason when it cannot (for a visible skip), and
 * `hasTool` says whether a program the tests drive (python3, curl, openssl) is installed.
 */
import { spawnSync } from "node:child_process";

import { loadFdPassing, nativePaths } from "../../src/native/native-addon.js";
import { LinuxSandbox } from "../../src/sandbox/linux-sandbox.js";

export const launcher = new LinuxSandbox({
  init: nativePaths().sandboxInit,
  pathEnv: "/usr/bin:/bin",
  locks: loadFdPassing(),
});

export const sandboxUnavailable: string | undefined = await launcher.capabilities().then(
  () => undefined,
  (error: unknown) => (error as Error).message,
);

export function hasTool(program: string, ...probe: string[]): boolean {
  return spawnSync(program, probe, { stdio: "ignore" }).status === 0;
}
