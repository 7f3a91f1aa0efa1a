/**
 * Rate limits (SPEC §6, issue 4) and the salted IP hash they key on.
 *
 * Each named limit is a list of rules; a rule counts one scope's key in a fixed window:
 * - `person`: the token id, or for identity-free connections (menti) the connection id;
 * - `ip`: the IP hash (IpHasher), shared by everyone behind one address;
 * - `global`: one counter for everybody.
 * `Limits.consume(name, keys)` admits an event only when every rule whose key it was given has a
 * point left, and only then spends one point of each; a refusal spends nothing, on any rule, and
 * says the longest wait among the refusing rules.
 *
 * Which key (issue 15): a campus or carrier NAT puts hundreds of real people behind one address,
 * so a rule keyed on the address is a rule one of them can use up for all the others. Per-address
 * rules exist only where the address is the right key: minting passes (and the challenges before
 * them), opening connections, and admin sign-in attempts. What people do once connected (join,
 * message, typing, report, signal) is limited per pass, or per connection where there is none.
 * And a refused attempt spends nothing: hammering a refused limit costs the hammerer its
 * connection (the gateway counts refusals toward the abuse disconnect) and nobody else anything.
 *
 * Counters live in this process by default (`WindowCounter`, synchronous). A shared store is one
 * factory away: pass `counter: (id, rule) => rateLimiterCounter(new RateLimiterRedis({...}))`
 * (rate-limiter-flexible, same points and duration) to share limits between server processes.
 *
 * Why the in-process counter is our own and not rate-limiter-flexible's RateLimiterMemory (which
 * this module used before and still adapts for remote stores): every chat message passes three
 * rules, and RateLimiterMemory answers each with a new promise, a result object, a prefixed key
 * string and, once per key and window, a timer. Under the churn benchmark that was 4–5 % of the
 * server's time and a microtask hop per event (BENCHMARKS.md); a fixed window is a counter and a
 * reset time, and answering synchronously lets the gateway admit an event in the same turn.
 */
