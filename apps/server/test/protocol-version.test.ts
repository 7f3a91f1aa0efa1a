/**
 * Protocol versions through real sockets (docs/protocol.md, "Versions of this protocol"): a
 * client written to the first document (no `auth.protocol`) is served as before; a protocol-2
 * client gets its own event's one view, and its own message's copy, in that event's ack; an
 * unknown version is refused at the handshake. The same scripted conversations, run once with
 * protocol-1 clients and once with protocol-2 clients, must leave every screen with the same
 * views and messages in the same order.
 */
import type { ClientPayload, StateView } from "@duet/protocol";
import { io } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { mintToken, startServer, TestClient, type TestServer, until } from "./harness";

let server: TestServer | undefined;
const clients: TestClient[] = [];

async function boot(): Promise<TestServer> {
  server = await startServer({ SPACES: "menti,stimchat,dormparty" });
  return server;
}
async function connect(protocol: 1 | 2 | undefined): Promise<TestClient> {
  if (!server) throw new Error("no server");
  const c = await TestClient.connect(server, {
    extraHeaders: { cookie: mintToken(server).cookie },
    ...(protocol !== undefined ? { protocol } : {}),
  });
  clients.push(c);
  return c;
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

const is =
  (state: StateView["state"]) =>
  (s: StateView): boolean =>
    s.state === state;

/** What a screen showed, without what differs between two runs (ids, times, versions). */
function screen(c: TestClient): unknown[] {
  const views = c.states.map((s) => {
    const {
      sessionId: _s,
      waitedMs: _w,
      enterWithinMs: _e,
      ...rest
    } = s as StateView & {
      sessionId?: string;
      waitedMs?: number;
      enterWithinMs?: number;
    };
    const previous = "previous" in rest && rest.previous ? { ...rest.previous } : undefined;
    if (previous) (previous as { sessionId?: string }).sessionId = undefined;
    return previous ? { ...rest, previous } : rest;
  });
  return [views, c.messages.map((m) => [m.from, m.text])];
}

/** Two people just paired: both see MATCHED, both enter, both see ACTIVE. */
async function enterBoth(a: TestClient, b: TestClient): Promise<void> {
  await a.waitState(is("MATCHED"));
  await b.waitState(is("MATCHED"));
  await a.emit("enter", { sessionId: a.sessionId() });
  await b.emit("enter", { sessionId: b.sessionId() });
  await a.waitState(is("ACTIVE"));
  await b.waitState(is("ACTIVE"));
}

type Script = (connect: () => Promise<TestClient>) => Promise<TestClient[]>;

const menti: Script = async (open) => {
  const a = await open();
  const b = await open();
  await a.join("talk");
  await a.waitState(is("WAITING"));
  await b.join("listen");
  await enterBoth(a, b);
  await a.emit("send", { text: "hello there" });
  await until(() => b.messages.length === 1, 20_000, "b has a's message");
  await b.emit("send", { text: "hi, I'm listening" });
  await until(() => a.messages.length === 2, 20_000, "a has b's message");
  await a.emit("exit", {});
  await a.waitState(is("ENDED"));
  await b.waitState(is("ENDED"));
  await a.emit("home", {});
  await a.waitState(is("IDLE"));
  return [a, b];
};

const dorm: ClientPayload<"join"> = { space: "dormparty" };
const dormparty: Script = async (open) => {
  const a = await open();
  const b = await open();
  await a.emit("join", dorm);
  await a.waitState(is("WAITING"));
  await b.emit("join", dorm);
  await enterBoth(a, b);
  // Skip: both looking again at once (the pair's cooldown keeps them apart).
  await a.emit("skip", {});
  await a.waitState(is("WAITING"));
  await b.waitState(is("WAITING"));
  // End from a search is a no-op; cancel takes the skipper home.
  await a.emit("end", {});
  await a.emit("cancel", {});
  await a.waitState(is("IDLE"));
  return [a, b];
};

describe("the same conversations under protocol 1 and protocol 2", () => {
  for (const [name, script] of [
    ["menti: join, enter, a message each way, exit, home", menti],
    ["dormparty: join, enter, Skip, End while searching, cancel", dormparty],
  ] as const) {
    it(`${name}: every screen ends with the same views and messages`, async () => {
      await boot();
      const v1 = await script(() => connect(undefined));
      const first = v1.map(screen);
      for (const c of clients.splice(0)) c.close();
      const v2 = await script(() => connect(2));
      expect(v2.map(screen)).toEqual(first);
      // Protocol 1 took everything as events; protocol 2 took some of it from acks.
      for (const c of v1) {
        expect(c.stateSources.every((s) => s === "event")).toBe(true);
        expect(c.messageSources.every((s) => s === "event")).toBe(true);
      }
      expect(v2.some((c) => c.stateSources.includes("ack"))).toBe(true);
    });
  }
});

describe("protocol 2", () => {
  it("a view that answers the client's own event comes in its ack, not as an event", async () => {
    await boot();
    const a = await connect(2);
    const b = await connect(2);
    const joined = await a.join("talk");
    expect(joined).toMatchObject({ ok: true, state: { state: "WAITING", space: "menti" } });
    expect(joined.ok && typeof joined.state?.version).toBe("number");
    // Paired at once: b's own MATCHED in its ack; a's (not its own event) as an event.
    expect(await b.join("listen")).toMatchObject({ ok: true, state: { state: "MATCHED" } });
    await a.waitState(is("MATCHED"));
    expect(a.stateSources).toEqual(["event", "ack", "event"]);
    // The first one in: nothing changed for it, a plain ack. The second: its ACTIVE in the ack.
    expect(await a.emit("enter", { sessionId: a.sessionId() })).toEqual({ ok: true });
    expect(await b.emit("enter", { sessionId: b.sessionId() })).toMatchObject({
      ok: true,
      state: { state: "ACTIVE" },
    });
    await a.waitState(is("ACTIVE"));
    expect(b.stateSources).toEqual(["event", "ack", "ack"]);
    // exit: the leaver's ENDED in its ack, the partner's as an event.
    expect(await a.emit("exit", {})).toMatchObject({
      ok: true,
      state: { state: "ENDED", reason: "left", by: "you" },
    });
    await b.waitState(is("ENDED"));
    expect(b.stateSources.at(-1)).toBe("event");
    // A refusal is a plain refusal.
    expect(await a.emit("send", { text: "too late" })).toEqual({ ok: true });
    expect(await a.emit("enter", { sessionId: a.sessionId() })).toMatchObject({
      ok: false,
      code: "room_unavailable",
    });
  });

  it("the sender's own copy comes only in the send ack: none without an ack", async () => {
    await boot();
    const a = await connect(2);
    const b = await connect(2);
    await a.join("talk");
    await b.join("listen");
    await a.waitState(is("MATCHED"));
    await a.emit("enter", { sessionId: a.sessionId() });
    await b.emit("enter", { sessionId: b.sessionId() });
    await a.waitState(is("ACTIVE"));
    // No ack asked: the partner gets it, the sender no copy at all.
    a.socket.emit("send", { text: "one" });
    const ack = await a.emit("send", { text: "two" });
    // Both sends were handled in order before this ack: a copy of "one" would be here by now.
    expect(ack).toMatchObject({ ok: true, copy: { from: "you", text: "two" } });
    expect(a.messages.map((m) => m.text)).toEqual(["two"]);
    expect(a.messageSources).toEqual(["ack"]);
    await until(() => b.messages.length === 2, 20_000, "both messages at b");
    expect(b.messages.map((m) => [m.from, m.text])).toEqual([
      ["partner", "one"],
      ["partner", "two"],
    ]);
    expect(b.messageSources).toEqual(["event", "event"]);
  });

  it("a report's views come as events at once; its ack, plain, once the report is stored", async () => {
    await boot();
    const a = await connect(2);
    const b = await connect(2);
    await a.emit("join", { space: "stimchat" });
    await b.emit("join", { space: "stimchat" });
    await a.waitState(is("MATCHED"));
    await b.waitState(is("MATCHED"));
    await a.emit("enter", { sessionId: a.sessionId() });
    await b.emit("enter", { sessionId: b.sessionId() });
    await a.waitState(is("ACTIVE"));
    expect(await a.emit("report", { reason: "spam" })).toEqual({ ok: true });
    expect(a.state).toMatchObject({ state: "ENDED", reason: "reported", by: "you" });
    expect(a.stateSources.at(-1)).toBe("event");
  });
});

describe("the handshake", () => {
  for (const asked of [3, 0, "2", null]) {
    it(`refuses auth.protocol ${JSON.stringify(asked)} with protocol_version, naming the versions it speaks`, async () => {
      const { url } = await boot();
      const socket = io(url, {
        transports: ["websocket"],
        reconnection: false,
        forceNew: true,
        auth: { protocol: asked },
      });
      try {
        const err = await new Promise<Error & { data?: unknown }>((resolve, reject) => {
          socket.once("connect_error", resolve);
          socket.once("connect", () => reject(new Error("connected")));
        });
        expect(err.message).toBe("protocol_version");
        expect(err.data).toMatchObject({ code: "protocol_version", versions: [1, 2] });
      } finally {
        socket.close();
      }
    });
  }

  it("accepts protocol 1 by name, served exactly as without it", async () => {
    await boot();
    const a = await connect(1);
    const b = await connect(1);
    await a.join("talk");
    expect(await b.join("listen")).toEqual({ ok: true });
    await b.waitState(is("MATCHED"));
    expect(b.stateSources.every((s) => s === "event")).toBe(true);
  });
});
