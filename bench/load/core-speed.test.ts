/**
 * The core-speed watch's arithmetic (core-speed.ts): a core's normal time is its fast regime, a
 * window's slowdown is its median sample over that, and a window is slow from SLOW_AT up.
 */
import { describe, expect, it } from "vitest";
import { normalOf, type Sample, SLOW_AT, slowdownOf } from "./core-speed";

/** Samples every 200 ms from `at`, each `us` long. */
const run = (at: number, count: number, us: (i: number) => number): Sample[] =>
  Array.from({ length: count }, (_, i) => ({ at: at + i * 200, us: us(i), lateMs: 1 }));

describe("core speed", () => {
  it("takes the fast regime as normal, not the average", () => {
    // 60 s at 340 µs (a little jitter), then 40 s at 1.8× that.
    const samples = [...run(0, 300, (i) => 340 + (i % 7)), ...run(60_000, 200, () => 612)];
    const normal = normalOf(samples) as number;
    expect(normal).toBeGreaterThanOrEqual(340);
    expect(normal).toBeLessThan(347);
    expect(normalOf(samples.slice(0, 9))).toBeNull();
  });

  it("marks a window in a slow stretch slow, on whichever core it is", () => {
    const core0 = run(0, 500, () => 340);
    const core1 = [...run(0, 300, () => 330), ...run(60_000, 200, () => 600)];
    const before = slowdownOf([core0, core1], 10_000, 20_000);
    expect(before.slow).toBe(false);
    expect(before.max).toBeCloseTo(1, 5);
    const during = slowdownOf([core0, core1], 70_000, 80_000);
    expect(during.slow).toBe(true);
    expect(during.perCore[0]).toBeCloseTo(1, 5);
    expect(during.perCore[1]).toBeCloseTo(600 / 330, 5);
    expect(during.max).toBeCloseTo(600 / 330, 5);
  });

  it("is not fooled by a few slow samples in a normal window (the median)", () => {
    const core = run(0, 500, (i) => (i % 10 === 0 ? 900 : 340));
    expect(slowdownOf([core], 10_000, 20_000).slow).toBe(false);
  });

  it("reads a busy core's ~10 % cache cost as normal, and 1.3× as slow", () => {
    const base = run(0, 300, () => 340);
    expect(slowdownOf([[...base, ...run(60_000, 50, () => 374)]], 60_000, 70_000).slow).toBe(false);
    expect(
      slowdownOf([[...base, ...run(60_000, 50, () => 340 * SLOW_AT)]], 60_000, 70_000).slow,
    ).toBe(true);
  });

  it("knows nothing of a window with under 3 samples, and says so", () => {
    const core = run(0, 300, () => 340);
    const s = slowdownOf([core], 100_000, 101_000);
    expect(s.perCore).toEqual([null]);
    expect(s.slow).toBe(false);
  });
});
