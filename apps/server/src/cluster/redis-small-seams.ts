/**
 * The small shared stores of cluster mode, each the Redis side of a seam with a local twin:
 * spent proof-of-work challenges (identity/pow.ts), moderators' sessions (admin/sessions.ts) and
 * rate-limit counters (limits.ts). Each operation is one command or one script, so two nodes
 * acting at once never both win.
 *
 * Times: the callers pass their clock's `now`, and the stores decide expiry by it (as the local
 * twins do), so every node agrees as far as their clocks agree (run NTP). Each key also carries a
 * Redis expiry, so nothing outlives its use if no node ever asks again.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { RateLimiterRedis } from "rate-limiter-flexible";
import {
  type AdminSessionOptions,
  type AdminSessionStore,
  DEFAULT_ADMIN_SESSION_IDLE_MS,
  DEFAULT_ADMIN_SESSION_MAX_AGE_MS,
} from "../admin/sessions";
import type { SpentChallengeStore } from "../identity/pow";
import {
  type LimitCounterFactory,
  type LimitRule,
  memoryCounter,
  rateLimiterCounter,
} from "../limits";
import { evalScript } from "./eval-script";

/** Records a spent challenge until its expiry, unless a live record exists. */
const SPEND = `
local known = redis.call("GET", KEYS[1])
if known and tonumber(known) > tonumber(ARGV[2]) then return 0 end
redis.call("SET", KEYS[1], ARGV[1], "PX", math.max(1, tonumber(ARGV[1]) - tonumber(ARGV[2])))
return 1`;

export class RedisSpentChallenges implements SpentChallengeStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async add(key: string, expiresAt: number, now: number): Promise<boolean> {
    // The signature is already a hash of the challenge; hashed again to a fixed length.
    const k = `${this.prefix}pow:${createHash("sha256").update(key).digest("base64url")}`;
    return (await evalScript(this.redis, SPEND, 1, k, expiresAt, now)) === 1;
  }
}

/**
 * Restarts a live session's idle time; ends (deletes) an expired one. KEYS[1] the session hash
 * (createdAt, lastSeen); ARGV: now, maxAgeMs, idleMs.
 */
const TOUCH = `
local v = redis.call("HMGET", KEYS[1], "createdAt", "lastSeen")
if not v[1] then return 0 end
local now = tonumber(ARGV[1])
if now - tonumber(v[1]) >= tonumber(ARGV[2]) or now - tonumber(v[2]) >= tonumber(ARGV[3]) then
  redis.call("DEL", KEYS[1])
  return 0
end
redis.call("HSET", KEYS[1], "lastSeen", ARGV[1])
return 1`;

/**
 * Moderators' sessions in Redis: the id is only in the cookie; Redis holds its SHA-256, so a read
 * of Redis gives no usable session. No cap on how many (the local store keeps 100): each is a
 * small hash that expires by itself after maxAgeMs.
 */
export class RedisAdminSessions implements AdminSessionStore {
  readonly maxAgeMs: number;
  readonly idleMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    options: AdminSessionOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_ADMIN_SESSION_MAX_AGE_MS;
    this.idleMs = options.idleMs ?? DEFAULT_ADMIN_SESSION_IDLE_MS;
  }

  private key(id: string): string {
    return `${this.prefix}admin:${createHash("sha256").update(id, "utf8").digest("base64url")}`;
  }

  async create(now: number): Promise<string> {
    const id = randomBytes(32).toString("base64url");
    await this.redis
      .multi()
      .hset(this.key(id), "createdAt", now, "lastSeen", now)
      .pexpire(this.key(id), this.maxAgeMs)
      .exec();
    return id;
  }

  async touch(id: string | undefined, now: number): Promise<boolean> {
    if (id === undefined) return false;
    return (
      (await evalScript(this.redis, TOUCH, 1, this.key(id), now, this.maxAgeMs, this.idleMs)) === 1
    );
  }

  async end(id: string | undefined): Promise<void> {
    if (id !== undefined) await this.redis.del(this.key(id));
  }
}

/**
 * Limits whose per-person rules are counted by this process alone in cluster mode: the
 * in-conversation ones (message, typing, signal) and join. A person is one connection on one node
 * at a time (claims.ts: one connection per token; without a token, the connection is the person),
 * so a shared counter would count the same thing at the price of a Redis round trip per event —
 * on a relay's hot path, and on every join's. What is given up: a person whose connection moves
 * to another node (a reload that lands elsewhere, a node that stops) starts that node's window
 * afresh; moving takes a new connection, which the shared `connect` limit counts. Rules keyed by
 * address or global are always shared (an address's people are spread over the nodes), and so are
 * the limits not listed here (report's hour-long window must survive a move).
 */
export const LOCAL_LIMITS: ReadonlySet<string> = new Set(["message", "typing", "signal", "join"]);

/** Whether a limit's rule is counted in this process in cluster mode (LOCAL_LIMITS). */
export function countedLocally(id: string, rule: LimitRule): boolean {
  return rule.scope === "person" && LOCAL_LIMITS.has(id.split(":")[0] ?? "");
}

/**
 * Rate-limit counters shared by every node: rate-limiter-flexible's Redis limiter, one per rule,
 * its windows on Redis's clock. Durations are whole seconds there (rules' are rounded up). The
 * LOCAL_LIMITS stay in this process.
 */
export function redisLimitCounters(redis: Redis, prefix: string): LimitCounterFactory {
  return (id, rule) =>
    countedLocally(id, rule)
      ? memoryCounter(id, rule)
      : rateLimiterCounter(
          new RateLimiterRedis({
            storeClient: redis,
            keyPrefix: `${prefix}rl:${id}`,
            points: rule.points,
            duration: Math.max(1, Math.ceil(rule.durationMs / 1000)),
          }),
        );
}
