#!/usr/bin/env node
/**
 * `npm test`: Duet's one full test command (README: `npm install && npm test`; CI: `.ci/run`).
 *
 * Steps, in order; every step runs even if an earlier one failed, so one run shows everything:
 *   1. check-install.mjs    `npm ci` would succeed; no engine warnings; one Node line; one esbuild
 *   2. biome check .        lint + format
 *   3. npm run typecheck    tsc, strict
 *   4. vitest run           unit/integration tests; JSON report in .reports/vitest.json
 *   5. npm run build        the Next.js production build that the browser tests serve
 *   6. bash scripts/e2e.sh  Playwright in a private network namespace; .reports/playwright.json
 *
 * Ends with one plain line, `N passed, N failed, N skipped`, summing Vitest's and Playwright's
 * counts from their JSON reports. A step that failed without a failed test to show for it (lint,
 * typecheck, build, a test file that did not load, a missing or unreadable report, a run of zero
 * tests, a test that only passed on a retry) adds 1 to "failed", so the line never reads
 * "0 failed" for a broken run. Exits 1 if any step or any test failed. There is no way to skip a
 * step: tests never skip silently.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const REPORTS = path.join(ROOT, ".reports");
export const VITEST_REPORT = path.join(REPORTS, "vitest.json");
export const PLAYWRIGHT_REPORT = path.join(REPORTS, "playwright.json");

const isCount = (n) => Number.isInteger(n) && n >= 0;

/** Vitest's JSON reporter → counts, or an error message if the report is not what we expect. */
export function countVitest(report) {
  const {
    numPassedTests: p,
    numFailedTests: f,
    numPendingTests: s,
    numTodoTests: t,
  } = report ?? {};
  if (![p, f, s].every(isCount) || !(t === undefined || isCount(t))) {
    return { error: "report lacks numPassedTests/numFailedTests/numPendingTests" };
  }
  const problems = [];
  if (isCount(report.numFailedTestSuites) && report.numFailedTestSuites > 0 && f === 0) {
    problems.push(`${report.numFailedTestSuites} test file(s) failed to run`);
  }
  if (report.success === false && problems.length === 0 && f === 0 && p + s + (t ?? 0) > 0) {
    problems.push("Vitest reported the run as unsuccessful (unhandled error?)");
  }
  return { passed: p, failed: f, skipped: s + (t ?? 0), problems };
}

/** Playwright's JSON reporter → counts. "flaky" (passed only on a retry) counts as failed. */
export function countPlaywright(report) {
  const stats = report?.stats;
  const { expected: p, unexpected: f, flaky: k, skipped: s } = stats ?? {};
  if (![p, f, k, s].every(isCount)) {
    return { error: "report lacks stats.expected/unexpected/flaky/skipped" };
  }
  const problems = [];
  if (k > 0) problems.push(`${k} flaky test(s) (passed only on a retry): counted as failed`);
  const errors = Array.isArray(report.errors) ? report.errors : [];
  if (errors.length > 0) {
    const first = String(errors[0]?.message ?? "").split("\n")[0];
    problems.push(`${errors.length} error(s) outside tests${first ? `, first: ${first}` : ""}`);
  }
  return { passed: p, failed: f + k, skipped: s, problems };
}

/** Reads a JSON report written by this run; { error } if it is missing or unreadable. */
export function readReport(file) {
  if (!existsSync(file)) return { error: `no report at ${path.relative(ROOT, file)}` };
  try {
    return { report: JSON.parse(readFileSync(file, "utf8")) };
  } catch (err) {
    return { error: `unreadable report ${path.relative(ROOT, file)}: ${err.message}` };
  }
}

/**
 * Judges one step. `exitCode` is the step's exit status; `reportFile`/`count` are given for the
 * steps that must leave a JSON report. Returns { ok, passed, failed, skipped, notes }, where
 * `failed` already includes the +1 for a step that failed without a failed test to show for it.
 */
export function judgeStep({ exitCode, reportFile, count }) {
  const notes = [];
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let ok = exitCode === 0;
  if (exitCode !== 0) notes.push(exitCode === null ? "did not finish" : `exit code ${exitCode}`);
  if (reportFile) {
    const read = readReport(reportFile);
    const counted = read.error ? read : count(read.report);
    if (counted.error) {
      ok = false;
      notes.push(counted.error);
    } else {
      ({ passed, failed, skipped } = counted);
      notes.push(...counted.problems);
      if (counted.problems.length > 0) ok = false;
      if (failed > 0) ok = false;
      if (passed + failed + skipped === 0) {
        ok = false;
        notes.push("ran no tests");
      }
    }
  }
  if (!ok && failed === 0) failed = 1;
  return { ok, passed, failed, skipped, notes };
}

