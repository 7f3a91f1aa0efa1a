/**
 * Match attempts gathered into rounds, one round at a time per space (cluster mode: the engine's
 * `rounds` option; the engine runs the rounds, this holds who waits for one).
 *
 * Why: with a remote store a match attempt is two round trips (read the heads, commit a pair).
 * Attempts run side by side all see the same heads and pick the same oldest entry: one commit
 * wins, the rest start over (a burst of n joins cost about n²/2 attempts over Redis). Run one at a
 * time they never collide, but a node then makes one match per two round trips however many
 * people wait. A round serves every attempt that came while the previous round ran: one read of
 * all their buckets, pairs chosen here (no one twice), all commits sent together. A quiet node
 * runs rounds of one; a busy node's round grows with the load and its cost per match falls.
 * Races with other nodes remain, and the store's commit settles them.
 *
 * Process-local bookkeeping only, never a fact about the world: the store decides who is matched.
 */
import type { Outcome } from "./outcome";
import type { QueueEntry, UserId } from "./types";

/** One match attempt waiting for a round. */
export interface RoundRequest {
  readonly userId: UserId;
  /** The search to match: a round matches only this very search. */
  readonly seq: number;
  /** The entry as the caller just had it from the store (a join's enqueue), for the first try. */
  readonly known?: QueueEntry;
  /** Rounds this request already took part in without being settled. */
  readonly tries: number;
  settle(outcome: Outcome): void;
  fail(err: unknown): void;
}

export class MatchRounds {
  private readonly pending = new Map<string, RoundRequest[]>();
  private readonly running = new Set<string>();

  /** Queues `req` for the next round of `space`; true when no round runs there (start one). */
  add(space: string, req: RoundRequest): boolean {
    const queued = this.pending.get(space);
    if (queued) queued.push(req);
    else this.pending.set(space, [req]);
    if (this.running.has(space)) return false;
    this.running.add(space);
    return true;
  }

  /** Everything queued for `space`, for the round that starts now. */
  take(space: string): RoundRequest[] {
    const queued = this.pending.get(space) ?? [];
    this.pending.delete(space);
    return queued;
  }

  /**
   * Takes out of the next round of `space` the requests for searches a round just matched (as the
   * partner another request chose): they have nothing left to do, and a round that read their
   * entry as the caller knew it would commit a stale pair.
   */
  drop(space: string, matched: ReadonlyMap<string, number>): RoundRequest[] {
    const queued = this.pending.get(space);
    if (!queued || matched.size === 0) return [];
    const dropped = queued.filter((r) => matched.get(r.userId) === r.seq);
    if (dropped.length > 0)
      this.pending.set(
        space,
        queued.filter((r) => !dropped.includes(r)),
      );
    return dropped;
  }

  /** A round of `space` ended: true when nothing came meanwhile (the rounds stop there). */
  finish(space: string): boolean {
    if (this.pending.has(space)) return false;
    this.running.delete(space);
    return true;
  }

  /** Requests queued, and spaces with rounds running (tests, health). */
  size(): { queued: number; running: number } {
    let queued = 0;
    for (const list of this.pending.values()) queued += list.length;
    return { queued, running: this.running.size };
  }
}
