/**
 * Live health figures per space (SPEC §6 "Admin": users per state, sessions, matches per minute,
 * wait times, reports), for /api/admin/health and /metrics. Aggregates only: counts and
 * durations, never a user, token, session id or anything said.
 *
 * Memory is bounded whatever the traffic:
 * - wait times: a ring buffer of the last `waitSampleCap` waits per space (default 1,000), each
 *   with the time it was recorded; p50/p95 are taken over the samples of the last `waitWindowMs`
 *   (default 10 minutes) among them. Two waits per match, one per participant.
 * - matches in the last minute: 60 one-second buckets; reports in the last hour: 60 one-minute
 *   buckets. A window therefore covers its full buckets plus the current partial one (so "last
 *   minute" means between 59 and 60 seconds).
 * - totals since start (for Prometheus counters): one number per space.
 *
 * Open sessions: the store does not count sessions, so `snapshot` takes the count per space when
 * the caller has one, and otherwise derives it from the census as ceil((matched + active) / 2).
 * That is exact in Duet's stores: a user is MATCHED or ACTIVE only while attached to an open
 * session, a session is created with both participants at once, and closing it (which every
 * departure does, in the same engine step) moves every attached participant to ENDED. A session
 * with one attached participant exists only inside that step; ceil counts it rather than hiding it.
 *
 * Clock: every method takes `now`; nothing here reads the time.
 */
import type { SpaceCensus } from "@duet/engine";
import type { SpaceId } from "@duet/protocol";

export const DEFAULT_WAIT_SAMPLE_CAP = 1000;
export const DEFAULT_WAIT_WINDOW_MS = 10 * 60_000;
const SECOND = 1000;
const MINUTE = 60 * SECOND;

// The figures' shapes are shared with the admin page: packages/protocol/src/admin.ts.
import type { HealthSnapshot, SpaceHealth } from "@duet/protocol";

export type { HealthSnapshot, SpaceHealth };

export interface HealthStatsOptions {
  /** Waits kept per space (ring buffer); default 1,000. */
  readonly waitSampleCap?: number;
  /** Only waits recorded this recently count towards p50/p95; default 10 minutes. */
  readonly waitWindowMs?: number;
}

const EMPTY_CENSUS: SpaceCensus = { waiting: 0, matched: 0, active: 0, ended: 0 };

export class HealthStats {
  private readonly perSpace = new Map<SpaceId, SpaceStats>();
  readonly waitSampleCap: number;
  readonly waitWindowMs: number;

  constructor(
    readonly spaces: readonly SpaceId[],
    options: HealthStatsOptions = {},
  ) {
    this.waitSampleCap = options.waitSampleCap ?? DEFAULT_WAIT_SAMPLE_CAP;
    this.waitWindowMs = options.waitWindowMs ?? DEFAULT_WAIT_WINDOW_MS;
    if (!(Number.isInteger(this.waitSampleCap) && this.waitSampleCap >= 1)) {
      throw new Error("waitSampleCap must be a positive integer");
    }
    if (!(this.waitWindowMs > 0)) throw new Error("waitWindowMs must be positive");
  }

  /** A match in `space`; `waitedMs` holds each participant's wait (gateway `onMatched`). */
  recordMatch(space: SpaceId, waitedMs: readonly number[], now: number): void {
    const s = this.of(space);
    s.matches.add(now);
    s.matchesTotal++;
    for (const ms of waitedMs) {
      if (Number.isFinite(ms)) s.waits.push(now, Math.max(0, ms));
    }
  }

  /** A report filed in `space` (gateway `onReported`). */
  recordReport(space: SpaceId, now: number): void {
    const s = this.of(space);
    s.reports.add(now);
    s.reportsTotal++;
  }

  /**
   * The figures at `now`. `census` is the store's census (keys are space ids); `sessions`, when
   * given, is the exact open-session count per space and wins over the census estimate.
   */
  snapshot(
    census: Readonly<Record<string, SpaceCensus>>,
    now: number,
    sessions?: Readonly<Partial<Record<SpaceId, number>>>,
  ): HealthSnapshot {
    const since = now - this.waitWindowMs;
    return {
      at: now,
      waitWindowMs: this.waitWindowMs,
      spaces: this.spaces.map((space): SpaceHealth => {
        const c = census[space] ?? EMPTY_CENSUS;
        const users = { waiting: c.waiting, matched: c.matched, active: c.active, ended: c.ended };
        const s = this.perSpace.get(space);
        const recent = s ? s.waits.valuesSince(since) : [];
        recent.sort((a, b) => a - b);
        return {
          space,
          users,
          sessions: sessions?.[space] ?? Math.ceil((users.matched + users.active) / 2),
          matchesLastMinute: s ? s.matches.count(now) : 0,
          waitP50Ms: percentile(recent, 0.5),
          waitP95Ms: percentile(recent, 0.95),
          waitSamples: recent.length,
          reportsLastHour: s ? s.reports.count(now) : 0,
          matchesTotal: s?.matchesTotal ?? 0,
          reportsTotal: s?.reportsTotal ?? 0,
        };
      }),
    };
  }

