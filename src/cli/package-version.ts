/** execward's version, from its package.json (cheap: `execward --version` loads only this). */
import { readFileSync } from "node:fs";

export function readPackageVersion(): string {
  const packageJson = JSON.parse(
    readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
  ) as { version?: string };
  return packageJson.version ?? "unknown";
}
