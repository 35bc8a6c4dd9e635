import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/noOrphanPostgres.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Database suites share one embedded data directory per file and one real server; files run in parallel
    // processes but each file owns its own schema or directory.
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } }
  }
})
