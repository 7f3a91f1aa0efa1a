import type { CloseReason } from "@duet/protocol";
import type {
  CloseOptions,
  CloseResult,
  CreateSessionResult,
  EnqueueManyResult,
  EnqueueRequest,
  EnqueueResult,
  EnterResult,
  MediaResult,
  SessionCommit,
  SpaceCensus,
  Store,
} from "./store";
import type { QueueEntry, SessionId, SessionRecord, UserId, UserRecord } from "./types";

/** The store's operations, by name: what `CountingStore` counts. */
export type StoreOp = Exclude<keyof Store, "census">;

/**
 * A `Store` that counts the calls made to the one it wraps, by operation (issue 19: "store round
 * trips per match"). In memory mode a call is a function call; over Redis each is one round trip
 * (one script or one command), so these counts are what a node asks of its store, whatever the
 * store. `census` is not counted: it is the periodic read of presence and metrics, not part of
 * any one person's path.
 *
 * Cheap: one property increment per call, no promise of its own (the wrapped store's promise is
 * returned as it is). Used by the load harness (bench/load/duet-server.ts); not in production.
 */
export class CountingStore implements Store {
  private readonly calls: Record<StoreOp, number> = {
    addUser: 0,
    getUser: 0,
    getSession: 0,
    enqueue: 0,
    enqueueMany: 0,
    openSearch: 0,
    leaveQueue: 0,
    peek: 0,
    createSession: 0,
    createSessions: 0,
    enterSession: 0,
    requestMedia: 0,
    closeSession: 0,
    returnHome: 0,
    removeUser: 0,
  };

  constructor(readonly inner: Store) {}

  /** The calls so far, by operation (a copy). */
  counts(): Record<StoreOp, number> {
    return { ...this.calls };
  }

  /** Every counted call so far. */
  total(): number {
    let sum = 0;
    for (const n of Object.values(this.calls)) sum += n;
    return sum;
  }

  addUser(user: UserRecord): Promise<boolean> {
    this.calls.addUser += 1;
    return this.inner.addUser(user);
  }
  getUser(id: UserId): Promise<UserRecord | undefined> {
    this.calls.getUser += 1;
    return this.inner.getUser(id);
  }
  getSession(id: SessionId): Promise<SessionRecord | undefined> {
    this.calls.getSession += 1;
    return this.inner.getSession(id);
  }
  enqueue(req: EnqueueRequest): Promise<EnqueueResult> {
    this.calls.enqueue += 1;
    return this.inner.enqueue(req);
  }
  enqueueMany(
    requests: readonly EnqueueRequest[],
    buckets: readonly string[],
    perBucket: number,
  ): Promise<EnqueueManyResult> {
    this.calls.enqueueMany += 1;
    return this.inner.enqueueMany(requests, buckets, perBucket);
  }
  openSearch(userId: UserId, seq: number, bucket: string): Promise<UserRecord | undefined> {
    this.calls.openSearch += 1;
    return this.inner.openSearch(userId, seq, bucket);
  }
  leaveQueue(userId: UserId, seq?: number): Promise<UserRecord | undefined> {
    this.calls.leaveQueue += 1;
    return this.inner.leaveQueue(userId, seq);
  }
  peek(buckets: readonly string[], perBucket: number): Promise<QueueEntry[][]> {
    this.calls.peek += 1;
    return this.inner.peek(buckets, perBucket);
  }
  createSession(
    session: SessionRecord,
    a: QueueEntry,
    b: QueueEntry,
  ): Promise<CreateSessionResult> {
    this.calls.createSession += 1;
    return this.inner.createSession(session, a, b);
  }
  createSessions(commits: readonly SessionCommit[]): Promise<CreateSessionResult[]> {
    this.calls.createSessions += 1;
    return this.inner.createSessions(commits);
  }
  enterSession(
    sessionId: SessionId,
    userId: UserId,
    at: number,
    earlier?: UserId,
  ): Promise<EnterResult> {
    this.calls.enterSession += 1;
    return this.inner.enterSession(sessionId, userId, at, earlier);
  }
  requestMedia(sessionId: SessionId, userId: UserId): Promise<MediaResult> {
    this.calls.requestMedia += 1;
    return this.inner.requestMedia(sessionId, userId);
  }
  closeSession(
    sessionId: SessionId,
    reason: CloseReason,
    by: UserId | null,
    options?: CloseOptions,
  ): Promise<CloseResult> {
    this.calls.closeSession += 1;
    return this.inner.closeSession(sessionId, reason, by, options);
  }
  returnHome(userId: UserId): Promise<UserRecord | undefined> {
    this.calls.returnHome += 1;
    return this.inner.returnHome(userId);
  }
  removeUser(userId: UserId): Promise<UserRecord | undefined> {
    this.calls.removeUser += 1;
    return this.inner.removeUser(userId);
  }
  census(): Promise<Record<string, SpaceCensus>> {
    return this.inner.census();
  }
}
