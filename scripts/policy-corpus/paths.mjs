/**
 * Paths every part shares: the fixed home the corpus is written with, and the repository root.
 */
import { fileURLToPath } from "node:url";

export const FIXED_HOME = "/home/execward-corpus";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
