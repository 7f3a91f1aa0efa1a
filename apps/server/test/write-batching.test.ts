/**
 * write-batching.ts against the installed Engine.IO / ws: packets queued in one tick leave in one
 * TCP write, in order, and the client reads them unchanged. Counted on the server's net.Socket
 * (its `_write`/`_writev`), the one place a batch becomes a system call. And the flush watch: it
 * passes with the installed Engine.IO and catches one that queues packets without `flush`.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type Socket as ServerSocket } from "socket.io";
import { io as connect, type Socket } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { batchWrites, type FlushWatch, MAX_HOLD_MS } from "../src/write-batching";
import { closeAfterEach, twoChatters } from "./fixtures/transport";
import { startServer, type TestServer, until } from "./harness";

interface Counted {
  writes: number;
}

/** Counts the write calls that reach the TCP socket under a WebSocket server socket. */
function countWrites(socket: ServerSocket): Counted {
  const conn = socket.conn as unknown as { transport: { socket: { _socket: CountedNet } } };
  const raw = conn.transport.socket._socket;
  const counted: Counted = { writes: 0 };
  for (const method of ["_write", "_writev"] as const) {
    const original = raw[method].bind(raw);
    raw[method] = (...args: unknown[]) => {
      counted.writes += 1;
      return original(...args);
    };
  }
  return counted;
}

type CountedNet = Record<"_write" | "_writev", (...args: unknown[]) => unknown>;

/** The parts of an Engine.IO socket the bypass test rewires. */
interface BypassingConn {
  flush: () => void;
  sendPacket: (type: string, data?: unknown) => void;
  writeBuffer: unknown[];
  emit(event: string, packet: unknown): boolean;
}

const closers = closeAfterEach();

