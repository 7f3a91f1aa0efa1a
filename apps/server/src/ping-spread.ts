/**
 * Spreads the heartbeat pings of connections that opened together over the ping interval.
 *
 * Why: Engine.IO pings each connection `pingInterval` after it opened, then `pingInterval` after
 * each pong. Connections that open together (a burst of arrivals, everyone reconnecting after a
 * restart) stay in step for as long as they live: every interval, one timer callback sends a ping
 * to all of them, one write each. At 10,000 connections that was a 140 ms stall every 5 s in the
 * load benchmark, landing on whatever chat messages and partner notices were in flight.
 * Delaying each connection's first ping by a random part of the interval puts them out of step.
 *
 * They do not stay out of step on their own, though: Engine.IO re-arms a connection's ping timer
 * when it handles the pong, so every pong handled in one long event-loop turn (a burst of
 * thousands of joins, a GC pause, any stall) puts those connections back in step, and their pings
 * come together every interval from then on. In the 5,000-user relay benchmark a 1.5 s join
 * burst did exactly that: a stall and a wave of slow messages every 5 s after it, the same
 * milliseconds each time. `jitterPings` therefore moves every next ping a random part of
 * `maxPingJitter` later as each pong is handled, so that no stall can line connections up for
 * good.
 *
 * Both delays keep SPEC §2.6's bound: a silent connection is detected at most
 * delay + interval + timeout after its last sign of life, and each delay is at most
 * `maxDetectMs - interval - timeout` (config.ts already refuses interval + timeout above 15 s).
 * They also keep the client's bound (maxPingDelay): with the defaults (5 s + 5 s) every delay is
 * at most 2.5 s, so a silent loss is noticed within 12.5 s and a client hears a ping at least
 * every 7.5 s where it waits 10 s.
 *
 * Limits: this reaches into Engine.IO's Socket (pinned in package-lock.json; 6.6.12 read): the
 * `pingIntervalTimer` it sets when it opens and re-arms with `refresh()` on each pong (the timer
 * it refreshes is then ours, see Pinger), its `schedulePing()` method and its "heartbeat" event;
 * and into Node's Timeout for the callback it holds (`_onTimeout`, see pingLater; without it, a
 * slower-to-recover two-step wait is used). When the socket's parts are not found the connection
 * is left as it is and the functions return false (transport-status.ts then reports ping
 * spreading off). ping-spread.test.ts checks the effect against the installed version, and that
 * 50,000 heartbeats on one connection leave a ping's stack depth and its callback unchanged.
 */

