/** Upstream's binaries from the devDependency @openai/codex-shell-tool-mcp@0.97.0 (test oracles only). */
import { existsSync } from "node:fs";
import path from "node:path";

import { REPO_ROOT } from "./paths.js";

const VENDOR = path.join(
  REPO_ROOT,
  "node_modules/@openai/codex-shell-tool-mcp/vendor/x86_64-unknown-linux-musl",
);

export const UPSTREAM_PATCHED_BASH = path.join(VENDOR, "bash/debian-12/bash");
export const UPSTREAM_EXECVE_WRAPPER = path.join(VENDOR, "codex-execve-wrapper");
export const HAS_UPSTREAM =
  process.arch === "x64" &&
  existsSync(UPSTREAM_PATCHED_BASH) &&
  existsSync(UPSTREAM_EXECVE_WRAPPER);
