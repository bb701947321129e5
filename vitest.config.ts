import { defineConfig } from "vitest/config";

// Tests spawn real processes (the built CLI, later bash and bwrap), so they run in forked
// workers rather than threads: a child process must not share a worker's thread state.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    globalSetup: ["test/helpers/global-setup.ts"],
  },
});
