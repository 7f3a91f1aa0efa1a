/**
 * A chat message between two people of one node is relayed on that node's copy of their
 * conversation (engine `Talk`, gateway events.ts): no store read. And delivery keeps a message
 * from a screen that no longer shows its conversation (a close made elsewhere, on its way).
 */
import { LatestViews, MemoryStore } from "@duet/engine";
import type { ChatMessage } from "@duet/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { CountMap } from "../src/connection-caps";
import { createDelivery } from "../src/gateway/delivery";
import type { PresenceFeed } from "../src/gateway/presence-feed";
import type { ReportBuffers } from "../src/gateway/reports";
import type { Sockets } from "../src/gateway/sockets";
import type { Conn } from "../src/gateway/types";
import { meetAndEnter, startServer, TestClient, type TestServer, until } from "./harness";

class ReadCountingStore extends MemoryStore {
  reads = 0;
  override getUser(id: string) {
    this.reads += 1;
    return super.getUser(id);
  }
}

let server: TestServer | undefined;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

describe("relay on the node's copy", () => {
  it("messages between two people of one node read nothing from the store; after the end the store decides again", async () => {
    const store = new ReadCountingStore();
    server = await startServer({}, { store });
    const a = await TestClient.connect(server);
    const b = await TestClient.connect(server);
    clients.push(a, b);
    await meetAndEnter(
      a,
      b,
      { space: "menti", intent: "talk" },
      { space: "menti", intent: "listen" },
    );
    // The partner named beside a view (its id and node) stays on the server: what the client's
    // view says of the partner is only the protocol's PartnerView (intent, shared topics).
    expect(a.states.at(-1)).toMatchObject({ state: "ACTIVE" });
    for (const view of a.states) {
      const partner = (view as { partner?: object }).partner ?? {};
      expect(Object.keys(partner).every((k) => k === "intent" || k === "sharedTopics")).toBe(true);
    }
    const before = store.reads;
    for (let i = 0; i < 5; i++)
      expect(await a.emit("send", { text: `a${i}` })).toEqual({ ok: true });
    expect(await b.emit("send", { text: "b0" })).toEqual({ ok: true });
    await until(() => b.messages.length >= 5 && a.messages.length >= 6, 20_000, "delivered");
    expect(store.reads).toBe(before);
    expect(b.messages.map((m) => m.text)).toEqual(["a0", "a1", "a2", "a3", "a4", "b0"]);
    expect(await a.emit("exit", {})).toEqual({ ok: true });
    await until(() => b.states.at(-1)?.state === "ENDED", 20_000, "partner told");
    // ENDED on this node's copy: the engine reads the store, and a send after the end is a
    // silent no-op (the table's NOOP).
    const after = store.reads;
    expect(await b.emit("send", { text: "late" })).toEqual({ ok: true });
    expect(store.reads).toBeGreaterThan(after);
    expect(a.messages.some((m) => m.text === "late")).toBe(false);
  });
});

describe("delivery of a message", () => {
  function harness() {
    const emitted: { to: string; text: string }[] = [];
    const conns = new Map<string, Conn>();
    const sockets: Sockets = {
      emit: (to, event, payload) => {
        if (event === "message") emitted.push({ to, text: (payload as ChatMessage).text });
      },
      presenceMember: () => {},
    };
    const presence = { conversation: () => {} } as unknown as PresenceFeed;
    const reports = { delivered: () => {} } as unknown as ReportBuffers;
    const deliver = createDelivery({
      sockets,
      conns,
      latest: new LatestViews(),
      presence,
      reports,
      waitingByAddress: new CountMap(),
      tookOver: () => {},
    });
    const conn = (userId: string, state: Conn["state"], sessionId?: string) =>
      conns.set(userId, {
        userId,
        state,
        session: sessionId ? { space: "menti", sessionId } : undefined,
      } as unknown as Conn);
    const message = (to: string, sessionId: string, text: string) =>
      deliver({
        to,
        event: "message",
        payload: { sessionId, id: text, text, from: "partner", at: 1 },
      });
    return { emitted, conn, message };
  }

  it("reaches a screen showing that conversation, and no other", () => {
    const h = harness();
    h.conn("active", "ACTIVE", "s1");
    h.conn("matched", "MATCHED", "s1");
    h.conn("ended", "ENDED", "s1");
    h.conn("elsewhere", "ACTIVE", "s2");
    h.conn("waiting", "WAITING");
    for (const to of ["active", "matched", "ended", "elsewhere", "waiting"])
      h.message(to, "s1", to);
    expect(h.emitted.map((e) => e.to)).toEqual(["active", "matched"]);
  });
});
