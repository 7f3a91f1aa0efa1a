/**
 * Admin sign-in throttling (issue 15): slows password guessing per address without letting
 * anyone deny sign-in to anybody else.
 *
 * - Only FAILED attempts count. An address that has failed `points` times within a window
 *   (opened by its first failure, `durationMs` long) is refused, right password or not, until
 *   the window closes. A successful sign-in spends nothing.
 * - There is no global counter. The old rule (50 attempts per 15 minutes from everyone) let 53
 *   wrong passwords from one address refuse the right password from every other address for
 *   15 minutes: one stranger could lock every moderator out. Distributed guessing is bounded
 *   instead by the per-address limit and the password's length (ADMIN_PASSWORD has at least 12
 *   characters; at 5 guesses per address per 15 minutes a random 12-character password outlasts
 *   any botnet).
 *
 * The rules are the `ip` rules of the `adminLogin` limit (limits.ts DEFAULT_LIMITS, overridable
 * with RATE_LIMITS; config.ts refuses other scopes for it). Counters live in this process only,
 * as Limits' default ones do; they are keyed by the salted IP hash, never a raw address.
 *
 * Memory: like limits.ts WindowCounter, windows live in two generations of `durationMs` each and
 * the oldest is dropped whole, so at most the failing addresses of the last two windows are held.
 */
import type { LimitResult } from "../http";
import type { Clock, LimitRule } from "../limits";

interface Window {
  failures: number;
  readonly resetAt: number;
}

class FailureWindows {
  private current = new Map<string, Window>();
  private previous = new Map<string, Window>();
  private generationEnds: number;

  constructor(
    private readonly rule: Pick<LimitRule, "points" | "durationMs">,
    private readonly clock: Clock,
  ) {
    this.generationEnds = clock.now() + rule.durationMs;
  }

  /** The wait before this key may try again, 0 when it may try now. Spends nothing. */
  waitMs(key: string): number {
    const now = this.clock.now();
    const window = this.open(key, now);
    if (window === undefined || window.failures < this.rule.points) return 0;
    return Math.max(1, Math.ceil(window.resetAt - now));
  }

  failed(key: string): void {
    const now = this.clock.now();
    if (now >= this.generationEnds) this.rotate(now);
    let window = this.open(key, now);
    if (window === undefined) {
      window = { failures: 0, resetAt: now + this.rule.durationMs };
      this.current.set(key, window);
    }
    window.failures += 1;
  }

  private open(key: string, now: number): Window | undefined {
    const window = this.current.get(key) ?? this.previous.get(key);
    return window !== undefined && window.resetAt > now ? window : undefined;
  }

  private rotate(now: number): void {
    const skipped = now >= this.generationEnds + this.rule.durationMs;
    this.previous = skipped ? new Map() : this.current;
    this.current = new Map();
    this.generationEnds = now + this.rule.durationMs;
  }
}

export class LoginThrottle {
  private readonly windows: readonly FailureWindows[];

  constructor(rules: readonly LimitRule[], clock: Clock = { now: () => Date.now() }) {
    this.windows = rules
      .filter((rule) => rule.scope === "ip")
      .map((rule) => new FailureWindows(rule, clock));
  }

  /** Whether this address may try a password now (spends nothing). */
  check(ipHash: string): LimitResult {
    let retryAfterMs = 0;
    for (const w of this.windows) retryAfterMs = Math.max(retryAfterMs, w.waitMs(ipHash));
    return retryAfterMs > 0 ? { ok: false, retryAfterMs } : { ok: true };
  }

  /** Counts one wrong password from this address. */
  failed(ipHash: string): void {
    for (const w of this.windows) w.failed(ipHash);
  }
}