import { createHmac, randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { RateLimiterRes } from "rate-limiter-flexible";
import type { LimitResult } from "./http";

export type LimitScope = "person" | "ip" | "global";

export interface LimitRule {
  readonly scope: LimitScope;
  /** Allowed events per window. */
  readonly points: number;
  readonly durationMs: number;
}

export type LimitName =
  | "connect"
  | "join"
  | "message"
  | "typing"
  | "report"
  | "signal"
  | "tokenIssue"
  | "challenge"
  | "adminLogin";

export type LimitTable = Readonly<Record<LimitName, readonly LimitRule[]>>;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const person = (points: number, durationMs: number): LimitRule => ({
  scope: "person",
  points,
  durationMs,
});
const ip = (points: number, durationMs: number): LimitRule => ({ scope: "ip", points, durationMs });

/**
 * The defaults let at least 300 well-behaved people behind one address use every space at once
 * (apps/server/test/shared-address.test.ts): the per-address rules are sized for that crowd, the
 * rest are per person.
 */
export const DEFAULT_LIMITS: LimitTable = {
  // New connections per address: 300 people each opening a tab and reloading a few times a
  // minute. (Open connections per address are capped separately: connection-caps.ts.)
  connect: [ip(1200, MINUTE)],
  join: [person(20, MINUTE)],
  // Burst, then sustained.
  message: [person(8, 5 * SECOND), person(60, MINUTE)],
  typing: [person(6, 5 * SECOND)],
  report: [person(5, HOUR)],
  // WebRTC signalling: an offer/answer and a few dozen candidates per session; renegotiations.
  signal: [person(200, 10 * SECOND)],
  // Issuance (a solved proof of work) and the challenges that precede it. The proof of work is
  // the real cost of a pass; this caps what one address can mint, sized for 300 people behind
  // it getting their first pass within the hour (and reloads asking for a challenge again).
  tokenIssue: [ip(600, HOUR)],
  challenge: [ip(1200, 10 * MINUTE)],
  // Failed sign-ins per address (admin/throttle.ts counts only wrong passwords). No global rule:
  // one address's failures must never refuse another address's sign-in.
  adminLogin: [ip(5, 15 * MINUTE)],
};

/**
 * One rule's counters, keyed. Implementations may be remote (Redis) and answer with a promise;
 * the in-process one answers at once. They never see raw IPs.
 */
export interface LimitCounter {
  /** Spends a point of `key` if one is left; a refusal spends nothing. */
  consume(key: string): LimitResult | Promise<LimitResult>;
  /** Gives back a point spent by `consume` (a later rule refused the same event). */
  refund(key: string): void | Promise<void>;
}

export type LimitCounterFactory = (id: string, rule: LimitRule) => LimitCounter;

interface Window {
  count: number;
  /** When this window closes (ms, the clock's time). */
  readonly resetAt: number;
}

/**
 * Fixed windows in this process: a key's window opens at its first point and lasts
 * `durationMs`; only admitted attempts count (a refused one spends nothing, so hammering a
 * refused key does not push anyone's wait further out); a refusal says how long until it closes.
 *
 * Memory: windows live in two generations of `durationMs` each. A window opened during the
 * current generation closes before the next one ends, so when a third generation begins the
 * oldest holds only closed windows and is dropped whole: no timer per key, no sweep, and at most
 * the keys of the last two windows' worth of time are held. Nothing is kept per key beyond its
 * count and reset time (keys are connection ids, token ids and IP hashes).
 */
export class WindowCounter implements LimitCounter {
  private current = new Map<string, Window>();
  private previous = new Map<string, Window>();
  private generationEnds: number;

  constructor(
    private readonly rule: Pick<LimitRule, "points" | "durationMs">,
    private readonly clock: Clock = { now: () => Date.now() },
  ) {
    this.generationEnds = clock.now() + rule.durationMs;
  }

  consume(key: string): LimitResult {
    const now = this.clock.now();
    if (now >= this.generationEnds) this.rotate(now);
    let window = this.current.get(key) ?? this.previous.get(key);
    if (window === undefined || window.resetAt <= now) {
      window = { count: 0, resetAt: now + this.rule.durationMs };
      this.current.set(key, window);
    }
    if (window.count >= this.rule.points) {
      return { ok: false, retryAfterMs: Math.max(1, Math.ceil(window.resetAt - now)) };
    }
    window.count += 1;
    return ALLOWED;
  }

  refund(key: string): void {
    const window = this.current.get(key) ?? this.previous.get(key);
    if (window !== undefined && window.count > 0 && window.resetAt > this.clock.now()) {
      window.count -= 1;
    }
  }

  /** Keys held (for tests: memory stays bounded). */
  size(): number {
    return this.current.size + this.previous.size;
  }

  private rotate(now: number): void {
    const skipped = now >= this.generationEnds + this.rule.durationMs;
    // After a whole idle generation, the current map's windows have closed as well.
    this.previous = skipped ? new Map() : this.current;
    this.current = new Map();
    this.generationEnds = now + this.rule.durationMs;
  }
}

const ALLOWED: LimitResult = Object.freeze({ ok: true });

/** The default counter: fixed windows in this process. */
export const memoryCounter: LimitCounterFactory = (_id, rule) => new WindowCounter(rule);

/**
 * Adapts any rate-limiter-flexible limiter (memory, Redis, …). A refusal rejects with a
 * RateLimiterRes; any other rejection is a store failure and propagates (configure the limiter's
 * `insuranceLimiter` to keep serving when a remote store is down). rate-limiter-flexible counts
 * the point of a refused attempt too; it is given back (`reward`), so a refusal spends nothing
 * here either.
 */
export function rateLimiterCounter(limiter: {
  consume(key: string | number, points?: number): Promise<RateLimiterRes>;
  reward(key: string | number, points?: number): Promise<RateLimiterRes>;
}): LimitCounter {
  return {
    async consume(key) {
      try {
        await limiter.consume(key, 1);
        return { ok: true };
      } catch (err) {
        if (err instanceof RateLimiterRes) {
          await limiter.reward(key, 1);
          return { ok: false, retryAfterMs: Math.max(1, Math.ceil(err.msBeforeNext)) };
        }
        throw err;
      }
    },
    async refund(key) {
      await limiter.reward(key, 1);
    },
  };
}

export interface LimitKeys {
  /** Token id, or connection id where there is no token. */
  readonly person?: string | undefined;
  readonly ipHash?: string | undefined;
}

export interface LimitsOptions {
  /** Replaces the default rules of the limits named (tests, configuration). */
  readonly rules?: Partial<Record<LimitName, readonly LimitRule[]>>;
  readonly counter?: LimitCounterFactory;
}

export class Limits {
  readonly table: LimitTable;
  private readonly counters: Readonly<Record<LimitName, readonly LimitCounter[]>>;

  constructor(options: LimitsOptions = {}) {
    const table = { ...DEFAULT_LIMITS, ...options.rules };
    for (const [name, rules] of Object.entries(table)) {
      if (rules.length > 30) throw new Error(`limit ${name}: at most 30 rules`);
      for (const rule of rules) {
        if (!(Number.isInteger(rule.points) && rule.points >= 1 && rule.durationMs > 0)) {
          throw new Error(`limit ${name}: points must be a positive integer and durationMs > 0`);
        }
      }
    }
    const factory = options.counter ?? memoryCounter;
    const counters = {} as Record<LimitName, readonly LimitCounter[]>;
    for (const name of Object.keys(table) as LimitName[]) {
      counters[name] = table[name].map((rule, i) => factory(`${name}:${i}:${rule.scope}`, rule));
    }
    this.table = table;
    this.counters = counters;
  }

  /**
   * Admits one `name` event if every rule whose key is given has a point left (a rule whose scope
   * has no key is skipped; `global` rules always apply), and only then spends a point of each. A
   * refusal spends nothing: the rules admitted before the refusing one get their point back.
   * Synchronous when every counter is (the in-process default): the gateway admits an event in
   * the turn it arrived; a promise only when a counter is remote.
   */
  consume(name: LimitName, keys: LimitKeys): LimitResult | Promise<LimitResult> {
    const rules = this.table[name];
    const counters = this.counters[name];
    // Answers in hand are handled at once (no array on the synchronous path); remote ones wait.
    let remote: { counter: LimitCounter; key: string; result: Promise<LimitResult> }[] | undefined;
    // The in-process rules that admitted this event so far, one bit each (a limit has few rules).
    let admitted = 0;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as LimitRule;
      const key = keyOf(rule, keys);
      const counter = counters[i];
      if (key === undefined || !counter) continue;
      const result = counter.consume(key);
      if (result instanceof Promise) {
        remote ??= [];
        remote.push({ counter, key, result });
      } else if (result.ok) {
        admitted |= 1 << i;
      } else {
        this.refund(name, admitted, keys);
        return remote ? refundAll(remote).then(() => result) : result;
      }
    }
    if (!remote) return ALLOWED;
    const pending = remote;
    return Promise.all(pending.map((r) => r.result)).then(async (results) => {
      const refused = results.reduce(longestWait, 0);
      if (refused === 0) return ALLOWED;
      // Some remote rule refused: give back what the others (local and remote) spent.
      this.refund(name, admitted, keys);
      await Promise.all(
        pending.map((r, i) => (results[i]?.ok ? r.counter.refund(r.key) : undefined)),
      );
      return { ok: false, retryAfterMs: refused };
    });
  }

  /** Gives back the points the in-process rules in `admitted` (a bit per rule) spent. */
  private refund(name: LimitName, admitted: number, keys: LimitKeys): void {
    const rules = this.table[name];
    const counters = this.counters[name];
    for (let i = 0; admitted !== 0 && i < rules.length; i++) {
      if ((admitted & (1 << i)) === 0) continue;
      const key = keyOf(rules[i] as LimitRule, keys);
      if (key !== undefined) void counters[i]?.refund(key);
    }
  }
}

