/**
 * The `codex/sandbox-state` capability and its `codex/sandbox-state/update` request, with
 * upstream's parameters (camelCase) and error texts. The state applies to later calls.
 */
import path from "node:path";

import { z } from "zod";

import { SandboxPolicySchema } from "../sandbox/sandbox-policy.js";

export const SANDBOX_STATE_CAPABILITY = "codex/sandbox-state";
export const SANDBOX_STATE_UPDATE_METHOD = "codex/sandbox-state/update";
export const SANDBOX_STATE_VERSION = "1.0.0";

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
