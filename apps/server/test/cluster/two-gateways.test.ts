/**
 * Two gateways in one process over one MemoryStore, sharing a LocalClusterBus: a cluster in
 * memory (issue 17). What is checked here is what the seams already carry across gateways; the
 * Redis version (issue 18) runs the same cases for real.
 */
import { MemoryStore, PRESETS, type SpacePolicy } from "@duet/engine";
import type { MediaSetup, SpaceId } from "@duet/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { AdminSessions } from "../../src/admin";
import { Claims } from "../../src/claims";
import { LocalClusterBus } from "../../src/gateway/cluster-bus";
import { createReportBuffers, type ReportBuffers } from "../../src/gateway/reports";
import {
  meetAndEnter,
  mintToken,
  sleep,
  startServer,
  TestClient,
  type TestServer,
  until,
} from "../harness";
import { MemoryCluster } from "./memory-cluster";

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
    const claims = new Claims();
    // The hand-over to a tab on b is routed to b, as any event for b's users.
    const net = new MemoryCluster();
    // a's shutdown waits 5 s before closing its sockets: the hand-over must come before that,
    // from the drain itself, not from a's sockets closing.
    const a = await startServer(
      { SHUTDOWN_GRACE_MS: "5000" },
      { store, seams: { claims, router: net.router("a") } },
    );
    servers.push(a);
    const b = await startServer({}, { store, seams: { claims, router: net.router("b") } });
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

/**
 * Gateways a and b as one cluster in memory: one store, one bus, shared claims and report
 * buffers, and routers that hand each engine event to its recipient's gateway. Each keeps its own
 * deadlines (in a real cluster they are shared: cluster/redis-deadlines.ts).
 */
async function cluster(): Promise<{
  a: TestServer;
  b: TestServer;
  net: MemoryCluster;
  reports: ReportBuffers;
}> {
  const store = new MemoryStore();
  const net = new MemoryCluster();
  const policies = new Map<SpaceId, SpacePolicy>(Object.values(PRESETS).map((p) => [p.id, p]));
  const shared = {
    bus: new LocalClusterBus(),
    claims: new Claims(),
    reports: createReportBuffers(policies),
  };
  const a = await startServer({}, { store, seams: { ...shared, router: net.router("node-a") } });
  servers.push(a);
  const b = await startServer({}, { store, seams: { ...shared, router: net.router("node-b") } });
  servers.push(b);
  return { a, b, net, reports: shared.reports };
}

/** One person on each gateway, matched and both in the room (ACTIVE). */
async function pairAcross(
  a: TestServer,
  b: TestServer,
  join: { space: SpaceId; first?: "talk" | "listen"; second?: "talk" | "listen" },
  cookies: { a?: string; b?: string } = {},
): Promise<[TestClient, TestClient]> {
  const onA = await TestClient.connect(a, cookies.a ? { extraHeaders: { cookie: cookies.a } } : {});
  const onB = await TestClient.connect(b, cookies.b ? { extraHeaders: { cookie: cookies.b } } : {});
  clients.push(onA, onB);
  const joinOf = (intent?: "talk" | "listen") =>
    intent ? { space: join.space, intent } : { space: join.space };
  await meetAndEnter(onA, onB, joinOf(join.first), joinOf(join.second));
  return [onA, onB];
}