/** The key a rule counts for these keys; undefined when the rule does not apply. */
const keyOf = (rule: LimitRule, keys: LimitKeys): string | undefined => {
  const key = rule.scope === "global" ? "*" : rule.scope === "ip" ? keys.ipHash : keys.person;
  return key === "" ? undefined : key;
};

/** Gives back the points of remote rules that were spent (the event was refused locally). */
const refundAll = async (
  remote: readonly { counter: LimitCounter; key: string; result: Promise<LimitResult> }[],
): Promise<void> => {
  await Promise.all(
    remote.map(async (r) => {
      if ((await r.result).ok) await r.counter.refund(r.key);
    }),
  );
};

/** The longest wait so far, given one more rule's answer (0: none refused). */
const longestWait = (ms: number, result: LimitResult): number =>
  result.ok ? ms : Math.max(ms, result.retryAfterMs);

export interface Clock {
  now(): number;
}

export const DAY_MS = 24 * HOUR;

/**
 * Hashes client IPs for rate-limit keys: HMAC-SHA256 under a random salt held in memory only,
 * truncated to 16 bytes (base64url, 22 characters). The salt rotates every `rotationMs`, after
 * which the same address hashes differently and nothing links the two.
 *
 * IPv4-mapped IPv6 addresses hash as their IPv4 address, and IPv6 addresses by their /64 (one
 * subscriber usually holds a whole /64, so per-address keys would be free to multiply).
 */
