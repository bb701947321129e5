/**
 * The SandboxPolicy model with upstream's exact JSON (Codex's `protocol.rs`): what a sandboxed
 * command may read, write and reach. Validated strictly at the boundary: an unknown `type`, a
 * relative root or a field of the wrong type is an error that names it, never a default.
 *
 *   {"type":"danger-full-access"}
 *   {"type":"read-only", "access"?: ReadOnlyAccess, "network_access"?: bool}
 *   {"type":"workspace-write", "writable_roots"?: [abs], "read_only_access"?: ReadOnlyAccess,
 *    "network_access"?: bool, "exclude_tmpdir_env_var"?: bool, "exclude_slash_tmp"?: bool}
 *   {"type":"external-sandbox", "network_access"?: "restricted" | "enabled"}
 *   ReadOnlyAccess: {"type":"full-access"} | {"type":"restricted",
 *                    "include_platform_defaults"?: bool (true), "readable_roots"?: [abs]}
 */
import path from "node:path";

import { z } from "zod";

import { ExecwardError } from "../errors.js";

const AbsolutePath = z
  .string()
  .refine((value) => path.isAbsolute(value), { message: "must be an absolute path" });

const ReadOnlyAccessSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("full-access") }),
  z.object({
    type: z.literal("restricted"),
    include_platform_defaults: z.boolean().default(true),
    readable_roots: z.array(AbsolutePath).default([]),
  }),
]);
export type ReadOnlyAccess = z.infer<typeof ReadOnlyAccessSchema>;

export const SandboxPolicySchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("danger-full-access") }),
  z.object({
    type: z.literal("read-only"),
    access: ReadOnlyAccessSchema.default({ type: "full-access" }),
    network_access: z.boolean().default(false),
  }),
  z.object({
    type: z.literal("workspace-write"),
    writable_roots: z.array(AbsolutePath).default([]),
    read_only_access: ReadOnlyAccessSchema.default({ type: "full-access" }),
    network_access: z.boolean().default(false),
    exclude_tmpdir_env_var: z.boolean().default(false),
    exclude_slash_tmp: z.boolean().default(false),
  }),
  z.object({
    type: z.literal("external-sandbox"),
    network_access: z.enum(["restricted", "enabled"]).default("restricted"),
  }),
]);
export type SandboxPolicy = z.infer<typeof SandboxPolicySchema>;

/** Parses a policy from its JSON value; throws `invalid_sandbox_policy` naming the problem. */
export function parseSandboxPolicy(value: unknown): SandboxPolicy {
  const parsed = SandboxPolicySchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where =
    issue === undefined || issue.path.length === 0 ? "sandbox policy" : issue.path.join(".");
  throw new ExecwardError(
    "invalid_sandbox_policy",
    `invalid sandbox policy: ${where}: ${issue?.message ?? "invalid"}`,
    {
      data: { policy: value },
    },
  );
}

export function hasFullNetworkAccess(policy: SandboxPolicy): boolean {
  switch (policy.type) {
    case "danger-full-access":
      return true;
    case "external-sandbox":
      return policy.network_access === "enabled";
    case "read-only":
    case "workspace-write":
      return policy.network_access;
  }
}

/**
 * Directories the command may write, as upstream computes them: for workspace-write, the
 * `writable_roots`, the working directory, `/tmp` (unless excluded) and `$TMPDIR` (if set,
 * unless excluded), without duplicates; nothing for read-only; everything for full access.
 */
export function writableRoots(
  policy: SandboxPolicy,
  cwd: string,
  tmpdir: string | undefined,
):
  | { readonly everything: true }
  | { readonly everything: false; readonly roots: readonly string[] } {
  switch (policy.type) {
    case "danger-full-access":
    case "external-sandbox":
      return { everything: true };
    case "read-only":
      return { everything: false, roots: [] };
    case "workspace-write": {
      const roots = [...policy.writable_roots, cwd];
      if (!policy.exclude_slash_tmp) roots.push("/tmp");
      if (!policy.exclude_tmpdir_env_var && tmpdir !== undefined && tmpdir !== "")
        roots.push(tmpdir);
      return { everything: false, roots: [...new Set(roots.map((root) => path.resolve(root)))] };
    }
  }
}

/** Names inside a writable root that stay read-only (upstream: `.git`, `.codex`, `.agents`). */
export const PROTECTED_SUBPATHS: readonly string[] = [".git", ".codex", ".agents"];
