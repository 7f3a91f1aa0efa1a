/**
 * The five scenarios, run by the coordinator against one target with fresh processes: a server
 * child and `gens` generator children (started here, always stopped here, even on error).
 *
 *   burst   N clients connect, then all join at once → join→matched percentiles, matches/s,
 *           unmatched / stranded clients, invalid pairs.
 *   relay   all pairs exchange timestamped messages at stepped open-loop rates → latency per
 *           step; the highest rate whose p99 stays under 50 ms. `relayAt` runs one fixed rate.
 *   churn   join, exchange one message, leave, rejoin, in a loop → matches/s.
 *   memory  server RSS per connected idle client (GC forced before and after).
 *   notice  one side of each pair closes cleanly → time until the partner's ended notice.
 *
 * CPU: every phase reports the server's and the generators' CPU time over its wall time
 * (percent of one core; the machine has 2 cores shared by all of them). duet-cluster's "server"
 * is the sum over its K nodes (each node's figure is kept too), as are its RSS and connections;
 * duet-redis and duet-cluster also report the redis-server's CPU.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { CoreSlowdown, CoreSpeedWatch } from "./core-speed";
import { Histogram, type HistogramData, type LatencySummary } from "./histogram";
import {
  type Channel,
  type ChurnResult,
  type CloseResult,
  type ConnectResult,
  type CpuTime,
  isDuetTarget,
  type JoinResult,
  type NoticesResult,
  now,
  type RelayStepResult,
  type SpaceMode,
  type TargetName,
  type Usage,
} from "./ipc";
import { redisCpuMs, type ServerProc, startGenerators, startServer, stopGenerators } from "./procs";

export interface RigOptions {
  target: TargetName;
  n: number;
  gens: number;
  /** `nice` for the generators (run.ts `--gen-nice`; 0: none). */
  genNice?: number;
  /** run.ts `--pin`: the server on a core of its own, the load on the other (procs.ts). */
  pin?: boolean;
  client: "lean" | "stock";
  space: SpaceMode;
  profileDir?: string;
  duetEnv?: Record<string, string>;
  /** duet-cluster: its node count (procs.ts DEFAULT_NODES when unset); other targets ignore it. */
  nodes?: number;
  /**
   * The machine's core speeds (core-speed.ts): each measured phase first waits (bounded) for every
   * core to run at its normal speed and records how slow the cores ran during it; a relay step
   * that ran slow is redone. Unset: no waiting, no record.
   */
  machine?: CoreSpeedWatch;
}

export interface Rig {
  opts: RigOptions;
  server: ServerProc;
  gens: Channel[];
  /** Clients per generator. */
  shares: number[];
  /** Ready (paired; in Duet ACTIVE) clients per generator after joining. */
  readyPerGen?: number[];
}

export interface CpuFigures {
  /** Percent of one core over the phase (duet-cluster: the sum over its nodes). */
  serverPct: number;
  /** Per server node, percent of one core (one entry but for duet-cluster). */
  serverPcts: number[];
  /** duet-redis / duet-cluster: the redis-server, percent of one core (NaN: INFO failed). */
  redisPct?: number;
  genPct: number;
  /** Per generator, percent of one core. */
  genPcts: number[];
  wallMs: number;
  /**
   * Duet: the engine's store calls during the phase, by operation, summed over the nodes (over
   * Redis each is one round trip); undefined for the relays.
   */
  storeCalls?: Record<string, number>;
  /** The server processes' socket writes during the phase, to clients and to services (Redis). */
  writes?: Record<string, number>;
  /**
   * With a core-speed watch: how slow each core ran during the phase (1 = its normal speed) and how
   * long the phase waited for a quiet machine before it started.
   */
  machine?: CoreSlowdown & { waitedMs: number };
  /** The server's GC pauses over the phase (duet-cluster: summed over nodes) and the longest one (ms). */
  gcMs?: number;
  gcMaxMs?: number;
  /** The longest the server's event loop was held up during the phase (ms; any node). */
  loopMaxMs?: number;
}

