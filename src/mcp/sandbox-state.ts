/**
 * The sandbox a Codex client asks for, both ways it says so:
 * - per call (Codex 0.169 and later): `tools/call` `params._meta` carries the state under
 *   `codex/sandbox-state-meta` and `codex/sandbox-state` (the same object): a
 *   `permissionProfile` (permission-profile.ts) or, from older clients, a legacy
 *   `sandboxPolicy`, with `sandboxCwd` as a `file://` URI or an absolute path. That call runs
 *   in exactly that sandbox, or fails with the reason;
 * - the `codex/sandbox-state/update` request (older clients), with upstream's parameters
 *   (camelCase) and error texts; that state applies to later calls without state of their own.
 *
 * Guards: a state that is present but malformed, two copies that disagree, or a profile
 * execward cannot honour exactly is an error, never a fallback to another sandbox.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

import { z } from "zod";

import { ExecwardError } from "../errors.js";
import {
  parsePermissionProfile,
  planPermissionProfile,
  type ProfilePath,
} from "../sandbox/permission-profile.js";
import { SandboxPolicySchema, type SandboxPolicy } from "../sandbox/sandbox-policy.js";

import {
  SANDBOX_STATE_CAPABILITY,
  SANDBOX_STATE_META_CAPABILITY,
  SANDBOX_STATE_VERSION,
} from "./server-identity.js";

export { SANDBOX_STATE_CAPABILITY, SANDBOX_STATE_META_CAPABILITY, SANDBOX_STATE_VERSION };
export const SANDBOX_STATE_UPDATE_METHOD = "codex/sandbox-state/update";

export const SandboxStateSchema = z.object({
  sandboxPolicy: SandboxPolicySchema,
  sandboxCwd: z
    .string()
    .refine((value) => path.isAbsolute(value), { message: "must be an absolute path" }),
  codexLinuxSandboxExe: z.string().nullable().optional(),
  useLinuxSandboxBwrap: z.boolean().optional(),
});
export type SandboxState = z.infer<typeof SandboxStateSchema>;

export const SandboxStateUpdateRequestSchema = z.object({
  method: z.literal(SANDBOX_STATE_UPDATE_METHOD),
  params: z.unknown().optional(),
});

/** Other keys (codexLinuxSandboxExe, useLegacyLandlock, ...) say how Codex would sandbox: unused. */
const MetaStateSchema = z
  .object({
    permissionProfile: z.unknown().optional(),
    sandboxPolicy: z.unknown().optional(),
    sandboxCwd: z.string(),
  })
  .passthrough();

/** What one call runs in: a policy, plus a profile's own writable roots and carve-outs. */
export interface CallSandbox {
  readonly policy: SandboxPolicy;
  /** The directory the policy is relative to. */
  readonly policyCwd: string;
  readonly profile?: {
    readonly writable: readonly ProfilePath[];
    readonly readOnly: readonly ProfilePath[];
    readonly hidden: readonly ProfilePath[];
  };
}

/**
 * The sandbox a call's `_meta` asks for, or undefined when it carries no sandbox state.
 * Throws `sandbox_state_unsupported` (or `invalid_sandbox_policy`) with the reason.
 */
export function sandboxFromMeta(
  meta: Readonly<Record<string, unknown>> | undefined,
  call: { readonly workdir: string; readonly tmpdir: string | undefined },
): CallSandbox | undefined {
  const copies = [SANDBOX_STATE_META_CAPABILITY, SANDBOX_STATE_CAPABILITY]
    .filter((key) => meta?.[key] !== undefined)
    .map((key) => ({ key, value: meta?.[key] }));
  const [first, ...others] = copies;
  if (first === undefined) return undefined;
  for (const other of others) {
    if (canonical(other.value) !== canonical(first.value))
      throw stateError(`the call's \`${first.key}\` and \`${other.key}\` disagree`, meta);
  }
  const parsed = MetaStateSchema.safeParse(first.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw stateError(
      `the call's \`${first.key}\` is not a sandbox state (${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"})`,
      first.value,
    );
  }
  const state = parsed.data;
  const cwd = localPath(state.sandboxCwd, first.value);
  if (state.permissionProfile !== undefined) {
    const plan = planPermissionProfile(parsePermissionProfile(state.permissionProfile), {
      cwd,
      tmpdir: call.tmpdir,
      commandCwd: call.workdir,
    });
    if (plan.kind === "unsandboxed") return { policy: plan.policy, policyCwd: cwd };
    // A profile's read view is relative to where the command starts (it was checked readable).
    return {
      policy: plan.policy,
      policyCwd: call.workdir,
      profile: { writable: plan.writable, readOnly: plan.readOnly, hidden: plan.hidden },
    };
  }
  if (state.sandboxPolicy !== undefined) {
    const policy = SandboxPolicySchema.safeParse(state.sandboxPolicy);
    if (!policy.success)
      throw stateError(`the call's \`${first.key}\` has an invalid \`sandboxPolicy\``, first.value);
    return { policy: policy.data, policyCwd: cwd };
  }
  throw stateError(
    `the call's \`${first.key}\` has neither a \`permissionProfile\` nor a \`sandboxPolicy\``,
    first.value,
  );
}

/** `sandboxCwd`: a `file://` URI (Codex 0.169) or an absolute path (older clients). */
function localPath(value: string, state: unknown): string {
  let file = value;
  if (value.startsWith("file:")) {
    try {
      file = fileURLToPath(value);
    } catch {
      throw stateError(`\`sandboxCwd\` ${JSON.stringify(value)} is not a file URL`, state);
    }
  }
  if (!path.isAbsolute(file))
    throw stateError(`\`sandboxCwd\` ${JSON.stringify(value)} is not absolute`, state);
  return path.resolve(file);
}

/** JSON with object keys sorted, to compare two copies of one state. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : inner,
  );
}

function stateError(message: string, state: unknown): ExecwardError {
  return new ExecwardError("sandbox_state_unsupported", message, { data: { state } });
}
