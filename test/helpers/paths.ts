/** Locations tests share: the repository root and the built CLI. */
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const CLI_PATH = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