interface EngineSocketShape {
  readyState?: string;
  pingIntervalTimer?: unknown;
  schedulePing: () => void;
  on?: (event: "heartbeat", listener: () => void) => unknown;
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

/**
 * The longest any ping may be moved (0: none). Two bounds: the server's (a silent connection
 * noticed within `maxDetectMs`) and the client's. Engine.IO's client closes a connection that
 * heard no ping for interval + timeout, so a ping moved by the whole timeout would leave it no
 * room for a server running late (a long turn, a GC pause); moves are kept to half the timeout,
 * leaving the other half for that, as Engine.IO's own margin is the whole timeout.
 */
export function maxPingDelay(t: PingTimings): number {
  return Math.max(
    0,
    Math.min(t.intervalMs, t.maxDetectMs - t.intervalMs - t.timeoutMs, Math.floor(t.timeoutMs / 2)),
  );
}

/** The part of the interval each later ping may move by (bounded by maxPingDelay too). */
export const JITTER_SHARE = 0.5;

/** The longest each later ping may be moved: JITTER_SHARE of the interval, within the bound. */
export function maxPingJitter(t: PingTimings, share = JITTER_SHARE): number {
  return Math.min(Math.floor(t.intervalMs * share), maxPingDelay(t));
}

/**
 * Per connection: Engine.IO's own ping callback and the one callback our timers run.
 *
 * Why it is kept here and never read back from our own timer: Engine.IO 6.6 re-arms the ping
 * timer on each pong with `refresh()`, which keeps the Timeout object, so after our first move
 * the timer holds *our* callback. Taking "the callback" from it again and wrapping it nested one
 * closure per pong: after ≈ 14,000 pongs (a tab open for about a day at 5 s heartbeats) the
 * ping overflowed the stack (`RangeError`), uncaught, and took the process down (issue 15).
 * Here each connection gets one `fire` function, made once; whatever a timer holds that is not
 * that `fire` is Engine.IO's callback, and only that is stored as `ping`. So a ping is always
 * `fire` → Engine.IO's callback, two frames, however long the connection lives, and a heartbeat
 * allocates nothing but the new Timeout (the old one is garbage).
 */
interface Pinger {
  /** Engine.IO's ping callback, as taken from a timer Engine.IO armed: never `fire`. */
  ping: () => void;
  /** What our timers run: Engine.IO's callback while the connection is open. */
  readonly fire: () => void;
}

/** Keyed by the Engine.IO socket, so a closed connection's entry goes with it. */
const pingers = new WeakMap<object, Pinger>();

/** This connection's pinger, (re)taking Engine.IO's callback from `held` when it is Engine.IO's. */
function pingerFor(conn: EngineSocketShape, held: unknown): Pinger | undefined {
  let pinger = pingers.get(conn);
  if (typeof held !== "function" || held === pinger?.fire) return pinger;
  // Engine.IO's own: the timer it armed at open or, should a version re-create its timer on each
  // pong (as 6.5 did), a fresh one; either way never a function of ours.
  const ping = held as () => void;
  if (pinger) {
    pinger.ping = ping;
  } else {
    const made: Pinger = {
      ping,
      fire: () => {
        if (conn.readyState === "open") made.ping();
      },
    };
    pinger = made;
    pingers.set(conn, made);
  }
  return pinger;
}

/**
 * Moves `conn`'s next ping `delay` ms later than Engine.IO armed it (`intervalMs` from now).
 *
 * One timer for the whole wait where possible: Engine.IO's ping callback is taken from its timer
 * (Node keeps it as `_onTimeout`; see Pinger) and re-armed for interval + delay. A two-step wait
 * (the delay, then Engine.IO's `schedulePing()` for a whole interval) is the fallback: it works,
 * but every first step that falls due during a stall runs when the stall ends, and their pings
 * then come together one interval later (the 5,000-user trace showed that wave 5 s after a join
 * burst).
 */
function pingLater(conn: EngineSocketShape, delay: number, intervalMs: number): void {
  const timer = conn.pingIntervalTimer as { _onTimeout?: unknown } | null | undefined;
  // Read before clearTimeout, which sets `_onTimeout` to null.
  const pinger = pingerFor(conn, timer?._onTimeout);
  clearTimeout(timer as NodeJS.Timeout);
  // Stored where Engine.IO keeps its own: a close (which clears `pingIntervalTimer`) cancels it.
  conn.pingIntervalTimer = pinger
    ? setTimeout(pinger.fire, intervalMs + delay)
    : setTimeout(() => {
        if (conn.readyState === "open") conn.schedulePing();
      }, delay);
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
  if (delay > 0) pingLater(conn, delay, timings.intervalMs);
  return true;
}

/**
 * From now on, each time this connection's pong is handled, moves its next ping
 * `random() × maxPingJitter` later than Engine.IO would (see the header). Returns false (and
 * changes nothing) when the socket does not have the expected shape.
 */
export function jitterPings(
  conn: unknown,
  timings: PingTimings,
  random: () => number = Math.random,
  share = JITTER_SHARE,
): boolean {
  if (!hasShape(conn) || typeof conn.on !== "function") return false;
  const jitter = maxPingJitter(timings, share);
  if (jitter <= 0) return true;
  conn.on("heartbeat", () => {
    // Engine.IO has just re-armed the timer (a client's ping in protocol v3 leaves none).
    if (conn.pingIntervalTimer === null || conn.pingIntervalTimer === undefined) return;
    const delay = Math.floor(random() * jitter);
    // Once the timer is ours, Engine.IO's refresh() re-armed it for our last wait (interval + the
    // last delay): re-arm it even for a 0 delay, so that a ping is never later than drawn.
    if (delay > 0 || pingers.has(conn)) pingLater(conn, delay, timings.intervalMs);
  });
  return true;
}
