/**
 * Matching cost against queue length (SPEC §4: "a queue of 100,000 must match as fast as a queue of
 * 10"). Run with `npm run bench:engine`; not part of `npm test` (bench/engine.bench.test.ts only
 * checks that this still runs).
 *
 * Each case, for each size N: N users wait (they cannot match each other, so they stay). Then a
 * steady stream of operations, each timed on its own:
 *   - match:   a user joins who is paired with the oldest waiting user (checked: that user exactly);
 *   - enqueue: a new user joins and finds nobody (pure enqueue), refilling the queue to N.
 * Both matched users then disconnect (untimed), so the store stays the same size throughout.
 * Warm-up first, then several repetitions; the table shows the median. Always exits 0.
 *
 * Cases:
 *   - menti: `talk` users wait; a `listen` user matches, a `talk` user enqueues.
 *   - topic-heavy: a space derived from stimchat with no search limit and a same-topic preference
 *     that never lapses during the bench (nobody falls back to "anyone"), offering a generated
 *     topic list of 5N + a few tags. Every waiting user carries 5 tags no other waiting user has,
 *     so they are pairwise incompatible. The match joiner carries 4 fresh tags and 1 of the oldest
 *     waiting user's; the enqueuer carries 5 fresh tags. Tags of users who leave become free again
 *     (reused oldest-freed first), so "fresh" means held by nobody waiting.
 */
import { pathToFileURL } from "node:url";
import {
  Engine,
  MENTI,
  MemoryStore,
  type Outcome,
  type SearchRequest,
  type SpacePolicy,
  STIMCHAT,
} from "@duet/engine";
import { MAX_TOPICS, Topic } from "@duet/protocol";

/** The bench cases: see the header. */
export type CaseName = "menti" | "topics";

export interface BenchOptions {
  /** Users waiting before and throughout the measurement. */
  readonly size: number;
  /** Match + enqueue pairs per repetition. */
  readonly ops: number;
  readonly reps: number;
  /** Untimed pairs before the first repetition. */
  readonly warmup: number;
  /** A repetition stops early after this long (wall time), so the bench stays bounded. */
  readonly maxMsPerRep?: number;
  /** Which case; menti when absent. */
  readonly kind?: CaseName;
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
  /** Measured joins paired with the oldest waiting user (should be every match op). */
  readonly matched: number;
  /** Measured joins that stayed waiting (should be every enqueue op). */
  readonly enqueued: number;
  /** Users waiting at the end (should equal `size`). */
  readonly waitingAtEnd: number;
  readonly fillMs: number;
}

/**
 * What a case asks of the engine. The bench keeps the waiting users in join order and asks the
 * workload for each search; the workload keeps whatever it hands out (tags) until `left`.
 */
export interface Workload {
  readonly policy: SpacePolicy;
  /** A search no waiting user can match, so its user waits. */
  waiter(userId: string): SearchRequest;
  /** A search that pairs with `oldest`, the user who has waited longest. */
  joiner(userId: string, oldest: string): SearchRequest;
  /** `userId` has disconnected: what it held is free again. */
  left(userId: string): void;
}

