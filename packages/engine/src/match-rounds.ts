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
 * Rounds overlap by their commits: the next round reads the buckets as soon as this one has sent
 * its commits, without waiting for their answers (measured under churn over Redis: a round that
 * waited for its commits took ~120 ms of a busy node, and every joiner waited 1.5 rounds). What
 * keeps the rounds from choosing one person twice is `hold`: the people of an unanswered commit
 * are not chosen by a later round; a request of theirs that comes meanwhile, and a request that
 * found no one but one of them would do (if that commit fails, they must meet), are parked until
 * the answer (`park`, given back by `release`). Over one Redis connection, which runs commands
 * in the order they were sent, the next round's read already shows the commits before it; over
 * any store, a commit still checks both entries.
 *
 * Process-local bookkeeping only, never a fact about the world: the store decides who is matched.
 */
import type { Outcome } from "./outcome";
import type { EnqueueRequest, EnqueueResult } from "./store";
import type { QueueEntry, UserId } from "./types";

/**
 * A joiner's enqueue, left to the round (one store call for all of a round's joiners, which also
 * reads the round's buckets: `Store.enqueueMany`).
 */
export interface RoundJoin {
  readonly request: EnqueueRequest;
  /** The entry the request would make, for where the round must read (seq not yet known). */
  readonly probe: QueueEntry;
  /** The enqueue's answer, told as soon as the round has it (before any match is made). */
  enqueued(res: EnqueueResult): void;
}

/** One match attempt waiting for a round. */
export interface RoundRequest {
  readonly userId: UserId;
  /**
   * The search to match: a round matches only this very search. 0 while `join` is set (the
   * search does not exist yet: the round's enqueue makes it and the request takes its seq).
   */
  readonly seq: number;
  /** Set when the round must enqueue this search first. */
  readonly join?: RoundJoin;
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
  /** Per space: the people an unanswered commit holds, each with the requests parked behind. */
  private readonly held = new Map<string, Map<UserId, RoundRequest[]>>();

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
   * Takes out of the next round of `space`, and from behind held people, the requests for
   * searches a round just matched (as the partner another request chose): they have nothing left
   * to do, and a round that read their entry as the caller knew it would commit a stale pair.
   */
  drop(space: string, matched: ReadonlyMap<string, number>): RoundRequest[] {
    if (matched.size === 0) return [];
    const isMatched = (r: RoundRequest) => matched.get(r.userId) === r.seq;
    const dropped: RoundRequest[] = [];
    const queued = this.pending.get(space);
    if (queued?.some(isMatched)) {
      dropped.push(...queued.filter(isMatched));
      this.pending.set(
        space,
        queued.filter((r) => !isMatched(r)),
      );
    }
    // Parked behind someone else's commit (it wanted them) and matched meanwhile by another.
    for (const parked of this.held.get(space)?.values() ?? []) {
      for (let i = parked.length - 1; i >= 0; i--) {
        const r = parked[i] as RoundRequest;
        if (!isMatched(r)) continue;
        dropped.push(r);
        parked.splice(i, 1);
      }
    }
    return dropped;
  }

  /** A round of `space` ended: true when nothing came meanwhile (the rounds stop there). */
  finish(space: string): boolean {
    if (this.pending.has(space)) return false;
    this.running.delete(space);
    return true;
  }

  /** A round's commit with `userId` in it is unanswered: no later round chooses them meanwhile. */
  hold(space: string, userId: UserId): void {
    let people = this.held.get(space);
    if (!people) {
      people = new Map();
      this.held.set(space, people);
    }
    if (!people.has(userId)) people.set(userId, []);
  }

  isHeld(space: string, userId: UserId): boolean {
    return this.held.get(space)?.has(userId) ?? false;
  }

  /**
   * `req` waits for the answer of the commit that holds `held` (its own user, or the one it
   * wanted); only while `isHeld(held)` — anything else would lose it, so that throws.
   */
  park(space: string, held: UserId, req: RoundRequest): void {
    const parked = this.held.get(space)?.get(held);
    if (!parked) throw new Error(`park: ${held} is not held`);
    parked.push(req);
  }

  /** The answer came: `userId` may be chosen again; its parked requests are given back. */
  release(space: string, userId: UserId): RoundRequest[] {
    const people = this.held.get(space);
    const parked = people?.get(userId);
    if (!people || !parked) return [];
    people.delete(userId);
    if (people.size === 0) this.held.delete(space);
    return parked;
  }

  /** Requests queued or parked, spaces with rounds running, people held (tests, health). */
  size(): { queued: number; running: number; held: number } {
    let queued = 0;
    let held = 0;
    for (const list of this.pending.values()) queued += list.length;
    for (const people of this.held.values()) {
      held += people.size;
      for (const parked of people.values()) queued += parked.length;
    }
    return { queued, running: this.running.size, held };
  }
}
