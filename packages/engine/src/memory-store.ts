/**
 * In-memory Store for one process. Each method's body runs synchronously inside its `async`
 * wrapper, so it is atomic with respect to every other operation: the same guarantee a Redis Lua
 * script gives. Keep it the mirror of the Redis store: change one, change the other, and let the
 * contract suite (test/store-contract.ts) hold them to the same behaviour.
 */
import type { CloseReason } from "@duet/protocol";
import { Fifo } from "./fifo";
import { sharedTopics } from "./matcher";
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
import {
  type Avoid,
  type QueueEntry,
  type SessionId,
  type SessionRecord,
  sessionPersons,
  type UserId,
  type UserRecord,
} from "./types";

type Writable<T> = { -readonly [K in keyof T]: T[K] };

export class MemoryStore implements Store {
  private readonly users = new Map<UserId, UserRecord>();
  private readonly sessions = new Map<SessionId, SessionRecord>();
  /** bucket → its waiting entries in `seq` order (FIFO). */
  private readonly buckets = new Map<string, Fifo<QueueEntry>>();
  /** `${space}:${browserId}` → the one user of that browser waiting in that space. */
  private readonly waitingBrowsers = new Map<string, UserId>();
  private seq = 0;
  /** Source of user record versions: strictly increasing across all users. */
  private versions = 0;

  async addUser(user: UserRecord): Promise<boolean> {
    if (this.users.has(user.id)) return false;
    this.put(user);
    return true;
  }

  async getUser(id: UserId): Promise<UserRecord | undefined> {
    return this.users.get(id);
  }

  async getSession(id: SessionId): Promise<SessionRecord | undefined> {
    return this.sessions.get(id);
  }

  async enqueue(req: EnqueueRequest): Promise<EnqueueResult> {
    return this.enqueueNow(req);
  }

  /** Here a batch is one step (as one Redis script is): no other call runs between its parts. */
  async enqueueMany(
    requests: readonly EnqueueRequest[],
    buckets: readonly string[],
    perBucket: number,
  ): Promise<EnqueueManyResult> {
    const results = requests.map((req) => this.enqueueNow(req));
    return { results, heads: this.peekNow(buckets, perBucket) };
  }

  private enqueueNow(req: EnqueueRequest): EnqueueResult {
    const user = this.users.get(req.userId);
    if (!user) return { ok: false, reason: "no_user" };
    if (!req.from.includes(user.state)) return { ok: false, reason: "state", user };
    const browserKey = `${req.space}:${user.browserId}`;
    const holder = this.waitingBrowsers.get(browserKey);
    if (holder !== undefined && holder !== user.id) {
      return { ok: false, reason: "browser_waiting", user };
    }
    this.seq += 1;
    const avoid = (user.avoid ?? []).filter((a) => a.until === null || a.until > req.since);
    const topics = req.topics ?? [];
    const blocked = req.blocked ?? [];
    const search: Writable<Search> = {};
    if (topics.length > 0) search.topics = topics;
    if (req.onlyMine) search.onlyMine = true;
    if (avoid.length > 0) search.avoid = avoid;
    if (req.tier) search.tier = req.tier;
    if (blocked.length > 0) search.blocked = blocked;
    const entry: QueueEntry = freezeEntry({
      userId: user.id,
      browserId: user.browserId,
      ...(user.person !== undefined ? { person: user.person } : {}),
      space: req.space,
      ...(req.intent ? { intent: req.intent } : {}),
      since: req.since,
      seq: this.seq,
      ...search,
    });
    const next: UserRecord = {
      id: user.id,
      ...identity(user),
      state: "WAITING",
      space: req.space,
      ...(req.intent ? { intent: req.intent } : {}),
      ...search,
      entry,
    };
    // A re-enqueue (if `from` allows WAITING) replaces the old search in every bucket.
    this.unqueue(user);
    for (const name of new Set(req.buckets)) this.bucket(name).push(entry);
    this.bucketsOfUser.set(user.id, [...new Set(req.buckets)]);
    this.waitingBrowsers.set(browserKey, user.id);
    return { ok: true, user: this.put(next), entry };
  }

