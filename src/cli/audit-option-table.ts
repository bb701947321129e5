/**
 * The audit option shared by `run` and `mcp`, as an option table (declarations only: this module
 * stays cheap to load). audit-setup.ts opens what it names.
 */
export const AUDIT_OPTIONS = {
  "audit-log": {
    kind: "value",
    arg: "FILE",
    help: [
      "Append one JSON line per exec and network decision to FILE",
      "(schema: docs/audit-log.md; view it with `execward log FILE`).",
    ],
  },
} as const;
