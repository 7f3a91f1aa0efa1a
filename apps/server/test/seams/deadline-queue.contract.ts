/**
 * What every DeadlineQueue (src/gateway/deadlines.ts) must do, whatever holds the deadlines: this
 * process's timers (LocalDeadlineQueue) or, in a cluster, a shared store (issue 18). The same
 * suite runs over each implementation, like the engine's storeContract.
 */
import { describe, expect, it } from "vitest";
import type { DeadlineQueue } from "../../src/gateway/deadlines";

export interface DeadlineQueueHarness {
  readonly queue: DeadlineQueue;
  /** The clock the queue's times are on. */
  now(): number;
  /** Lets `ms` of that clock pass (and whatever falls due fire). */
  advance(ms: number): Promise<void>;
}

export function deadlineQueueContract(
  name: string,
  make: () => Promise<DeadlineQueueHarness>,
): void {
  describe(`DeadlineQueue contract: ${name}`, () => {
    it("fires a deadline once, at its time and not before", async () => {
      const h = await make();
      const fired: string[] = [];
      h.queue.schedule(h.now() + 100, () => fired.push("a"));
      h.queue.schedule(h.now() + 100, () => fired.push("k"), "key");
      await h.advance(50);
      expect(fired).toEqual([]);
      expect(h.queue.size()).toBe(2);
      await h.advance(100);
      expect(fired.sort()).toEqual(["a", "k"]);
      await h.advance(1000);
      expect(fired).toHaveLength(2);
      expect(h.queue.size()).toBe(0);
    });

    it("a deadline already due fires at once", async () => {
      const h = await make();
      let fired = 0;
      h.queue.schedule(h.now() - 10, () => fired++, "late");
      await h.advance(1);
      expect(fired).toBe(1);
    });

    it("cancel by key drops it; cancelling again, or after it fired, or an unknown key, is a no-op", async () => {
      const h = await make();
      const fired: string[] = [];
      h.queue.schedule(h.now() + 100, () => fired.push("s1"), "s1");
      h.queue.schedule(h.now() + 100, () => fired.push("s2"), "s2");
      h.queue.cancel("s1");
      h.queue.cancel("s1");
      h.queue.cancel("never-scheduled");
      await h.advance(200);
      expect(fired).toEqual(["s2"]);
      h.queue.cancel("s2");
      expect(h.queue.size()).toBe(0);
    });

    it("scheduling a key again replaces the earlier deadline", async () => {
      const h = await make();
      const fired: string[] = [];
      h.queue.schedule(h.now() + 100, () => fired.push("first"), "s");
      h.queue.schedule(h.now() + 300, () => fired.push("second"), "s");
      await h.advance(200);
      expect(fired).toEqual([]);
      await h.advance(200);
      expect(fired).toEqual(["second"]);
      // The replacement's own cancel still works after the first one was dropped.
      h.queue.schedule(h.now() + 100, () => fired.push("third"), "s");
      h.queue.cancel("s");
      await h.advance(200);
      expect(fired).toEqual(["second"]);
    });

    it("cancelAll drops everything, keyed or not", async () => {
      const h = await make();
      let fired = 0;
      for (let i = 0; i < 5; i++) h.queue.schedule(h.now() + 100 + i, () => fired++, `k${i}`);
      for (let i = 0; i < 5; i++) h.queue.schedule(h.now() + 100 + i, () => fired++);
      h.queue.cancelAll();
      await h.advance(500);
      expect(fired).toBe(0);
      expect(h.queue.size()).toBe(0);
    });

    it("holds nothing for a key once its deadline fired or was cancelled (10,000 sessions)", async () => {
      const h = await make();
      let fired = 0;
      for (let i = 0; i < 10_000; i++) {
        h.queue.schedule(h.now() + 10, () => fired++, `s${i}`);
        if (i % 2 === 0) h.queue.cancel(`s${i}`);
      }
      await h.advance(20);
      expect(fired).toBe(5_000);
      expect(h.queue.size()).toBe(0);
    });
  });
}
