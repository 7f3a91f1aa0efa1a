/**
 * ping-spread.ts against the installed Engine.IO: a spread connection's first ping comes later
 * than an unspread one's opened at the same moment, pings then keep coming (the connection stays
 * up past interval + timeout), and the delay never breaks the detection bound. And the crash of
 * issue 15: 50,000 heartbeats through one connection leave a ping's stack depth, the callback its
 * timer holds and the heap where they were (the old code nested one closure per pong and
 * overflowed the stack after ≈ 14,000).
 */
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Server } from "socket.io";
import { io as ioClient } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { jitterPings, maxPingDelay, maxPingJitter, spreadFirstPing } from "../src/ping-spread";
import { until } from "./harness";

const INTERVAL = 200;
const TIMEOUT = 200;

let http: HttpServer | undefined;
let io: Server | undefined;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await new Promise<void>((resolve) => (io ? io.close(() => resolve()) : resolve()));
  http = undefined;
  io = undefined;
});

const TIMINGS = { intervalMs: INTERVAL, timeoutMs: TIMEOUT, maxDetectMs: 3 * INTERVAL };
/** Spreads by almost a whole interval (random() = 0.99). */
const spreadLate = (conn: unknown): boolean => spreadFirstPing(conn, TIMINGS, () => 0.99);

/** A Socket.IO server on 127.0.0.1 calling `onConnection` for each Engine.IO connection; its port. */
async function listen(
  onConnection: (conn: unknown) => void,
  pingTimeout = TIMEOUT,
  pingInterval = INTERVAL,
): Promise<number> {
  http = createServer();
  io = new Server(http, { pingInterval, pingTimeout });
  io.engine.on("connection", onConnection);
  http.listen(0, "127.0.0.1");
  await new Promise((r) => http?.once("listening", r));
  return (http.address() as AddressInfo).port;
}

/** A raw Engine.IO v4 client that answers pings and records when each one came. */
function rawClient(port: number): { pings: number[]; closed: () => boolean; ws: WebSocket } {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
  sockets.push(ws);
  const pings: number[] = [];
  let closed = false;
  ws.on("message", (data: WebSocket.RawData) => {
    if (data.toString() === "2") {
      pings.push(performance.now());
      ws.send("3");
    }
  });
  ws.on("close", () => {
    closed = true;
  });
  // A socket terminated by afterEach before it opened emits an error: nothing to report.
  ws.on("error", () => {});
  return { pings, closed: () => closed, ws };
}

/**
 * Opens two raw clients one after the other: `treat` is applied to the first connection only
 * (and must accept it), the second is left as Engine.IO made it.
 */
async function treatedAndPlain(
  treat: (conn: unknown) => boolean,
): Promise<{ treated: ReturnType<typeof rawClient>; plain: ReturnType<typeof rawClient> }> {
  let opened = 0;
  const results: boolean[] = [];
  const port = await listen((conn) => {
    opened += 1;
    if (opened === 1) results.push(treat(conn));
  });
  const treated = rawClient(port);
  await until(() => opened === 1, 60_000, "first open");
  const plain = rawClient(port);
  await until(() => opened === 2, 60_000, "second open");
  expect(results).toEqual([true]);
  return { treated, plain };
}

