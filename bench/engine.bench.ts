/**
 * Matching cost against queue length (SPEC §4: "a queue of 100,000 must match as fast as a queue of
 * 10"). Run with `npm run bench:engine`; not part of `npm test` (bench/engine.bench.test.ts only
 * checks that this still runs).
 *
 * For each size N: N `talk` users wait (they cannot match each other, so they stay). Then a steady
 * stream of operations, each timed on its own:
 *   - match:   a `listen` user joins and is paired with the oldest talker;
 *   - enqueue: a new `talk` user joins and finds nobody (pure enqueue), refilling the queue to N.
 * Both matched users then disconnect (untimed), so the store stays the same size throughout.
 * Warm-up first, then several repetitions; the table shows the median. Always exits 0.
 */
import { pathToFileURL } from "node:url";
import { Engine, MENTI, MemoryStore, type Outcome } from "@duet/engine";

export interface BenchOptions {
  /** Talkers waiting before and throughout the measurement. */
  readonly size: number;
  /** Match + enqueue pairs per repetition. */
  readonly ops: number;
  readonly reps: number;
  /** Untimed pairs before the first repetition. */
  readonly warmup: number;
  /** A repetition stops early after this long (wall time), so the bench stays bounded. */
  readonly maxMsPerRep?: number;
}

export interface RepResult {
  readonly ops: number;
  readonly matchUs: number;
  readonly enqueueUs: number;
}

export interface BenchResult {
  readonly size: number;
  readonly reps: readonly RepResult[];
  /** Median over repetitions. */
  readonly matchOpsPerSec: number;
  readonly matchUsPerOp: number;
  readonly enqueueOpsPerSec: number;
  readonly enqueueUsPerOp: number;
  /** Measured joins that were paired (should be every match op). */
  readonly matched: number;
  /** Measured joins that stayed waiting (should be every enqueue op). */
  readonly enqueued: number;
  /** Users waiting at the end (should equal `size`). */
  readonly waitingAtEnd: number;
  readonly fillMs: number;
}

