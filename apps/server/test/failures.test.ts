/**
 * SPEC §3's failure table, row by row, through real sockets on 127.0.0.1.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { activePair, sleep, startServer, TestClient, type TestServer, until } from "./harness";

let server: TestServer;
const clients: TestClient[] = [];
const connect = async (opts?: Parameters<typeof TestClient.connect>[1]) => {
  const c = await TestClient.connect(server, opts);
  clients.push(c);
  return c;
};

beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.close();
});

describe("disconnect while waiting", () => {
  it("is removed from the queue at once and never matched afterwards", async () => {
    const a = await connect();
    await a.join("talk");
    await a.waitState((s) => s.state === "WAITING");
    a.close();
    await until(() => server.store.inspect().users.length === 0, 20_000, "user removed");
    expect(server.store.inspect().queued).toEqual([]);
    const b = await connect();
    await b.join("listen");
    await sleep(100);
    expect(b.state?.state).toBe("WAITING");
  });

  it("join and disconnect in the same tick leave no ghost", async () => {
    const a = await connect();
    void a.join("talk");
    a.close();
    await until(() => server.store.inspect().users.length === 0, 20_000, "user removed");
    const b = await connect();
    await b.join("listen");
    await sleep(100);
    expect(b.state?.state).toBe("WAITING");
    expect(server.store.inspect().sessions).toEqual([]);
  });
});

describe("disconnect during a session", () => {
  it("a clean close ends the session and tells the partner", async () => {
    const [a, b] = await activePair(server);
    a.close();
    const ended = await b.waitState((s) => s.state === "ENDED");
    expect(ended).toMatchObject({ reason: "disconnected", by: "partner" });
    expect(server.store.inspect().sessions).toEqual([]);
  });

  it("a refresh (new connection from the same browser) is a new visitor and cannot resume", async () => {
    const browserId = "b".repeat(22);
    const a = await connect({ browserId });
    const b = await connect();
    await a.join("talk");
    await b.join("listen");
    await a.waitState((s) => s.state === "MATCHED");
    const sessionId = a.sessionId();
    await a.emit("enter", { sessionId });
    await b.emit("enter", { sessionId });
    await b.waitState((s) => s.state === "ACTIVE");
    a.close();
    const again = await connect({ browserId });
    expect(again.state).toEqual({ state: "IDLE" });
    const refused = await again.emit("enter", { sessionId });
    expect(refused).toMatchObject({ ok: false, code: "room_unavailable" });
    await b.waitState((s) => s.state === "ENDED");
  });

  it("a silent network loss is detected by the heartbeat and the partner is told", async () => {
    await server.close();
    // Short enough to wait out, long enough for the real client `b` to answer every ping on a
    // busy machine (a missed pong would end its own connection instead).
    server = await startServer({ HEARTBEAT_INTERVAL_MS: "1000", HEARTBEAT_TIMEOUT_MS: "4000" });
    const b = await connect();
    // A raw Engine.IO v4 client that opens the socket, joins, answers pings until the
    // conversation is ACTIVE and then never again: to the server it looks exactly like a network
    // that went silent.
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`);
    let answering = true;
    ws.on("message", (data) => {
      if (answering && data.toString() === "2") ws.send("3");
    });
    await new Promise((r) => ws.once("open", r));
    ws.send("40");
    await until(() => server.store.inspect().users.length === 2, 20_000, "raw client connected");
    ws.send('42["join",{"space":"menti","intent":"talk"}]');
    await b.join("listen");
    await b.waitState((s) => s.state === "MATCHED");
    ws.send(`42["enter",{"sessionId":"${b.sessionId()}"}]`);
    await b.emit("enter", { sessionId: b.sessionId() });
    await b.waitState((s) => s.state === "ACTIVE");
    answering = false;
    const ended = await b.waitState((s) => s.state === "ENDED");
    expect(ended).toMatchObject({ reason: "disconnected", by: "partner" });
    ws.terminate();
  });

  it("a reconnecting client (Socket.IO auto-reconnect) is never carried back into the session", async () => {
    const a = await connect({ reconnection: true });
    const b = await connect();
    await a.join("talk");
    await b.join("both");
    await a.waitState((s) => s.state === "MATCHED");
    await a.emit("enter", { sessionId: a.sessionId() });
    await b.emit("enter", { sessionId: b.sessionId() });
    await a.waitState((s) => s.state === "ACTIVE");
    const before = a.states.length;
    // Drop the transport under the client: it reconnects by itself as a new connection.
    a.socket.io.engine.close();
    await until(() => a.states.length > before && a.socket.connected, 20_000, "reconnect");
    expect(a.state).toEqual({ state: "IDLE" });
    await b.waitState((s) => s.state === "ENDED");
  });
});

describe("duplicate join, double click, two tabs", () => {
  it("a double join makes one queue entry", async () => {
    const a = await connect();
    const [r1, r2] = await Promise.all([a.join("talk"), a.join("talk")]);
    expect(r1.ok && r2.ok).toBe(true);
    expect(server.store.inspect().queued).toHaveLength(1);
  });

  it("a second tab of the same browser is refused with a clear message and never paired with the first", async () => {
    const browserId = "t".repeat(22);
    const tab1 = await connect({ browserId });
    const tab2 = await connect({ browserId });
    await tab1.join("talk");
    const refused = await tab2.join("listen");
    expect(refused).toMatchObject({ ok: false, code: "already_waiting_elsewhere" });
    // One answer per refused event: the ack carries the words, no `rejected` besides.
    expect(!refused.ok && refused.message).toMatch(/another tab/);
    expect(tab2.rejected).toEqual([]);
    expect(server.store.inspect().queued).toHaveLength(1);
    expect(tab1.state?.state).toBe("WAITING");
  });
});

describe("stale or foreign /room/{id}", () => {
  it("a made-up id is refused", async () => {
    const a = await connect();
    expect(await a.emit("enter", { sessionId: "x".repeat(22) })).toMatchObject({
      ok: false,
      code: "room_unavailable",
    });
    expect(a.state).toEqual({ state: "IDLE" });
  });

  it("someone else's session is refused, and the pair is untouched", async () => {
    const [a, b] = await activePair(server);
    const stranger = await connect();
    expect(await stranger.emit("enter", { sessionId: a.sessionId() })).toMatchObject({
      ok: false,
      code: "room_unavailable",
    });
    expect(a.state?.state).toBe("ACTIVE");
    expect(b.state?.state).toBe("ACTIVE");
  });

  it("an ended session can never be entered again", async () => {
    const [a, b] = await activePair(server);
    const sessionId = a.sessionId();
    await a.emit("exit", {});
    await b.waitState((s) => s.state === "ENDED");
    expect(await b.emit("enter", { sessionId })).toMatchObject({
      ok: false,
      code: "room_unavailable",
    });
    await b.emit("home", {});
    expect(await b.emit("enter", { sessionId })).toMatchObject({
      ok: false,
      code: "room_unavailable",
    });
  });
});

describe("partner never enters the room", () => {
  it("the session ends after the limit with join_timeout and both are told", async () => {
    // A limit short enough to wait out; `a` only has to enter inside it (one round trip).
    await server.close();
    server = await startServer({ MENTI_JOIN_TIMEOUT_MS: "4000" });
    const a = await connect();
    const b = await connect();
    await a.join("listen");
    await b.join("talk");
    await a.waitState((s) => s.state === "MATCHED");
    await a.emit("enter", { sessionId: a.sessionId() });
    const endedA = await a.waitState((s) => s.state === "ENDED");
    const endedB = await b.waitState((s) => s.state === "ENDED");
    // a entered, b never did: b is told it was them, a that it was the other person.
    expect(endedA).toMatchObject({ reason: "join_timeout", by: "partner" });
    expect(endedB).toMatchObject({ reason: "join_timeout", by: "you" });
  });
});

describe("malformed, oversized or unknown events", () => {
  it("are rejected with a typed error; state untouched; connection kept", async () => {
    const [a, b] = await activePair(server);
    const emitRaw = a.socket.emit.bind(a.socket) as (e: string, ...args: unknown[]) => void;
    const acks: unknown[] = [];
    emitRaw("teleport", {}, (x: unknown) => acks.push(x));
    emitRaw("join", { space: "nowhere" }, (x: unknown) => acks.push(x));
    emitRaw("send", { text: 42 }, (x: unknown) => acks.push(x));
    emitRaw("send", { text: "hi", extra: true }, (x: unknown) => acks.push(x));
    emitRaw("enter", "not an object", (x: unknown) => acks.push(x));
    await until(() => acks.length === 5, 20_000, "acks");
    expect(acks.map((x) => (x as { code: string }).code)).toEqual([
      "unknown_event",
      "invalid_payload",
      "invalid_payload",
      "invalid_payload",
      "invalid_payload",
    ]);
    // Acked refusals are answered by their ack only; one without an ack gets `rejected`.
    expect(a.rejected).toEqual([]);
    emitRaw("teleport", {});
    await until(() => a.rejected.length === 1, 30_000, "rejected");
    expect(a.rejected[0]).toMatchObject({ event: "teleport", code: "unknown_event" });
    expect(a.socket.connected).toBe(true);
    expect(a.state?.state).toBe("ACTIVE");
    expect(b.state?.state).toBe("ACTIVE");
    expect(server.duet.gateway.stats().rejected.invalid_payload).toBe(4);
  });

  it("a too-long message gets a clear error; an empty one too; the partner sees neither", async () => {
    const [a, b] = await activePair(server);
    expect(await a.emit("send", { text: "x".repeat(2001) })).toMatchObject({
      ok: false,
      code: "message_too_long",
    });
    expect(await a.emit("send", { text: "   " })).toMatchObject({
      ok: false,
      code: "message_empty",
    });
    expect(await a.emit("send", { text: "x".repeat(2000) })).toEqual({ ok: true });
    await until(() => b.messages.length === 1);
    expect(b.messages[0]?.text).toHaveLength(2000);
  });

  it("an oversized packet closes that connection (maxHttpBufferSize)", async () => {
    const [a, b] = await activePair(server);
    a.socket.emit("send", { text: "y".repeat(40_000) });
    await until(() => a.disconnected, 20_000, "oversized sender disconnected");
    await b.waitState((s) => s.state === "ENDED");
  });

  it("a flood of malformed events is abusive: the socket is disconnected", async () => {
    const a = await connect();
    const emitRaw = a.socket.emit.bind(a.socket) as (e: string, ...args: unknown[]) => void;
    for (let i = 0; i < 30; i++) emitRaw("nope", {});
    await until(() => a.disconnected, 20_000, "abusive socket disconnected");
    expect(server.duet.gateway.stats().abusiveDisconnects).toBe(1);
  });
});
