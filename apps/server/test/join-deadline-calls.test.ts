/**
 * What a session's join deadline costs the shared deadline queue (cluster mode: each call is a
 * Redis round trip). A session with a participant connected to the node that made it keeps its
 * deadline on that node's own timers: the shared queue hears nothing of it, and the limit still
 * ends a pair that never enters (outcomes.ts says why that is safe when the node stops or dies).
 * A session made on a node that holds neither participant (here: a dormparty End re-queues the
 * partner, on the ender's node) costs one schedule, and one cancel when it goes ACTIVE or closes.
 */
import { MemoryStore, PRESETS, type SpacePolicy } from "@duet/engine";
import type { SpaceId } from "@duet/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { Claims } from "../src/claims";
import { LocalClusterBus } from "../src/gateway/cluster-bus";
import { LocalDeadlineQueue } from "../src/gateway/deadlines";
import { createReportBuffers } from "../src/gateway/reports";
import { TimerScheduler } from "../src/scheduler";
import { MemoryCluster } from "./cluster/memory-cluster";
import {
  TestClient as Client,
  meetAndEnter,
  mintToken,
  startServer,
  type TestClient,
  type TestServer,
  until,
} from "./harness";

/** A shared queue (in memory) that records the keyed calls made to it. */
class CountingQueue extends LocalDeadlineQueue {
  readonly scheduled: string[] = [];
  readonly cancelled: string[] = [];
  private inSchedule = false;
  override schedule(...args: Parameters<LocalDeadlineQueue["schedule"]>): void {
    if (args[1]) this.scheduled.push(args[1]);
    // The local queue replaces a keyed deadline by cancelling it first: not a caller's cancel.
    this.inSchedule = true;
    try {
      super.schedule(...args);
    } finally {
      this.inSchedule = false;
    }
  }
  override cancel(key: string): void {
    if (!this.inSchedule) this.cancelled.push(key);
    super.cancel(key);
  }
  joinCalls(): string[] {
    return [...this.scheduled, ...this.cancelled].filter((k) => k.startsWith("join:"));
  }
}

const servers: TestServer[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

async function connect(server: TestServer, withToken = false): Promise<TestClient> {
  const c = await Client.connect(
    server,
    withToken ? { extraHeaders: { cookie: mintToken(server).cookie } } : {},
  );
  clients.push(c);
  if (withToken) await until(() => c.identities.at(-1)?.status === "ok", 20_000, "token held");
  return c;
}

/** Two gateways over one store, sharing every seam a cluster shares, the deadline queue too. */
async function twoNodes(shared: CountingQueue): Promise<[TestServer, TestServer]> {
  const store = new MemoryStore();
  const net = new MemoryCluster();
  const policies = new Map<SpaceId, SpacePolicy>(Object.values(PRESETS).map((p) => [p.id, p]));
  const seams = {
    bus: new LocalClusterBus(),
    claims: new Claims(),
    reports: createReportBuffers(policies),
    deadlines: shared,
  };
  for (const node of ["node-a", "node-b"]) {
    servers.push(await startServer({}, { store, seams: { ...seams, router: net.router(node) } }));
  }
  return [servers[0] as TestServer, servers[1] as TestServer];
}

/**
 * dormparty: A (node a) and B (node b) talk; C waits on node b; A presses End. Node a's engine
 * re-queues B and matches B with C: a session made on node a with no participant there.
 */
async function madeElsewhere(shared: CountingQueue): Promise<[TestClient, TestClient]> {
  const [a, b] = await twoNodes(shared);
  const onA = await connect(a, true);
  const onB = await connect(b, true);
  await meetAndEnter(onA, onB, { space: "dormparty" }, { space: "dormparty" });
  const first = onB.sessionId();
  const onC = await connect(b, true);
  expect(await onC.emit("join", { space: "dormparty" })).toEqual({ ok: true });
  await onC.waitState((s) => s.state === "WAITING");
  const before = shared.joinCalls().length;
  expect(await onA.emit("end", {})).toEqual({ ok: true });
  await onB.waitState((s) => s.state === "MATCHED" && s.sessionId !== first);
  await onC.waitState((s) => s.state === "MATCHED");
  expect(onC.sessionId()).toBe(onB.sessionId());
  // The new session's deadline went to the shared queue, once.
  expect(shared.scheduled.slice(before)).toEqual([`join:${onB.sessionId()}`]);
  return [onB, onC];
}

describe("join deadline calls on the shared queue", () => {
  it("a session held here: none, from match to close", async () => {
    const shared = new CountingQueue(new TimerScheduler());
    const server = await startServer({}, { seams: { deadlines: shared } });
    servers.push(server);
    const a = await connect(server);
    const b = await connect(server);
    await meetAndEnter(
      a,
      b,
      { space: "menti", intent: "talk" },
      { space: "menti", intent: "listen" },
    );
    expect(await a.emit("exit", {})).toEqual({ ok: true });
    await b.waitState((s) => s.state === "ENDED");
    expect(shared.joinCalls()).toEqual([]);
  });

  it("a session held here still ends at its join limit when nobody enters", async () => {
    const shared = new CountingQueue(new TimerScheduler());
    const server = await startServer(
      { MENTI_JOIN_TIMEOUT_MS: "1000" },
      { seams: { deadlines: shared } },
    );
    servers.push(server);
    const a = await connect(server);
    const b = await connect(server);
    expect(await a.emit("join", { space: "menti", intent: "talk" })).toEqual({ ok: true });
    expect(await b.emit("join", { space: "menti", intent: "listen" })).toEqual({ ok: true });
    await a.waitState((s) => s.state === "MATCHED");
    for (const c of [a, b]) {
      expect(await c.waitState((s) => s.state === "ENDED")).toMatchObject({
        reason: "join_timeout",
      });
    }
    expect(shared.joinCalls()).toEqual([]);
  });

  it("a session made on a node that holds neither participant: one schedule, one cancel at ACTIVE", async () => {
    const shared = new CountingQueue(new TimerScheduler());
    const [b, c] = await madeElsewhere(shared);
    const key = `join:${b.sessionId()}`;
    await b.emit("enter", { sessionId: b.sessionId() });
    await c.emit("enter", { sessionId: c.sessionId() });
    await b.waitState((s) => s.state === "ACTIVE");
    await c.waitState((s) => s.state === "ACTIVE");
    expect(shared.cancelled.filter((k) => k === key)).toEqual([key]);
    expect(await b.emit("end", {})).toEqual({ ok: true });
    await c.waitState((s) => s.state !== "ACTIVE");
    expect(shared.joinCalls().filter((k) => k === key)).toEqual([key, key]);
  });

  it("… and closed before both entered: cancelled at the close", async () => {
    const shared = new CountingQueue(new TimerScheduler());
    const [b, c] = await madeElsewhere(shared);
    const key = `join:${b.sessionId()}`;
    expect(await b.emit("end", {})).toEqual({ ok: true });
    await until(() => shared.cancelled.includes(key), 20_000, "the shared deadline cancelled");
    expect(c.states.at(-1)?.state).not.toBe("ACTIVE");
    expect(shared.joinCalls().filter((k) => k === key)).toEqual([key, key]);
  });
});
