/**
 * The DeadlineQueue seam: the engine's deadlines (search limits, join limits, topic windows…) are
 * "call the engine with this deadline at time T". They are data (the engine's `Deadline`), not
 * closures, so that a cluster can keep them where any node can fire them: a node that set one
 * may be gone when it falls due. The node attaches what firing means (calling its engine), once.
 *
 * A keyed deadline can be cancelled before it fires: a session's join limit once the session
 * went ACTIVE or closed (left to fire they were no-ops, but a burst of matches made them all fire
 * together 15 s later: at 10,000 users, 5,000 engine calls in one timer callback, a stall the
 * load benchmark saw; BENCHMARKS.md). Scheduling a key again replaces the earlier deadline.
 *
 * `LocalDeadlineQueue` keeps them on this process's timers (scheduler.ts), which is what one
 * process needs; the cluster's (cluster/redis-deadlines.ts) keeps them in Redis and lets any live
 * node fire an overdue one. Firing must be idempotent (the engine's handlers are: each checks
 * the search or session it was set for), since a cluster may fire one twice after a node died
 * mid-fire. test/seams/deadline-queue.contract.ts is the contract both pass.
 */
import type { Deadline } from "@duet/engine";
import type { Scheduler } from "../scheduler";

/** Anything with a time to fire at. */
export interface Timed {
  readonly at: number;
}

export interface DeadlineQueue<T extends Timed = Deadline> {
  /**
   * Fires `item` once at clock time `item.at` (at once if that has passed). With a `key`, it can
   * be cancelled by it, and scheduling the same key again replaces the earlier one.
   */
  schedule(item: T, key?: string): void;
  /** Drops the deadline under `key`, if it has not fired; a no-op otherwise. */
  cancel(key: string): void;
  /**
   * How due deadlines fire on this node (a returned promise: done when it settles). Returns the
   * detach (shutdown): this node fires nothing more. The local queue then drops everything
   * pending (nothing else would fire it); a cluster's leaves it to the other nodes.
   */
  attach(fire: (item: T) => void | Promise<void>): () => void;
  /** Deadlines not yet fired or cancelled (a cluster's: in the whole cluster). */
  size(): number | Promise<number>;
}

export class LocalDeadlineQueue<T extends Timed = Deadline> implements DeadlineQueue<T> {
  /** Keyed deadlines still pending: each entry's own cancel. */
  private readonly keyed = new Map<string, { cancel: () => void }>();
  private fire: ((item: T) => void | Promise<void>) | undefined;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  private run(item: T): void {
    try {
      const done = this.fire?.(item);
      if (done) done.catch(this.onError);
    } catch (err) {
      this.onError(err);
    }
  }

  schedule(item: T, key?: string): void {
    if (key === undefined) {
      this.scheduler.schedule(item.at, () => this.run(item));
      return;
    }
    this.cancel(key);
    const entry = { cancel: () => {} };
    this.keyed.set(key, entry);
    entry.cancel = this.scheduler.schedule(item.at, () => {
      if (this.keyed.get(key) === entry) this.keyed.delete(key);
      this.run(item);
    });
  }

  /** A deadline is pending here under `key`. */
  has(key: string): boolean {
    return this.keyed.has(key);
  }

  cancel(key: string): void {
    const entry = this.keyed.get(key);
    if (!entry) return;
    this.keyed.delete(key);
    entry.cancel();
  }

  attach(fire: (item: T) => void | Promise<void>): () => void {
    this.fire = fire;
    return () => {
      if (this.fire !== fire) return;
      this.fire = undefined;
      this.keyed.clear();
      this.scheduler.cancelAll();
    };
  }

  size(): number {
    return this.scheduler.size();
  }
}