describe("spreading heartbeat pings", () => {
  it("the delay is what the 15 s detection bound leaves, at most one interval", () => {
    // Half the timeout at most: the client closes after interval + timeout without a ping.
    expect(maxPingDelay({ intervalMs: 5000, timeoutMs: 5000, maxDetectMs: 15_000 })).toBe(2500);
    expect(maxPingDelay({ intervalMs: 2000, timeoutMs: 8000, maxDetectMs: 15_000 })).toBe(2000);
    expect(maxPingDelay({ intervalMs: 10_000, timeoutMs: 5000, maxDetectMs: 15_000 })).toBe(0);
    expect(maxPingDelay({ intervalMs: 7000, timeoutMs: 7000, maxDetectMs: 15_000 })).toBe(1000);
    expect(maxPingDelay({ intervalMs: 9000, timeoutMs: 9000, maxDetectMs: 15_000 })).toBe(0);
  });

  it("a spread connection is pinged later than one opened with it, then regularly", async () => {
    // The first connection is spread by almost the whole delay allowed, the second is left alone.
    const { treated: spread, plain } = await treatedAndPlain(spreadLate);
    await until(() => spread.pings.length >= 3, 60_000, "three pings on the spread connection");
    // The plain one opened after the spread one, yet was pinged first.
    expect(plain.pings[0]).toBeLessThan(spread.pings[0] as number);
    // Answered pings keep it open well past interval + timeout.
    expect(spread.closed()).toBe(false);
  });

  it("a connection closed before its delayed first ping is simply gone", async () => {
    let conns = 0;
    const port = await listen((conn) => {
      conns += 1;
      spreadLate(conn);
    });
    const c = rawClient(port);
    await until(() => conns === 1, 60_000, "open");
    c.ws.close();
    await until(() => io?.engine.clientsCount === 0, 60_000, "closed on the server");
    // Past the delayed ping and its interval: nothing fired on the closed socket.
    await new Promise((r) => setTimeout(r, 2 * INTERVAL + 50));
    expect(c.pings).toEqual([]);
  });

  it("each later ping may move by half the interval, within both bounds", () => {
    expect(maxPingJitter({ intervalMs: 5000, timeoutMs: 5000, maxDetectMs: 15_000 })).toBe(2500);
    expect(maxPingJitter({ intervalMs: 2000, timeoutMs: 8000, maxDetectMs: 15_000 })).toBe(1000);
    expect(maxPingJitter({ intervalMs: 7000, timeoutMs: 7000, maxDetectMs: 15_000 })).toBe(1000);
    expect(maxPingJitter({ intervalMs: 10_000, timeoutMs: 5000, maxDetectMs: 15_000 })).toBe(0);
  });

  it("with jitter, every ping after a pong comes that much later; without, on the interval", async () => {
    // Up to 100 ms here: half the timeout, the client's bound (see the test above).
    const SHARE = 0.5;
    expect(maxPingJitter(TIMINGS, SHARE)).toBe(100);
    // The first connection's pings move by almost the whole jitter each time (random() = 0.99).
    const { treated: jittered, plain } = await treatedAndPlain((conn) =>
      jitterPings(conn, TIMINGS, () => 0.99, SHARE),
    );
    await until(() => jittered.pings.length >= 4, 60_000, "four pings on the jittered connection");
    await until(() => plain.pings.length >= 4, 60_000, "four pings on the plain connection");
    // Timers never fire early: each gap after a pong is at least interval + the jitter drawn.
    const gaps = (p: number[]) => p.slice(1).map((t, i) => t - (p[i] as number));
    for (const gap of gaps(jittered.pings)) expect(gap).toBeGreaterThanOrEqual(INTERVAL + 99 - 2);
    for (const gap of gaps(plain.pings)) expect(gap).toBeGreaterThanOrEqual(INTERVAL - 2);
    // Answered pings keep both open well past interval + timeout.
    expect(jittered.closed()).toBe(false);
    expect(plain.closed()).toBe(false);
  });

  it("a real client with every ping moved to the limit stays connected (its own ping timeout)", async () => {
    // The client gives up after interval + timeout = 2 s without a ping. The detection bound
    // alone would allow moving a ping by a whole interval (a first ping at 2 s: the client gone);
    // half the timeout leaves it 500 ms, room for a busy machine's late timers.
    const short = { intervalMs: 1000, timeoutMs: 1000, maxDetectMs: 3000 };
    expect(maxPingDelay(short)).toBe(500);
    const port = await listen(
      (conn) => {
        spreadFirstPing(conn, short, () => 0.999);
        jitterPings(conn, short, () => 0.999, 1);
      },
      short.timeoutMs,
      short.intervalMs,
    );
    const client = ioClient(`http://127.0.0.1:${port}`, {
      transports: ["websocket"],
      reconnection: false,
    });
    const reasons: string[] = [];
    client.on("disconnect", (reason) => reasons.push(reason));
    try {
      await until(() => client.connected, 60_000, "connected");
      let pings = 0;
      client.io.engine.on("ping", () => {
        pings += 1;
      });
      // Several cycles of first ping and jittered pings, each as late as allowed.
      await until(() => pings >= 4, 60_000, "four pings");
      expect(reasons).toEqual([]);
      expect(client.connected).toBe(true);
    } finally {
      client.close();
    }
  });

  it("leaves an object of another shape alone", () => {
    expect(spreadFirstPing({}, { intervalMs: 1, timeoutMs: 1, maxDetectMs: 10 })).toBe(false);
    expect(spreadFirstPing(null, { intervalMs: 1, timeoutMs: 1, maxDetectMs: 10 })).toBe(false);
    expect(jitterPings({ pingIntervalTimer: null, schedulePing() {} }, TIMINGS)).toBe(false);
  });
});

