/**
 * The generator's command line (--codex, --count, --seed, --out, --jobs).
 */
import os from "node:os";
import path from "node:path";

import { REPO_ROOT } from "./paths.mjs";

export function parseArgs(argv) {
  const options = {
    codex: undefined,
    count: 1600,
    seed: 20240611,
    out: path.join(REPO_ROOT, "test/fixtures/policy-differential/corpus.json"),
    jobs: Math.max(2, Math.min(16, os.cpus().length)),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === "--codex") options.codex = value();
    else if (arg === "--count") options.count = Number(value());
    else if (arg === "--seed") options.seed = Number(value());
    else if (arg === "--out") options.out = path.resolve(value());
    else if (arg === "--jobs") options.jobs = Number(value());
    else throw new Error(`unknown argument ${arg}`);
  }
  if (options.codex === undefined) throw new Error("--codex <path-to-codex> is required");
  if (!Number.isInteger(options.count) || options.count < 1) throw new Error("bad --count");
  return options;
}