  async openSearch(userId: UserId, seq: number, bucket: string): Promise<UserRecord | undefined> {
    const user = this.users.get(userId);
    const old = user?.entry;
    if (!user || user.state !== "WAITING" || !old || old.seq !== seq || old.open) return undefined;
    const names = this.bucketsOfUser.get(userId) ?? [];
    if (names.includes(bucket)) return undefined;
    const entry = freezeEntry({ ...old, open: true });
    for (const name of names) this.buckets.get(name)?.replace(entry);
    this.bucket(bucket).push(entry);
    this.bucketsOfUser.set(userId, [...names, bucket]);
    return this.put({ ...user, entry });
  }

  async leaveQueue(userId: UserId, seq?: number): Promise<UserRecord | undefined> {
    const user = this.users.get(userId);
    if (!user || user.state !== "WAITING") return undefined;
    if (seq !== undefined && user.entry?.seq !== seq) return undefined;
    this.unqueue(user);
    return this.put(idleRecord(user));
  }

  async peek(buckets: readonly string[], perBucket: number): Promise<QueueEntry[][]> {
    return this.peekNow(buckets, perBucket);
  }

  private peekNow(buckets: readonly string[], perBucket: number): QueueEntry[][] {
    return buckets.map((name) => {
      return this.buckets.get(name)?.first(perBucket) ?? [];
    });
  }

  /** One step, as `enqueueMany`. */
  async createSessions(commits: readonly SessionCommit[]): Promise<CreateSessionResult[]> {
    return commits.map((c) => this.createSessionNow(c.session, c.a, c.b));
  }

  async createSession(
    session: SessionRecord,
    a: QueueEntry,
    b: QueueEntry,
  ): Promise<CreateSessionResult> {
    return this.createSessionNow(session, a, b);
  }

  private createSessionNow(
    session: SessionRecord,
    a: QueueEntry,
    b: QueueEntry,
  ): CreateSessionResult {
    const stale = [a, b]
      .filter((e) => {
        const u = this.users.get(e.userId);
        return !u || u.state !== "WAITING" || u.entry?.seq !== e.seq;
      })
      .map((e) => e.userId);
    if (stale.length > 0 || a.userId === b.userId || this.sessions.has(session.id)) {
      return { ok: false, stale };
    }
    const matched = (entry: QueueEntry, partner: QueueEntry): UserRecord => {
      const user = this.users.get(entry.userId) as UserRecord;
      const partnerNode = this.users.get(partner.userId)?.node;
      this.unqueue(user);
      const shared = sharedTopics(entry, partner);
      const next: UserRecord = {
        id: user.id,
        ...identity(user),
        state: "MATCHED",
        space: session.space,
        ...(user.intent ? { intent: user.intent } : {}),
        ...searchOf(user),
        ...(shared.length > 0 ? { sharedTopics: shared } : {}),
        sessionId: session.id,
        partnerId: partner.userId,
        ...(partnerNode !== undefined ? { partnerNode } : {}),
        ...(partner.intent ? { partnerIntent: partner.intent } : {}),
        enterBy: session.enterBy,
      };
      return this.put(next);
    };
    const users = [matched(a, b), matched(b, a)] as const;
    // A new session starts with nobody in the room and nobody having asked for media, whatever
    // the record passed says (the rare copy without `media` only when one was passed).
    let fresh = session;
    if (fresh.media !== undefined) {
      const { media: _dropped, ...rest } = fresh;
      fresh = rest;
    }
    this.sessions.set(session.id, freezeSession(fresh, { status: "PENDING", entered: [] }));
    return { ok: true, users };
  }

