/**
 * Lighthouse on Duet's pages, as figures (a measurement, not a test: nothing here passes or fails
 * on a score). Starts the production app itself, runs Lighthouse's mobile preset (its default
 * config: a Moto G Power-sized screen, simulated slow 4G and a 4x CPU slowdown) with the
 * performance, accessibility and best-practices categories against each page, N times, and
 * prints the median of each figure with the spread of the performance score. docs/performance.md
 * keeps the results and what they mean.
 *
 *   npm run build                       # first: this measures the production build in apps/web/.next
 *   npm run bench:lighthouse            # 3 runs of /, /menti, /stimchat, /dormparty, /admin
 *   npm run bench:lighthouse -- --runs 5 --pages /,/admin --timeout-s 1200
 *
 * Everything stays on 127.0.0.1: the app server listens there only, Chromium is told that no
 * other host name resolves (--host-resolver-rules) and not to make its own background requests,
 * and the DevTools port it opens is on loopback. The server is started with a throwaway DATA_DIR
 * and stopped by its own pid (other test servers may be running on this machine: nothing is
 * stopped by name). Runs go round the pages (run 1 of every page, then run 2, …) so that a burst
 * of load from other work on the machine does not land on one page's runs only. The whole
 * command is bounded by --timeout-s (default 900 s); each Lighthouse run by 150 s.
 *
 * This machine's cores sometimes run everything ~1.8× slower for seconds to minutes (the host's
 * doing; bench/load/core-speed.ts), and Lighthouse's simulated throttling scales what it observed
 * on the main thread, so a run in such a stretch reads a lower score for the same page. Unless
 * --no-watch, the core-speed watch runs beside: each run first waits (up to 60 s) for every core to
 * read near its normal speed, and a run measured while a core ran slow is redone (at most twice);
 * the slow run stays in the JSON, marked `slow`, and is left out of the medians. Each run's
 * Lighthouse `benchmarkIndex` (its own measure of the machine's speed) is kept and printed too.
 *
 * Full results (every run's figures and the load average around it) go to
 * bench/results/lighthouse-<time>.json (git-ignored); with --keep-reports, every run's whole
 * Lighthouse report too (JSON, next to it: open one in the Lighthouse viewer, or read its audits
 * such as bootup-time, long-tasks, largest-contentful-paint-element, layout-shifts).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
// chrome-launcher comes with lighthouse (its own dependency, the launcher its CLI uses).
import * as chromeLauncher from "chrome-launcher";
import lighthouse, { type Result } from "lighthouse";
import { type CoreSpeedWatch, startCoreSpeedWatch } from "./load/core-speed";

const ROOT = path.resolve(import.meta.dirname, "..");
const LIGHTHOUSE_VERSION = (
  createRequire(import.meta.url)("lighthouse/package.json") as { version: string }
).version;
const CHROMIUM = "/usr/bin/chromium";
const DEFAULT_PAGES = ["/", "/menti", "/stimchat", "/dormparty", "/admin"];
const RUN_TIMEOUT_MS = 150_000;

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: process.env.LH_RUNS ?? "3" },
    pages: { type: "string", default: DEFAULT_PAGES.join(",") },
    "timeout-s": { type: "string", default: "900" },
    out: { type: "string" },
    "keep-reports": { type: "boolean", default: false },
    "no-watch": { type: "boolean", default: false },
  },
});
/** A run measured on a slow core is redone at most this many times. */
const SLOW_REDOS = 2;
const RUNS = Math.max(1, Math.min(25, Number.parseInt(args.runs, 10) || 3));
const PAGES = args.pages
  .split(",")
  .map((p) => p.trim())
  .filter((p) => p.startsWith("/"));
const STAMP = new Date().toISOString().replace(/:/g, "-");
const OUT = args.out ?? path.join(ROOT, "bench/results", `lighthouse-${STAMP}.json`);
const REPORTS_DIR = args["keep-reports"] ? OUT.replace(/\.json$/, "") : null;
const DEADLINE_MS = Math.max(60, Number.parseInt(args["timeout-s"], 10) || 900) * 1000;

// Flags from /work/shared/MACHINE-NOTES.md (the ones the browser tests use), plus: no name but
// 127.0.0.1 resolves, so nothing the page or the browser asks for can leave this machine.
const CHROME_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
];

interface RunFigures {
  page: string;
  run: number;
  performance: number;
  accessibility: number;
  bestPractices: number;
  fcpMs: number;
  lcpMs: number;
  tbtMs: number;
  cls: number;
  speedIndexMs: number;
  /** JavaScript transferred (compressed), bytes. */
  jsTransferBytes: number;
  /** JavaScript once decompressed, bytes. */
  jsResourceBytes: number;
  /** Load average (1 min) just before and just after the run. */
  loadBefore: number;
  loadAfter: number;
  warnings: string[];
  /** Lighthouse's own measure of the machine's speed during the run (higher: faster). */
  benchmarkIndex: number;
  /** With the watch: the slowest core against its normal speed over the run (1 = normal). */
  slowestCore?: number;
  /** Measured while a core ran slow, and so redone; not in the medians. */
  slow?: boolean;
}

