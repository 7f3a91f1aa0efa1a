/**
 * RedisStore: the engine's Store (packages/engine/src/store.ts) in Redis, for several Duet
 * processes sharing one set of queues and sessions. Every operation that reads and writes is one
 * Lua script (lua/*.lua), so it is atomic and never seen half-done, as the contract asks; plain
 * reads are single commands. The records are the same JSON shapes MemoryStore keeps, built by the
 * scripts field by field as MemoryStore builds them (the differential test holds them together).
 *
 * All keys of one deployment share the hash tag in `prefix` ("{duet}:" by default), so they live
 * in one slot: one Redis primary (with replicas or Sentinel for failover) holds them all. Redis
 * Cluster sharding would not spread them: matching reads buckets and writes two users and a
 * session in one step, which needs them in one slot. Sharding would take a split by space
 * (each space's buckets, users and sessions under its own tag) and a user that moves between
 * spaces handed over between slots — see docs/operations.md, "Cluster mode".
 *
 * Limits: a record is JSON with numbers kept to 14 significant digits (cjson); clock
 * milliseconds, sequence numbers and versions are integers far below that.
 */
import type {
  CloseOptions,
  CloseResult,
  CreateSessionResult,
  EnqueueManyResult,
  EnqueueRequest,
  EnqueueResult,
  EnterResult,
  MediaResult,
  QueueEntry,
  SessionCommit,
  SessionId,
  SessionRecord,
  SpaceCensus,
  Store,
  UserId,
  UserRecord,
} from "@duet/engine";
import type { CloseReason, Intent } from "@duet/protocol";
import type { Redis } from "ioredis";
import { type LoadedScript, runScript, type ScriptName, storeScripts } from "./scripts";

export interface RedisStoreOptions {
  /**
   * Names this deployment's keys; becomes the hash tag `{prefix}:`. Two deployments (or two test
   * runs) on one Redis with different prefixes never see each other's records.
   */
  readonly prefix?: string;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The most operations one batch script call carries (enqueueMany, createSessions). A script holds
 * Redis for its whole run (~60–130 µs per operation here): a burst's round of thousands is sent
 * as several calls, so no single one keeps every other node waiting for long.
 */
const BATCH_MAX = 64;

/** The key prefix for a deployment name: one hash tag for every key. */
export function keyPrefix(name = "duet"): string {
  return `{${name}}:`;
}

export class RedisStore implements Store {
  readonly prefix: string;
  private readonly scripts: ReadonlyMap<ScriptName, LoadedScript>;
  private readonly censusKey: string;

  constructor(
    private readonly redis: Redis,
    options: RedisStoreOptions = {},
  ) {
    this.prefix = keyPrefix(options.prefix);
    this.censusKey = `${this.prefix}census`;
    this.scripts = storeScripts();
  }

  /**
   * Loads every script into Redis (SCRIPT LOAD), so that the first calls need no second trip.
   * Optional: a script Redis does not know is sent whole on first use (scripts.ts); but such a call
   * goes out again after the calls sent behind it, so commands started together may then run out
   * of their call order. Call it at start-up (and the tests do, which compare orders).
   */
  async loadScripts(): Promise<void> {
    await Promise.all([...this.scripts.values()].map((s) => this.redis.script("LOAD", s.lua)));
  }

  async addUser(user: UserRecord): Promise<boolean> {
    return (await this.run("add_user", JSON.stringify(user))) === 1;
  }

  async getUser(id: UserId): Promise<UserRecord | undefined> {
    return parseUser(await this.redis.get(`${this.prefix}u:${id}`));
  }

  async getSession(id: SessionId): Promise<SessionRecord | undefined> {
    const raw = await this.redis.get(`${this.prefix}s:${id}`);
    return raw === null ? undefined : session(JSON.parse(raw));
  }

  async enqueue(req: EnqueueRequest): Promise<EnqueueResult> {
    return enqueueResult(await this.text("enqueue", JSON.stringify(req)));
  }