/** What `after` counted beyond `before` under `key`, by name, summed over the nodes. */
function usageDelta(
  before: readonly Usage[],
  after: readonly Usage[],
  key: "storeCalls" | "writes",
): Record<string, number> | undefined {
  if (!after.some((u) => u[key])) return undefined;
  const sum: Record<string, number> = {};
  after.forEach((u, i) => {
    for (const [name, n] of Object.entries(u[key] ?? {})) {
      const d = n - (before[i]?.[key]?.[name] ?? 0);
      if (d !== 0) sum[name] = (sum[name] ?? 0) + d;
    }
  });
  return sum;
}

/** The store calls `after` counted beyond `before`, by operation, summed over the nodes. */
export function storeCallsDelta(
  before: readonly Usage[],
  after: readonly Usage[],
): Record<string, number> | undefined {
  return usageDelta(before, after, "storeCalls");
}

/** The socket writes `after` counted beyond `before` (clients, services), over the nodes. */
export function writesDelta(
  before: readonly Usage[],
  after: readonly Usage[],
): Record<string, number> | undefined {
  return usageDelta(before, after, "writes");
}

/**
 * Counts per match (or per message): store calls or socket writes, in all and by name
 * (undefined when none were counted).
 */
export function perMatch(
  calls: Record<string, number> | undefined,
  matches: number,
): { total: number; byOp: Record<string, number> } | undefined {
  if (!calls || matches <= 0) return undefined;
  const byOp: Record<string, number> = {};
  let total = 0;
  for (const [op, n] of Object.entries(calls)) {
    byOp[op] = n / matches;
    total += n;
  }
  return { total: total / matches, byOp };
}

const cpuUs = (c: CpuTime): number => c.user + c.system;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts the processes, runs `body`, always stops them. */
export async function withRig<T>(opts: RigOptions, body: (rig: Rig) => Promise<T>): Promise<T> {
  const server = await startServer(opts.target, {
    ...(opts.duetEnv ? { duetEnv: opts.duetEnv } : {}),
    ...(opts.nodes !== undefined ? { nodes: opts.nodes } : {}),
    ...(opts.pin ? { pin: true } : {}),
  });
  let gens: Channel[] = [];
  try {
    gens = await startGenerators(opts.gens, opts.genNice ?? 0, opts.pin ?? false);
    const base = Math.floor(opts.n / opts.gens);
    const shares = gens.map((_, i) => base + (i < opts.n % opts.gens ? 1 : 0));
    await Promise.all(
      gens.map((g, i) =>
        g.request(
          {
            cmd: "setup",
            target: opts.target,
            urls: server.urls,
            client: opts.client,
            space: opts.space,
            gen: i,
          },
          5000,
        ),
      ),
    );
    return await body({ opts, server, gens, shares });
  } finally {
    await Promise.all(
      gens.map((g) => g.request({ cmd: "closeAll" }, 10_000).catch(() => undefined)),
    );
    await stopGenerators(gens);
    await server.stop();
  }
}

async function connectAll(
  rig: Rig,
): Promise<{ connected: number; failed: number; errors: string[] }> {
  let first = 0;
  const results = await Promise.all(
    rig.gens.map((g, i) => {
      const count = rig.shares[i] ?? 0;
      const firstIndex = first;
      first += count;
      return g.request<ConnectResult>(
        { cmd: "connect", count, firstIndex, concurrency: 200, timeoutMs: 20_000 },
        120_000,
      );
    }),
  );
  const out = {
    connected: results.reduce((a, r) => a + r.connected, 0),
    failed: results.reduce((a, r) => a + r.failed, 0),
    errors: results.flatMap((r) => r.errors).slice(0, 5),
  };
  if (out.connected === 0) throw new Error(`no client could connect: ${out.errors.join("; ")}`);
  return out;
}

let profiles = 0;

/** How long a measured phase waits for every core to read near its normal speed (core-speed.ts). */
const QUIET_WAIT_MS = 45_000;
/** How many times a relay step that ran on a slow machine is redone (each kept, marked). */
const SLOW_REDOS = 2;