export class IpHasher {
  private readonly clock: Clock;
  private readonly salt: SaltSource;

  constructor(options: { clock?: Clock; rotationMs?: number; salt?: SaltSource } = {}) {
    this.clock = options.clock ?? { now: () => Date.now() };
    this.salt = options.salt ?? new RotatingSalt(this.clock.now(), options.rotationMs ?? DAY_MS);
  }

  hash(address: string): string {
    return createHmac("sha256", this.salt.current(this.clock.now()))
      .update(normalizeIp(address), "utf8")
      .digest()
      .subarray(0, 16)
      .toString("base64url");
  }
}

/**
 * The Salt seam: the secret IP hashes are keyed with. Synchronous, since an address is hashed
 * before a connection is accepted; a cluster's implementation (issue 18) keeps the salt every
 * node shares in Redis and reads it ahead of each rotation, so that one address has one key on
 * every node (per-address limits and caps hold across the cluster). Contract:
 * test/seams/salt.contract.ts.
 */
export interface SaltSource {
  /** The salt in force at `now`: 32 random bytes, the same until the rotation. */
  current(now: number): Buffer;
}

/** This process's salt: random, in memory only, a new one every `rotationMs` (or if the clock goes back). */
export class RotatingSalt implements SaltSource {
  private salt = randomBytes(32);

  constructor(
    private since: number,
    private readonly rotationMs: number,
  ) {}

  current(now: number): Buffer {
    if (now - this.since >= this.rotationMs || now < this.since) {
      this.salt = randomBytes(32);
      this.since = now;
    }
    return this.salt;
  }
}

/** The form an address is hashed in: IPv4 as is, IPv6 as its /64 prefix, anything else as is. */
export function normalizeIp(address: string): string {
  const a = address.trim().toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (mapped?.[1]) return mapped[1];
  if (isIP(a) !== 6) return a;
  const groups = expandIpv6(a);
  return groups ? `${groups.slice(0, 4).join(":")}::/64` : a;
}

function expandIpv6(address: string): string[] | undefined {
  let text = address.split("%")[0] ?? address;
  // An embedded IPv4 tail (::ffff:1.2.3.4 handled above; e.g. 64:ff9b::1.2.3.4) becomes two groups.
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [b1, b2, b3, b4] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((b1 << 8) | b2).toString(16)}:${((b3 << 8) | b4).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(missing).fill("0"), ...tail];
  return groups.map((g) => Number.parseInt(g, 16).toString(16));
}

/** What clientIp reads: an http.IncomingMessage or a Socket.IO handshake. */
export interface ClientAddressSource {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** http.IncomingMessage */
  readonly socket?: { readonly remoteAddress?: string | undefined } | undefined;
  /** Socket.IO handshake */
  readonly address?: string | undefined;
}

/**
 * The client's address: the socket's peer, or behind a trusted reverse proxy (`trustProxy`) the
 * address that proxy put in X-Forwarded-For. That is the header's last entry: proxies append the
 * peer they saw, so every entry before it came from the client and could be forged (a forged
 * first entry would let anyone pick a fresh IP hash per request). "unknown" when there is none
 * (the socket already closed).
 */
export function clientIp(source: ClientAddressSource, trustProxy: boolean): string {
  const peer = source.socket?.remoteAddress ?? source.address;
  if (trustProxy) {
    const forwarded = lastForwardedFor(source.headers["x-forwarded-for"]);
    if (forwarded) return forwarded;
  }
  return peer ? stripBrackets(peer) : "unknown";
}

function lastForwardedFor(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const joined = Array.isArray(header) ? header.join(",") : header;
  const hops = joined
    .split(",")
    .map((h) => h.trim())
    .filter((h) => h.length > 0);
  const last = hops[hops.length - 1];
  if (last === undefined) return undefined;
  const address = stripPort(last);
  return isIP(address) ? address : undefined;
}

/** `[v6]:port`, `[v6]` and `v4:port` as they sometimes appear in X-Forwarded-For. */
function stripPort(hop: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed?.[1]) return bracketed[1];
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(hop);
  if (v4WithPort?.[1]) return v4WithPort[1];
  return hop;
}

function stripBrackets(address: string): string {
  return address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
}