describe("a conversation across two gateways (the ownership rule)", () => {
  it("menti: a talker on a and a listener on b meet, talk both ways, and one leaving tells the other", async () => {
    const { a, b, net } = await cluster();
    const [talker, listener] = await pairAcross(a, b, {
      space: "menti",
      first: "talk",
      second: "listen",
    });
    expect(await talker.emit("send", { text: "hello from a" })).toEqual({ ok: true });
    expect(await listener.emit("send", { text: "hi from b" })).toEqual({ ok: true });
    await until(() =>
      listener.messages.some((m) => m.text === "hello from a" && m.from === "partner"),
    );
    await until(() => talker.messages.some((m) => m.text === "hi from b" && m.from === "partner"));
    // Each side's own copy came back to it as "you", and nothing else arrived twice.
    expect(talker.messages.map((m) => `${m.from}:${m.text}`)).toEqual([
      "you:hello from a",
      "partner:hi from b",
    ]);
    expect(net.crossed).toBeGreaterThan(0);
    expect(net.dropped).toBe(0);
    expect(await listener.emit("exit", {})).toEqual({ ok: true });
    await talker.waitState((s) => s.state === "ENDED");
    expect(talker.state).toMatchObject({ state: "ENDED", reason: "left" });
  });

  it("stimchat: a report from b carries both sides' lines; an unreported close leaves no buffer on either", async () => {
    const { a, b, reports } = await cluster();
    const [onA, onB] = await pairAcross(
      a,
      b,
      { space: "stimchat" },
      {
        a: mintToken(a).cookie,
        b: mintToken(b).cookie,
      },
    );
    await onA.emit("send", { text: "line from a" });
    await onB.emit("send", { text: "line from b" });
    await until(() => onA.messages.length === 2 && onB.messages.length === 2);
    expect(await onB.emit("report", { reason: "harassment" })).toEqual({ ok: true });
    const [report] = await b.duet.repo.listReports({ limit: 1 });
    expect(report?.transcript?.map((l) => `${l.from}:${l.text}`)).toEqual([
      "reported:line from a",
      "reporter:line from b",
    ]);
    expect(reports.size()).toEqual({ open: 0, bytes: 0 });

    // A second pair, closed without a report: nothing of it is kept anywhere.
    const [c, d] = await pairAcross(
      a,
      b,
      { space: "stimchat" },
      {
        a: mintToken(a).cookie,
        b: mintToken(b).cookie,
      },
    );
    await c.emit("send", { text: "say nothing of this" });
    await until(() => d.messages.length === 1);
    expect((await reports.size()).bytes).toBeGreaterThan(0);
    expect(await d.emit("exit", {})).toEqual({ ok: true });
    await c.waitState((s) => s.state !== "ACTIVE");
    expect(await reports.size()).toEqual({ open: 0, bytes: 0 });
  });

  it("the person on the other gateway is back in its presence room once the chat is over", async () => {
    const { a, b } = await cluster();
    const [onA, onB] = await pairAcross(a, b, { space: "menti", first: "talk", second: "listen" });
    const inPresence = (server: TestServer, client: TestClient): boolean =>
      server.duet.gateway.io
        .of("/")
        .adapter.rooms.get("presence")
        ?.has(client.socket.id ?? "") ?? false;
    expect(inPresence(b, onB)).toBe(false);
    expect(inPresence(a, onA)).toBe(false);
    expect(await onA.emit("exit", {})).toEqual({ ok: true });
    await onB.waitState((s) => s.state === "ENDED");
    await until(() => inPresence(b, onB) && inPresence(a, onA), 20_000, "both back in presence");
  });

  it("dormparty: both ask for media; each gets its setup on its own gateway, exactly one polite", async () => {
    const { a, b } = await cluster();
    const onA = await TestClient.connect(a, { extraHeaders: { cookie: mintToken(a).cookie } });
    const onB = await TestClient.connect(b, { extraHeaders: { cookie: mintToken(b).cookie } });
    clients.push(onA, onB);
    const setups: Record<"a" | "b", MediaSetup[]> = { a: [], b: [] };
    onA.socket.on("media", (m) => setups.a.push(m));
    onB.socket.on("media", (m) => setups.b.push(m));
    await until(
      () => onA.identities.at(-1)?.status === "ok" && onB.identities.at(-1)?.status === "ok",
    );
    expect(await onA.emit("join", { space: "dormparty" })).toEqual({ ok: true });
    expect(await onB.emit("join", { space: "dormparty" })).toEqual({ ok: true });
    await onA.waitState((s) => s.state === "MATCHED");
    await onB.waitState((s) => s.state === "MATCHED");
    const sessionId = onA.sessionId();
    expect(await onA.emit("media", { sessionId })).toEqual({ ok: true });
    expect(await onB.emit("media", { sessionId })).toEqual({ ok: true });
    await until(() => setups.a.length === 1 && setups.b.length === 1, 20_000, "both setups");
    expect(setups.a[0]?.sessionId).toBe(sessionId);
    expect(setups.b[0]?.sessionId).toBe(sessionId);
    expect([setups.a[0]?.polite, setups.b[0]?.polite].sort()).toEqual([false, true]);
  });

  it("seams handed to app.ts are the ones used: a moderator signed in on a is signed in on b", async () => {
    const adminSessions = new AdminSessions();
    const env = { ADMIN_PASSWORD: "an-admin-password-for-both" };
    const a = await startServer(env, { seams: { adminSessions } });
    servers.push(a);
    const b = await startServer(env, { seams: { adminSessions } });
    servers.push(b);
    const login = await fetch(`${a.url}/api/admin/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-duet-admin": "1", origin: a.url },
      body: JSON.stringify({ password: env.ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const session = await fetch(`${b.url}/api/admin/session`, { headers: { cookie } });
    expect(await session.json()).toEqual({ enabled: true, signedIn: true });
  });
});