/**
 * CPU meter over one measured phase: create it before, `stop()` after. With `profileDir` set it
 * also takes a V8 CPU profile of every server node over exactly that phase (label names the file;
 * duet-cluster's files are per node).
 */
async function cpuMeter(rig: Rig, label: string): Promise<{ stop(): Promise<CpuFigures> }> {
  const dir = rig.opts.profileDir;
  const nodes = rig.server.nodes;
  const redis = rig.server.redis;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    await Promise.all(nodes.map((s) => s.channel.request({ cmd: "profileStart" }, 10_000)));
  }
  const usage = (): Promise<Usage[]> =>
    Promise.all(nodes.map((s) => s.channel.request<Usage>({ cmd: "usage" }, 10_000)));
  const watch = rig.opts.machine;
  const waitedMs = watch ? (await watch.waitQuiet(QUIET_WAIT_MS)).waitedMs : 0;
  const from = Date.now();
  const t0 = now();
  const s0 = await usage();
  const r0 = redis ? await redisCpuMs(redis) : Number.NaN;
  await Promise.all(rig.gens.map((g) => g.request({ cmd: "usage" }, 10_000)));
  const g0 = rig.gens.map((g) => cpuUs(g.lastCpu));
  return {
    async stop() {
      const s1 = await usage();
      const r1 = redis ? await redisCpuMs(redis) : Number.NaN;
      await Promise.all(rig.gens.map((g) => g.request({ cmd: "usage" }, 10_000)));
      const wallMs = now() - t0;
      if (dir) {
        profiles += 1;
        const run = profiles;
        await Promise.all(
          nodes.map((s, i) => {
            const node = nodes.length > 1 ? `-node${i + 1}` : "";
            const file = resolve(
              dir,
              `${rig.opts.target}-n${rig.opts.n}-${label}${node}-${process.pid}-${run}.cpuprofile`,
            );
            return s.channel.request({ cmd: "profileStop", file }, 30_000);
          }),
        );
      }
      const pct = (us: number): number => (us / 1000 / wallMs) * 100;
      const genPcts = rig.gens.map((g, i) => pct(cpuUs(g.lastCpu) - (g0[i] ?? 0)));
      const serverPcts = s1.map((u, i) => pct(cpuUs(u.cpu) - cpuUs((s0[i] as Usage).cpu)));
      const storeCalls = storeCallsDelta(s0, s1);
      const writes = writesDelta(s0, s1);
      return {
        ...(storeCalls ? { storeCalls } : {}),
        ...(writes ? { writes } : {}),
        serverPct: serverPcts.reduce((a, b) => a + b, 0),
        serverPcts,
        ...(redis ? { redisPct: ((r1 - r0) / wallMs) * 100 } : {}),
        genPct: genPcts.reduce((a, b) => a + b, 0),
        genPcts,
        wallMs,
        ...(watch ? { machine: { ...watch.slowdown(from, Date.now()), waitedMs } } : {}),
        ...(s1.every((u) => u.gcMs !== undefined)
          ? {
              gcMs: s1.reduce((a, u, i) => a + (u.gcMs ?? 0) - (s0[i]?.gcMs ?? 0), 0),
              gcMaxMs: Math.max(...s1.map((u) => u.gcMaxMs ?? 0)),
              loopMaxMs: Math.max(...s1.map((u) => u.loopMaxMs ?? 0)),
            }
          : {}),
      };
    },
  };
}

// ---- burst ------------------------------------------------------------------------------------

export interface BurstResult {
  connected: number;
  connectFailed: number;
  joinToMatched: LatencySummary;
  joinToReady: LatencySummary;
  matchedClients: number;
  sessions: number;
  /** Sessions not made of exactly two distinct clients + clients in two sessions at once. */
  invalid: number;
  /** Still waiting although a compatible partner is waiting too (a matcher bug). */
  stranded: number;
  /** Still waiting with nobody compatible left (menti: e.g. only talkers remain). */
  leftoverIncompatible: number;
  /** Valid sessions whose two clients talk to different nodes (duet-cluster; otherwise 0). */
  crossNodePairs: number;
  matchesPerSec: number;
  rejected: Record<string, number>;
  cpu: CpuFigures;
}