/** Frames on the stack right now, all of them (Node keeps 10 by default). */
function stackDepth(): number {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = Number.POSITIVE_INFINITY;
  try {
    return (new Error().stack ?? "").split("\n").length - 1;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * V8's `gc`, exposed for this file only (taken once, at load: before any socket exists) so that
 * the heap can be compared between two moments without garbage in it.
 */
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** A full garbage collection, then the heap in use. */
function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** The parts of an Engine.IO socket the long-lived test watches. */
interface WatchedConn {
  pingIntervalTimer: { _onTimeout?: unknown } | null;
  sendPacket: (type: string, ...rest: unknown[]) => unknown;
  on(event: "heartbeat", listener: () => void): unknown;
  listenerCount(event: string): number;
}

describe("a connection that lives for days", () => {
  it("50,000 heartbeats leave a ping's stack depth, its callback and the heap unchanged", async () => {
    // A long interval next to the pong bursts, so that pings come only when a burst stops; the
    // old code crashed when the ping after ~14,000 pongs unwound its nested closures.
    // The pong may wait out two full garbage collections (heapAfterGc): a long timeout.
    const timings = { intervalMs: INTERVAL, timeoutMs: 2000, maxDetectMs: 10_000 };
    const TOTAL = 50_000;
    const BURST = 1000;
    const pings: Array<{ heartbeats: number; depth: number }> = [];
    let heartbeats = 0;
    let conn: WatchedConn | undefined;
    const port = await listen((c) => {
      // As the gateway does: the first ping spread, every later one jittered (random draws).
      expect(spreadFirstPing(c, timings)).toBe(true);
      expect(jitterPings(c, timings)).toBe(true);
      const watched = c as WatchedConn;
      watched.on("heartbeat", () => {
        heartbeats += 1;
      });
      const send = watched.sendPacket.bind(watched);
      watched.sendPacket = (type, ...rest) => {
        if (type === "ping") pings.push({ heartbeats, depth: stackDepth() });
        return send(type, ...rest);
      };
      conn = watched;
    }, timings.timeoutMs);
    const client = rawClient(port);
    await until(
      () => conn !== undefined && client.ws.readyState === WebSocket.OPEN,
      60_000,
      "open",
    );
    // Joins the main namespace, so that Socket.IO's connect timeout leaves the connection alone.
    client.ws.send("40");
    const live = conn as WatchedConn;

    /** Sends pongs until the server has handled `target` heartbeats, a burst at a time. */
    const pongUntil = async (target: number): Promise<void> => {
      while (heartbeats + BURST <= target) {
        const goal = heartbeats + BURST;
        for (let i = 0; i < BURST; i++) client.ws.send("3");
        await until(() => heartbeats >= goal, 60_000, `${goal} heartbeats`);
      }
      const goal = target;
      for (let i = heartbeats; i < goal; i++) client.ws.send("3");
      await until(() => heartbeats >= goal, 60_000, `${goal} heartbeats`);
    };
    /** Waits for the next ping (the client answers it: one more heartbeat). */
    const nextPing = async (): Promise<{ heartbeats: number; depth: number }> => {
      const before = pings.length;
      await until(() => pings.length > before, 60_000, "a ping");
      return pings[pings.length - 1] as { heartbeats: number; depth: number };
    };

    await pongUntil(100);
    const early = await nextPing();
    const callback = live.pingIntervalTimer?._onTimeout;
    const listeners = live.listenerCount("heartbeat");
    const heapEarly = heapAfterGc();

    await pongUntil(TOTAL);
    const late = await nextPing();
    expect(late.heartbeats).toBeGreaterThanOrEqual(TOTAL);
    expect(client.closed()).toBe(false);
    // The same depth at every ping, early or late: nothing nests per heartbeat.
    expect(late.depth).toBe(early.depth);
    for (const p of pings) expect(p.depth).toBe(early.depth);
    // One callback for the connection's whole life, and no listener added per heartbeat.
    expect(typeof callback).toBe("function");
    expect(live.pingIntervalTimer?._onTimeout).toBe(callback);
    expect(live.listenerCount("heartbeat")).toBe(listeners);
    // Nothing kept per heartbeat: the old code held one closure per pong (≈ 5 MB here).
    const grown = heapAfterGc() - heapEarly;
    expect(grown).toBeLessThan(2_000_000);
    // A ceiling, not a speed limit: 50 bursts of pongs took over 60 s on a machine also running
    // the browser tests (each wait above has its own 60 s ceiling).
  }, 600_000);
});
