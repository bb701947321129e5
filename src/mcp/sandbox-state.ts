/**
 * The `codex/sandbox-state` capability and its `codex/sandbox-state/update` request, with
 * upstream's parameters (camelCase) and error texts. The state applies to later calls.
 */
import { z } from "zod";

export const SANDBOX_STATE_CAPABILITY = "codex/sandbox-state";
export const SANDBOX_STATE_UPDATE_METHOD = "codex/sandbox-state/update";
export const SANDBOX_STATE_VERSION = "1.0.0";

const SandboxPolicySchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("danger-full-access") }),
  z.object({ type: z.literal("read-only") }).passthrough(),
  z.object({ type: z.literal("workspace-write") }).passthrough(),
]);

export const SandboxStateSchema = z.object({
  sandboxPolicy: SandboxPolicySchema,
  sandboxCwd: z.string(),
  codexLinuxSandboxExe: z.string().nullable().optional(),
  useLinuxSandboxBwrap: z.boolean().optional(),
});
export type SandboxState = z.infer<typeof SandboxStateSchema>;

export const SandboxStateUpdateRequestSchema = z.object({
  method: z.literal(SANDBOX_STATE_UPDATE_METHOD),
  params: z.unknown().optional(),
});