interface JoinedAll {
  result: BurstResult;
  /** sessionId → its two clients (valid sessions only). */
  pairs: Map<string, string[]>;
}

async function joinAll(
  rig: Rig,
  connected: { connected: number; failed: number },
  quietMs = 3000,
): Promise<JoinedAll> {
  const meter = await cpuMeter(rig, "join");
  const results = await Promise.all(
    rig.gens.map((g) =>
      g.request<JoinResult>({ cmd: "join", quietMs, deadlineMs: 60_000 }, 90_000),
    ),
  );
  const cpu = await meter.stop();
  rig.readyPerGen = results.map((r) => r.ready);
  const sessions = new Map<string, string[]>();
  const sessionsOf = new Map<string, number>();
  const nodeOfClient = new Map<string, number>();
  for (const r of results) {
    for (const m of r.matches) {
      nodeOfClient.set(m.client, m.node);
      const list = sessions.get(m.sessionId) ?? [];
      list.push(m.client);
      sessions.set(m.sessionId, list);
      sessionsOf.set(m.client, (sessionsOf.get(m.client) ?? 0) + 1);
    }
  }
  let invalid = results.reduce((a, r) => a + r.doubleMatched, 0);
  const pairs = new Map<string, string[]>();
  for (const [id, list] of sessions) {
    if (list.length !== 2 || list[0] === list[1]) invalid += 1;
    else pairs.set(id, list);
  }
  for (const count of sessionsOf.values()) if (count > 1) invalid += count - 1;
  let crossNodePairs = 0;
  for (const [a, b] of pairs.values())
    if (nodeOfClient.get(a as string) !== nodeOfClient.get(b as string)) crossNodePairs += 1;
  const waiting = results.flatMap((r) => r.waiting);
  // Every Duet target applies the space's compatibility rules; the floors pair anyone.
  const stranded = strandedAmong(waiting, isDuetTarget(rig.opts.target) ? rig.opts.space : "any");
  const firstJoin = Math.min(...results.map((r) => r.firstJoinAt).filter((t) => t > 0));
  const lastMatch = Math.max(...results.map((r) => r.lastMatchAt));
  const rejected: Record<string, number> = {};
  for (const r of results)
    for (const [k, v] of Object.entries(r.rejected)) rejected[k] = (rejected[k] ?? 0) + v;
  const merge = (pick: (r: JoinResult) => HistogramData): LatencySummary =>
    Histogram.from(results.map(pick)).summary();
  return {
    pairs,
    result: {
      connected: connected.connected,
      connectFailed: connected.failed,
      joinToMatched: merge((r) => r.joinToMatched),
      joinToReady: merge((r) => r.joinToReady),
      matchedClients: sessionsOf.size,
      sessions: sessions.size,
      invalid,
      stranded,
      leftoverIncompatible: waiting.length - stranded,
      crossNodePairs,
      matchesPerSec: lastMatch > firstJoin ? pairs.size / ((lastMatch - firstJoin) / 1000) : 0,
      rejected,
      cpu,
    },
  };
}

/**
 * Waiting clients that have a compatible partner waiting too. menti: talk needs listen or both;
 * stimchat with topics: a shared topic (before the fallback window); otherwise anyone.
 */
