import { configDefaults, defineConfig } from "vitest/config";

/**
 * The one Vitest config for the whole repository (unit, integration and bench sanity tests).
 * Browser tests live in e2e/ and run under Playwright (playwright.config.ts): they must never be
 * collected here, or Playwright throws "Playwright Test did not expect test() to be called here".
 *
 * `npm test` (scripts/test.mjs) adds the JSON reporter (.reports/vitest.json) on the command line;
 * `npx vitest run` / `npm run test:unit` gives the plain console output.
 */
export default defineConfig({
  test: {
    include: [
      "packages/*/test/**/*.test.ts",
      "apps/server/test/**/*.test.ts",
      "apps/web/test/**/*.test.ts",
      "bench/**/*.test.ts",
      "scripts/**/*.test.ts",
    ],
    exclude: [...configDefaults.exclude, "e2e/**", "**/.next/**"],
    environment: "node",
    // Ceilings, not speed limits: a server's first start (an in-memory PGlite with its
    // migrations) alone can take tens of seconds when the 2 cores are busy.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Forks isolate tests that open sockets or set process-wide state. Three workers on the
    // 2-core machine: with two, the cores sat idle 10–45 % of the time (a file's fork and
    // imports, the child processes and servers a test waits on); the whole run took 289 s with
    // two and 239 s with three, measured back to back on an otherwise idle machine (2026-12-06).
    pool: "forks",
    maxWorkers: 3,
    // Fail on a stray `.only` in CI rather than silently running a subset.
    allowOnly: !process.env.CI,
  },
});
