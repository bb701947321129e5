/**
 * What execward tells a client about itself in the `initialize` answer: its name, the
 * capabilities it declares and its instructions. One source for both the MCP SDK's `Server`
 * (mcp-server.ts) and the answer written before the SDK has loaded (early-initialize.ts), so the
 * two cannot drift apart. Cheap on purpose: no SDK, no zod.
 */

export const SERVER_NAME = "execward";

export const SERVER_INSTRUCTIONS =
  "This server provides a tool to execute shell commands and return their output.";

/** The experimental capabilities a Codex client looks for (see sandbox-state.ts). */
export const SANDBOX_STATE_CAPABILITY = "codex/sandbox-state";
export const SANDBOX_STATE_META_CAPABILITY = "codex/sandbox-state-meta";
export const SANDBOX_STATE_VERSION = "1.0.0";

export interface ServerCapabilities {
  readonly tools: Record<string, never>;
  readonly logging: Record<string, never>;
  readonly experimental: Readonly<Record<string, { readonly version: string }>>;
}

/** The capabilities declared in `initialize` (a fresh object each time: the SDK may keep it). */
export function serverCapabilities(): ServerCapabilities {
  return {
    tools: {},
    // Decisions as notifications/message, for a client that sets a level (mcp-server.ts).
    logging: {},
    experimental: {
      [SANDBOX_STATE_CAPABILITY]: { version: SANDBOX_STATE_VERSION },
      [SANDBOX_STATE_META_CAPABILITY]: { version: SANDBOX_STATE_VERSION },
    },
  };
}