const started = Date.now();
let server: ReturnType<typeof spawn> | null = null;
let chrome: chromeLauncher.LaunchedChrome | null = null;
let dataDir: string | null = null;
let watch: CoreSpeedWatch | null = null;

function log(line: string): void {
  process.stderr.write(`[lighthouse ${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function startServer(port: number): Promise<void> {
  dataDir = mkdtempSync(path.join(tmpdir(), "duet-lighthouse-"));
  // Started as `node --import tsx main.ts` (not through npm), so the pid held is the server's.
  server = spawn(process.execPath, ["--import", "tsx", "apps/server/src/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      // /admin shows its sign-in form (as deployed) rather than "not set up".
      ADMIN_PASSWORD: `lighthouse-${process.pid}-${Date.now()}-throwaway`,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  server.once("exit", (code, signal) => {
    if (server) log(`app server exited early (code ${code}, signal ${signal})`);
    server = null;
  });
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if (!server) throw new Error("the app server exited before it answered /healthz");
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("the app server did not answer /healthz within 60 s");
}

async function stopServer(): Promise<void> {
  const child = server;
  server = null;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = null;
}

function stopChrome(): void {
  // chrome-launcher kills the browser it started (its own pid), nothing else.
  try {
    chrome?.kill();
  } catch {
    // Already gone.
  }
  chrome = null;
}

function scriptBytes(lhr: Result): { transfer: number; resource: number } {
  const details = lhr.audits["network-requests"]?.details as
    | { items?: { resourceType?: string; transferSize?: number; resourceSize?: number }[] }
    | undefined;
  let transfer = 0;
  let resource = 0;
  for (const item of details?.items ?? []) {
    if (item.resourceType !== "Script") continue;
    transfer += item.transferSize ?? 0;
    resource += item.resourceSize ?? 0;
  }
  return { transfer, resource };
}

async function measure(url: string, page: string, run: number): Promise<RunFigures> {
  const loadBefore = loadavg()[0] ?? 0;
  // A fresh browser (and profile) per run: no cache, no cookie, no pass from an earlier run.
  chrome = await chromeLauncher.launch({
    chromePath: CHROMIUM,
    chromeFlags: CHROME_FLAGS,
    logLevel: "silent",
  });
  try {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const result = await Promise.race([
      lighthouse(url, {
        port: chrome.port,
        hostname: "127.0.0.1",
        output: "json",
        logLevel: "error",
        onlyCategories: ["performance", "accessibility", "best-practices"],
        maxWaitForLoad: 60_000,
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Lighthouse run timed out on ${page}`)),
          RUN_TIMEOUT_MS,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    if (!result) throw new Error(`Lighthouse returned nothing for ${page}`);
    const { lhr } = result;
    if (lhr.runtimeError) throw new Error(`${page}: ${lhr.runtimeError.message}`);
    if (REPORTS_DIR) {
      mkdirSync(REPORTS_DIR, { recursive: true });
      const name = `${page === "/" ? "landing" : page.slice(1).replace(/\//g, "_")}-${run}.json`;
      writeFileSync(path.join(REPORTS_DIR, name), JSON.stringify(lhr));
    }
    const score = (id: string) => Math.round((lhr.categories[id]?.score ?? Number.NaN) * 100);
    const value = (id: string) => lhr.audits[id]?.numericValue ?? Number.NaN;
    const js = scriptBytes(lhr);
    return {
      page,
      run,
      performance: score("performance"),
      accessibility: score("accessibility"),
      bestPractices: score("best-practices"),
      fcpMs: value("first-contentful-paint"),
      lcpMs: value("largest-contentful-paint"),
      tbtMs: value("total-blocking-time"),
      cls: value("cumulative-layout-shift"),
      speedIndexMs: value("speed-index"),
      jsTransferBytes: js.transfer,
      jsResourceBytes: js.resource,
      loadBefore,
      loadAfter: loadavg()[0] ?? 0,
      warnings: lhr.runWarnings,
      benchmarkIndex: lhr.environment.benchmarkIndex,
    };
  } finally {
    stopChrome();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function table(all: RunFigures[]): string {
  const header = [
    "page",
    "perf (min–max)",
    "a11y",
    "best-pr.",
    "FCP s",
    "LCP s",
    "TBT ms",
    "CLS",
    "SI s",
    "JS KiB (gz)",
    "JS KiB (raw)",
    "benchmarkIndex",
  ];
  const rows = PAGES.map((page) => {
    const runs = all.filter((r) => r.page === page);
    if (runs.length === 0) return [page, "no run", "", "", "", "", "", "", "", "", "", ""];
    const m = (pick: (r: RunFigures) => number) => median(runs.map(pick));
    const perf = runs.map((r) => r.performance);
    return [
      page,
      `${m((r) => r.performance)} (${Math.min(...perf)}–${Math.max(...perf)})`,
      String(m((r) => r.accessibility)),
      String(m((r) => r.bestPractices)),
      (m((r) => r.fcpMs) / 1000).toFixed(1),
      (m((r) => r.lcpMs) / 1000).toFixed(1),
      m((r) => r.tbtMs).toFixed(0),
      m((r) => r.cls).toFixed(3),
      (m((r) => r.speedIndexMs) / 1000).toFixed(1),
      (m((r) => r.jsTransferBytes) / 1024).toFixed(0),
      (m((r) => r.jsResourceBytes) / 1024).toFixed(0),
      m((r) => r.benchmarkIndex).toFixed(0),
    ];
  });
  const lines = [header, header.map(() => "---"), ...rows];
  return lines.map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

async function main(): Promise<number> {
  if (!existsSync(path.join(ROOT, "apps/web/.next/BUILD_ID"))) {
    process.stderr.write(
      "bench:lighthouse measures the production build, and apps/web/.next has none: run `npm run build` first.\n",
    );
    return 2;
  }
  if (!existsSync(CHROMIUM)) {
    process.stderr.write(
      `bench:lighthouse needs Debian's Chromium at ${CHROMIUM}: bash scripts/ensure-chromium.sh\n`,
    );
    return 2;
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  log(`starting the app server on ${base} (${PAGES.length} pages × ${RUNS} runs)`);
  await startServer(port);
  // One plain request per page first, so the server's first render of a route (loading its
  // code) is not in the first measured run.
  for (const page of PAGES) await (await fetch(`${base}${page}`)).arrayBuffer();

  const all: RunFigures[] = [];
  const slowRuns: RunFigures[] = [];
  watch = args["no-watch"] ? null : await startCoreSpeedWatch();
  for (let run = 1; run <= RUNS; run++) {
    for (const page of PAGES) {
      for (let attempt = 0; ; attempt++) {
        const waited = watch ? await watch.waitQuiet(60_000) : null;
        const from = Date.now();
        const figures = await measure(`${base}${page}`, page, run);
        const machine = watch?.slowdown(from, Date.now());
        if (machine) {
          figures.slowestCore = machine.max;
          // The last attempt counts whatever it read; marked when it too ran slow.
          if (machine.slow) figures.slow = true;
        }
        const redo = machine?.slow === true && attempt < SLOW_REDOS;
        log(
          `run ${run} ${page}: performance ${figures.performance}, TBT ${figures.tbtMs.toFixed(0)} ms, ` +
            `LCP ${(figures.lcpMs / 1000).toFixed(1)} s, load ${figures.loadBefore.toFixed(1)}→${figures.loadAfter.toFixed(1)}, ` +
            `benchmarkIndex ${figures.benchmarkIndex.toFixed(0)}` +
            (machine
              ? `, slowest core ${machine.max.toFixed(2)}× (waited ${((waited?.waitedMs ?? 0) / 1000).toFixed(0)} s)`
              : "") +
            (redo ? ": a core ran slow, redone" : ""),
        );
        if (!redo) {
          all.push(figures);
          break;
        }
        slowRuns.push(figures);
      }
    }
  }
  await stopServer();

  const loads = all.flatMap((r) => [r.loadBefore, r.loadAfter]);
  const summary = [
    `Lighthouse ${LIGHTHOUSE_VERSION} mobile preset (simulated throttling), ${RUNS} run(s) per page, median (performance: min–max)`,
    `${new Date().toISOString()} · ${cpus().length} cores · load average (1 min) during the runs ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}` +
      (watch
        ? ` · core-speed watch: ${slowRuns.length} run(s) measured on a slow core redone (not in the medians)`
        : " · no core-speed watch (--no-watch)"),
    "",
    table(all),
  ].join("\n");
  process.stdout.write(`${summary}\n`);
  const warnings = [...new Set(all.flatMap((r) => r.warnings))];
  if (warnings.length > 0)
    process.stdout.write(`\nLighthouse warnings:\n- ${warnings.join("\n- ")}\n`);

  const out =
    args.out ??
    path.join(
      ROOT,
      "bench/results",
      `lighthouse-${new Date().toISOString().replace(/:/g, "-")}.json`,
    );
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ runs: RUNS, pages: PAGES, results: all, slowRuns, machine: watch?.summary() }, null, 2)}\n`,
  );
  process.stdout.write(`\nEvery run: ${path.relative(ROOT, out)}\n`);
  if (REPORTS_DIR) process.stdout.write(`Reports: ${path.relative(ROOT, REPORTS_DIR)}/\n`);
  return 0;
}

async function cleanUp(): Promise<void> {
  stopChrome();
  await stopServer();
  const w = watch;
  watch = null;
  await w?.stop();
}

const deadline = setTimeout(() => {
  log(`gave up after ${DEADLINE_MS / 1000} s (--timeout-s)`);
  void cleanUp().finally(() => process.exit(1));
}, DEADLINE_MS);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void cleanUp().finally(() => process.exit(130));
  });
}

try {
  process.exitCode = await main();
} catch (error) {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
} finally {
  clearTimeout(deadline);
  await cleanUp();
}
