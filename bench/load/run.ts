/**
 * The load harness's coordinator: `npm run bench` (all defaults) or
 * `npm run bench:load -- --n 1000,5000 --scenarios burst,relay --targets duet,socketio,ws --repeat 2`.
 *
 * For each N and scenario it runs every target (Duet and the two floors in bench/reference/),
 * rotating the order each repetition (A/B/C, B/C/A, …) so machine noise hits all of them, each
 * run with fresh processes: one server child (duet-cluster: K of them and their redis-server; the
 * Redis targets' redis-server is fresh too), and generator children (≤ 4,000 clients each by
 * default: a process may hold at most 20,000 open files). Prints one table per scenario with the
 * ratios, then the issue's bars; writes everything as JSON under bench/results/ (git-ignored).
 *
 * Flags (defaults in DEFAULTS): --n, --scenarios (burst,relay,churn,memory,notice), --targets
 * (duet,socketio,ws by default; also duet-redis: one Duet node in cluster mode over its own
 * throwaway redis-server; duet-cluster: K such nodes over ONE shared redis-server, the clients
 * spread over them in blocks of K, see ipc.ts nodeOf), --nodes K (duet-cluster's node count,
 * 2–8, default 3; refused when --targets has no duet-cluster), --repeat, --client lean|stock,
 * --space menti|stimchat|stimchat-topics|dormparty, --rates, --step-ms, --drain-ms,
 * --relay-bar-ms (the relay's p99 bar, 50; a higher one measures capacity where GC pauses sit near
 * 50 ms at every rate, as at 10,000+ connections), --churn-ms,
 * --settle-ms, --generators, --per-generator, --gen-nice (0–19: the generators' `nice`), --pin (the server on core 0, the load on core 1), --no-half,
 * --no-watch (no core-speed watch: by default every measured phase waits for the machine's cores
 * to run at their normal speed and one that ran slow is redone, see core-speed.ts), --profile (V8 CPU profile of every
 * server child into bench/results/profiles/; duet-cluster: one file per node), --out FILE.
 *
 * Every wait in the harness has a deadline and every process is killed when the run ends.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type CoreSpeedWatch, startCoreSpeedWatch } from "./core-speed";
import { type SpaceMode, TARGETS, type TargetName } from "./ipc";
import {
  DEFAULT_NODES,
  LOAD_CORE,
  MAX_NODES,
  MIN_NODES,
  pinToCore,
  ROOT,
  SERVER_CORE,
} from "./procs";
import { type Bar, renderBars, renderN } from "./report";
import {
  burst,
  type CpuFigures,
  churn,
  memory,
  notice,
  type RelayResult,
  type RigOptions,
  relay,
  relayAt,
  type StepResult,
} from "./scenarios";

export const SCENARIOS = ["burst", "relay", "churn", "memory", "notice"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  ns: number[];
  scenarios: ScenarioName[];
  targets: TargetName[];
  /** duet-cluster's node count (the other targets have one node). */
  nodes: number;
  repeat: number;
  client: "lean" | "stock";
  space: SpaceMode;
  rates: number[];
  stepMs: number;
  drainMs: number;
  /** The relay's p99 bar (ms): a step counts under it; two misses in a row end the search. */
  relayBarMs: number;
  /** The churn window; unset: churnWindowMs's default for each N. */
  churnMs?: number;
  settleMs: number;
  /** Fixed generator count; otherwise max(2, ceil(N / perGenerator)) (1 below N = 200). */
  generators?: number;
  perGenerator: number;
  /**
   * `nice` value for the generator processes (0: as the server; up to 19). The server is what is
   * measured; at 10 the kernel gives it the CPU first when both want it, so its latency depends
   * less on how the generators happen to be scheduled (issue 19: relay figures that agree run to
   * run). The same for every target; the generators' own lag is reported beside every step.
   */
  genNice: number;
  /** The server's processes on a core of their own, the rest on the other (procs.ts `--pin`). */
  pin: boolean;
  /** Run the "half of the Socket.IO relay's best rate" comparison after the relay scenario. */
  half: boolean;
  /**
   * Watch every core's speed (core-speed.ts) and measure only when the machine runs at its normal
   * speed: each measured phase waits for it (bounded), a relay step or a whole run that ran slow
   * is redone (at most twice; the slow one kept, marked). `--no-watch` turns it off.
   */
  watch: boolean;
  profile: boolean;
  out?: string;
}

