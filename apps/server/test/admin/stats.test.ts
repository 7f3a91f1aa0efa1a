import { describe, expect, it } from "vitest";
import { BucketCounter, HealthStats, healthProvider, percentile, TimedRing } from "../../src/stats";

// A multiple of one minute, so bucket edges fall on round offsets.
const T0 = 60_000 * 28_000_000;
const MINUTE = 60_000;
const census = { stimchat: { waiting: 4, matched: 2, active: 6, ended: 1 } };

describe("percentile (nearest rank)", () => {
  it("takes the smallest value with at least p of the values at or below it", () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 0.5)).toBe(50);
    expect(percentile(hundred, 0.95)).toBe(95);
    expect(percentile([7], 0.5)).toBe(7);
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentile([1, 2], 0.5)).toBe(1);
    expect(percentile([1, 2], 0.95)).toBe(2);
    expect(percentile([1, 2, 3, 4, 1000], 0.95)).toBe(1000);
    expect(percentile([], 0.5)).toBeNull();
  });
});

describe("HealthStats", () => {
  it("reports users per state from the census, sessions, and zeros for a quiet space", () => {
    const stats = new HealthStats(["menti", "stimchat"]);
    const snap = stats.snapshot(census, T0);
    expect(snap.at).toBe(T0);
    expect(snap.waitWindowMs).toBe(10 * MINUTE);
    expect(snap.spaces.map((s) => s.space)).toEqual(["menti", "stimchat"]);
    expect(snap.spaces[0]).toEqual({
      space: "menti",
      users: { waiting: 0, matched: 0, active: 0, ended: 0 },
      sessions: 0,
      matchesLastMinute: 0,
      waitP50Ms: null,
      waitP95Ms: null,
      waitSamples: 0,
      reportsLastHour: 0,
      matchesTotal: 0,
      reportsTotal: 0,
    });
    expect(snap.spaces[1]?.users).toEqual({ waiting: 4, matched: 2, active: 6, ended: 1 });
    expect(snap.spaces[1]?.sessions).toBe(4);
  });

  it("estimates sessions as ceil((matched + active) / 2) unless given the count", () => {
    const stats = new HealthStats(["stimchat", "dormparty"]);
    const odd = { stimchat: { waiting: 0, matched: 1, active: 2, ended: 0 } };
    expect(stats.snapshot(odd, T0).spaces[0]?.sessions).toBe(2);
    const given = stats.snapshot(odd, T0, { stimchat: 1 });
    expect(given.spaces[0]?.sessions).toBe(1);
    expect(given.spaces[1]?.sessions).toBe(0);
  });

  it("lists only the configured spaces, and holds no ids", () => {
    const stats = new HealthStats(["stimchat"]);
    stats.recordMatch("dormparty", [10], T0);
    const snap = stats.snapshot(
      { ...census, dormparty: { waiting: 1, matched: 0, active: 0, ended: 0 } },
      T0,
    );
    expect(snap.spaces.map((s) => s.space)).toEqual(["stimchat"]);
    expect(Object.keys(snap.spaces[0] ?? {}).sort()).toEqual([
      "matchesLastMinute",
      "matchesTotal",
      "reportsLastHour",
      "reportsTotal",
      "sessions",
      "space",
      "users",
      "waitP50Ms",
      "waitP95Ms",
      "waitSamples",
    ]);
  });

  it("takes p50 and p95 over both participants' waits", () => {
    const stats = new HealthStats(["stimchat"]);
    for (let i = 1; i <= 50; i++) stats.recordMatch("stimchat", [i * 1000, (i + 50) * 1000], T0);
    const s = stats.snapshot(census, T0).spaces[0];
    expect(s?.waitSamples).toBe(100);
    expect(s?.waitP50Ms).toBe(50_000);
    expect(s?.waitP95Ms).toBe(95_000);
    expect(s?.matchesTotal).toBe(50);
  });

  it("forgets waits older than the window", () => {
    const stats = new HealthStats(["stimchat"]);
    stats.recordMatch("stimchat", [100_000, 100_000], T0);
    stats.recordMatch("stimchat", [1000], T0 + 5 * MINUTE);
    let s = stats.snapshot(census, T0 + 10 * MINUTE).spaces[0];
    expect(s?.waitSamples).toBe(3);
    expect(s?.waitP50Ms).toBe(100_000);
    s = stats.snapshot(census, T0 + 10 * MINUTE + 1).spaces[0];
    expect(s?.waitSamples).toBe(1);
    expect(s?.waitP50Ms).toBe(1000);
    expect(s?.waitP95Ms).toBe(1000);
    s = stats.snapshot(census, T0 + 16 * MINUTE).spaces[0];
    expect(s?.waitSamples).toBe(0);
    expect(s?.waitP50Ms).toBeNull();
    expect(s?.matchesTotal).toBe(2);
  });

  it("honours a custom window, ignores non-finite waits and clamps negative ones", () => {
    const stats = new HealthStats(["stimchat"], { waitWindowMs: 1000 });
    stats.recordMatch("stimchat", [Number.NaN, -5, Number.POSITIVE_INFINITY], T0);
    const s = stats.snapshot(census, T0 + 1000).spaces[0];
    expect(s?.waitSamples).toBe(1);
    expect(s?.waitP50Ms).toBe(0);
    expect(stats.snapshot(census, T0 + 1001).spaces[0]?.waitSamples).toBe(0);
  });

  it("counts matches in the last minute", () => {
    const stats = new HealthStats(["stimchat"]);
    stats.recordMatch("stimchat", [1, 1], T0);
    stats.recordMatch("stimchat", [1, 1], T0 + 30_000);
    stats.recordMatch("stimchat", [1, 1], T0 + 30_500);
    const at = (ms: number) => stats.snapshot(census, ms).spaces[0]?.matchesLastMinute;
    expect(at(T0)).toBe(1);
    expect(at(T0 + 59_999)).toBe(3);
    expect(at(T0 + 60_000)).toBe(2);
    expect(at(T0 + 89_999)).toBe(2);
    expect(at(T0 + 90_000)).toBe(0);
    expect(at(T0 + 10 * MINUTE)).toBe(0);
    // Long after, the slots are recycled, not added to.
    stats.recordMatch("stimchat", [1, 1], T0 + 60 * MINUTE);
    expect(at(T0 + 60 * MINUTE)).toBe(1);
  });

  it("counts reports in the last hour", () => {
    const stats = new HealthStats(["stimchat", "dormparty"]);
    stats.recordReport("stimchat", T0);
    stats.recordReport("stimchat", T0 + 30 * MINUTE);
    stats.recordReport("dormparty", T0 + 30 * MINUTE);
    const at = (ms: number) => stats.snapshot(census, ms).spaces.map((s) => s.reportsLastHour);
    expect(at(T0 + 59 * MINUTE)).toEqual([2, 1]);
    expect(at(T0 + 60 * MINUTE)).toEqual([1, 1]);
    expect(at(T0 + 90 * MINUTE)).toEqual([0, 0]);
    expect(stats.snapshot(census, T0 + 90 * MINUTE).spaces[0]?.reportsTotal).toBe(2);
  });

  it("keeps at most waitSampleCap waits per space, however many arrive", () => {
    const stats = new HealthStats(["stimchat"]);
    for (let i = 0; i < 1_000_000; i++) stats.recordMatch("stimchat", [i], T0 + (i % 1000));
    expect(stats.heldWaitSamples("stimchat")).toBe(1000);
    const s = stats.snapshot(census, T0 + 1000).spaces[0];
    expect(s?.waitSamples).toBe(1000);
    // Only the newest 1,000 remain: 999,000 … 999,999.
    expect(s?.waitP50Ms).toBe(999_499);
    expect(s?.matchesTotal).toBe(1_000_000);

    const small = new HealthStats(["stimchat"], { waitSampleCap: 10 });
    for (let i = 0; i < 25; i++) small.recordMatch("stimchat", [i, i], T0);
    expect(small.heldWaitSamples("stimchat")).toBe(10);
  });

  it("refuses a nonsensical configuration", () => {
    expect(() => new HealthStats([], { waitSampleCap: 0 })).toThrow();
    expect(() => new HealthStats([], { waitSampleCap: 1.5 })).toThrow();
    expect(() => new HealthStats([], { waitWindowMs: 0 })).toThrow();
  });
});

