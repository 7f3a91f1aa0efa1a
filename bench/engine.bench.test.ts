/** Smoke test: the engine bench still runs and counts what it measures. No timing assertions. */
import { describe, expect, it } from "vitest";
import { type CaseName, measure } from "./engine.bench";

describe("bench/engine.bench.ts", () => {
  // menti: talkers wait, a listener matches; topics: 5 unshared tags each, the joiner shares one.
  it.each<CaseName>(["menti", "topics"])(
    "%s case at a tiny size: every op counted, size preserved",
    async (kind) => {
      const res = await measure({ size: 3, ops: 5, reps: 2, warmup: 1, kind });
      expect(res.size).toBe(3);
      expect(res.reps.map((r) => r.ops)).toEqual([5, 5]);
      expect(res.matched).toBe(10);
      expect(res.enqueued).toBe(10);
      expect(res.waitingAtEnd).toBe(3);
      for (const n of [
        res.matchUsPerOp,
        res.enqueueUsPerOp,
        res.matchOpsPerSec,
        res.enqueueOpsPerSec,
      ]) {
        expect(Number.isFinite(n) && n > 0).toBe(true);
      }
    },
  );
});
