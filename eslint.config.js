// Lint rules written down as config (docs/contributing.md points here rather than restating them).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import nodePlugin from "eslint-plugin-n";
import unicorn from "eslint-plugin-unicorn";
import globals from "globals";
import { fileURLToPath } from "node:url";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "test/fixtures/**", "build/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: fileURLToPath(new URL(".", import.meta.url)),
      },
      globals: globals.node,
    },
    plugins: { n: nodePlugin, unicorn },
    settings: { n: { version: ">=20.19.0" } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      eqeqeq: "error",
      "n/prefer-node-protocol": "error",
      "n/no-unsupported-features/node-builtins": "error",
      "n/no-unsupported-features/es-syntax": "off",
      "unicorn/filename-case": ["error", { case: "kebabCase" }],
      // stdout belongs to the MCP protocol: library code logs to stderr through the logger.
      "no-console": "error",
    },
  },
  {
    // The policy engine imports nothing else of ours (ARCHITECTURE.md); test/unit/architecture
    // also checks this, and that src/ has no import cycles.
    files: ["src/policy/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^\\.\\./(?!errors\\.js$)",
              message: "src/policy imports nothing else of ours",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["src/cli/**", "bench/**", "scripts/**", "test/**"],
    rules: { "no-console": "off" },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: globals.node },
  },
);