  async enterSession(
    sessionId: SessionId,
    userId: UserId,
    at: number,
    earlier?: UserId,
  ): Promise<EnterResult> {
    const session = this.sessions.get(sessionId);
    const user = this.users.get(userId);
    if (!session || !user || !session.participants.includes(userId)) return { ok: false };
    if (user.sessionId !== sessionId || (user.state !== "MATCHED" && user.state !== "ACTIVE")) {
      return { ok: false };
    }
    const [first, second] = session.participants;
    const partnerId = first === userId ? second : first;
    // Activate only with both participants still attached: a partner that departed a moment ago
    // is never brought back (its session is about to close with `disconnected`). Index access,
    // not filter/every: see the note on frozen arrays above frozenCopy.
    const partner = this.users.get(partnerId);
    const bothHere =
      partner?.sessionId === sessionId &&
      (partner.state === "MATCHED" || partner.state === "ACTIVE");
    // The partner's own enter, kept by the engine until now: first in the list, as it came first.
    const partnerEarlier =
      earlier === partnerId && bothHere && !session.entered.includes(partnerId);
    if (!partnerEarlier && session.entered.includes(userId)) {
      return { ok: true, session, activated: false, already: true, users: [user] };
    }
    const before = partnerEarlier ? [...session.entered, partnerId] : session.entered;
    const entered = before.includes(userId) ? before : [...before, userId];
    if (entered.length < 2 || !bothHere) {
      const next = freezeSession(session, { entered });
      this.sessions.set(sessionId, next);
      return { ok: true, session: next, activated: false, already: false, users: [user] };
    }
    const next = freezeSession(session, { entered, status: "ACTIVE", activeAt: at });
    this.sessions.set(sessionId, next);
    const users = [
      this.put(this.users.get(first) as UserRecord, { state: "ACTIVE" }),
      this.put(this.users.get(second) as UserRecord, { state: "ACTIVE" }),
    ];
    return { ok: true, session: next, activated: true, already: false, users };
  }

  async requestMedia(sessionId: SessionId, userId: UserId): Promise<MediaResult> {
    const session = this.sessions.get(sessionId);
    const user = this.users.get(userId);
    if (!session || !user || !session.participants.includes(userId)) return { ok: false };
    if (user.sessionId !== sessionId || (user.state !== "MATCHED" && user.state !== "ACTIVE")) {
      return { ok: false };
    }
    const asked = session.media ?? [];
    if (asked.includes(userId)) return { ok: true, session, ready: false, already: true };
    const media = [...asked, userId];
    const next = freezeSession(session, { media });
    this.sessions.set(sessionId, next);
    // Ready only with both still attached, as in enterSession: a partner that departed a moment
    // ago gets no media setup (its session is about to close with `disconnected`).
    const [first, second] = session.participants;
    const partner = this.users.get(first === userId ? second : first);
    const bothHere =
      partner?.sessionId === sessionId &&
      (partner.state === "MATCHED" || partner.state === "ACTIVE");
    return { ok: true, session: next, ready: media.length === 2 && bothHere, already: false };
  }

  async closeSession(
    sessionId: SessionId,
    reason: CloseReason,
    by: UserId | null,
    options: CloseOptions = {},
  ): Promise<CloseResult> {
    const session = this.sessions.get(sessionId);
    if (!session || (options.ifStatus !== undefined && session.status !== options.ifStatus)) {
      const caller = by === null ? undefined : this.users.get(by);
      return caller ? { closed: false, caller } : { closed: false };
    }
    this.sessions.delete(sessionId);
    const ended: UserRecord[] = [];
    for (let i = 0; i < 2; i++) {
      const id = session.participants[i] as UserId;
      const u = this.users.get(id);
      if (!u || u.sessionId !== sessionId || (u.state !== "MATCHED" && u.state !== "ACTIVE")) {
        continue;
      }
      const partner = sessionPersons(session)[session.participants[0] === id ? 1 : 0];
      const added: Avoid[] = [];
      if (options.blockEachOther) added.push({ person: partner, until: null });
      else if (options.cooldownUntil !== undefined) {
        added.push({ person: partner, until: options.cooldownUntil });
      }
      const avoid = [...(u.avoid ?? []), ...added];
      const next: UserRecord = {
        id: u.id,
        ...identity(u),
        state: "ENDED",
        space: session.space,
        ...(u.intent ? { intent: u.intent } : {}),
        ...searchOf(u),
        ...(avoid.length > 0 ? { avoid } : {}),
        sessionId,
        ended: { sessionId, reason, by },
      };
      ended.push(this.put(next));
    }
    return { closed: true, session: { ...session, status: "CLOSED" }, ended };
  }