/** A FIFO on an array: O(1) amortised push and shift. */
class Queue<T> {
  private items: T[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++] as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

export function mentiWorkload(): Workload {
  return {
    policy: MENTI,
    waiter: () => ({ space: MENTI.id, intent: "talk" }),
    joiner: () => ({ space: MENTI.id, intent: "listen" }),
    left: () => {},
  };
}

/** Tags per user in the topic-heavy case: the most a join may carry. */
export const TAGS_PER_USER = MAX_TOPICS;
/** Offered tags beyond those the waiting users hold: the joiner's fresh ones need a few. */
const SPARE_TAGS = 64;
/** The same-topic preference window: far longer than any bench (the clock moves 1 ms per op). */
const NEVER_MS = 100 * 365 * 24 * 3_600_000;

/** The topic-heavy case at `size` waiting users: see the header. */
export function topicWorkload(size: number): Workload {
  const list = Array.from({ length: size * TAGS_PER_USER + SPARE_TAGS }, (_, i) => `t${i}`);
  // One shape throughout: the shortest and the longest tag stand for all.
  Topic.parse(list[0]);
  Topic.parse(list[list.length - 1]);
  const stimchatTopics = STIMCHAT.pairing.topics;
  if (!stimchatTopics) throw new Error("STIMCHAT has no topics");
  const policy: SpacePolicy = {
    ...STIMCHAT,
    searchTimeoutMs: null,
    pairing: {
      ...STIMCHAT.pairing,
      topics: { ...stimchatTopics, list, preferSameForMs: NEVER_MS },
    },
  };
  const free = new Queue<string>();
  for (const tag of list) free.push(tag);
  const held = new Map<string, readonly string[]>();
  const take = (userId: string, n: number): string[] => {
    const tags: string[] = [];
    for (let i = 0; i < n; i++) {
      const tag = free.shift();
      if (tag === undefined) throw new Error("topic list exhausted");
      tags.push(tag);
    }
    held.set(userId, tags);
    return tags;
  };
  return {
    policy,
    waiter: (userId) => ({ space: policy.id, topics: take(userId, TAGS_PER_USER) }),
    joiner(userId, oldest) {
      const shared = held.get(oldest)?.[0];
      if (shared === undefined) throw new Error(`topics: ${oldest} holds no tags`);
      // The shared tag last: the four empty buckets are looked at as well.
      return { space: policy.id, topics: [...take(userId, TAGS_PER_USER - 1), shared] };
    },
    left(userId) {
      for (const tag of held.get(userId) ?? []) free.push(tag);
      held.delete(userId);
    },
  };
}

const WORKLOADS: Readonly<Record<CaseName, (size: number) => Workload>> = {
  menti: mentiWorkload,
  topics: topicWorkload,
};

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

/** A world with `size` users waiting, ready to run timed repetitions against it. */
export interface BenchWorld {
  readonly size: number;
  readonly fillMs: number;
  /** Runs `ops` match + enqueue pairs (or fewer if `maxMs` passes first). */
  rep(ops: number, maxMs?: number): Promise<RepResult>;
  /** Untimed pairs. */
  warm(ops: number): Promise<void>;
  readonly counts: { matched: number; enqueued: number };
  /** Users in the store that are waiting (each once, however many buckets it waits in). */
  waiting(): number;
}

export async function createWorld(size: number, kind: CaseName = "menti"): Promise<BenchWorld> {
  const workload = WORKLOADS[kind](size);
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
    policies: [workload.policy],
  });
  let next = 0;
  const fresh = async (): Promise<string> => {
    const id = `u${++next}`;
    await engine.connect(id, `b${next}`);
    return id;
  };
  /** A timed join: only `engine.join` itself is measured. */
  const join = async (id: string, req: SearchRequest): Promise<{ ms: number; state?: string }> => {
    const t0 = performance.now();
    const out = await engine.join(id, req);
    const ms = performance.now() - t0;
    return { ms, state: stateOf(out, id) };
  };
  /** Waiting users, oldest first. */
  const waitingIds = new Queue<string>();
  /** A new user joins to wait; whether it did. */
  const enqueue = async (): Promise<{ ms: number; ok: boolean }> => {
    const id = await fresh();
    const res = await join(id, workload.waiter(id));
    const ok = res.state === "WAITING";
    if (ok) waitingIds.push(id);
    return { ms: res.ms, ok };
  };

  const fillStarted = performance.now();
  for (let i = 0; i < size; i++) {
    if (!(await enqueue()).ok) throw new Error(`fill: user ${i + 1} did not wait`);
  }
  const fillMs = performance.now() - fillStarted;

  const counts = { matched: 0, enqueued: 0 };
  /** One match + one refill; returns the time of each in ms. */
  const pair = async (): Promise<{ match: number; enqueue: number; ok: [boolean, boolean] }> => {
    now += 1;
    const oldest = waitingIds.shift();
    if (oldest === undefined) throw new Error("nobody is waiting");
    const joiner = await fresh();
    const joined = await join(joiner, workload.joiner(joiner, oldest));
    const partner = (await store.getUser(joiner))?.partnerId;
    // The oldest leaves too should it not have been the partner, so the counts alone show that.
    for (const id of new Set([joiner, partner ?? oldest, oldest])) {
      await engine.disconnect(id);
      workload.left(id);
    }
    const refill = await enqueue();
    return {
      match: joined.ms,
      enqueue: refill.ms,
      ok: [joined.state === "MATCHED" && partner === oldest, refill.ok],
    };
  };

  return {
    size,
    fillMs,
    counts,
    waiting: () => store.inspect().users.filter((u) => u.state === "WAITING").length,
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
  const world = await createWorld(options.size, options.kind);
  await world.warm(options.warmup);
  const reps: RepResult[] = [];
  for (let r = 0; r < options.reps; r++)
    reps.push(await world.rep(options.ops, options.maxMsPerRep));
  return summarise(world, reps);
}

