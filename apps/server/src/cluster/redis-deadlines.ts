/**
 * The DeadlineQueue over Redis (cluster mode): deadlines outlive the node that set them, and any
 * live node fires an overdue one.
 *
 * Keys (prefix P): P.."dl" a sorted set, deadline id → time; P.."dl:items" a hash, id → the
 * deadline, its id and a token naming this scheduling of it; P.."dl:inflight" a sorted set, id → the end
 * of the lease of the node firing it.
 *
 * The node that schedules a deadline also sets a timer of its own for it, and at that time claims
 * exactly that deadline (CLAIM_ONE): the usual path, on time to the millisecond. Every node also
 * polls (every `pollMs`) for deadlines overdue by more than `graceMs` (CLAIM_DUE): those whose
 * node died or detached. A claim moves a deadline to "in flight" with a lease; when its firing has
 * finished the firing node acknowledges it (ACK), and a lease that runs out (the firing node died
 * mid-fire) puts it back, to be claimed again. So a deadline fires once, or — only after a node
 * died while firing it — again elsewhere; the engine's handlers are idempotent, so twice is safe.
 *
 * Each operation is one script. Times are the nodes' clocks (run NTP): a node whose clock runs
 * ahead claims others' deadlines early, by as much as it runs ahead.
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { DeadlineQueue, Timed } from "../gateway/deadlines";
import type { Scheduler } from "../scheduler";
import { evalScript } from "./eval-script";

/** KEYS: dl, items, inflight. ARGV: id, at, payload (JSON with token). */
const SCHEDULE = `
redis.call("HSET", KEYS[2], ARGV[1], ARGV[3])
redis.call("ZADD", KEYS[1], ARGV[2], ARGV[1])
redis.call("ZREM", KEYS[3], ARGV[1])
return 1`;

/** KEYS: dl, items, inflight. ARGV: id. */
const CANCEL = `
redis.call("ZREM", KEYS[1], ARGV[1])
redis.call("ZREM", KEYS[3], ARGV[1])
return redis.call("HDEL", KEYS[2], ARGV[1])`;

/**
 * Claims one deadline if it is still this scheduling of it (token) and due.
 * KEYS: dl, items, inflight. ARGV: id, token, now, lease end. Returns the payload or nil.
 */
const CLAIM_ONE = `
local raw = redis.call("HGET", KEYS[2], ARGV[1])
if not raw or cjson.decode(raw).token ~= ARGV[2] then return nil end
local at = redis.call("ZSCORE", KEYS[1], ARGV[1])
if not at or tonumber(at) > tonumber(ARGV[3]) then return nil end
redis.call("ZREM", KEYS[1], ARGV[1])
redis.call("ZADD", KEYS[3], ARGV[4], ARGV[1])
return raw`;

/**
 * Puts back deadlines whose firing node's lease ran out, then claims up to `limit` deadlines due
 * before `before`. KEYS: dl, items, inflight. ARGV: now, before, lease end, limit.
 * Returns the claimed payloads.
 */
const CLAIM_DUE = `
local lost = redis.call("ZRANGEBYSCORE", KEYS[3], "-inf", ARGV[1], "LIMIT", 0, ARGV[4])
for i = 1, #lost do
  redis.call("ZREM", KEYS[3], lost[i])
  if redis.call("HEXISTS", KEYS[2], lost[i]) == 1 then
    redis.call("ZADD", KEYS[1], ARGV[1], lost[i])
  end
end
local due = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[2], "LIMIT", 0, ARGV[4])
local out = {}
for i = 1, #due do
  local raw = redis.call("HGET", KEYS[2], due[i])
  redis.call("ZREM", KEYS[1], due[i])
  if raw then
    redis.call("ZADD", KEYS[3], ARGV[3], due[i])
    out[#out + 1] = raw
  end
end
return out`;

/** Done firing: forgets the deadline if it is still that scheduling. KEYS: items, inflight. */
const ACK = `
local raw = redis.call("HGET", KEYS[1], ARGV[1])
if raw and cjson.decode(raw).token == ARGV[2] then
  redis.call("HDEL", KEYS[1], ARGV[1])
  redis.call("ZREM", KEYS[2], ARGV[1])
end
return 1`;

interface Stored<T> {
  readonly id: string;
  readonly token: string;
  readonly item: T;
}

