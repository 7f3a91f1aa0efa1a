/**
 * transport-status.ts: each optimisation reaching into Socket.IO / Engine.IO / Node internals says
 * once whether it is active, in the log and in `duet_transport_optimisation`; with the installed
 * versions all three are active and stay so through real connections (so an upgrade that turns
 * one off silently fails here), and each switches off, with one warning, in the cases it must:
 * a custom parser (direct emits), Engine.IO bypassing flush (write batching), heartbeat timings
 * leaving no room or a connection without the expected parts (ping spreading).
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type Socket as ServerSocket } from "socket.io";
import { io as connect, type Socket } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import type { Logger } from "../src/logger";
import { createMetricsRegistry } from "../src/metrics";
import {
  OPTIMISATIONS,
  type TransportOptimisations,
  transportOptimisations,
  WATCHED_CONNECTIONS,
} from "../src/transport-status";
import { CustomParser, closeAfterEach, twoChatters } from "./fixtures/transport";
import { startServer, type TestServer, until } from "./harness";

const TIMINGS = { intervalMs: 5000, timeoutMs: 5000, maxDetectMs: 15_000 };

interface Line {
  level: "info" | "warn";
  msg: string;
}

function capture(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const logger: Logger = {
    debug: () => {},
    info: (_obj, msg) => lines.push({ level: "info", msg: msg ?? "" }),
    warn: (_obj, msg) => lines.push({ level: "warn", msg: msg ?? "" }),
    error: () => {},
  };
  return { logger, lines };
}

const closers = closeAfterEach();

/** A Socket.IO server on 127.0.0.1 with the optimisations applied as the gateway does. */
async function serve(
  logger: Logger,
  options: { parser?: typeof CustomParser; timings?: typeof TIMINGS } = {},
): Promise<{ io: Server; url: string; transport: TransportOptimisations }> {
  const http = createServer();
  const io = new Server(http, {
    transports: ["websocket"],
    ...(options.parser ? { parser: options.parser } : {}),
  });
  const transport = transportOptimisations(io, logger, options.timings ?? TIMINGS);
  io.engine.on("connection", (conn: unknown) => transport.connection(conn));
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  closers.push(() => new Promise<void>((r) => io.close(() => r())));
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, transport };
}

async function client(url: string, parser?: typeof CustomParser): Promise<Socket> {
  const socket = connect(url, {
    transports: ["websocket"],
    forceNew: true,
    reconnection: false,
    ...(parser ? { parser } : {}),
  });
  closers.push(() => void socket.close());
  if (!socket.connected) await new Promise<void>((r) => socket.once("connect", () => r()));
  return socket;
}

/** Emits `count` events from the server socket and waits for the client to have them all. */
async function exchange(server: ServerSocket, socket: Socket, count: number): Promise<number[]> {
  const got: number[] = [];
  const all = new Promise<void>((resolve) => {
    socket.on("n", (i: number) => {
      got.push(i);
      if (got.length === count) resolve();
    });
  });
  for (let i = 0; i < count; i++) server.emit("n", i);
  await all;
  return got;
}