  async enqueueMany(
    requests: readonly EnqueueRequest[],
    buckets: readonly string[],
    perBucket: number,
  ): Promise<EnqueueManyResult> {
    // Parts of at most BATCH_MAX requests, sent together (one connection keeps their order); the
    // read travels with the last part, so it comes after every enqueue.
    const parts: Promise<unknown>[] = [];
    let i = 0;
    do {
      const part = requests.slice(i, i + BATCH_MAX);
      i += BATCH_MAX;
      const last = i >= requests.length;
      const read = last ? [Math.max(0, Math.floor(perBucket)), ...buckets] : [0];
      parts.push(
        this.run("enqueue_many", part.length, ...part.map((r) => JSON.stringify(r)), ...read),
      );
    } while (i < requests.length);
    const replies = await Promise.all(parts);
    const results: EnqueueResult[] = [];
    let heads: QueueEntry[][] = [];
    for (const reply of replies) {
      if (!Array.isArray(reply) || !Array.isArray(reply[0]) || !Array.isArray(reply[1])) {
        throw new Error("enqueue_many: unexpected reply");
      }
      for (const raw of reply[0] as unknown[]) results.push(enqueueResult(String(raw)));
      heads = entryLists(reply[1] as unknown[]);
    }
    return { results, heads };
  }

  async openSearch(userId: UserId, seq: number, bucket: string): Promise<UserRecord | undefined> {
    return parseUser(await this.nullable("open_search", userId, seq, bucket));
  }

  async leaveQueue(userId: UserId, seq?: number): Promise<UserRecord | undefined> {
    return parseUser(await this.nullable("leave_queue", userId, seq ?? ""));
  }

  async peek(buckets: readonly string[], perBucket: number): Promise<QueueEntry[][]> {
    if (buckets.length === 0) return [];
    const reply = await this.run("peek", Math.max(0, Math.floor(perBucket)), ...buckets);
    if (!Array.isArray(reply)) throw new Error("peek: unexpected reply");
    return entryLists(reply);
  }

  async createSession(
    s: SessionRecord,
    a: QueueEntry,
    b: QueueEntry,
  ): Promise<CreateSessionResult> {
    const raw = await this.text(
      "create_session",
      JSON.stringify(s),
      JSON.stringify(a),
      JSON.stringify(b),
    );
    return createResult(raw);
  }

  async createSessions(commits: readonly SessionCommit[]): Promise<CreateSessionResult[]> {
    if (commits.length === 0) return [];
    const parts: Promise<unknown>[] = [];
    for (let i = 0; i < commits.length; i += BATCH_MAX) {
      const args = commits
        .slice(i, i + BATCH_MAX)
        .flatMap((c) => [JSON.stringify(c.session), JSON.stringify(c.a), JSON.stringify(c.b)]);
      parts.push(this.run("create_sessions", ...args));
    }
    const results: CreateSessionResult[] = [];
    for (const reply of await Promise.all(parts)) {
      if (!Array.isArray(reply)) throw new Error("create_sessions: unexpected reply");
      for (const raw of reply) results.push(createResult(String(raw)));
    }
    return results;
  }

  async enterSession(
    sessionId: SessionId,
    userId: UserId,
    at: number,
    earlier?: UserId,
  ): Promise<EnterResult> {
    const raw = await this.text("enter_session", sessionId, userId, at, earlier ?? "");
    const res = JSON.parse(raw) as Writable<
      EnterResult & { session?: SessionRecord; users?: UserRecord[] }
    >;
    if (!res.ok) return { ok: false };
    return { ...res, session: session(res.session), users: res.users.map(user) };
  }

  async requestMedia(sessionId: SessionId, userId: UserId): Promise<MediaResult> {
    const res = JSON.parse(await this.text("request_media", sessionId, userId)) as MediaResult;
    if (!res.ok) return { ok: false };
    return { ...res, session: session(res.session) };
  }

  async closeSession(
    sessionId: SessionId,
    reason: CloseReason,
    by: UserId | null,
    options: CloseOptions = {},
  ): Promise<CloseResult> {
    const raw = await this.text(
      "close_session",
      sessionId,
      reason,
      by ?? "",
      JSON.stringify(options),
    );
    const res = JSON.parse(raw) as CloseResult;
    if (!res.closed) return res.caller ? { closed: false, caller: user(res.caller) } : res;
    return { closed: true, session: session(res.session), ended: res.ended.map(user) };
  }

  async returnHome(userId: UserId): Promise<UserRecord | undefined> {
    return parseUser(await this.nullable("return_home", userId));
  }

  async removeUser(userId: UserId): Promise<UserRecord | undefined> {
    return parseUser(await this.nullable("remove_user", userId));
  }