  /** Waits currently held for `space` (≤ waitSampleCap); for tests of the memory bound. */
  heldWaitSamples(space: SpaceId): number {
    return this.perSpace.get(space)?.waits.size ?? 0;
  }

  private of(space: SpaceId): SpaceStats {
    let s = this.perSpace.get(space);
    if (!s) {
      s = {
        waits: new TimedRing(this.waitSampleCap),
        matches: new BucketCounter(SECOND, 60),
        reports: new BucketCounter(MINUTE, 60),
        matchesTotal: 0,
        reportsTotal: 0,
      };
      this.perSpace.set(space, s);
    }
    return s;
  }
}

interface SpaceStats {
  readonly waits: TimedRing;
  readonly matches: BucketCounter;
  readonly reports: BucketCounter;
  matchesTotal: number;
  reportsTotal: number;
}

/**
 * Nearest-rank percentile of an ascending list: the smallest value with at least `p` of the
 * values at or below it. null for an empty list.
 */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1] ?? null;
}

/** A fixed-size ring of (time, value) pairs: the newest `cap` pushes, nothing more. */
export class TimedRing {
  private readonly at: Float64Array;
  private readonly values: Float64Array;
  private next = 0;
  private held = 0;

  constructor(readonly cap: number) {
    this.at = new Float64Array(cap);
    this.values = new Float64Array(cap);
  }

  get size(): number {
    return this.held;
  }

  push(at: number, value: number): void {
    this.at[this.next] = at;
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.cap;
    if (this.held < this.cap) this.held++;
  }

  /** Values recorded at or after `since` (in no particular order). */
  valuesSince(since: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.held; i++) {
      if ((this.at[i] as number) >= since) out.push(this.values[i] as number);
    }
    return out;
  }
}

/**
 * Counts events in a sliding window of `buckets` buckets of `bucketMs` each: the current bucket
 * and the `buckets - 1` before it. A bucket is recycled when its slot comes round again.
 */
export class BucketCounter {
  private readonly counts: Float64Array;
  /** The bucket number (floor(time / bucketMs)) each slot currently holds. */
  private readonly slotOf: Float64Array;

  constructor(
    private readonly bucketMs: number,
    private readonly buckets: number,
  ) {
    this.counts = new Float64Array(buckets);
    this.slotOf = new Float64Array(buckets).fill(-1);
  }

  add(now: number, n = 1): void {
    const bucket = Math.floor(now / this.bucketMs);
    const slot = ((bucket % this.buckets) + this.buckets) % this.buckets;
    if (this.slotOf[slot] !== bucket) {
      this.slotOf[slot] = bucket;
      this.counts[slot] = 0;
    }
    this.counts[slot] = (this.counts[slot] as number) + n;
  }

  /** Events in the window ending at `now`. */
  count(now: number): number {
    const current = Math.floor(now / this.bucketMs);
    const oldest = current - this.buckets + 1;
    let total = 0;
    for (let i = 0; i < this.buckets; i++) {
      const b = this.slotOf[i] as number;
      if (b >= oldest && b <= current) total += this.counts[i] as number;
    }
    return total;
  }
}

/** What `healthProvider` reads; app.ts passes the real store, stats and (optionally) the repo. */
export interface HealthSources {
  readonly stats: HealthStats;
  readonly store: { census(): Promise<Record<string, SpaceCensus>> };
  readonly clock: { now(): number };
  /**
   * When given, "reports in the last hour" comes from the database (every node, survives
   * restarts) instead of this process's count.
   */
  readonly repo?: {
    countReportsSince(since: number): Promise<Partial<Record<SpaceId, number>>>;
  };
}

/** The `health()` function the admin routes and /metrics take. */
export function healthProvider(sources: HealthSources): () => Promise<HealthSnapshot> {
  return async () => {
    const now = sources.clock.now();
    const [census, reports] = await Promise.all([
      sources.store.census(),
      sources.repo ? sources.repo.countReportsSince(now - 60 * MINUTE) : undefined,
    ]);
    const snap = sources.stats.snapshot(census, now);
    if (!reports) return snap;
    return {
      ...snap,
      spaces: snap.spaces.map((s) => ({ ...s, reportsLastHour: reports[s.space] ?? 0 })),
    };
  };
}