describe("transport optimisation status", () => {
  it("with the installed versions all three are active, said once each, and stay so", async () => {
    const { logger, lines } = capture();
    const { io, url, transport } = await serve(logger);
    // One line per optimisation at creation, all "active".
    expect(lines.map((l) => l.level)).toEqual(["info", "info", "info"]);
    for (const name of OPTIMISATIONS) {
      expect(
        lines.filter((l) => l.msg.startsWith(`transport optimisation ${name} active`)),
      ).toHaveLength(1);
    }
    expect(transport.flags()).toEqual({
      ping_spread: true,
      write_batching: true,
      direct_emit: true,
    });

    // Through real connections (more than the flush watch looks at), nothing switches off.
    for (let c = 0; c < WATCHED_CONNECTIONS + 1; c++) {
      const serverSide = once(io, "connection") as Promise<[ServerSocket]>;
      const socket = await client(url);
      const [server] = await serverSide;
      expect(transport.emitter(server)).toBeTypeOf("function");
      expect(await exchange(server, socket, 12)).toHaveLength(12);
    }
    expect(transport.flushChecks()).toEqual({
      watched: WATCHED_CONNECTIONS,
      verified: WATCHED_CONNECTIONS,
    });
    expect(transport.flags()).toEqual({
      ping_spread: true,
      write_batching: true,
      direct_emit: true,
    });
    expect(lines).toHaveLength(3);
  });

  it("direct emits are off with a custom parser, and events still arrive through socket.emit", async () => {
    const { logger, lines } = capture();
    const { io, url, transport } = await serve(logger, { parser: CustomParser });
    expect(transport.flags().direct_emit).toBe(false);
    const off = lines.filter((l) => l.msg.startsWith("transport optimisation direct_emit off:"));
    expect(off).toHaveLength(1);
    expect(off[0]?.level).toBe("warn");
    expect(off[0]?.msg).toMatch(/parser/);
    const serverSide = once(io, "connection") as Promise<[ServerSocket]>;
    const socket = await client(url, CustomParser);
    const [server] = await serverSide;
    expect(transport.emitter(server)).toBeUndefined();
    expect(await exchange(server, socket, 3)).toEqual([0, 1, 2]);
    // The others are unaffected; no further line.
    expect(transport.flags()).toEqual({
      ping_spread: true,
      write_batching: true,
      direct_emit: false,
    });
    expect(lines).toHaveLength(3);
  });

  it("write batching switches off, once, when Engine.IO queues packets without flush()", async () => {
    const { logger, lines } = capture();
    const { io, url, transport } = await serve(logger);
    const conns: BypassingConn[] = [];
    io.engine.on("connection", (conn: unknown) => conns.push(conn as BypassingConn));
    const serverSide = once(io, "connection") as Promise<[ServerSocket]>;
    const socket = await client(url);
    const [server] = await serverSide;
    bypassFlush(conns[0] as BypassingConn);
    expect(await exchange(server, socket, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(transport.flags().write_batching).toBe(false);
    const warnings = lines.filter((l) => l.level === "warn");
    expect(warnings.map((l) => l.msg)).toEqual([
      "transport optimisation write_batching switched off: engine.io queued a packet without calling flush() for the one before",
    ]);
    // New connections are left as Engine.IO made them.
    const next = once(io, "connection") as Promise<[ServerSocket]>;
    await client(url);
    await next;
    const own = (Object.getPrototypeOf(conns[1]) as BypassingConn).flush;
    expect(conns[1]?.flush).toBe(own);
    expect(lines.filter((l) => l.level === "warn")).toHaveLength(1);
  });

  it("ping spreading is off when the timings leave no room, and switches off on a foreign connection", async () => {
    const tight = capture();
    const noRoom = { intervalMs: 10_000, timeoutMs: 5000, maxDetectMs: 15_000 };
    const { transport: t1 } = await serve(tight.logger, { timings: noRoom });
    expect(t1.flags().ping_spread).toBe(false);
    expect(tight.lines.filter((l) => l.level === "warn").map((l) => l.msg)).toEqual([
      "transport optimisation ping_spread off: the heartbeat interval + timeout leave no room under the 15 s detection bound",
    ]);

    const { logger, lines } = capture();
    const { transport } = await serve(logger);
    // Something that is not an Engine.IO socket: both connection-level optimisations go off, once.
    transport.connection({});
    transport.connection({});
    expect(transport.flags()).toEqual({
      ping_spread: false,
      write_batching: false,
      direct_emit: true,
    });
    expect(lines.filter((l) => l.level === "warn").map((l) => l.msg)).toEqual([
      "transport optimisation ping_spread switched off: an engine.io connection lacks pingIntervalTimer/schedulePing",
      "transport optimisation write_batching switched off: an engine.io connection has no flush()",
    ]);
    // A main-namespace socket of another shape: direct emits off too.
    expect(transport.emitter({ nsp: { name: "/" } })).toBeUndefined();
    expect(transport.flags().direct_emit).toBe(false);
  });

  it("is in the metrics as duet_transport_optimisation{name}", async () => {
    const registry = createMetricsRegistry({
      health: () => ({ spaces: [] }) as never,
      defaultMetrics: false,
      gateway: () => ({
        connections: 1,
        rejected: {},
        abusiveDisconnects: 0,
        optimisations: { ping_spread: true, write_batching: false, direct_emit: true },
      }),
    });
    const text = await registry.metrics();
    expect(text).toContain("# TYPE duet_transport_optimisation gauge");
    expect(text).toContain('duet_transport_optimisation{name="ping_spread"} 1');
    expect(text).toContain('duet_transport_optimisation{name="write_batching"} 0');
    expect(text).toContain('duet_transport_optimisation{name="direct_emit"} 1');
  });

  describe("in Duet's gateway", () => {
    let server: TestServer | undefined;
    afterEach(async () => server?.close());

    it("logs each once at start, keeps all three active through a conversation, and serves the metric", async () => {
      const { logger, lines } = capture();
      server = await startServer({}, { logger });
      const started = lines.filter((l) => l.msg.startsWith("transport optimisation "));
      expect(started.map((l) => `${l.level} ${l.msg.split(" ").slice(2, 4).join(" ")}`)).toEqual([
        "info ping_spread active",
        "info write_batching active",
        "info direct_emit active",
      ]);
      const { a, b, active: ready } = twoChatters(server.url, closers);
      await until(() => a.connected && b.connected, 5000, "connected");
      a.emit("join", { space: "menti", intent: "both" });
      b.emit("join", { space: "menti", intent: "both" });
      await ready;
      const heard = new Promise<void>((resolve) => b.once("message", () => resolve()));
      await a.timeout(2000).emitWithAck("send", { text: "hello" });
      await heard;
      expect(server.duet.gateway.stats().optimisations).toEqual({
        ping_spread: true,
        write_batching: true,
        direct_emit: true,
      });
      expect(lines.filter((l) => l.msg.startsWith("transport optimisation "))).toHaveLength(3);
      const metrics = await fetch(`${server.url}/metrics`);
      const text = await metrics.text();
      for (const name of ["ping_spread", "write_batching", "direct_emit"]) {
        expect(text).toContain(`duet_transport_optimisation{name="${name}"} 1`);
      }
    });
  });
});

/** The parts of an Engine.IO socket the bypass case rewires. */
interface BypassingConn {
  flush: () => void;
  sendPacket: (type: string, data?: unknown) => void;
  writeBuffer: unknown[];
  emit(event: string, packet: unknown): boolean;
}

/** Makes this Engine.IO socket queue and write as a future version might: without this.flush(). */
function bypassFlush(conn: BypassingConn): void {
  const ownFlush = (Object.getPrototypeOf(conn) as BypassingConn).flush;
  conn.sendPacket = (type, data) => {
    const packet = { type, data, options: { compress: true } };
    conn.emit("packetCreate", packet);
    conn.writeBuffer.push(packet);
    ownFlush.call(conn);
  };
}