describe("TimedRing and BucketCounter", () => {
  it("the ring overwrites its oldest entry", () => {
    const ring = new TimedRing(3);
    for (let i = 1; i <= 5; i++) ring.push(i, i * 10);
    expect(ring.size).toBe(3);
    expect(ring.valuesSince(0).sort((a, b) => a - b)).toEqual([30, 40, 50]);
    expect(ring.valuesSince(5)).toEqual([50]);
  });

  it("the bucket counter counts the current bucket and the ones before it in the window", () => {
    const c = new BucketCounter(1000, 3);
    c.add(T0);
    c.add(T0 + 1000, 2);
    c.add(T0 + 2999);
    expect(c.count(T0 + 2999)).toBe(4);
    expect(c.count(T0 + 3000)).toBe(3);
    expect(c.count(T0 + 5000)).toBe(0);
    // An old slot's count does not leak into a new bucket that reuses it.
    c.add(T0 + 3000);
    expect(c.count(T0 + 3000)).toBe(4);
  });
});

describe("healthProvider", () => {
  it("reads the census and, when given a repo, reports per hour from the database", async () => {
    const stats = new HealthStats(["menti", "stimchat"]);
    stats.recordReport("stimchat", T0);
    const clock = { now: () => T0 + MINUTE };
    let since = 0;
    const withRepo = healthProvider({
      stats,
      clock,
      store: { census: async () => census },
      repo: {
        countReportsSince: async (s) => {
          since = s;
          return { stimchat: 7 };
        },
      },
    });
    const snap = await withRepo();
    expect(since).toBe(T0 + MINUTE - 60 * MINUTE);
    expect(snap.spaces.map((s) => s.reportsLastHour)).toEqual([0, 7]);
    expect(snap.spaces[1]?.users.waiting).toBe(4);
    expect(snap.spaces[1]?.reportsTotal).toBe(1);

    const withoutRepo = healthProvider({ stats, clock, store: { census: async () => census } });
    expect((await withoutRepo()).spaces.map((s) => s.reportsLastHour)).toEqual([0, 1]);
  });
});