export function strandedAmong(
  waiting: readonly { intent?: string; topic?: string }[],
  space: SpaceMode | "any",
): number {
  if (space === "menti") {
    const talk = waiting.filter((w) => w.intent === "talk").length;
    const listen = waiting.filter((w) => w.intent === "listen").length;
    const both = waiting.filter((w) => w.intent === "both").length;
    let stranded = 0;
    if (both >= 2 || (both >= 1 && talk + listen >= 1)) stranded += both;
    if (listen + both >= 1) stranded += talk;
    if (talk + both >= 1) stranded += listen;
    return stranded;
  }
  if (space === "stimchat-topics") {
    const byTopic = new Map<string, number>();
    for (const w of waiting) byTopic.set(w.topic ?? "", (byTopic.get(w.topic ?? "") ?? 0) + 1);
    let stranded = 0;
    for (const n of byTopic.values()) if (n >= 2) stranded += n;
    return stranded;
  }
  return waiting.length >= 2 ? waiting.length : 0;
}

export async function burst(opts: RigOptions): Promise<BurstResult> {
  return withRig(opts, async (rig) => {
    const connected = await connectAll(rig);
    await sleep(500);
    return (await joinAll(rig, connected)).result;
  });
}

// ---- relay ------------------------------------------------------------------------------------

export interface StepResult {
  rate: number;
  sent: number;
  received: number;
  latency: LatencySummary;
  maxLagMs: number;
  cpu: CpuFigures;
  /**
   * Per message sent: application packets both ways (pings not counted), and Duet's store calls
   * (both over the step and its drain, so a few pings' worth of other traffic is in them).
   */
  packetsPerMessage?: number;
  storePerMessage?: { total: number; byOp: Record<string, number> };
  /** The server's socket writes per message sent (Engine.IO pings' writes are in them too). */
  writesPerMessage?: Record<string, number>;
}

export interface RelayResult {
  pairsReady: number;
  steps: StepResult[];
  /** Highest step rate with p99 < 50 ms and ≥ 99 % delivered; 0 if none. */
  maxRateP99Under50: number;
  /** The p99 bar the steps were searched with (`--relay-bar-ms`; 50 unless asked). */
  barMs: number;
  /** Highest step rate with p99 under `barMs` and ≥ 99 % delivered; 0 if none. */
  maxRateUnderBar: number;
  /**
   * Steps measured while a core ran slow (core-speed.ts) and so redone: kept for the record, not
   * counted in the best rates (the redo is, whatever it read).
   */
  slowSteps?: StepResult[];
}

export interface RelayOptions {
  rates: readonly number[];
  stepMs: number;
  drainMs: number;
  /**
   * The p99 a step must stay under to count (and two misses in a row end the search). 50 ms is
   * the issues' bar; at 10,000+ connections both the floor's and Duet's p99 sit near it at every
   * rate (GC pauses: BENCHMARKS.md), so a higher bar measures capacity there instead.
   */
  barMs?: number;
}

async function relayRun(
  rig: Rig,
  rate: number,
  step: number,
  o: RelayOptions,
): Promise<StepResult> {
  const ready = rig.readyPerGen ?? rig.shares;
  const total = ready.reduce((a, b) => a + b, 0);
  const meter = await cpuMeter(rig, `relay${rate}`);
  const results = await Promise.all(
    rig.gens.map((g, i) =>
      g.request<RelayStepResult>(
        {
          cmd: "relayStep",
          step,
          rate: total > 0 ? (rate * (ready[i] ?? 0)) / total : 0,
          durationMs: o.stepMs,
          drainMs: o.drainMs,
        },
        o.stepMs + o.drainMs + 30_000,
      ),
    ),
  );
  const cpu = await meter.stop();
  const sent = results.reduce((a, r) => a + r.sent, 0);
  const packets = results.reduce((a, r) => a + r.packetsIn + r.packetsOut, 0);
  const storePerMessage = perMatch(cpu.storeCalls, sent);
  const writesPerMessage = perMatch(cpu.writes, sent);
  return {
    ...(sent > 0 ? { packetsPerMessage: packets / sent } : {}),
    ...(storePerMessage ? { storePerMessage } : {}),
    ...(writesPerMessage ? { writesPerMessage: writesPerMessage.byOp } : {}),
    rate,
    sent,
    received: results.reduce((a, r) => a + r.received, 0),
    latency: Histogram.from(results.map((r) => r.latency)).summary(),
    maxLagMs: Math.max(...results.map((r) => r.maxLagMs)),
    cpu,
  };
}

