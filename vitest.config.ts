import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "packages/console/test/**/*.test.tsx", "docs/examples/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default"],
    // A green run prints the files and the summary; a failing test's logs (console, Effect's logger, the output of
    // the processes it started) are printed after it. `--silent=false` shows every test's logs.
    silent: "passed-only",
    // Most suites run real servers and processes: a test is named in a green run only when it takes over 10 s.
    slowTestThreshold: 10_000
  }
})
