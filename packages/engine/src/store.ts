/**
 * The store: where users, queues and sessions live. The engine never holds state of its own.
 *
 * Contract for every implementation (MemoryStore now, a Redis store with one Lua script per
 * operation later; the contract suite in test/store-contract.ts runs against each):
 * - Every operation is atomic: it reads and writes as one step, and no other operation is seen
 *   half-done. There is no read-modify-write across an `await` anywhere; an operation that depends
 *   on a state takes that state as a condition and re-checks it inside.
 * - Every operation is idempotent: repeating it, or running it after the world moved on, changes
 *   nothing and reports that nothing changed.
 * - Returned records are snapshots; mutating them changes nothing in the store.
 */
import type { CloseReason, Intent, SpaceId, UserState } from "@duet/protocol";
import type { Tier } from "./trust";
import type {
  QueueEntry,
  SessionId,
  SessionRecord,
  SessionStatus,
  UserId,
  UserRecord,
} from "./types";

export type EnqueueRequest = {
  readonly userId: UserId;
  /** The user must be in one of these states (the table's sources of join/requeue). */
  readonly from: readonly UserState[];
  readonly space: SpaceId;
  readonly intent?: Intent;
  readonly since: number;
  /** The buckets this search waits in (at least one). */
  readonly buckets: readonly string[];
  readonly topics?: readonly string[];
  readonly onlyMine?: boolean;
  /** Trust tier for this search (spaces with tiers). */
  readonly tier?: Tier;
  /** People never to pair this user with (from the database). */
  readonly blocked?: readonly string[];
};

export type CloseOptions = {
  /** Close only if the session is in this status (a join deadline closes only a PENDING one). */
  readonly ifStatus?: SessionStatus;
  /** Pair cooldown: each remaining participant must not meet the other's person before this. */
  readonly cooldownUntil?: number;
  /** A report: each remaining participant never meets the other's person again (`until` null). */
  readonly blockEachOther?: boolean;
};

/** Users per state in one space. */
export type SpaceCensus = {
  waiting: number;
  matched: number;
  active: number;
  ended: number;
  /**
   * Of `waiting`, how many chose each intent (spaces with intents; absent keys: none). Lets the
   * presence line tell a waiting talker that only other talkers are waiting (presence.ts).
   */
  waitingByIntent?: Partial<Record<Intent, number>>;
};

export type EnqueueResult =
  | { readonly ok: true; readonly user: UserRecord; readonly entry: QueueEntry }
  | {
      readonly ok: false;
      /** no_user: gone. state: not in `from`. browser_waiting: another tab of it waits here. */
      readonly reason: "no_user" | "state" | "browser_waiting";
      readonly user?: UserRecord;
    };

export type CreateSessionResult =
  | { readonly ok: true; readonly users: readonly [UserRecord, UserRecord] }
  /** Which of the two entries is no longer waiting as that very search (left, re-joined, paired). */
  | { readonly ok: false; readonly stale: readonly UserId[] };

/** One commit of `createSessions`: what `createSession` takes. */
export type SessionCommit = {
  readonly session: SessionRecord;
  readonly a: QueueEntry;
  readonly b: QueueEntry;
};

/** What `enqueueMany` answers: each request's result in order, then the buckets read after them. */
export type EnqueueManyResult = {
  readonly results: readonly EnqueueResult[];
  readonly heads: readonly QueueEntry[][];
};

export type EnterResult =
  | {
      readonly ok: true;
      readonly session: SessionRecord;
      /** True when this call made the session ACTIVE (both had entered). */
      readonly activated: boolean;
      /** True when this participant had already entered: nothing changed. */
      readonly already: boolean;
      /** The participants' records after the call (both, when activated). */
      readonly users: readonly UserRecord[];
    }
  | { readonly ok: false };

export type MediaResult =
  | {
      readonly ok: true;
      readonly session: SessionRecord;
      /**
       * True when this call completed the pair: both participants have now asked for media and
       * both are still attached. Exactly one call per session says so.
       */
      readonly ready: boolean;
      /** True when this participant had already asked: nothing changed. */
      readonly already: boolean;
    }
  | { readonly ok: false };

export type CloseResult =
  | {
      readonly closed: true;
      readonly session: SessionRecord;
      /** Participants that were still attached, now ENDED (a departed one is absent). */
      readonly ended: readonly UserRecord[];
    }
  | {
      readonly closed: false;
      /**
       * The record of the participant who asked (`by`) as it is now, when `by` was given and that
       * user exists: a close that missed (the session was closed a moment earlier) is answered
       * from it, so the caller need not read it again (cluster mode: one Redis round trip less,
       * in nearly every conversation that both sides leave at once).
       */
      readonly caller?: UserRecord;
    };

export interface Store {
  /** Creates the user if no user has this id. Returns false (and changes nothing) otherwise. */
  addUser(user: UserRecord): Promise<boolean>;

  getUser(id: UserId): Promise<UserRecord | undefined>;

  /** Open sessions only: a closed session is deleted at once, so it reads as undefined. */
  getSession(id: SessionId): Promise<SessionRecord | undefined>;