/** The closing line CI reads. */
export function closingLine(results) {
  const sum = (k) => results.reduce((n, r) => n + r[k], 0);
  return `${sum("passed")} passed, ${sum("failed")} failed, ${sum("skipped")} skipped`;
}

const STEPS = [
  {
    name: "install",
    title: "Install check: node scripts/check-install.mjs (npm ci --dry-run, engines, Node line)",
    cmd: ["node", "scripts/check-install.mjs"],
  },
  { name: "lint", title: "Lint and format: biome check .", cmd: ["biome", "check", "."] },
  { name: "typecheck", title: "Typecheck: npm run typecheck", cmd: ["npm", "run", "typecheck"] },
  {
    name: "unit",
    title: "Unit tests: vitest run",
    cmd: [
      "vitest",
      "run",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${path.relative(ROOT, VITEST_REPORT)}`,
    ],
    reportFile: VITEST_REPORT,
    count: countVitest,
  },
  { name: "build", title: "Build: npm run build", cmd: ["npm", "run", "build"] },
  {
    name: "e2e",
    title: "Browser tests: bash scripts/e2e.sh (Playwright, private network namespace)",
    cmd: ["bash", "scripts/e2e.sh"],
    reportFile: PLAYWRIGHT_REPORT,
    count: countPlaywright,
  },
];

let current = null;
let interrupted = null;

/** Resolves a project tool to node_modules/.bin, so nothing is looked up on a registry. */
function resolveCommand([bin, ...args]) {
  if (bin === "npm" || bin === "bash" || bin === "node") return [bin, args];
  const local = path.join(ROOT, "node_modules", ".bin", bin);
  return [local, args];
}

function run(cmd, env) {
  const [bin, args] = resolveCommand(cmd);
  if (bin.includes("node_modules") && !existsSync(bin)) {
    console.error(`test: ${path.relative(ROOT, bin)} is missing: run 'npm install' first`);
    return Promise.resolve(127);
  }
  return new Promise((resolve) => {
    const child = spawn(bin, args, { cwd: ROOT, env, stdio: ["ignore", "inherit", "inherit"] });
    current = child;
    child.on("error", (err) => {
      console.error(`test: could not start ${cmd.join(" ")}: ${err.message}`);
      current = null;
      resolve(127);
    });
    child.on("close", (code, signal) => {
      current = null;
      resolve(signal ? null : code);
    });
  });
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function main() {
  for (const sig of ["SIGINT", "SIGTERM"]) {
    process.on(sig, () => {
      interrupted = sig;
      if (current) current.kill(sig);
    });
  }
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
  mkdirSync(REPORTS, { recursive: true });
  // A report left by an earlier run must never be read as this run's.
  for (const file of [VITEST_REPORT, PLAYWRIGHT_REPORT]) rmSync(file, { force: true });

  const started = Date.now();
  const results = [];
  for (const [i, step] of STEPS.entries()) {
    if (interrupted) {
      results.push({ step, ok: false, passed: 0, failed: 1, skipped: 0, notes: ["not run"] });
      continue;
    }
    console.log(`\n==> [${i + 1}/${STEPS.length}] ${step.title}\n`);
    const t0 = Date.now();
    const exitCode = await run(step.cmd, env);
    const judged = judgeStep({ exitCode, reportFile: step.reportFile, count: step.count });
    results.push({ step, ms: Date.now() - t0, ...judged });
    const verdict = judged.ok ? "ok" : "FAILED";
    const extra = judged.notes.length > 0 ? ` (${judged.notes.join("; ")})` : "";
    console.log(`\n<== ${step.name}: ${verdict} in ${seconds(Date.now() - t0)}${extra}`);
  }

  console.log(`\n==> Summary (${seconds(Date.now() - started)})`);
  for (const r of results) {
    const counts = r.step.reportFile
      ? `  ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`
      : "";
    const notes = r.notes.length > 0 ? `  [${r.notes.join("; ")}]` : "";
    const time = r.ms === undefined ? "" : `  ${seconds(r.ms)}`;
    console.log(
      `  ${r.step.name.padEnd(10)} ${(r.ok ? "ok" : "FAILED").padEnd(7)}${time}${counts}${notes}`,
    );
  }
  if (interrupted) console.log(`  interrupted by ${interrupted}`);
  const anyFailed = interrupted !== null || results.some((r) => !r.ok || r.failed > 0);
  console.log(closingLine(results));
  return anyFailed ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