/**
 * One relay step; redone (at most SLOW_REDOS times) while the machine's cores ran slow during it,
 * each slow attempt added to `slow`. The last attempt counts, slow or not (then marked so).
 */
async function relayRunOnQuietMachine(
  rig: Rig,
  rate: number,
  step: number,
  o: RelayOptions,
  slow: StepResult[],
): Promise<StepResult> {
  for (let attempt = 0; ; attempt++) {
    // A step number of its own per attempt: a late message of a slow attempt is never counted in
    // the redo's figures (the generators key latencies by the number in the text).
    const s = await relayRun(rig, rate, step + 1000 * attempt, o);
    if (!s.cpu.machine?.slow || attempt >= SLOW_REDOS) return s;
    slow.push(s);
  }
}

/** Connects and pairs everyone; returns the number of ready pairs. */
async function pairUp(rig: Rig): Promise<number> {
  await connectAll(rig);
  await sleep(300);
  const joined = await Promise.all(
    rig.gens.map((g) =>
      g.request<JoinResult>({ cmd: "join", quietMs: 3000, deadlineMs: 60_000 }, 90_000),
    ),
  );
  rig.readyPerGen = joined.map((r) => r.ready);
  return Math.floor(joined.reduce((a, r) => a + r.ready, 0) / 2);
}

const stepOk = (s: StepResult, barMs: number): boolean =>
  s.latency.p99 < barMs && s.received >= 0.99 * s.sent;

/** The highest step rates that held p99 < 50 ms and p99 < `barMs` (≥ 99 % delivered); 0: none. */
export function bestRates(
  steps: readonly Pick<StepResult, "rate" | "sent" | "received" | "latency">[],
  barMs: number,
): { under50: number; underBar: number } {
  let under50 = 0;
  let underBar = 0;
  for (const s of steps) {
    if (stepOk(s as StepResult, 50)) under50 = Math.max(under50, s.rate);
    if (stepOk(s as StepResult, barMs)) underBar = Math.max(underBar, s.rate);
  }
  return { under50, underBar };
}

export async function relay(opts: RigOptions, o: RelayOptions): Promise<RelayResult> {
  return withRig(opts, async (rig) => {
    const pairsReady = await pairUp(rig);
    // Unrecorded warm-up at the first rate: the first messages after the join wave otherwise
    // pay for JIT and leftover join work (seen as a 1 s+ tail on Duet's first step).
    await relayRun(rig, o.rates[0] ?? 1000, 0, { ...o, stepMs: Math.min(2000, o.stepMs) });
    const barMs = o.barMs ?? 50;
    const steps: StepResult[] = [];
    const slowSteps: StepResult[] = [];
    let misses = 0;
    for (const [i, rate] of o.rates.entries()) {
      const s = await relayRunOnQuietMachine(rig, rate, i + 1, o, slowSteps);
      steps.push(s);
      misses = stepOk(s, barMs) ? 0 : misses + 1;
      // Two misses in a row, or far past saturation: higher rates only pile up backlog.
      if (misses >= 2 || s.latency.p99 > Math.max(1000, 2 * barMs) || s.received < 0.8 * s.sent)
        break;
    }
    const best = bestRates(steps, barMs);
    return {
      pairsReady,
      steps,
      slowSteps,
      maxRateP99Under50: best.under50,
      barMs,
      maxRateUnderBar: best.underBar,
    };
  });
}

/** One fixed rate (the "half of the floor's best rate" comparison). */
export async function relayAt(
  opts: RigOptions,
  rate: number,
  o: RelayOptions,
): Promise<StepResult> {
  return withRig(opts, async (rig) => {
    await pairUp(rig);
    // A short warm-up at the same rate, then the measured window.
    await relayRun(rig, rate, 1, { ...o, stepMs: Math.min(2000, o.stepMs) });
    return relayRunOnQuietMachine(rig, rate, 2, o, []);
  });
}