function stateOf(outcome: Outcome, userId: string): string | undefined {
  let last: string | undefined;
  for (const o of outcome.out) if (o.to === userId && o.event === "state") last = o.payload.state;
  return last;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** A world with `size` talkers waiting, ready to run timed repetitions against it. */
export interface BenchWorld {
  readonly size: number;
  readonly fillMs: number;
  /** Runs `ops` match + enqueue pairs (or fewer if `maxMs` passes first). */
  rep(ops: number, maxMs?: number): Promise<RepResult>;
  /** Untimed pairs. */
  warm(ops: number): Promise<void>;
  readonly counts: { matched: number; enqueued: number };
  waiting(): number;
}

export async function createWorld(size: number): Promise<BenchWorld> {
  let now = 1_700_000_000_000;
  let sessions = 0;
  let messages = 0;
  const store = new MemoryStore();
  const engine = new Engine({
    store,
    clock: { now: () => now },
    ids: {
      sessionId: () => `bench_${String(++sessions).padStart(17, "0")}`,
      messageId: () => `m${++messages}`,
    },
    policies: [MENTI],
  });
  let next = 0;
  const fresh = async (): Promise<string> => {
    const id = `u${++next}`;
    await engine.connect(id, `b${next}`);
    return id;
  };

  const fillStarted = performance.now();
  for (let i = 0; i < size; i++) {
    const id = await fresh();
    const out = await engine.join(id, { space: "menti", intent: "talk" });
    if (stateOf(out, id) !== "WAITING") throw new Error(`fill: ${id} did not wait`);
  }
  const fillMs = performance.now() - fillStarted;

  const counts = { matched: 0, enqueued: 0 };
  /** One match + one refill; returns the time of each in ms. */
  const pair = async (): Promise<{ match: number; enqueue: number; ok: [boolean, boolean] }> => {
    now += 1;
    const listener = await fresh();
    const t0 = performance.now();
    const joined = await engine.join(listener, { space: "menti", intent: "listen" });
    const t1 = performance.now();
    const matched = stateOf(joined, listener) === "MATCHED";
    const partner = (await store.getUser(listener))?.partnerId;
    await engine.disconnect(listener);
    if (partner) await engine.disconnect(partner);

    const talker = await fresh();
    const t2 = performance.now();
    const waited = await engine.join(talker, { space: "menti", intent: "talk" });
    const t3 = performance.now();
    return {
      match: t1 - t0,
      enqueue: t3 - t2,
      ok: [matched, stateOf(waited, talker) === "WAITING"],
    };
  };

  return {
    size,
    fillMs,
    counts,
    waiting: () => store.inspect().queued.length,
    async warm(ops) {
      for (let i = 0; i < ops; i++) await pair();
    },
    async rep(ops, maxMs) {
      let matchMs = 0;
      let enqueueMs = 0;
      let done = 0;
      const started = performance.now();
      while (done < ops) {
        const res = await pair();
        matchMs += res.match;
        enqueueMs += res.enqueue;
        if (res.ok[0]) counts.matched++;
        if (res.ok[1]) counts.enqueued++;
        done++;
        if (maxMs !== undefined && performance.now() - started > maxMs) break;
      }
      return { ops: done, matchUs: (matchMs * 1000) / done, enqueueUs: (enqueueMs * 1000) / done };
    },
  };
}

function summarise(world: BenchWorld, reps: RepResult[]): BenchResult {
  const matchUsPerOp = median(reps.map((r) => r.matchUs));
  const enqueueUsPerOp = median(reps.map((r) => r.enqueueUs));
  return {
    size: world.size,
    reps,
    matchUsPerOp,
    matchOpsPerSec: 1e6 / matchUsPerOp,
    enqueueUsPerOp,
    enqueueOpsPerSec: 1e6 / enqueueUsPerOp,
    matched: world.counts.matched,
    enqueued: world.counts.enqueued,
    waitingAtEnd: world.waiting(),
    fillMs: world.fillMs,
  };
}

/** One size on its own: fill, warm up, then the repetitions. */
export async function measure(options: BenchOptions): Promise<BenchResult> {
  const world = await createWorld(options.size);
  await world.warm(options.warmup);
  const reps: RepResult[] = [];
  for (let r = 0; r < options.reps; r++)
    reps.push(await world.rep(options.ops, options.maxMsPerRep));
  return summarise(world, reps);
}

const SIZES = [10, 1_000, 100_000];
const TARGET_RATIO = 1.5;
const OPS = 5_000;
const REPS = 9;
const WARMUP = 5_000;
const MAX_MS_PER_REP = 3_000;

async function main(): Promise<void> {
  const started = performance.now();
  console.log("Duet engine bench: joins against a queue of N waiting talkers (MemoryStore)\n");
  // All sizes live at once and measured in turns (rep 1 of each size, rep 2 of each, ...), so
  // machine noise and heap size weigh on every size alike; warm-up first, untimed.
  const worlds: BenchWorld[] = [];
  for (const size of SIZES) worlds.push(await createWorld(size));
  for (const world of worlds) await world.warm(WARMUP);
  const reps = new Map<BenchWorld, RepResult[]>(worlds.map((w) => [w, []]));
  for (let r = 0; r < REPS; r++) {
    for (const world of worlds) reps.get(world)?.push(await world.rep(OPS, MAX_MS_PER_REP));
  }
  const results = worlds.map((w) => summarise(w, reps.get(w) ?? []));
  for (const res of results) {
    const count = res.reps.reduce((n, r) => n + r.ops, 0);
    if (res.matched !== count || res.enqueued !== count || res.waitingAtEnd !== res.size) {
      console.log(`  size ${res.size}: UNEXPECTED counts ${JSON.stringify(res)}`);
    }
  }
  const base = results[0];
  const fmt = (n: number, digits = 0) =>
    n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const pad = (s: string, n: number) => s.padStart(n);
  console.log(
    `${pad("waiting", 9)} | ${pad("match ops/s", 12)} ${pad("µs/op", 7)} ${pad("ratio", 6)} | ${pad("enqueue ops/s", 13)} ${pad("µs/op", 7)} ${pad("ratio", 6)} | ${pad("fill", 8)}`,
  );
  console.log("-".repeat(95));
  for (const r of results) {
    const mRatio = base ? r.matchUsPerOp / base.matchUsPerOp : Number.NaN;
    const eRatio = base ? r.enqueueUsPerOp / base.enqueueUsPerOp : Number.NaN;
    console.log(
      `${pad(fmt(r.size), 9)} | ${pad(fmt(r.matchOpsPerSec), 12)} ${pad(fmt(r.matchUsPerOp, 2), 7)} ${pad(`${fmt(mRatio, 2)}×`, 6)} | ${pad(fmt(r.enqueueOpsPerSec), 13)} ${pad(fmt(r.enqueueUsPerOp, 2), 7)} ${pad(`${fmt(eRatio, 2)}×`, 6)} | ${pad(`${fmt(r.fillMs)} ms`, 8)}`,
    );
  }
  const last = results[results.length - 1];
  if (base && last) {
    const m = last.matchUsPerOp / base.matchUsPerOp;
    const e = last.enqueueUsPerOp / base.enqueueUsPerOp;
    console.log(
      `\ntarget: ${fmt(last.size)} waiting within ${TARGET_RATIO}× of ${fmt(base.size)} — match ${fmt(m, 2)}× ${m <= TARGET_RATIO ? "PASS" : "FAIL"}, enqueue ${fmt(e, 2)}× ${e <= TARGET_RATIO ? "PASS" : "FAIL"}`,
    );
  }
  console.log(
    `(median of ${results[0]?.reps.length ?? 0} repetitions of ${fmt(OPS)} ops per size, sizes in turns; total ${fmt((performance.now() - started) / 1000, 1)} s)`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(0);
    },
  );
}
