/**
 * Two gateways in one process over one MemoryStore, sharing a LocalClusterBus: a cluster in
 * memory (issue 17). What is checked here is what the seams already carry across gateways; the
 * Redis version (issue 18) runs the same cases for real.
 */
import { MemoryStore } from "@duet/engine";
import { afterEach, describe, expect, it } from "vitest";
import { LocalClusterBus } from "../../src/gateway/cluster-bus";
import { mintToken, startServer, TestClient, type TestServer, until } from "../harness";

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
  const a = await startServer({}, { store, bus });
  servers.push(a);
  const b = await startServer({}, { store, bus });
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
    const a = await startServer({}, { store, bus });
    const b = await startServer({}, { store, bus });
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
});