  async census(): Promise<Record<string, SpaceCensus>> {
    return censusFromHash(await this.redis.hgetall(this.censusKey));
  }

  /** The ids of the users whose socket is on `node` (for reaping a node that died). */
  async usersOnNode(node: string): Promise<UserId[]> {
    return this.redis.smembers(`${this.prefix}n:${node}`);
  }

  // ---- internals -----------------------------------------------------------------------------

  private run(name: ScriptName, ...args: (string | number)[]): Promise<unknown> {
    const script = this.scripts.get(name);
    if (!script) throw new Error(`no store script ${name}`);
    return runScript(this.redis, script, [this.censusKey], [this.prefix, ...args]);
  }

  private async text(name: ScriptName, ...args: (string | number)[]): Promise<string> {
    const reply = await this.run(name, ...args);
    if (typeof reply !== "string") throw new Error(`${name}: unexpected reply`);
    return reply;
  }

  private async nullable(name: ScriptName, ...args: (string | number)[]): Promise<string | null> {
    const reply = await this.run(name, ...args);
    if (reply === null || typeof reply === "string") return reply;
    throw new Error(`${name}: unexpected reply`);
  }
}

// ---- decoding --------------------------------------------------------------------------------

function enqueueResult(raw: string): EnqueueResult {
  const res = JSON.parse(raw) as Writable<
    EnqueueResult & { user?: UserRecord; entry?: QueueEntry }
  >;
  if (res.user) res.user = user(res.user);
  if (res.ok) res.entry = entry(res.entry);
  return res as EnqueueResult;
}

function createResult(raw: string): CreateSessionResult {
  const res = JSON.parse(raw) as CreateSessionResult;
  if (!res.ok) return res;
  return { ok: true, users: [user(res.users[0]), user(res.users[1])] };
}

/** peek's reply: one list of entry JSON strings per bucket. */
function entryLists(reply: readonly unknown[]): QueueEntry[][] {
  return reply.map((list) =>
    Array.isArray(list) ? list.map((raw) => entry(JSON.parse(String(raw)))) : [],
  );
}
// cjson writes an empty Lua table as {}: the lists that can be empty come back as arrays here.

const isEmptyObject = (v: unknown): boolean =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;

function list<T>(v: readonly T[] | undefined): readonly T[] | undefined {
  return v !== undefined && isEmptyObject(v) ? [] : v;
}

function entry(e: QueueEntry): QueueEntry {
  const out = e as Writable<QueueEntry>;
  if (out.topics) out.topics = list(out.topics);
  if (out.avoid) out.avoid = list(out.avoid);
  if (out.blocked) out.blocked = list(out.blocked);
  return out;
}

function user(u: UserRecord): UserRecord {
  const out = u as Writable<UserRecord>;
  if (out.topics) out.topics = list(out.topics);
  if (out.sharedTopics) out.sharedTopics = list(out.sharedTopics);
  if (out.avoid) out.avoid = list(out.avoid);
  if (out.blocked) out.blocked = list(out.blocked);
  if (out.entry) out.entry = entry(out.entry);
  return out;
}

function parseUser(raw: string | null): UserRecord | undefined {
  return raw === null ? undefined : user(JSON.parse(raw));
}

function session(s: SessionRecord): SessionRecord {
  const out = s as Writable<SessionRecord>;
  out.entered = list(out.entered) ?? [];
  if (out.media) out.media = list(out.media);
  return out;
}

const STATE_OF_FIELD = { W: "waiting", M: "matched", A: "active", E: "ended" } as const;

/** The census hash ("space|W" → count, "space|W|intent" → count) as Store.census answers it. */
export function censusFromHash(hash: Record<string, string>): Record<string, SpaceCensus> {
  const out: Record<string, SpaceCensus> = {};
  for (const [field, value] of Object.entries(hash)) {
    const n = Number(value);
    if (!(n > 0)) continue;
    const [space, state, intent] = field.split("|");
    if (!space || !state) continue;
    const c = out[space] ?? { waiting: 0, matched: 0, active: 0, ended: 0 };
    out[space] = c;
    if (intent !== undefined) {
      c.waitingByIntent ??= {};
      c.waitingByIntent[intent as Intent] = n;
    } else {
      const name = STATE_OF_FIELD[state as keyof typeof STATE_OF_FIELD];
      if (name) c[name] = n;
    }
  }
  return out;
}
