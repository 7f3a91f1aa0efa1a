/**
 * Cluster mode for real: three Duet nodes in this process (three `createDuet`, each on its own
 * port with REDIS_URL), one throwaway redis-server and one throwaway PostgreSQL (both from
 * Debian's packages, loopback only). People on different nodes meet, talk, report, get banned and
 * take over each other's tokens, exactly as on one node. Each test runs on a key prefix of its
 * own (REDIS_PREFIX), so nothing carries over between them.
 */
import type { Presence } from "@duet/protocol";
import { type Challenge, solveChallenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ClusterNode,
  meetAndEnter,
  mintToken,
  startClusterNode,
  TestClient,
  until,
} from "../harness";
import { clusterServices } from "./services";

const services = clusterServices();
const { nodes, connect } = services;
let redis: Redis;
let prefixes = 0;

beforeAll(async () => {
  redis = new Redis(services.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
}, 600_000);

afterAll(() => {
  redis?.disconnect();
});

/** Three nodes of one fresh cluster (a new key prefix and a new database). */
async function threeNodes(
  env: Record<string, string> = {},
): Promise<{ n1: ClusterNode; n2: ClusterNode; n3: ClusterNode; prefix: string }> {
  prefixes += 1;
  const name = `three-${prefixes}`;
  const databaseUrl = await services.pg.newDatabase();
  const all = {
    REDIS_URL: services.redis.url,
    REDIS_PREFIX: name,
    DATABASE_URL: databaseUrl,
    CLUSTER_HEARTBEAT_MS: "500",
    CLUSTER_DEAD_AFTER_MS: "1500",
    ...env,
  };
  const started: ClusterNode[] = [];
  for (let i = 0; i < 3; i++) {
    // Each node opens its own database pool from DATABASE_URL, as separate processes would.
    const node = await startClusterNode(all, { tuning: { presenceEveryMs: 200 } });
    nodes.push(node);
    started.push(node);
  }
  const [n1, n2, n3] = started as [ClusterNode, ClusterNode, ClusterNode];
  return { n1, n2, n3, prefix: `{${name}}:` };
}

/** One person on each node, matched and both in the room (ACTIVE). */
async function pairAcross(
  a: ClusterNode,
  b: ClusterNode,
  space: "menti" | "stimchat" | "dormparty",
): Promise<[TestClient, TestClient]> {
  const onA = await connect(a, mintToken(a).cookie);
  const onB = await connect(b, mintToken(b).cookie);
  await until(
    () => onA.identities.at(-1)?.status === "ok" && onB.identities.at(-1)?.status === "ok",
  );
  const intent = (i: "talk" | "listen") => (space === "menti" ? { intent: i } : {});
  await meetAndEnter(onA, onB, { space, ...intent("talk") }, { space, ...intent("listen") });
  return [onA, onB];
}

describe("three nodes over one Redis", () => {
  it("menti across nodes: messages both ways, and a leave that tells the other", async () => {
    const { n1, n2 } = await threeNodes();
    expect(n1.node).not.toBe(n2.node);
    const [talker, listener] = await pairAcross(n1, n2, "menti");
    expect(await talker.emit("send", { text: "hello from n1" })).toEqual({ ok: true });
    expect(await listener.emit("send", { text: "hi from n2" })).toEqual({ ok: true });
    await until(() =>
      listener.messages.some((m) => m.text === "hello from n1" && m.from === "partner"),
    );
    await until(() => talker.messages.some((m) => m.text === "hi from n2" && m.from === "partner"));
    expect(talker.messages.map((m) => `${m.from}:${m.text}`)).toEqual([
      "you:hello from n1",
      "partner:hi from n2",
    ]);
    expect(await listener.emit("exit", {})).toEqual({ ok: true });
    await talker.waitState((s) => s.state === "ENDED");
    expect(talker.state).toMatchObject({ state: "ENDED", reason: "left" });
    // Each node's part shows on its /metrics.
    const metrics = await (await fetch(`${n1.url}/metrics`)).text();
    expect(metrics).toMatch(/^duet_cluster_redis_up 1$/m);
    expect(Number(/^duet_cluster_routed_out_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(Number(/^duet_cluster_routed_in_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
  });

  it("stimchat: a report from n2 carries both sides' lines; an unreported close leaves no Redis keys for it", async () => {
    const { n1, n2, prefix } = await threeNodes();
    const [onA, onB] = await pairAcross(n1, n2, "stimchat");
    const typing: unknown[] = [];
    onB.socket.on("typing", (t) => typing.push(t));
    expect(await onA.emit("typing", {})).toEqual({ ok: true });
    await until(() => typing.length > 0, 20_000, "typing across nodes");
    await onA.emit("send", { text: "line from n1" });
    await onB.emit("send", { text: "line from n2" });
    await until(() => onA.messages.length === 2 && onB.messages.length === 2);
    expect(await onB.emit("report", { reason: "harassment" })).toEqual({ ok: true });
    const [report] = await n1.duet.repo.listReports({ limit: 1 });
    expect(report?.transcript?.map((l) => `${l.from}:${l.text}`)).toEqual([
      "reported:line from n1",
      "reporter:line from n2",
    ]);

    const [c, d] = await pairAcross(n1, n2, "stimchat");
    const sessionId = c.sessionId();
    await c.emit("send", { text: "say nothing of this" });
    await until(() => d.messages.length === 1);
    expect(await redis.keys(`${prefix}rb:${sessionId}*`)).not.toEqual([]);
    expect(await d.emit("exit", {})).toEqual({ ok: true });
    await c.waitState((s) => s.state === "ENDED");
    await eventually(
      async () => (await redis.keys(`${prefix}rb:${sessionId}*`)).length === 0,
      "the buffer's keys gone",
    );
    expect(await redis.keys(`${prefix}s:${sessionId}`)).toEqual([]);
    // No chat text anywhere in Redis: inboxes are emptied as they are read.
    for (const inbox of await redis.keys(`${prefix}inbox:*`))
      expect(await redis.xlen(inbox)).toBe(0);
  });

  it("dormparty across nodes: media setups on each node, signals relayed, skip re-queues both, the cooldown keeps them apart, a third person on n3 is met", async () => {
    const { n1, n2, n3 } = await threeNodes();
    const onA = await connect(n1, mintToken(n1).cookie);
    const onB = await connect(n2, mintToken(n2).cookie);
    await until(
      () => onA.identities.at(-1)?.status === "ok" && onB.identities.at(-1)?.status === "ok",
    );
    const setups: Record<"a" | "b", { polite: boolean }[]> = { a: [], b: [] };
    onA.socket.on("media", (m) => setups.a.push(m));
    onB.socket.on("media", (m) => setups.b.push(m));
    const signals: unknown[] = [];
    onB.socket.on("signal", (s) => signals.push(s));
    expect(await onA.emit("join", { space: "dormparty" })).toEqual({ ok: true });
    expect(await onB.emit("join", { space: "dormparty" })).toEqual({ ok: true });
    await onA.waitState((s) => s.state === "MATCHED");
    await onB.waitState((s) => s.state === "MATCHED");
    const sessionId = onA.sessionId();
    expect(await onA.emit("media", { sessionId })).toEqual({ ok: true });
    expect(await onB.emit("media", { sessionId })).toEqual({ ok: true });
    await until(() => setups.a.length === 1 && setups.b.length === 1, 20_000, "both setups");
    expect([setups.a[0]?.polite, setups.b[0]?.polite].sort()).toEqual([false, true]);
    expect(await onA.emit("signal", { description: { type: "offer", sdp: "v=0" } })).toEqual({
      ok: true,
    });
    await until(() => signals.length === 1, 20_000, "signal across nodes");
    await onA.emit("enter", { sessionId });
    await onB.emit("enter", { sessionId });
    await onA.waitState((s) => s.state === "ACTIVE");
    expect(await onA.emit("skip", {})).toEqual({ ok: true });
    // Both are searching again, and the pair cooldown keeps them from meeting straight back.
    await onA.waitState((s) => s.state === "WAITING");
    await onB.waitState((s) => s.state === "WAITING");
    await new Promise((r) => setTimeout(r, 500));
    expect(onA.state?.state).toBe("WAITING");
    const onC = await connect(n3, mintToken(n3).cookie);
    await until(() => onC.identities.at(-1)?.status === "ok");
    expect(await onC.emit("join", { space: "dormparty" })).toEqual({ ok: true });
    await onC.waitState((s) => s.state === "MATCHED");
    await until(() => [onA, onB].some((x) => x.state?.state === "MATCHED"), 20_000, "C's partner");
    const partnerOfC = [onA, onB].find((x) => x.state?.state === "MATCHED");
    expect(partnerOfC?.sessionId()).toBe(onC.sessionId());
  });

  it("a second tab on another node waits, then takes over when the first closes", async () => {
    const { n1, n3 } = await threeNodes();
    const token = mintToken(n1);
    const first = await connect(n1, token.cookie);
    await until(() => first.identities.at(-1)?.status === "ok", 20_000, "first tab holds");
    const second = await connect(n3, token.cookie);
    await until(() => second.identities.at(-1)?.status === "elsewhere", 20_000, "second waits");
    first.close();
    await until(() => second.identities.at(-1)?.status === "ok", 20_000, "second takes over");
  });

  it("a ban issued on n1 reaches the person's socket on n3, and so does the unban", async () => {
    const { n1, n3 } = await threeNodes();
    const token = mintToken(n3);
    const person = await connect(n3, token.cookie);
    await until(() => person.identities.at(-1)?.status === "ok");
    n1.duet.gateway.banned(token.id, Date.now() + 86_400_000);
    await until(() => person.identities.at(-1)?.status === "banned", 20_000, "banned on n3");
    n1.duet.gateway.unbanned(token.id);
    await until(() => person.identities.at(-1)?.status === "ok", 20_000, "unbanned on n3");
  });

  it("a person's joins count on the node that holds the connection; an address's connections on every node", async () => {
    const { n1, n2, n3 } = await threeNodes({
      RATE_LIMITS: JSON.stringify({
        join: [{ scope: "person", points: 2, durationMs: 60_000 }],
        connect: [{ scope: "ip", points: 8, durationMs: 60_000 }],
      }),
    });
    const token = mintToken(n1);
    const tab = await connect(n1, token.cookie);
    for (let i = 0; i < 2; i++) {
      expect(await tab.emit("join", { space: "stimchat" })).toEqual({ ok: true });
      expect(await tab.emit("cancel", {})).toEqual({ ok: true });
    }
    expect(await tab.emit("join", { space: "stimchat" })).toMatchObject({
      ok: false,
      code: "rate_limited",
    });
    tab.close();
    // The same pass on another node starts that node's window (docs/architecture.md: a person is
    // one connection on one node, so a per-person count needs no Redis round trip per join; a
    // move costs a new connection, which the shared connect limit counts).
    const onN2 = await connect(n2, token.cookie);
    await until(() => onN2.identities.at(-1)?.status === "ok");
    expect(await onN2.emit("join", { space: "stimchat" })).toEqual({ ok: true });
    onN2.close();
    // Connections from this address (127.0.0.1) so far: 2; six more across the nodes fill the
    // budget of 8, and the next is refused wherever it arrives.
    for (const node of [n1, n2, n3, n1, n2, n3]) await connect(node);
    await expect(TestClient.connect(n1)).rejects.toThrow();
  });

  it("a proof-of-work solution buys one token cluster-wide: the replay on another node is refused", async () => {
    const { n1, n2 } = await threeNodes({ POW_MAX_NUMBER: "1000" });
    const challenge = (await (await fetch(`${n1.url}/api/token/challenge`)).json()) as Challenge;
    const solution = await solveChallenge({ challenge, deriveKey });
    const payload = Buffer.from(JSON.stringify({ challenge, solution })).toString("base64");
    const post = (node: ClusterNode) =>
      fetch(`${node.url}/api/token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ payload }),
      });
    expect((await post(n1)).status).toBe(204);
    expect((await post(n2)).status).toBe(403);
  });

  it("an admin session made on n1 works on n2 and n3; signing out on n3 ends it everywhere", async () => {
    const env = { ADMIN_PASSWORD: "an-admin-password-for-all" };
    const { n1, n2, n3 } = await threeNodes(env);
    const login = await fetch(`${n1.url}/api/admin/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-duet-admin": "1", origin: n1.url },
      body: JSON.stringify({ password: env.ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    for (const node of [n2, n3]) {
      const session = await fetch(`${node.url}/api/admin/session`, { headers: { cookie } });
      expect(await session.json()).toEqual({ enabled: true, signedIn: true });
    }
    const out = await fetch(`${n3.url}/api/admin/logout`, {
      method: "POST",
      headers: { cookie, "x-duet-admin": "1", origin: n3.url, "content-type": "application/json" },
      body: "{}",
    });
    expect(out.status).toBeLessThan(300);
    const after = await fetch(`${n1.url}/api/admin/session`, { headers: { cookie } });
    expect(await after.json()).toEqual({ enabled: true, signedIn: false });
  });

  it("a node the cluster declared dead while it still ran stops serving and says it is not ready", async () => {
    const { n1, n2, prefix } = await threeNodes();
    const person = await connect(n1);
    expect(n1.duet.ready()).toBe(true);
    // What a reaper leaves for a node it reaped (as if n1 had frozen past the bound).
    await redis.set(`${prefix}reaped:${n1.node}`, "1", "PX", 60_000);
    await until(() => !n1.duet.ready(), 20_000, "n1 not ready");
    await until(() => !person.socket.connected, 20_000, "n1's sockets closed");
    expect(person.notices.map((n) => n.kind)).toContain("server_restarting");
    expect(n2.duet.ready()).toBe(true);
  });

  it("presence is cluster-wide: two talkers waiting on n1 and n2 show on a screen on n3", async () => {
    const { n1, n2, n3 } = await threeNodes();
    const watcher = await connect(n3);
    const seen: Presence[] = [];
    watcher.socket.on("presence", (p) => seen.push(p));
    const a = await connect(n1);
    const b = await connect(n2);
    expect(await a.emit("join", { space: "menti", intent: "talk" })).toEqual({ ok: true });
    expect(await b.emit("join", { space: "menti", intent: "talk" })).toEqual({ ok: true });
    await until(
      () =>
        seen.some((p) => p.spaces.some((s) => s.id === "menti" && s.onlyIntentWaiting === "talk")),
      20_000,
      "n3 sees two talkers waiting elsewhere",
    );
  });
});

/** Polls an asynchronous check until it holds, at most `timeoutMs` (a ceiling, not a speed). */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
