/**
 * Two gateways in one process over one MemoryStore, sharing a LocalClusterBus: a cluster in
 * memory (issue 17). What is checked here is what the seams already carry across gateways; the
 * Redis version (issue 18) runs the same cases for real.
 */
import { MemoryStore } from "@duet/engine";
import { afterEach, describe, expect, it } from "vitest";
import { Claims } from "../../src/claims";
import { LocalClusterBus } from "../../src/gateway/cluster-bus";
import type { Conn } from "../../src/gateway/types";
import { mintToken, sleep, startServer, TestClient, type TestServer, until } from "../harness";

/** A LocalClusterBus that counts its live subscriptions. */
class CountingBus extends LocalClusterBus {
  subscribers = 0;
  override subscribe(handler: Parameters<LocalClusterBus["subscribe"]>[0]): () => void {
    const stop = super.subscribe(handler);
    this.subscribers += 1;
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      this.subscribers -= 1;
      stop();
    };
  }
}

const servers: TestServer[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

async function twoGateways(): Promise<[TestServer, TestServer]> {
  const store = new MemoryStore();
  const bus = new LocalClusterBus();
  const a = await startServer({}, { store, seams: { bus } });
  servers.push(a);
  const b = await startServer({}, { store, seams: { bus } });
  servers.push(b);
  return [a, b];
}

describe("two gateways sharing a cluster bus", () => {
  it("a ban published on one gateway reaches the banned person's socket on the other, and so does the unban", async () => {
    const [a, b] = await twoGateways();
    const token = mintToken(b);
    const person = await TestClient.connect(b, {
      extraHeaders: { cookie: token.cookie },
    });
    clients.push(person);
    await until(() => person.identities.at(-1)?.status === "ok", 20_000, "identity ok");
    const bannedUntil = Date.now() + 86_400_000;
    a.duet.gateway.banned(token.id, bannedUntil);
    await until(() => person.identities.at(-1)?.status === "banned", 20_000, "banned on b");
    expect(person.identities.at(-1)).toEqual({ status: "banned", bannedUntil });
    a.duet.gateway.unbanned(token.id);
    await until(() => person.identities.at(-1)?.status === "ok", 20_000, "unbanned on b");
  });

  it("a gateway that shut down leaves the bus; a ban from the other still reaches its own sockets", async () => {
    const store = new MemoryStore();
    const bus = new CountingBus();
    const a = await startServer({}, { store, seams: { bus } });
    const b = await startServer({}, { store, seams: { bus } });
    servers.push(b);
    expect(bus.subscribers).toBe(2);
    await a.close();
    expect(bus.subscribers).toBe(1);
    const token = mintToken(b);
    const person = await TestClient.connect(b, { extraHeaders: { cookie: token.cookie } });
    clients.push(person);
    await until(() => person.identities.at(-1)?.status === "ok", 20_000, "identity ok");
    b.duet.gateway.banned(token.id, null);
    await until(() => person.identities.at(-1)?.status === "banned", 20_000, "banned on b");
  });

  it("claims shared by two gateways: one token, one holder across both; a draining gateway hands the token over", async () => {
    const store = new MemoryStore();
    const claims = new Claims<Conn>();
    // a's shutdown waits 5 s before closing its sockets: the hand-over must come before that,
    // from the drain itself, not from a's sockets closing.
    const a = await startServer({ SHUTDOWN_GRACE_MS: "5000" }, { store, seams: { claims } });
    servers.push(a);
    const b = await startServer({}, { store, seams: { claims } });
    servers.push(b);
    const token = mintToken(a);
    const first = await TestClient.connect(a, { extraHeaders: { cookie: token.cookie } });
    clients.push(first);
    await until(() => first.identities.at(-1)?.status === "ok", 20_000, "first tab holds");
    const second = await TestClient.connect(b, { extraHeaders: { cookie: token.cookie } });
    clients.push(second);
    await until(() => second.identities.at(-1)?.status === "elsewhere", 20_000, "second waits");
    // Gateway a shuts down: its claim is released through the seam, and b's tab takes over
    // while a's own socket is still open (it hears "the server is restarting").
    const closing = a.close();
    servers.splice(servers.indexOf(a), 1);
    await until(() => second.identities.at(-1)?.status === "ok", 4_500, "second takes over");
    expect(first.disconnected).toBe(false);
    expect(claims.all(token.id)).toHaveLength(1);
    await closing;
  });

  it("a draining gateway takes its waiting people out of the shared store; the other gateway's stay", async () => {
    const store = new MemoryStore();
    const a = await startServer({ SHUTDOWN_GRACE_MS: "5000" }, { store });
    servers.push(a);
    const b = await startServer({}, { store });
    servers.push(b);
    const onA = await TestClient.connect(a);
    const onB = await TestClient.connect(b);
    clients.push(onA, onB);
    expect(await onA.emit("join", { space: "menti", intent: "talk" })).toEqual({ ok: true });
    expect(await onB.emit("join", { space: "menti", intent: "talk" })).toEqual({ ok: true });
    const waiting = async () => (await store.census()).menti?.waiting ?? 0;
    expect(await waiting()).toBe(2);
    const closing = a.close();
    servers.splice(servers.indexOf(a), 1);
    // Before a's sockets close (5 s), its waiting person is out of the shared queue.
    const deadline = Date.now() + 4_500;
    while ((await waiting()) !== 1 && Date.now() < deadline) await sleep(10);
    expect(await waiting()).toBe(1);
    expect(onA.disconnected).toBe(false);
    await closing;
    expect(await waiting()).toBe(1);
  });
});