/**
 * How long churn counts matches: 10 s, or 2 ms per client when that is longer. Clients that
 * start together stay in step: each cycle's joins reach the server together and their matches
 * come out as one wave of N / 2, so a window counts whole waves (at 10,000 users a 10 s window
 * held 3 of Duet's waves and read exactly 1,500 matches/s; 20 s held 7 and read 1,750). A window
 * of 2 ms per client holds at least ~6 waves of a server that matches ≈ 1,500 pairs a second,
 * so a wave more or less moves the figure by ≲ 15 % instead of up to 50 %.
 */
export const churnWindowMs = (options: Pick<BenchOptions, "churnMs">, n: number): number =>
  options.churnMs ?? Math.max(10_000, 2 * n);

export const DEFAULTS: BenchOptions = {
  ns: [1000, 5000, 10_000, 15_000],
  scenarios: [...SCENARIOS],
  targets: ["duet", "socketio", "ws"],
  nodes: DEFAULT_NODES,
  repeat: 1,
  client: "lean",
  space: "menti",
  // Steps of 1,000 up to 10,000 (where the targets' limits lie on this machine: a ratio needs
  // that resolution), then coarser.
  rates: [
    2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000, 12_000, 14_000, 16_000, 18_000, 20_000,
    25_000, 30_000, 35_000, 40_000, 50_000, 60_000, 70_000,
  ],
  stepMs: 3000,
  drainMs: 1000,
  relayBarMs: 50,
  settleMs: 2000,
  perGenerator: 4000,
  genNice: 0,
  pin: false,
  half: true,
  watch: true,
  profile: false,
};

export interface RunRecord {
  n: number;
  scenario: ScenarioName;
  target: TargetName;
  rep: number;
  result: unknown;
}

export interface HalfRecord {
  n: number;
  target: TargetName;
  rep: number;
  rate: number;
  result: StepResult;
}

export interface BenchResults {
  options: BenchOptions;
  startedAt: string;
  runs: RunRecord[];
  /** Runs whose measured phase ran while a core was slow, redone (kept for the record). */
  slowRuns: RunRecord[];
  /** The core-speed watch's figures at the end (with `watch`). */
  machine?: ReturnType<CoreSpeedWatch["summary"]>;
  half: HalfRecord[];
  errors: { n: number; scenario: string; target: string; error: string }[];
  bars: Bar[];
}

const rotate = <T>(xs: readonly T[], k: number): T[] =>
  xs.map((_, i) => xs[(i + k) % xs.length] as T);

function gensFor(o: BenchOptions, n: number): number {
  if (o.generators) return o.generators;
  if (n < 200) return 1;
  return Math.max(2, Math.ceil(n / o.perGenerator));
}

export async function runBench(
  options: BenchOptions,
  print: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
): Promise<BenchResults> {
  const results: BenchResults = {
    options,
    startedAt: new Date().toISOString(),
    runs: [],
    slowRuns: [],
    half: [],
    errors: [],
    bars: [],
  };
  const machine = options.watch ? await startCoreSpeedWatch() : undefined;
  try {
    await benchAll(options, results, machine, print);
  } finally {
    if (machine) {
      results.machine = machine.summary();
      await machine.stop();
    }
  }
  if (results.machine) {
    print(
      `\nmachine: ${results.machine
        .map(
          (c) =>
            `core ${c.core} normal ${c.normalUs?.toFixed(0) ?? "?"} µs a sample, ${(c.slowShare * 100).toFixed(1)} % of ${c.samples} samples slow`,
        )
        .join(
          "; ",
        )}; ${results.slowRuns.length} run(s) and ${countSlowSteps(results)} relay step(s) redone for a slow core`,
    );
  }
  return results;
}

const countSlowSteps = (results: BenchResults): number =>
  results.runs.reduce(
    (a, r) => a + (r.scenario === "relay" ? ((r.result as RelayResult).slowSteps?.length ?? 0) : 0),
    0,
  );