export interface RedisDeadlineOptions {
  /** How often a node looks for deadlines no node fired (ms). Default 1000. */
  readonly pollMs?: number;
  /** How overdue a deadline must be before a poll takes it from its own node's timer. Default 1000. */
  readonly graceMs?: number;
  /** How long a node may take to fire one before another takes it over. Default 30 s. */
  readonly leaseMs?: number;
  /** Most deadlines one poll claims. Default 500. */
  readonly batch?: number;
}

export class RedisDeadlineQueue<T extends Timed> implements DeadlineQueue<T> {
  private readonly keys: [string, string, string];
  private readonly timers = new Map<string, () => void>();
  private fire: ((item: T) => void | Promise<void>) | undefined;
  private poller: NodeJS.Timeout | undefined;
  private readonly pollMs: number;
  private readonly graceMs: number;
  private readonly leaseMs: number;
  private readonly batch: number;
  /** Deadlines this node fired that another node had set (or whose timer was lost). */
  adopted = 0;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    /** Timers and the clock of this node (scheduler.ts). */
    private readonly scheduler: Scheduler,
    private readonly now: () => number,
    private readonly onError: (err: unknown) => void = () => {},
    options: RedisDeadlineOptions = {},
  ) {
    this.keys = [`${prefix}dl`, `${prefix}dl:items`, `${prefix}dl:inflight`];
    this.pollMs = options.pollMs ?? 1_000;
    this.graceMs = options.graceMs ?? 1_000;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.batch = options.batch ?? 500;
  }

  schedule(item: T, key?: string): void {
    const id = key ?? `~${randomBytes(12).toString("base64url")}`;
    const token = randomBytes(9).toString("base64url");
    const stored: Stored<T> = { id, token, item };
    evalScript(this.redis, SCHEDULE, 3, ...this.keys, id, item.at, JSON.stringify(stored)).catch(
      this.onError,
    );
    this.timers.get(id)?.();
    const cancel = this.scheduler.schedule(item.at, () => {
      if (this.timers.get(id) === cancel) this.timers.delete(id);
      void this.claimOne(stored);
    });
    this.timers.set(id, cancel);
  }

  cancel(key: string): void {
    const timer = this.timers.get(key);
    if (timer) {
      this.timers.delete(key);
      timer();
    }
    evalScript(this.redis, CANCEL, 3, ...this.keys, key).catch(this.onError);
  }

  attach(fire: (item: T) => void | Promise<void>): () => void {
    this.fire = fire;
    this.poller ??= setInterval(() => void this.poll(), this.pollMs);
    this.poller.unref?.();
    return () => {
      if (this.fire !== fire) return;
      this.fire = undefined;
      if (this.poller) clearInterval(this.poller);
      this.poller = undefined;
      // This node's timers go; its deadlines stay in Redis for the other nodes' polls.
      for (const cancel of this.timers.values()) cancel();
      this.timers.clear();
    };
  }

  async size(): Promise<number> {
    const [due, inflight] = await Promise.all([
      this.redis.zcard(this.keys[0]),
      this.redis.zcard(this.keys[2]),
    ]);
    return due + inflight;
  }

  /** One poll for deadlines no node fired on time (also called by tests). */
  async poll(): Promise<void> {
    if (!this.fire) return;
    const now = this.now();
    let claimed: string[];
    try {
      claimed = (await evalScript(
        this.redis,
        CLAIM_DUE,
        3,
        ...this.keys,
        now,
        now - this.graceMs,
        now + this.leaseMs,
        this.batch,
      )) as string[];
    } catch (err) {
      this.onError(err);
      return;
    }
    await Promise.all(
      claimed.map((raw) => {
        this.adopted += 1;
        return this.run(JSON.parse(raw) as Stored<T>);
      }),
    );
  }

  private async claimOne(stored: Stored<T>): Promise<void> {
    if (!this.fire) return;
    // This node's timer says it is due; a timer may fire a millisecond before the clock reads
    // its time, and a claim refused for that would wait for a poll (seconds).
    const now = Math.max(this.now(), stored.item.at);
    let raw: string | null;
    try {
      raw = (await evalScript(
        this.redis,
        CLAIM_ONE,
        3,
        ...this.keys,
        stored.id,
        stored.token,
        now,
        now + this.leaseMs,
      )) as string | null;
    } catch (err) {
      this.onError(err);
      return;
    }
    if (raw !== null) await this.run(stored);
  }

  private async run(stored: Stored<T>): Promise<void> {
    try {
      await this.fire?.(stored.item);
    } catch (err) {
      this.onError(err);
    }
    await evalScript(this.redis, ACK, 2, this.keys[1], this.keys[2], stored.id, stored.token).catch(
      this.onError,
    );
  }
}
