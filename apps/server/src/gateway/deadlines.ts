/**
 * The DeadlineQueue seam: the engine's deadlines (search limits, join limits, topic windows…) are
 * "call the engine at time T". A keyed deadline can be cancelled before it fires: a session's join
 * limit once the session went ACTIVE or closed (left to fire they were no-ops, but a burst of
 * matches made them all fire together 15 s later: at 10,000 users, 5,000 engine calls in one
 * timer callback, a stall the load benchmark saw; BENCHMARKS.md).
 *
 * `LocalDeadlineQueue` keeps them on this process's timers (scheduler.ts), which is what one
 * process needs; a cluster needs deadlines that survive the node that set them, which the Redis
 * implementation (issue 18) provides behind the same interface. test/seams/deadline-queue.contract.ts
 * is the contract both pass.
 */
import type { Scheduler } from "../scheduler";

export interface DeadlineQueue {
  /**
   * Runs `fire` once at clock time `at` (at once if that has passed). With a `key`, the deadline
   * can be cancelled by it, and scheduling the same key again replaces the earlier one.
   */
  schedule(at: number, fire: () => void, key?: string): void;
  /** Drops the deadline under `key`, if it has not fired; a no-op otherwise. */
  cancel(key: string): void;
  /** Drops every pending deadline (shutdown). */
  cancelAll(): void;
  /** Deadlines not yet fired or cancelled. */
  size(): number;
}

export class LocalDeadlineQueue implements DeadlineQueue {
  /** Keyed deadlines still pending: each entry's own cancel. */
  private readonly keyed = new Map<string, { cancel: () => void }>();

  constructor(private readonly scheduler: Scheduler) {}

  schedule(at: number, fire: () => void, key?: string): void {
    if (key === undefined) {
      this.scheduler.schedule(at, fire);
      return;
    }
    this.cancel(key);
    const entry = { cancel: () => {} };
    this.keyed.set(key, entry);
    entry.cancel = this.scheduler.schedule(at, () => {
      // Only this deadline's own entry: a replacement under the same key stays.
      if (this.keyed.get(key) === entry) this.keyed.delete(key);
      fire();
    });
  }

  cancel(key: string): void {
    const entry = this.keyed.get(key);
    if (!entry) return;
    this.keyed.delete(key);
    entry.cancel();
  }

  cancelAll(): void {
    this.keyed.clear();
    this.scheduler.cancelAll();
  }

  size(): number {
    return this.scheduler.size();
  }
}