async function bareServer(batch: boolean): Promise<{ io: Server; url: string }> {
  const http = createServer();
  const io = new Server(http, { transports: ["websocket"] });
  if (batch) io.engine.on("connection", (conn: unknown) => expect(batchWrites(conn)).toBe(true));
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  closers.push(() => new Promise<void>((r) => io.close(() => r())));
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

const connected = (s: Socket): Promise<void> =>
  new Promise((resolve) => s.once("connect", () => resolve()));

async function client(url: string): Promise<Socket> {
  const socket = connect(url, { transports: ["websocket"], forceNew: true, reconnection: false });
  closers.push(() => void socket.close());
  await connected(socket);
  return socket;
}

/** Emits `count` events in one tick on the server side; resolves with what the client read. */
async function burst(batch: boolean, count: number): Promise<{ writes: number; got: number[] }> {
  const { io, url } = await bareServer(batch);
  const serverSide = once(io, "connection") as Promise<[ServerSocket]>;
  const socket = await client(url);
  const [server] = await serverSide;
  // Let the connect handshake's own writes finish before counting.
  await new Promise((r) => setTimeout(r, 50));
  const counted = countWrites(server);
  const got: number[] = [];
  const all = new Promise<void>((resolve) => {
    socket.on("n", (i: number) => {
      got.push(i);
      if (got.length === count) resolve();
    });
  });
  for (let i = 0; i < count; i++) server.emit("n", i);
  await all;
  return { writes: counted.writes, got };
}

describe("write batching", () => {
  it("sends packets queued in one tick in one TCP write, in order", async () => {
    const { writes, got } = await burst(true, 5);
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(writes).toBe(1);
  });

  it("without it, the same packets take more than one write (the control)", async () => {
    const { writes, got } = await burst(false, 5);
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(writes).toBeGreaterThan(1);
  });

  it("holds packets at most MAX_HOLD_MS: a long turn sends what waits when the next is queued", async () => {
    const { io, url } = await bareServer(true);
    const serverSides: ServerSocket[] = [];
    io.on("connection", (s) => serverSides.push(s));
    const first = await client(url);
    const second = await client(url);
    await until(() => serverSides.length === 2);
    await new Promise((r) => setTimeout(r, 50));
    const [x, y] = serverSides as [ServerSocket, ServerSocket];
    const counted = countWrites(x);
    const got = new Promise<void>((resolve) => first.once("n", () => resolve()));
    x.emit("n", 1);
    expect(counted.writes).toBe(0); // held for the end of the turn
    // The same turn goes on longer than the hold (bounded: MAX_HOLD_MS + 50 ms at most).
    const start = performance.now();
    while (performance.now() - start < MAX_HOLD_MS + 1) {
      if (performance.now() - start > MAX_HOLD_MS + 50) break;
    }
    y.emit("n", 2);
    expect(counted.writes).toBe(1); // sent before the turn ended
    await got;
    second.close();
  });

  it("the flush watch passes with the installed Engine.IO (every packet goes through flush)", async () => {
    const results: string[] = [];
    const { io, url } = await bareServer(false);
    io.engine.on("connection", (conn: unknown) => {
      const watch: FlushWatch = {
        packets: 8,
        verified: () => results.push("verified"),
        bypassed: (reason) => results.push(`bypassed: ${reason}`),
      };
      expect(batchWrites(conn, watch)).toBe(true);
    });
    const serverSide = once(io, "connection") as Promise<[ServerSocket]>;
    const socket = await client(url);
    const [server] = await serverSide;
    const got = new Promise<void>((resolve) => {
      let n = 0;
      socket.on("n", () => {
        n += 1;
        if (n === 10) resolve();
      });
    });
    for (let i = 0; i < 10; i++) server.emit("n", i);
    await got;
    // Checked to the end: an upgrade that stopped emitting "packetCreate" would fail here too.
    expect(results).toEqual(["verified"]);
  });

  it("the flush watch sees Engine.IO queue packets without flush(), and undoes the batching", async () => {
    const results: string[] = [];
    const { io, url } = await bareServer(false);
    let engineConn: BypassingConn | undefined;
    io.engine.on("connection", (conn: unknown) => {
      engineConn = conn as BypassingConn;
      const watch: FlushWatch = {
        packets: 8,
        verified: () => results.push("verified"),
        bypassed: (reason) => results.push(`bypassed: ${reason}`),
      };
      expect(batchWrites(conn, watch)).toBe(true);
    });
    const serverSide = once(io, "connection") as Promise<[ServerSocket]>;
    const socket = await client(url);
    const [server] = await serverSide;
    const conn = engineConn as BypassingConn;
    const batchedFlush = conn.flush;
    // A future Engine.IO that queues and writes without calling this.flush(): its own
    // (prototype) flush, straight away.
    const ownFlush = (Object.getPrototypeOf(conn) as BypassingConn).flush;
    conn.sendPacket = (type, data) => {
      const packet = { type, data, options: { compress: true } };
      conn.emit("packetCreate", packet);
      conn.writeBuffer.push(packet);
      ownFlush.call(conn);
    };
    const got: number[] = [];
    const all = new Promise<void>((resolve) => {
      socket.on("n", (i: number) => {
        got.push(i);
        if (got.length === 5) resolve();
      });
    });
    for (let i = 0; i < 5; i++) server.emit("n", i);
    await all;
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatch(/^bypassed: engine.io queued a packet without calling flush/);
    // The socket has Engine.IO's own flush back.
    expect(conn.flush).not.toBe(batchedFlush);
  });

  it("leaves a socket without the expected shape alone", () => {
    expect(batchWrites(undefined)).toBe(false);
    expect(batchWrites({})).toBe(false);
    expect(batchWrites({ flush: 1 })).toBe(false);
  });

  describe("in Duet's gateway", () => {
    let server: TestServer;
    afterEach(async () => server?.close());

    it("a sender's copy of a message and its send ack leave in one write", async () => {
      server = await startServer();
      const sockets: ServerSocket[] = [];
      server.duet.gateway.io.on("connection", (s) => sockets.push(s as unknown as ServerSocket));
      const { a, b, active: ready } = twoChatters(server.url, closers);
      await Promise.all([connected(a), connected(b)]);
      a.emit("join", { space: "menti", intent: "both" });
      b.emit("join", { space: "menti", intent: "both" });
      await ready;
      await new Promise((r) => setTimeout(r, 50));
      const senderSocket = sockets.find((s) => s.id === a.id);
      expect(senderSocket).toBeDefined();
      const counted = countWrites(senderSocket as ServerSocket);
      const order: string[] = [];
      a.on("message", () => order.push("message"));
      const ack = await a.timeout(2000).emitWithAck("send", { text: "hello" });
      order.push("ack");
      expect(ack).toEqual({ ok: true });
      expect(order).toEqual(["message", "ack"]);
      expect(counted.writes).toBe(1);
    });
  });
});