  async returnHome(userId: UserId): Promise<UserRecord | undefined> {
    const user = this.users.get(userId);
    if (!user || user.state !== "ENDED") return undefined;
    return this.put(idleRecord(user));
  }

  async removeUser(userId: UserId): Promise<UserRecord | undefined> {
    const user = this.users.get(userId);
    if (!user) return undefined;
    this.unqueue(user);
    this.users.delete(userId);
    return user;
  }

  async census(): Promise<Record<string, SpaceCensus>> {
    const out: Record<string, SpaceCensus> = {};
    for (const u of this.users.values()) {
      if (u.state === "IDLE" || !u.space) continue;
      const c = out[u.space] ?? { waiting: 0, matched: 0, active: 0, ended: 0 };
      out[u.space] = c;
      if (u.state === "WAITING") {
        c.waiting++;
        if (u.intent) {
          c.waitingByIntent ??= {};
          c.waitingByIntent[u.intent] = (c.waitingByIntent[u.intent] ?? 0) + 1;
        }
      } else if (u.state === "MATCHED") c.matched++;
      else if (u.state === "ACTIVE") c.active++;
      else c.ended++;
    }
    return out;
  }

  /** Test and health aid (not part of Store): every record, as plain arrays. */
  inspect(): {
    users: UserRecord[];
    sessions: SessionRecord[];
    queued: QueueEntry[];
  } {
    const queued: QueueEntry[] = [];
    for (const bucket of this.buckets.values()) for (const e of bucket.values()) queued.push(e);
    return { users: [...this.users.values()], sessions: [...this.sessions.values()], queued };
  }

  // ---- internals -----------------------------------------------------------------------------

  /**
   * Stores a new version of a user record: a fresh, frozen object whose `version` is higher than
   * any before it (state views carry it, so a view computed before a later change is never shown
   * after it). Callers' objects are never kept or changed.
   */
  private put(next: UserRecord, changes?: Partial<UserRecord>): UserRecord {
    // One counter for the whole store: a record created again under an id that was removed
    // (never done by the gateway, but cheap to make harmless) still outranks the old one.
    this.versions += 1;
    const stored = freezeUser(next, changes, this.versions);
    this.users.set(next.id, stored);
    return stored;
  }

  private readonly bucketsOfUser = new Map<UserId, string[]>();

  private bucket(name: string): Fifo<QueueEntry> {
    let b = this.buckets.get(name);
    if (!b) {
      b = new Fifo();
      this.buckets.set(name, b);
    }
    return b;
  }

  /** Removes a user's queue entry and browser claim, if any. */
  private unqueue(user: UserRecord): void {
    for (const name of this.bucketsOfUser.get(user.id) ?? []) {
      const bucket = this.buckets.get(name);
      bucket?.delete(user.id);
      if (bucket && bucket.size === 0) this.buckets.delete(name);
    }
    this.bucketsOfUser.delete(user.id);
    if (user.entry) {
      const key = `${user.entry.space}:${user.browserId}`;
      if (this.waitingBrowsers.get(key) === user.id) this.waitingBrowsers.delete(key);
    }
  }
}

/**
 * Who a record is, kept through every state, besides its id: callers write `{ id, ...identity(u) }`
 * (a literal that starts with a spread is slow to extend: see freezeUser).
 */
function identity(u: UserRecord): Pick<UserRecord, "browserId" | "person" | "node"> {
  return {
    browserId: u.browserId,
    ...(u.person !== undefined ? { person: u.person } : {}),
    ...(u.node !== undefined ? { node: u.node } : {}),
  };
}

/** The search fields of a user record (and of a queue entry). */
type Search = Pick<UserRecord, "topics" | "onlyMine" | "avoid" | "tier" | "blocked">;

