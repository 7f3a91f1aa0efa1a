/**
 * What every DeadlineQueue (src/gateway/deadlines.ts) must do, whatever holds the deadlines: this
 * process's timers (LocalDeadlineQueue) or, in a cluster, Redis (cluster/redis-deadlines.ts). The
 * same suite runs over each implementation, like the engine's storeContract. Where the harness
 * has a second node of the same cluster, the cluster cases run too: one firing per deadline
 * across nodes, and a detached (dead or stopped) node's deadlines fired by another.
 */
import { describe, expect, it } from "vitest";
import type { DeadlineQueue } from "../../src/gateway/deadlines";

export interface Item {
  readonly at: number;
  readonly name: string;
}

export interface DeadlineQueueHarness {
  readonly queue: DeadlineQueue<Item>;
  /** Another node's queue in the same cluster (cluster implementations only). */
  readonly other?: DeadlineQueue<Item>;
  /** The clock the queue's times are on. */
  now(): number;
  /** Lets `ms` of that clock pass (and whatever falls due fire, and its firing finish). */
  advance(ms: number): Promise<void>;
}

const item = (at: number, name: string): Item => ({ at, name });

export function deadlineQueueContract(
  name: string,
  make: () => Promise<DeadlineQueueHarness>,
): void {
  /** A harness whose queue collects what it fires. */
  async function collecting(): Promise<DeadlineQueueHarness & { fired: string[] }> {
    const h = await make();
    const fired: string[] = [];
    h.queue.attach((i) => {
      fired.push(i.name);
    });
    return Object.assign(h, { fired });
  }

  describe(`DeadlineQueue contract: ${name}`, () => {
    it("fires a deadline once, at its time and not before, with its data", async () => {
      const h = await collecting();
      h.queue.schedule(item(h.now() + 100, "a"));
      h.queue.schedule(item(h.now() + 100, "k"), "key");
      await h.advance(50);
      expect(h.fired).toEqual([]);
      expect(await h.queue.size()).toBe(2);
      await h.advance(100);
      expect(h.fired.sort()).toEqual(["a", "k"]);
      await h.advance(1000);
      expect(h.fired).toHaveLength(2);
      expect(await h.queue.size()).toBe(0);
    });

    it("a deadline already due fires at once", async () => {
      const h = await collecting();
      h.queue.schedule(item(h.now() - 10, "late"), "late");
      await h.advance(1);
      expect(h.fired).toEqual(["late"]);
    });

    it("cancel by key drops it; cancelling again, or after it fired, or an unknown key, is a no-op", async () => {
      const h = await collecting();
      h.queue.schedule(item(h.now() + 100, "s1"), "s1");
      h.queue.schedule(item(h.now() + 100, "s2"), "s2");
      h.queue.cancel("s1");
      h.queue.cancel("s1");
      h.queue.cancel("never-scheduled");
      await h.advance(200);
      expect(h.fired).toEqual(["s2"]);
      h.queue.cancel("s2");
      expect(await h.queue.size()).toBe(0);
    });

    it("scheduling a key again replaces the earlier deadline", async () => {
      const h = await collecting();
      h.queue.schedule(item(h.now() + 100, "first"), "s");
      h.queue.schedule(item(h.now() + 300, "second"), "s");
      await h.advance(200);
      expect(h.fired).toEqual([]);
      await h.advance(200);
      expect(h.fired).toEqual(["second"]);
      // The replacement's own cancel still works after the first one was dropped.
      h.queue.schedule(item(h.now() + 100, "third"), "s");
      h.queue.cancel("s");
      await h.advance(200);
      expect(h.fired).toEqual(["second"]);
    });

    it("after detaching, this node fires nothing", async () => {
      const h = await make();
      const fired: string[] = [];
      const detach = h.queue.attach((i) => {
        fired.push(i.name);
      });
      for (let i = 0; i < 5; i++) h.queue.schedule(item(h.now() + 100 + i, `k${i}`), `k${i}`);
      for (let i = 0; i < 5; i++) h.queue.schedule(item(h.now() + 100 + i, `u${i}`));
      detach();
      detach();
      await h.advance(500);
      expect(fired).toEqual([]);
    });

    it("holds nothing for a key once its deadline fired or was cancelled (2,000 sessions)", async () => {
      const h = await collecting();
      for (let i = 0; i < 2_000; i++) {
        h.queue.schedule(item(h.now() + 10, `s${i}`), `s${i}`);
        if (i % 2 === 0) h.queue.cancel(`s${i}`);
      }
      await h.advance(20);
      expect(h.fired).toHaveLength(1_000);
      expect(await h.queue.size()).toBe(0);
    });

    it("cluster: each deadline fires once across nodes; a detached node's fire elsewhere", async () => {
      const h = await make();
      if (!h.other) return;
      const fired: Record<string, string[]> = { here: [], there: [] };
      const detach = h.queue.attach((i) => {
        fired.here?.push(i.name);
      });
      h.other.attach((i) => {
        fired.there?.push(i.name);
      });
      for (let i = 0; i < 20; i++) h.queue.schedule(item(h.now() + 50, `a${i}`), `a${i}`);
      for (let i = 0; i < 20; i++) h.other.schedule(item(h.now() + 50, `b${i}`));
      await h.advance(100);
      const all = [...(fired.here ?? []), ...(fired.there ?? [])].sort();
      expect(all).toHaveLength(40);
      expect(new Set(all).size).toBe(40);
      // This node stops (as a dead one would): what it set is fired by the other.
      h.queue.schedule(item(h.now() + 50, "orphan"), "orphan");
      detach();
      await h.advance(100);
      expect(fired.there).toContain("orphan");
      expect(fired.here).not.toContain("orphan");
    });
  });
}