// ---- churn ------------------------------------------------------------------------------------

export interface ChurnSummary {
  connected: number;
  /** How long matches were counted. */
  windowMs: number;
  matchesPerSec: number;
  messages: number;
  stuck: number;
  rejected: Record<string, number>;
  cpu: CpuFigures;
  /**
   * Duet: the engine's store calls per match over the metered phase (it holds the churn window
   * and the moments around it, so it counts a few calls of matches outside the window too).
   */
  storePerMatch?: { total: number; byOp: Record<string, number> };
  /**
   * Application packets per match counted by the generators over the window, both ways
   * (`in`: server → client). A few belong to matches that end just outside the window.
   */
  packetsPerMatch?: { in: number; out: number };
  /** The server's socket writes per match over the metered phase: to clients, to services. */
  writesPerMatch?: Record<string, number>;
}

export async function churn(opts: RigOptions, durationMs: number): Promise<ChurnSummary> {
  return withRig(opts, (rig) => churnOn(rig, durationMs));
}

async function churnOn(rig: Rig, durationMs: number): Promise<ChurnSummary> {
  const connected = await connectAll(rig);
  await sleep(300);
  const meter = await cpuMeter(rig, "churn");
  const results = await Promise.all(
    rig.gens.map((g) => g.request<ChurnResult>({ cmd: "churn", durationMs }, durationMs + 30_000)),
  );
  const cpu = await meter.stop();
  const rejected: Record<string, number> = {};
  for (const r of results)
    for (const [k, v] of Object.entries(r.rejected)) rejected[k] = (rejected[k] ?? 0) + v;
  const matches = results.reduce((a, r) => a + r.matchedEvents, 0) / 2;
  const storePerMatch = perMatch(cpu.storeCalls, matches);
  const writesPerMatch = perMatch(cpu.writes, matches);
  const sum = (k: "packetsIn" | "packetsOut"): number => results.reduce((a, r) => a + r[k], 0);
  return {
    ...(storePerMatch ? { storePerMatch } : {}),
    ...(writesPerMatch ? { writesPerMatch: writesPerMatch.byOp } : {}),
    ...(matches > 0
      ? { packetsPerMatch: { in: sum("packetsIn") / matches, out: sum("packetsOut") / matches } }
      : {}),
    connected: connected.connected,
    windowMs: durationMs,
    matchesPerSec: matches / (durationMs / 1000),
    messages: results.reduce((a, r) => a + r.messages, 0),
    stuck: results.reduce((a, r) => a + r.stuck, 0),
    rejected,
    cpu,
  };
}

// ---- memory -----------------------------------------------------------------------------------

export interface MemoryResult {
  connected: number;
  /** Connections the server itself counts (duet-cluster: summed over its nodes, as RSS/heap). */
  serverConnections: number;
  /** Per node, the connections it counts (one entry but for duet-cluster). */
  nodeConnections: number[];
  rssBefore: number;
  rssAfter: number;
  heapBefore: number;
  heapAfter: number;
  rssPerClient: number;
  heapPerClient: number;
}

export async function memory(opts: RigOptions, settleMs: number): Promise<MemoryResult> {
  return withRig(opts, async (rig) => {
    await sleep(300);
    const gc = (): Promise<Usage[]> =>
      Promise.all(rig.server.nodes.map((s) => s.channel.request<Usage>({ cmd: "gc" }, 30_000)));
    const sum = (us: Usage[]): Usage => ({
      rss: us.reduce((a, u) => a + u.rss, 0),
      heapUsed: us.reduce((a, u) => a + u.heapUsed, 0),
      external: us.reduce((a, u) => a + u.external, 0),
      cpu: { user: 0, system: 0 },
      wallMs: 0,
      connections: us.reduce((a, u) => a + u.connections, 0),
    });
    const before = sum(await gc());
    const c = await connectAll(rig);
    await sleep(settleMs);
    const afterNodes = await gc();
    const after = sum(afterNodes);
    return {
      connected: c.connected,
      serverConnections: after.connections,
      nodeConnections: afterNodes.map((u) => u.connections),
      rssBefore: before.rss,
      rssAfter: after.rss,
      heapBefore: before.heapUsed,
      heapAfter: after.heapUsed,
      rssPerClient: (after.rss - before.rss) / Math.max(1, c.connected),
      heapPerClient: (after.heapUsed - before.heapUsed) / Math.max(1, c.connected),
    };
  });
}