/** What a search carries forward (for a re-queue) through MATCHED, ACTIVE and ENDED. */
function searchOf(u: UserRecord): Search {
  // Built by assignment, not conditional spreads (see the note on spreads above freezeUser).
  const out: Writable<Search> = {};
  if (u.topics) out.topics = u.topics;
  if (u.onlyMine) out.onlyMine = true;
  if (u.avoid && u.avoid.length > 0) out.avoid = u.avoid;
  if (u.tier) out.tier = u.tier;
  if (u.blocked) out.blocked = u.blocked;
  return out;
}

/** IDLE keeps only what outlives a search: identity and cooldowns still in force. */
function idleRecord(user: UserRecord): UserRecord {
  return {
    id: user.id,
    ...identity(user),
    state: "IDLE",
    ...(user.avoid && user.avoid.length > 0 ? { avoid: user.avoid } : {}),
  };
}

/*
 * Frozen arrays are slow to iterate on Node 20 (V8 11.3): `filter`, `some`, `every` and `for…of`
 * over a frozen array take 4–15 times as long as over a plain one (they leave the fast path;
 * `includes`, `indexOf` and index access do not). Records keep their frozen arrays, which is what
 * makes them safe to hand out, so hot paths over them (a session's two participants) use index
 * access; elsewhere the arrays are short and rarely walked.
 */
const frozenCopy = <T>(xs: readonly T[] | undefined): readonly T[] | undefined =>
  xs === undefined ? undefined : frozen(xs);

/**
 * `xs` itself when it is frozen already (it can never change, so every record may share it: most
 * are the previous version's, carried into the next), else a frozen copy. Copying them all again
 * on every new version was a share of freezeUser's and freezeSession's time in the churn profile.
 */
function frozen<T>(xs: readonly T[]): readonly T[] {
  return Object.isFrozen(xs) ? xs : Object.freeze([...xs]);
}

/*
 * The copies below are made with Object.assign, never `{ ...record, field }`: on the Node 20
 * this project runs (V8 11.3), an object literal that starts with a spread and then adds a
 * property the source lacks costs about 1 µs (its clone's map is not reused, so every added
 * property makes a new one), twenty times an Object.assign copy. The store makes several such
 * copies per event, so this was the engine's largest cost in the churn benchmark.
 * For the same reason records elsewhere start with a plain property (`{ id, ...identity(u) }`).
 */

/**
 * A frozen copy of a user record with `changes` and `version` applied; its arrays are frozen
 * copies too (its entry is frozen when created: see freezeEntry).
 */
function freezeUser(
  u: UserRecord,
  changes: Partial<UserRecord> | undefined,
  version: number,
): UserRecord {
  const out: Writable<UserRecord> = changes ? Object.assign({}, u, changes) : Object.assign({}, u);
  // Set after the copy, not passed as a fourth source: no extra object per record, and every copy
  // but a record's first already has the property (no new shape).
  out.version = version;
  // Each of these replaces a property the copy already has: no new shape.
  if (out.topics) out.topics = frozenCopy(out.topics);
  if (out.sharedTopics) out.sharedTopics = frozenCopy(out.sharedTopics);
  if (out.avoid) out.avoid = frozenCopy(out.avoid);
  if (out.blocked) out.blocked = frozenCopy(out.blocked);
  return Object.freeze(out);
}

function freezeEntry(e: QueueEntry): QueueEntry {
  const out: Writable<QueueEntry> = Object.assign({}, e);
  if (out.topics) out.topics = frozenCopy(out.topics);
  if (out.avoid) out.avoid = frozenCopy(out.avoid);
  if (out.blocked) out.blocked = frozenCopy(out.blocked);
  return Object.freeze(out);
}

/** A frozen copy of a session record with `changes` applied. */
function freezeSession(s: SessionRecord, changes?: Partial<SessionRecord>): SessionRecord {
  const out: Writable<SessionRecord> = Object.assign({}, s, changes);
  out.participants = frozen(out.participants) as readonly [string, string];
  out.browsers = frozen(out.browsers) as readonly [string, string];
  out.entered = frozen(out.entered);
  if (out.media) out.media = frozen(out.media);
  if (out.persons) out.persons = frozen(out.persons) as readonly [string, string];
  return Object.freeze(out);
}
