/**
 * The `shell` tool exactly as upstream's codex-exec-mcp-server declares it (name, description,
 * input schema), and the validation of its arguments: a client written for upstream must see the
 * same tool, and bad input must get a clear tool error rather than a crash.
 */
import path from "node:path";

export const SHELL_TOOL_NAME = "shell";
export const SHELL_TOOL_DESCRIPTION =
  "Runs a shell command and returns its output. You MUST provide the workdir as an absolute path.";

export const SHELL_TOOL_INPUT_SCHEMA = {
  type: "object",
  title: "ExecParams",
  properties: {
    command: { type: "string", description: "The bash string to execute." },
    workdir: {
      type: "string",
      description: "The working directory to execute the command in. Must be an absolute path.",
    },
    timeout_ms: {
      type: ["integer", "null"],
      format: "uint64",
      minimum: 0,
      description: "The timeout for the command in milliseconds.",
    },
    login: {
      type: ["boolean", "null"],
      description: "Launch Bash with -lc instead of -c: defaults to true.",
    },
  },
  required: ["command", "workdir"],
} as const;

/** The `tools/list` result: the one tool (also answered before the SDK loads, early-initialize.ts). */
export function shellToolListing(): {
  tools: { name: string; description: string; inputSchema: typeof SHELL_TOOL_INPUT_SCHEMA }[];
} {
  return {
    tools: [
      {
        name: SHELL_TOOL_NAME,
        description: SHELL_TOOL_DESCRIPTION,
        inputSchema: SHELL_TOOL_INPUT_SCHEMA,
      },
    ],
  };
}

/** upstream's DEFAULT_EXEC_COMMAND_TIMEOUT_MS. */
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface ShellCall {
  readonly command: string;
  readonly workdir: string;
  readonly timeoutMs: number;
  readonly login: boolean;
}

/** Validates the tool's arguments; a string result is the error to show the agent. */
export function parseShellArguments(args: Record<string, unknown> | undefined): ShellCall | string {
  const { command, workdir, timeout_ms: timeoutMs, login } = args ?? {};
  if (typeof command !== "string") return "`command` must be a string";
  if (command.trim() === "") return "`command` must not be empty";
  if (typeof workdir !== "string") return "`workdir` must be a string";
  if (!path.isAbsolute(workdir))
    return `\`workdir\` must be an absolute path (got ${JSON.stringify(workdir)})`;
  if (
    timeoutMs !== undefined &&
    timeoutMs !== null &&
    (typeof timeoutMs !== "number" || !Number.isInteger(timeoutMs) || timeoutMs < 0)
  ) {
    return "`timeout_ms` must be a non-negative integer or null";
  }
  if (login !== undefined && login !== null && typeof login !== "boolean")
    return "`login` must be a boolean or null";
  return {
    command,
    workdir,
    timeoutMs: typeof timeoutMs === "number" ? timeoutMs : DEFAULT_TIMEOUT_MS,
    login: login ?? true,
  };
}