// ---- partner notice ---------------------------------------------------------------------------

export interface NoticeResult {
  closed: number;
  noticed: number;
  latency: LatencySummary;
  cpu: CpuFigures;
}

export async function notice(opts: RigOptions): Promise<NoticeResult> {
  return withRig(opts, async (rig) => {
    const connected = await connectAll(rig);
    await sleep(300);
    const { pairs } = await joinAll(rig, connected);
    return noticeOn(rig, pairs);
  });
}

/** Closes one side of every pair (paced) and measures the partner's notice. */
async function noticeOn(
  rig: Rig,
  pairs: Map<string, string[]>,
  waitMs = 2000,
): Promise<NoticeResult> {
  // One closer per session (the first client that reported it), paced so that this measures
  // the notice path, not a disconnection storm: all pairs within ~5 s, at least 500/s.
  const perGen = rig.gens.map(() => [] as string[]);
  for (const list of pairs.values()) {
    const closer = list[0] as string;
    perGen[Number(closer.split(":")[0])]?.push(closer);
  }
  const totalPerSec = Math.max(500, pairs.size / 5);
  const meter = await cpuMeter(rig, "notice");
  const closes = await Promise.all(
    rig.gens.map((g, i) =>
      g.request<CloseResult>(
        {
          cmd: "closeClients",
          clients: perGen[i] ?? [],
          perSecond: (totalPerSec * (perGen[i]?.length ?? 0)) / Math.max(1, pairs.size),
        },
        60_000,
      ),
    ),
  );
  await sleep(waitMs);
  const cpu = await meter.stop();
  const notices = await Promise.all(
    rig.gens.map((g) => g.request<NoticesResult>({ cmd: "notices" }, 10_000)),
  );
  const closedAt: Record<string, number> = Object.assign({}, ...closes.map((c) => c.closedAt));
  const endedAt: Record<string, number> = Object.assign({}, ...notices.map((n) => n.endedAt));
  const h = new Histogram();
  let noticed = 0;
  for (const [sessionId, t0] of Object.entries(closedAt)) {
    const t1 = endedAt[sessionId];
    if (t1 === undefined) continue;
    noticed += 1;
    h.record(t1 - t0);
  }
  return { closed: Object.keys(closedAt).length, noticed, latency: h.summary(), cpu };
}

// ---- smoke ------------------------------------------------------------------------------------

export interface SmokeResult {
  burst: BurstResult;
  relay: StepResult;
  notice: NoticeResult;
  churn: ChurnSummary;
}

/**
 * Everything once, small, on one server (so the test pays Duet's start-up once): join all,
 * one relay step, a clean close per pair, then fresh clients churning. For `npm test`
 * (smoke.test.ts): it proves the harness still speaks each target's protocol. No timings.
 */
export async function smoke(opts: RigOptions, rate: number, churnMs: number): Promise<SmokeResult> {
  // Quiet, drain and notice windows generous enough for a busy machine: the smoke test checks
  // that everything arrives, not how fast (the full runs measure that).
  return withRig(opts, async (rig) => {
    const connected = await connectAll(rig);
    const joined = await joinAll(rig, connected, 5000);
    const relayed = await relayRun(rig, rate, 1, { rates: [rate], stepMs: 1000, drainMs: 5000 });
    const noticed = await noticeOn(rig, joined.pairs, 5000);
    await Promise.all(rig.gens.map((g) => g.request({ cmd: "closeAll" }, 10_000)));
    return {
      burst: joined.result,
      relay: relayed,
      notice: noticed,
      churn: await churnOn(rig, churnMs),
    };
  });
}
