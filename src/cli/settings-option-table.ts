/**
 * The settings option shared by `run` and `mcp` (`--config FILE`), as an option table
 * (declarations only, so `--help` loads no settings code). load-settings.ts reads the file.
 */
export const SETTINGS_OPTIONS = {
  config: {
    kind: "value",
    arg: "FILE",
    help: [
      "The settings file (default $CODEX_HOME/execward.toml): deny_read,",
      "deny_write, credentials, escalation env. Flags override it.",
    ],
  },
} as const;
