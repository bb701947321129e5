// The dependency rules of ARCHITECTURE.md, checked on the source: the layer table (nothing
// imports upward or sideways within a layer), src/policy imports nothing else of ours, and no
// module imports itself back through a cycle.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { REPO_ROOT } from "../helpers/paths.js";

const SRC = path.join(REPO_ROOT, "src");

/**
 * ARCHITECTURE.md's layers, top to bottom: a component (a folder of src/, or a file directly in
 * it) may import its own files and components of any LOWER layer, never a higher one and never
 * another component of its own layer. `index.ts` (the library's public surface) sits on top with
 * the CLI.
 */
const LAYERS: readonly (readonly string[])[] = [
  ["cli", "index.ts"],
  ["mcp"],
  ["exec"],
  ["escalation", "network"],
  ["sandbox", "approval", "native", "settings"],
  ["policy"],
  ["errors.ts"],
];

/**
 * Imports that break the table today, each to be removed by moving a file (not by editing this
 * list to fit new code): the test fails on any violation not listed here, and on any entry
 * here that no longer happens, so the list only shrinks. Empty: keep it so.
 */
const KNOWN_VIOLATIONS: ReadonlyMap<string, string> = new Map<string, string>([]);

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

  it("places every component of src/ in the layer table", () => {
    const placed = new Set(LAYERS.flat());
    const components = readdirSync(SRC).filter(
      (name) => statSync(path.join(SRC, name)).isDirectory() || name.endsWith(".ts"),
    );
    expect(components.filter((name) => !placed.has(name))).toEqual([]);
  });

  it("imports only downward through the layer table (known violations excepted)", () => {
    const layerOf = new Map(LAYERS.flatMap((names, depth) => names.map((name) => [name, depth])));
    const component = (file: string): string => path.relative(SRC, file).split(path.sep)[0] ?? "";
    const violations = [...graph].flatMap(([file, targets]) =>
      targets
        .filter((target) => {
          const from = component(file);
          const to = component(target);
          if (from === to) return false;
          const fromLayer = layerOf.get(from);
          const toLayer = layerOf.get(to);
          return fromLayer === undefined || toLayer === undefined || toLayer <= fromLayer;
        })
        .map((target) => `${path.relative(SRC, file)} -> ${path.relative(SRC, target)}`),
    );
    expect(
      violations.filter((edge) => !KNOWN_VIOLATIONS.has(edge)),
      "imports against the layer table: move the code down, or pass the dependency in",
    ).toEqual([]);
    // A known violation that is gone must leave the list, so that it cannot come back unseen.
    expect(
      [...KNOWN_VIOLATIONS.keys()].filter((edge) => !violations.includes(edge)),
      "fixed: remove these from KNOWN_VIOLATIONS",
    ).toEqual([]);
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
