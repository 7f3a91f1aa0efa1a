/**
 * Spreads the heartbeat pings of connections that opened together over the ping interval.
 *
 * Why: Engine.IO pings each connection `pingInterval` after it opened, then `pingInterval` after
 * each pong. Connections that open together (a burst of arrivals, everyone reconnecting after a
 * restart) stay in step for as long as they live: every interval, one timer callback sends a ping
 * to all of them, one write each. At 10,000 connections that was a 140 ms stall every 5 s in the
 * load benchmark, landing on whatever chat messages and partner notices were in flight.
 * Delaying each connection's first ping by a random part of the interval puts them out of step for
 * good (later pings follow each one's own pong).
 *
 * The delay keeps SPEC §2.6's bound: a silent connection is detected at most
 * delay + interval + timeout after it opened, and the delay is at most
 * `maxDetectMs - interval - timeout` (config.ts already refuses interval + timeout above 15 s).
 * With the defaults (5 s + 5 s) that leaves a whole interval to spread over.
 *
 * Limits: this reaches into Engine.IO's Socket (pinned in package-lock.json): the
 * `pingIntervalTimer` it sets when it opens and its `schedulePing()` method. When those are not
 * found the connection is left as it is and `spreadFirstPing` returns false.
 * ping-spread.test.ts checks the effect against the installed version.
 */

interface EngineSocketShape {
  readyState?: string;
  pingIntervalTimer?: unknown;
  schedulePing: () => void;
}

const hasShape = (conn: unknown): conn is EngineSocketShape =>
  typeof conn === "object" &&
  conn !== null &&
  typeof (conn as EngineSocketShape).schedulePing === "function" &&
  "pingIntervalTimer" in conn;

export interface PingTimings {
  intervalMs: number;
  timeoutMs: number;
  /** A silent connection must be detected within this long (SPEC §2.6: 15 s). */
  maxDetectMs: number;
}

/** The longest first-ping delay these timings allow (0: none). */
export function maxPingDelay(t: PingTimings): number {
  return Math.max(0, Math.min(t.intervalMs, t.maxDetectMs - t.intervalMs - t.timeoutMs));
}

/**
 * Re-schedules this just-opened connection's first ping `random() × maxPingDelay` later than
 * Engine.IO would. Returns false (and changes nothing) when the socket does not have the expected
 * shape.
 */
export function spreadFirstPing(
  conn: unknown,
  timings: PingTimings,
  random: () => number = Math.random,
): boolean {
  if (!hasShape(conn)) return false;
  const timer = conn.pingIntervalTimer;
  if (timer === null || timer === undefined) return false;
  const delay = Math.floor(random() * maxPingDelay(timings));
  if (delay <= 0) return true;
  clearTimeout(timer as NodeJS.Timeout);
  conn.pingIntervalTimer = null;
  const later = setTimeout(() => {
    if (conn.readyState === "open") conn.schedulePing();
  }, delay);
  // Until then, a close (which clears `pingIntervalTimer`) must cancel this too.
  conn.pingIntervalTimer = later;
  return true;
}
