/**
 * The IP-hash salt shared by every node (cluster mode), so one address has one key on every node
 * and per-address limits hold across the cluster. SaltSource is synchronous (an address is hashed
 * before a connection is accepted), so the salt is read ahead: time is cut into fixed periods of
 * `rotationMs` (period n = floor(now / rotationMs), the same on every node), and this node keeps
 * the salts of the current and the next period in memory, fetched from Redis — the first node to
 * ask creates each with SET NX, random, expiring two periods later. A refresh runs every quarter
 * period (and at start, `ready`), so the next period's salt is here long before it is needed.
 *
 * Limits: if Redis has been unreachable for longer than a period, a node has no shared salt for
 * the new one; it then uses a random salt of its own (logged, counted in `fallbacks`), so hashing
 * never stops, and per-address limits are per node until Redis answers again.
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { SaltSource } from "../limits";
import { evalScript } from "./eval-script";

const GET_OR_CREATE = `
redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2])
return redis.call("GET", KEYS[1])`;

export class RedisSalt implements SaltSource {
  private readonly salts = new Map<number, Buffer>();
  private timer: NodeJS.Timeout | undefined;
  /** How many times a period's shared salt was missing and a local one was used. */
  fallbacks = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly rotationMs: number,
    private readonly onFallback: (period: number) => void = () => {},
  ) {}

  private period(now: number): number {
    return Math.floor(now / this.rotationMs);
  }

  /** Fetches (or creates) the salts of `now`'s period and the next. */
  async ready(now: number): Promise<void> {
    const n = this.period(now);
    await Promise.all([n, n + 1].map((p) => this.fetch(p)));
    for (const p of this.salts.keys()) if (p < n) this.salts.delete(p);
  }

  private async fetch(period: number): Promise<void> {
    // A salt this node already holds is offered again: a Redis that restarted empty gets the
    // salt every node holds back (first come), instead of a new one that would split them.
    const offer = this.salts.get(period) ?? randomBytes(32);
    const raw = (await evalScript(
      this.redis,
      GET_OR_CREATE,
      1,
      `${this.prefix}salt:${period}`,
      offer.toString("base64"),
      this.rotationMs * 2 + 60_000,
    )) as string;
    const salt = Buffer.from(raw, "base64");
    if (salt.length === 32) this.salts.set(period, salt);
  }

  /** Keeps the salts fetched ahead, every quarter period (at most every 15 minutes). */
  start(clock: () => number, onError: (err: unknown) => void): void {
    const every = Math.max(1_000, Math.min(this.rotationMs / 4, 15 * 60_000));
    this.timer = setInterval(() => {
      this.ready(clock()).catch(onError);
    }, every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  current(now: number): Buffer {
    const n = this.period(now);
    let salt = this.salts.get(n);
    if (!salt) {
      // Redis was out of reach for the whole of the last period: a salt of this node's own.
      salt = randomBytes(32);
      this.salts.set(n, salt);
      this.fallbacks += 1;
      this.onFallback(n);
    }
    return salt;
  }
}
