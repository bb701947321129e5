/**
 * The network options shared by `run` and `mcp`, as an option table (declarations only: this
 * module stays cheap to load). network-options.ts loads the configuration they point at.
 */
import type { OptionsOf } from "./option-table.js";

export const NETWORK_OPTIONS = {
  "allow-domain": {
    kind: "values",
    arg: "PATTERN",
    help: [
      "Let sandboxed commands reach it through the proxy",
      "(example.com, *.example.com, **.example.com; repeatable).",
    ],
  },
  "deny-domain": {
    kind: "values",
    arg: "PATTERN",
    help: "Never let them reach it (repeatable; deny wins).",
  },
  "allow-local-address": {
    kind: "values",
    arg: "CIDR",
    help: "A private or loopback range they may reach.",
  },
  "network-approvals": {
    kind: "value",
    arg: "ask|never",
    choices: ["ask", "never"],
    help: "Ask about other destinations (default ask), or deny.",
  },
  "network-config": {
    kind: "value",
    arg: "FILE",
    help: "TOML with [network_proxy] (default $CODEX_HOME/config.toml).",
  },
} as const;

export type NetworkOptions = OptionsOf<typeof NETWORK_OPTIONS>;
