#!/usr/bin/env node
/**
 * Runs the Next.js CLI (`node ../../scripts/next.mjs build` from apps/web) with its telemetry off.
 * docs/configuration.md promises Next.js telemetry is off in every npm script; an environment
 * variable in the script itself (`NEXT_TELEMETRY_DISABLED=1 next build`) works in POSIX shells
 * only, and `next telemetry disable` writes to the user's global config instead. So every script
 * that runs `next` goes through this file (test: apps/server/test/telemetry.test.ts), and the
 * server sets the same variable before it loads Next (apps/server/src/main.ts).
 *
 * After a successful `build`, it marks the framework chunks with V8's compile hint
 * (scripts/compile-hints.mjs: why, and its limits).
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { runCompileHints } from "./compile-hints.mjs";

const require = createRequire(import.meta.url);
const bin = require.resolve("next/dist/bin/next", { paths: [process.cwd()] });
const child = spawn(process.execPath, [bin, ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else {
    if (code === 0 && process.argv[2] === "build")
      runCompileHints(path.join(process.cwd(), ".next"));
    process.exit(code ?? 1);
  }
});
