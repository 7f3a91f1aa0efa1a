#!/usr/bin/env node
/**
 * `npm run test:under-load`: `npm test` (scripts/test.mjs, unchanged) with two CPU-bound busy
 * loops running beside it for its whole duration, to show that the tests assert behaviour, not
 * speed. Prints the load average at the start and at the end, the closing line of `npm test`, and
 * exits with `npm test`'s status.
 *
 * Each busy loop is a child `node` process that spins until it is killed; it also stops by itself
 * once this script is gone (its parent changes) and after BUSY_MAX_MS (2 hours) at most, so a loop
 * never outlives a crashed parent. (On a busy machine `npm test` alone can take most of an hour:
 * the loops must last the whole run.) The loops are killed when the tests end, fail, or this
 * script gets SIGINT/SIGTERM/SIGHUP; the closing lines say how many were still running.
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUSY_LOOPS = 2;
const BUSY_MAX_MS = 2 * 60 * 60 * 1000;
/** Spins until BUSY_MAX_MS have passed or the parent (this script) is gone. */
const BUSY_LOOP = `const end = Date.now() + ${BUSY_MAX_MS}; const parent = ${process.pid};
for (let i = 1; ; i++) {
  if (i % 10000000 === 0 && (process.ppid !== parent || Date.now() > end)) break;
}`;

const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(", ");
const log = (line) => console.log(`test:under-load: ${line}`);

const busy = [];
for (let i = 0; i < BUSY_LOOPS; i++) {
  const child = spawn(process.execPath, ["-e", BUSY_LOOP], { stdio: "ignore" });
  child.on("error", (err) => log(`busy loop ${i + 1} could not start: ${err.message}`));
  busy.push(child);
}
const stopBusy = () => {
  for (const child of busy) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
};
process.on("exit", stopBusy);

const started = Date.now();
log(`${BUSY_LOOPS} busy loops started (pids ${busy.map((c) => c.pid).join(", ")})`);
log(`load average at start (1, 5, 15 min): ${load()}`);

// Keep the last lines of `npm test`'s output to repeat its closing line at the end.
let tail = "";
const tests = spawn(process.execPath, [path.join(ROOT, "scripts", "test.mjs")], {
  cwd: ROOT,
  stdio: ["ignore", "pipe", "inherit"],
});
tests.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4000);
});

let interrupted = null;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    interrupted = sig;
    stopBusy();
    tests.kill(sig);
  });
}

const status = await new Promise((resolve) => {
  tests.on("error", (err) => {
    log(`could not start scripts/test.mjs: ${err.message}`);
    resolve(1);
  });
  tests.on("close", (code, signal) => resolve(signal ? 1 : (code ?? 1)));
});

const endLoad = load();
const stillBusy = busy.filter((c) => c.exitCode === null && c.signalCode === null).length;
stopBusy();
const closing = tail
  .trim()
  .split("\n")
  .reverse()
  .find((l) => /^\d+ passed, \d+ failed, \d+ skipped$/.test(l.trim()));
console.log("");
log(`load average at end (1, 5, 15 min): ${endLoad}`);
log(`busy loops still running at the end: ${stillBusy} of ${BUSY_LOOPS}`);
log(`duration: ${((Date.now() - started) / 60000).toFixed(1)} min`);
if (interrupted) log(`interrupted by ${interrupted}`);
log(`npm test closing line: ${closing ?? "(none)"}; exit status ${status}`);
process.exitCode = interrupted ? 1 : status;