/** One table of the bench: a case with its own budget. */
interface CasePlan {
  readonly kind: CaseName;
  readonly title: string;
  readonly ops: number;
  readonly reps: number;
  readonly warmup: number;
  readonly maxMsPerRep: number;
}

const SIZES = [10, 1_000, 100_000];
const TARGET_RATIO = 1.5;
const PLANS: readonly CasePlan[] = [
  {
    kind: "menti",
    title: "menti: N waiting talkers; match = a listener joins, enqueue = a talker joins",
    ops: 5_000,
    reps: 9,
    warmup: 5_000,
    maxMsPerRep: 3_000,
  },
  {
    kind: "topics",
    title:
      "topic-heavy: 5 tags each, none shared; match = 4 fresh tags + 1 of the oldest's, enqueue = 5 fresh tags",
    // Smaller than menti's budget: its 100,000 fill alone takes seconds (500,000 tag buckets).
    ops: 2_000,
    reps: 9,
    warmup: 1_000,
    maxMsPerRep: 600,
  },
];

/**
 * All sizes of one case live at once and are measured in turns (rep 1 of each size, rep 2 of
 * each, ...), so machine noise and heap size weigh on every size alike; warm-up first, untimed.
 */
async function runCase(plan: CasePlan): Promise<BenchResult[]> {
  const worlds: BenchWorld[] = [];
  for (const size of SIZES) worlds.push(await createWorld(size, plan.kind));
  for (const world of worlds) await world.warm(plan.warmup);
  const reps = new Map<BenchWorld, RepResult[]>(worlds.map((w) => [w, []]));
  for (let r = 0; r < plan.reps; r++) {
    for (const world of worlds) reps.get(world)?.push(await world.rep(plan.ops, plan.maxMsPerRep));
  }
  return worlds.map((w) => summarise(w, reps.get(w) ?? []));
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pad = (s: string, n: number) => s.padStart(n);

function printCase(plan: CasePlan, results: readonly BenchResult[], seconds: number): void {
  console.log(`${plan.title}\n`);
  for (const res of results) {
    const count = res.reps.reduce((n, r) => n + r.ops, 0);
    if (res.matched !== count || res.enqueued !== count || res.waitingAtEnd !== res.size) {
      console.log(`  size ${res.size}: UNEXPECTED counts ${JSON.stringify(res)}`);
    }
  }
  const base = results[0];
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
    `(median of ${plan.reps} repetitions of up to ${fmt(plan.ops)} ops per size, sizes in turns; ${fmt(seconds, 1)} s)\n`,
  );
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log("Duet engine bench: joins against a queue of N waiting users (MemoryStore)\n");
  // One case after the other: a case's worlds are garbage before the next one fills its own.
  for (const plan of PLANS) {
    const caseStarted = performance.now();
    const results = await runCase(plan);
    printCase(plan, results, (performance.now() - caseStarted) / 1000);
  }
  console.log(`total ${fmt((performance.now() - started) / 1000, 1)} s`);
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
