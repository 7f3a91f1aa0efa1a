#!/usr/bin/env node
/**
 * Runs the Next.js CLI (`node ../../scripts/next.mjs build` from apps/web) with its telemetry off.
 * docs/configuration.md promises Next.js telemetry is off in every npm script; an environment
 * variable in the script itself (`NEXT_TELEMETRY_DISABLED=1 next build`) works in POSIX shells
 * only, and `next telemetry disable` writes to the user's global config instead. So every script
 * that runs `next` goes through this file (test: apps/server/test/telemetry.test.ts), and the
 * server sets the same variable before it loads Next (apps/server/src/main.ts).
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const bin = require.resolve("next/dist/bin/next", { paths: [process.cwd()] });
const child = spawn(process.execPath, [bin, ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