  /**
   * Puts the user in `buckets` as a new search (fresh `seq`) and makes it WAITING, if it is in one
   * of `from` and no other user with its browser id is WAITING in the same space. Clears any
   * previous session fields; keeps the user's cooldowns still in force at `since` and copies them
   * into the entry, with the request's tier and blocked list (also kept on the user record for a
   * re-queue). Fails without change otherwise.
   */
  enqueue(req: EnqueueRequest): Promise<EnqueueResult>;

  /**
   * A match round's start in one call (cluster mode: one round trip for a whole round's joiners
   * instead of one each): `enqueue` for each request, in order, then `peek(buckets, perBucket)`.
   * Each enqueue is atomic on its own and answers exactly as `enqueue` would; the read comes
   * after all of them (so it sees every one that succeeded). The batch as a whole need not be one
   * step: an implementation may send a long batch in parts, as long as the order holds.
   */
  enqueueMany(
    requests: readonly EnqueueRequest[],
    buckets: readonly string[],
    perBucket: number,
  ): Promise<EnqueueManyResult>;

  /**
   * Opens topic search `seq` to anyone: marks its entry `open` (wherever it waits, keeping its
   * places) and adds it to the tail of `bucket`. Returns the updated user, or undefined, and no
   * change, if the user is not waiting as that search or it is already open or in `bucket`.
   */
  openSearch(userId: UserId, seq: number, bucket: string): Promise<UserRecord | undefined>;

  /**
   * WAITING → IDLE, removing the entry from its bucket. If `seq` is given, only that very search
   * is cancelled (a deadline for an older search must not cancel a newer one). Returns the updated
   * user, or undefined when it was not waiting (nothing changed).
   */
  leaveQueue(userId: UserId, seq?: number): Promise<UserRecord | undefined>;

  /** The first `perBucket` entries of each bucket, oldest first, in the order of `buckets`. */
  peek(buckets: readonly string[], perBucket: number): Promise<QueueEntry[][]>;

  /**
   * The commit of a match. Succeeds only if both entries are still waiting as those very searches
   * (same `seq`): then removes both from the queue, stores `session` (PENDING), and makes both
   * MATCHED with the session id and each other as partner. Otherwise changes nothing and names the
   * stale entries, so the caller can pick again.
   */
  createSession(session: SessionRecord, a: QueueEntry, b: QueueEntry): Promise<CreateSessionResult>;

  /**
   * A match round's commits in one call: `createSession` for each, in order, each atomic on its
   * own and answered exactly as `createSession` would (one commit failing does not stop the
   * next). As with `enqueueMany`, a long batch may be sent in parts, in order.
   */
  createSessions(commits: readonly SessionCommit[]): Promise<CreateSessionResult[]>;

  /**
   * Marks `userId` as having entered the open session `sessionId`, if it is a participant still
   * attached to it (MATCHED or ACTIVE with that session). When both have entered and the session is
   * PENDING, the session and both users become ACTIVE, and the session records `activeAt: at`.
   * `{ ok: false }` for anything else: a closed, unknown or foreign session.
   * `earlier`: the other participant, who entered before without the store being told (the
   * engine keeps a same-node pair's first `enter` itself: one store call per pair, not two). It
   * is recorded as entered first, if it is that participant and still attached; otherwise it is
   * ignored (a partner that departed is never brought back).
   */
  enterSession(
    sessionId: SessionId,
    userId: UserId,
    at: number,
    earlier?: UserId,
  ): Promise<EnterResult>;

  /**
   * Marks `userId` as having asked for media in the open session `sessionId` (SessionRecord
   * `media`), if it is a participant still attached to it (MATCHED or ACTIVE with that session).
   * `ready` when this call made both participants' asks complete while the partner is still
   * attached. `{ ok: false }` for anything else: a closed, unknown or foreign session.
   */
  requestMedia(sessionId: SessionId, userId: UserId): Promise<MediaResult>;

  /**
   * Closes an open session: deletes it and moves each participant still attached to it (MATCHED or
   * ACTIVE with this session id) to ENDED with the reason. `by` is the participant who caused it,
   * or null for the server. `{ closed: false }` if it was already closed or never existed, or if
   * `options.ifStatus` is given and the session is not in that status. With
   * `options.cooldownUntil`, each remaining participant gets a cooldown against the other's person;
   * with `options.blockEachOther`, an avoid without end (`until: null`).
   */
  closeSession(
    sessionId: SessionId,
    reason: CloseReason,
    by: UserId | null,
    options?: CloseOptions,
  ): Promise<CloseResult>;

  /** ENDED → IDLE. Returns the updated user, or undefined when it was not ENDED. */
  returnHome(userId: UserId): Promise<UserRecord | undefined>;

  /**
   * Deletes the user and its queue entry. Returns the record as it was, or undefined if already
   * gone. Does not close its session: the caller closes it next (the session then ends for the
   * partner, and the departed participant is simply absent).
   */
  removeUser(userId: UserId): Promise<UserRecord | undefined>;

  /** Users per state, per space (IDLE users belong to no space). A consistent snapshot. */
  census(): Promise<Record<string, SpaceCensus>>;
}