/** A scenario's result measured while a core ran slow (core-speed.ts). */
const ranSlow = (result: unknown): boolean =>
  (result as { cpu?: CpuFigures }).cpu?.machine?.slow === true;

/** How many times a whole run (burst, churn, memory, notice) that ran slow is redone. */
const SLOW_RUN_REDOS = 2;

async function benchAll(
  options: BenchOptions,
  results: BenchResults,
  machine: CoreSpeedWatch | undefined,
  print: (s: string) => void,
): Promise<void> {
  const profileDir = options.profile ? resolve(ROOT, "bench/results/profiles") : undefined;
  const rig = (target: TargetName, n: number): RigOptions => ({
    target,
    n,
    gens: gensFor(options, n),
    genNice: options.genNice,
    ...(options.pin ? { pin: true } : {}),
    client: options.client,
    space: options.space,
    ...(target === "duet-cluster" ? { nodes: options.nodes } : {}),
    ...(profileDir ? { profileDir } : {}),
    ...(machine ? { machine } : {}),
  });
  const relayOpts = {
    rates: options.rates,
    stepMs: options.stepMs,
    drainMs: options.drainMs,
    barMs: options.relayBarMs,
  };

  for (const n of options.ns) {
    for (const scenario of options.scenarios) {
      for (let rep = 0; rep < options.repeat; rep++) {
        for (const target of rotate(options.targets, rep)) {
          const t0 = Date.now();
          try {
            const o = rig(target, n);
            const once = (): Promise<unknown> =>
              scenario === "burst"
                ? burst(o)
                : scenario === "relay"
                  ? relay(o, relayOpts)
                  : scenario === "churn"
                    ? churn(o, churnWindowMs(options, n))
                    : scenario === "memory"
                      ? memory(o, options.settleMs)
                      : notice(o);
            let result = await once();
            // The relay redoes its own slow steps; any other run is redone whole.
            for (let redo = 0; redo < SLOW_RUN_REDOS && ranSlow(result); redo++) {
              results.slowRuns.push({ n, scenario, target, rep, result });
              print(`  ${scenario} ${target} N=${n} rep ${rep + 1} ran on a slow core: redone`);
              result = await once();
            }
            results.runs.push({ n, scenario, target, rep, result });
            print(
              `  done ${scenario} ${target} N=${n} rep ${rep + 1} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
            );
          } catch (err) {
            const error = err instanceof Error ? err.message : String(err);
            results.errors.push({ n, scenario, target, error });
            print(`  FAILED ${scenario} ${target} N=${n} rep ${rep + 1}: ${error}`);
          }
        }
      }
      if (scenario === "relay" && options.half && options.targets.includes("socketio")) {
        const bests = results.runs
          .filter((r) => r.n === n && r.scenario === "relay" && r.target === "socketio")
          .map((r) => (r.result as RelayResult).maxRateP99Under50)
          .sort((a, b) => a - b);
        const best = bests[Math.floor(bests.length / 2)] ?? 0;
        if (best > 0) {
          const rate = Math.round(best / 2);
          for (let rep = 0; rep < options.repeat; rep++) {
            for (const target of rotate(options.targets, rep)) {
              try {
                const result = await relayAt(rig(target, n), rate, relayOpts);
                results.half.push({ n, target, rep, rate, result });
                print(`  done relay@${rate} ${target} N=${n} rep ${rep + 1}`);
              } catch (err) {
                const error = err instanceof Error ? err.message : String(err);
                results.errors.push({ n, scenario: `relay@${rate}`, target, error });
                print(`  FAILED relay@${rate} ${target} N=${n}: ${error}`);
              }
            }
          }
        }
      }
    }
    results.bars.push(...renderN(results, n, print));
  }
  renderBars(results.bars, print);
  if (results.errors.length > 0) {
    print("\n## Errors");
    for (const e of results.errors) print(`- N=${e.n} ${e.scenario} ${e.target}: ${e.error}`);
  }
}

// ---- command line -----------------------------------------------------------------------------

export function parseArgs(argv: readonly string[]): BenchOptions {
  const o: BenchOptions = { ...DEFAULTS };
  const list = (v: string): string[] =>
    v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  const nums = (v: string): number[] => list(v).map((s) => Number(s.replace(/_/g, "")));
  let nodesGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--n":
        o.ns = nums(value());
        break;
      case "--scenarios":
        o.scenarios = list(value()) as ScenarioName[];
        for (const s of o.scenarios)
          if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}`);
        break;
      case "--targets":
        o.targets = list(value()) as TargetName[];
        for (const t of o.targets)
          if (!TARGETS.includes(t)) throw new Error(`unknown target ${t} (${TARGETS.join(", ")})`);
        break;
      case "--nodes": {
        const v = value();
        o.nodes = /^\d+$/.test(v) ? Number(v) : Number.NaN;
        nodesGiven = true;
        if (!Number.isInteger(o.nodes) || o.nodes < MIN_NODES || o.nodes > MAX_NODES)
          throw new Error(`--nodes: a whole number from ${MIN_NODES} to ${MAX_NODES}, not ${v}`);
        break;
      }
      case "--repeat":
        o.repeat = Number(value());
        break;
      case "--client":
        o.client = value() as "lean" | "stock";
        break;
      case "--space":
        o.space = value() as SpaceMode;
        if (!["menti", "stimchat", "stimchat-topics", "dormparty"].includes(o.space))
          throw new Error(`unknown space ${o.space}`);
        break;
      case "--rates":
        o.rates = nums(value());
        break;
      case "--step-ms":
        o.stepMs = Number(value());
        break;
      case "--drain-ms":
        o.drainMs = Number(value());
        break;
      case "--relay-bar-ms":
        o.relayBarMs = Number(value());
        if (!(o.relayBarMs > 0)) throw new Error("--relay-bar-ms must be a number of ms above 0");
        break;
      case "--churn-ms":
        o.churnMs = Number(value());
        break;
      case "--settle-ms":
        o.settleMs = Number(value());
        break;
      case "--generators":
        o.generators = Number(value());
        break;
      case "--per-generator":
        o.perGenerator = Number(value());
        break;
      case "--gen-nice":
        o.genNice = Number(value());
        break;
      case "--pin":
        o.pin = true;
        break;
      case "--no-half":
        o.half = false;
        break;
      case "--no-watch":
        o.watch = false;
        break;
      case "--profile":
        o.profile = true;
        break;
      case "--out":
        o.out = value();
        break;
      default:
        throw new Error(`unknown flag ${flag} (see the header of bench/load/run.ts)`);
    }
  }
  if (!Number.isInteger(o.genNice) || o.genNice < 0 || o.genNice > 19)
    throw new Error("--gen-nice: an integer from 0 to 19");
  if (o.perGenerator > 5000)
    throw new Error("--per-generator: at most 5000 (20,000 open files per process)");
  if (nodesGiven && !o.targets.includes("duet-cluster"))
    throw new Error("--nodes is duet-cluster's node count: add duet-cluster to --targets");
  return o;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const os = await import("node:os");
  const load = (): string =>
    os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ");
  process.stdout.write(
    `# Duet load bench — ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} cores, load average ${load()}\n` +
      `N ${options.ns.join(", ")}; scenarios ${options.scenarios.join(", ")}; targets ${options.targets.join(", ")}; ` +
      `repeat ${options.repeat}; client ${options.client}; space ${options.space}` +
      (options.targets.includes("duet-cluster")
        ? `; duet-cluster: ${options.nodes} nodes over one redis-server`
        : "") +
      (options.genNice > 0 ? `; generators at nice ${options.genNice}` : "") +
      (options.pin ? `; server pinned to core ${SERVER_CORE}, load to core ${LOAD_CORE}` : "") +
      "\n",
  );
  // This coordinator is load too: beside the generators, off the server's core.
  if (options.pin) pinToCore(process.pid, LOAD_CORE);
  const results = await runBench(options);
  // Other work on the machine skews every figure; the load average makes that visible.
  process.stdout.write(`\nload average at the end: ${load()}\n`);
  const out =
    options.out ??
    resolve(ROOT, "bench/results", `load-${results.startedAt.replace(/[:.]/g, "-")}.json`);
  mkdirSync(resolve(out, ".."), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\nresults: ${out}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
