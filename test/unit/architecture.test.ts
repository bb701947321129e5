// The dependency rules of ARCHITECTURE.md, checked on the source: src/policy imports nothing
// else of ours, and no module imports itself back through a cycle.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { REPO_ROOT } from "../helpers/paths.js";

const SRC = path.join(REPO_ROOT, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith(".ts") ? [full] : [];
  });
}

function localImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const imports = [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/gms)].map(
    (m) => m[1] as string,
  );
  return imports.map((specifier) =>
    path.resolve(path.dirname(file), specifier.replace(/\.js$/, ".ts")),
  );
}

describe("architecture", () => {
  const files = sourceFiles(SRC);
  const graph = new Map(files.map((file) => [file, localImports(file)]));

  it("finds the sources", () => {
    expect(files.length).toBeGreaterThan(20);
    expect([...graph.values()].flat().length).toBeGreaterThan(50);
  });

  it("keeps src/policy free of imports from other components", () => {
    const policyDir = path.join(SRC, "policy") + path.sep;
    const offending = files
      .filter((file) => file.startsWith(policyDir))
      .flatMap((file) =>
        (graph.get(file) ?? [])
          .filter(
            (target) => !target.startsWith(policyDir) && target !== path.join(SRC, "errors.ts"),
          )
          .map((target) => `${path.relative(SRC, file)} -> ${path.relative(SRC, target)}`),
      );
    expect(offending).toEqual([]);
  });

  it("has no import cycles", () => {
    const cycles: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const visit = (file: string, trail: string[]): void => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "visiting") {
        cycles.push(
          [...trail.slice(trail.indexOf(file)), file]
            .map((f) => path.relative(SRC, f))
            .join(" -> "),
        );
        return;
      }
      state.set(file, "visiting");
      for (const target of graph.get(file) ?? []) visit(target, [...trail, file]);
      state.set(file, "done");
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
