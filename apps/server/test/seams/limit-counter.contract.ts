/**
 * What every LimitCounter (src/limits.ts: the rate-limit store seam) must do, wherever the
 * counts are kept: in this process (WindowCounter) or in a store shared by every node
 * (rate-limiter-flexible's Redis limiter through rateLimiterCounter, issue 18). Each rule's points
 * per key per window; a refusal spends nothing and says how long to wait; a refund gives a point
 * back; keys are independent; a closed window starts afresh.
 */
import { describe, expect, it } from "vitest";
import type { LimitCounter } from "../../src/limits";

export interface LimitCounterHarness {
  readonly counter: LimitCounter;
  /** The window's length (ms) the counter was made with (its rule's durationMs). */
  readonly windowMs: number;
  /** Lets `ms` pass on the counter's clock. */
  advance(ms: number): Promise<void>;
}

/** Makes a counter for a rule of `points` per window. */
export type LimitCounterFactory = (points: number) => Promise<LimitCounterHarness>;

export function limitCounterContract(name: string, make: LimitCounterFactory): void {
  describe(`LimitCounter contract: ${name}`, () => {
    it("admits `points` per key, then refuses with a wait no longer than the window", async () => {
      const h = await make(3);
      for (let i = 0; i < 3; i++) expect(await h.counter.consume("k")).toEqual({ ok: true });
      const refused = await h.counter.consume("k");
      expect(refused.ok).toBe(false);
      if (!refused.ok) {
        expect(refused.retryAfterMs).toBeGreaterThan(0);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(h.windowMs);
      }
      // Keys are independent.
      expect(await h.counter.consume("other")).toEqual({ ok: true });
    });

    it("a refusal spends nothing: hammering a refused key does not push its window out", async () => {
      const h = await make(1);
      expect((await h.counter.consume("k")).ok).toBe(true);
      for (let i = 0; i < 20; i++) expect((await h.counter.consume("k")).ok).toBe(false);
      await h.advance(h.windowMs + 50);
      expect((await h.counter.consume("k")).ok).toBe(true);
    });

    it("a refund gives one point back", async () => {
      const h = await make(2);
      expect((await h.counter.consume("k")).ok).toBe(true);
      expect((await h.counter.consume("k")).ok).toBe(true);
      expect((await h.counter.consume("k")).ok).toBe(false);
      await h.counter.refund("k");
      expect((await h.counter.consume("k")).ok).toBe(true);
      expect((await h.counter.consume("k")).ok).toBe(false);
    });

    it("once the window has closed the key starts afresh", async () => {
      const h = await make(2);
      await h.counter.consume("k");
      await h.counter.consume("k");
      expect((await h.counter.consume("k")).ok).toBe(false);
      await h.advance(h.windowMs + 50);
      expect((await h.counter.consume("k")).ok).toBe(true);
      expect((await h.counter.consume("k")).ok).toBe(true);
      expect((await h.counter.consume("k")).ok).toBe(false);
    });
  });
}
