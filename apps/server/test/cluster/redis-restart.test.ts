/**
 * Redis restarts under two nodes (killed, empty when it returns: persistence is off, as
 * docs/operations.md recommends). While it is away, requests fail with a clear error at once (no
 * hang) and the nodes say they are not ready; when it is back, service resumes by itself: every
 * connection is re-read, conversations and searches the store forgot end cleanly for both sides
 * (told why), nobody is left in MATCHED, and new people meet again.
 */
import type { Ack, Notice } from "@duet/protocol";
import { describe, expect, it } from "vitest";
import { meetAndEnter, mintToken, startClusterNode, type TestClient, until } from "../harness";
import { clusterServices } from "./services";

const services = clusterServices();
const { nodes, connect } = services;

const noticesOf = (client: TestClient): Notice[] => client.notices;

describe("Redis restarts under the cluster", () => {
  it("clear errors while it is away, then every screen consistent again and service back by itself", async () => {
    const env = {
      REDIS_URL: services.redis.url,
      REDIS_PREFIX: "restart",
      DATABASE_URL: await services.pg.newDatabase(),
      CLUSTER_HEARTBEAT_MS: "500",
      CLUSTER_DEAD_AFTER_MS: "1500",
    };
    const n1 = await startClusterNode(env);
    nodes.push(n1);
    const n2 = await startClusterNode(env);
    nodes.push(n2);

    // A conversation across the nodes, a pair still in MATCHED, a search, and an idle person.
    const a = await connect(n1, mintToken(n1).cookie);
    const b = await connect(n2, mintToken(n2).cookie);
    await until(() => a.identities.length > 0 && b.identities.length > 0);
    await meetAndEnter(
      a,
      b,
      { space: "menti", intent: "talk" },
      { space: "menti", intent: "listen" },
    );
    const c = await connect(n1, mintToken(n1).cookie);
    const d = await connect(n2, mintToken(n2).cookie);
    await until(() => c.identities.length > 0 && d.identities.length > 0);
    expect(await c.emit("join", { space: "stimchat" })).toEqual({ ok: true });
    expect(await d.emit("join", { space: "stimchat" })).toEqual({ ok: true });
    await c.waitState((s) => s.state === "MATCHED");
    await d.waitState((s) => s.state === "MATCHED");
    const e = await connect(n2);
    expect(await e.emit("join", { space: "menti", intent: "talk" })).toEqual({ ok: true });
    const f = await connect(n1);

    // Redis goes away for a while (killed: everything it held is lost).
    const restarted = services.redis.restart(2_000);
    await until(() => !n1.duet.ready() && !n2.duet.ready(), 20_000, "both nodes not ready");
    // A request meanwhile is answered, with a clear error, not left hanging.
    const refused: Ack = await f.emit("join", { space: "menti", intent: "listen" });
    expect(refused).toMatchObject({ ok: false, code: "internal" });
    await restarted;
    await until(() => n1.duet.ready() && n2.duet.ready(), 20_000, "both nodes ready again");

    // Every screen the store forgot ends cleanly, and its person is told why.
    for (const x of [a, b, c, d]) {
      const ended = await x.waitState((s) => s.state === "ENDED");
      expect(ended).toMatchObject({ reason: "server_shutdown" });
      expect(noticesOf(x).map((n) => n.kind)).toContain("interrupted");
    }
    await e.waitState((s) => s.state === "IDLE");
    expect(noticesOf(e).map((n) => n.kind)).toContain("interrupted");
    expect(f.state?.state).toBe("IDLE");
    expect(noticesOf(f)).toEqual([]);

    // Nobody is in MATCHED, and the census holds what the screens show.
    const census = await n1.duet.store.census();
    expect(census.menti ?? { matched: 0 }).toMatchObject({ matched: 0, active: 0 });
    expect(census.stimchat ?? { matched: 0 }).toMatchObject({ matched: 0, active: 0 });
    expect((census.menti?.ended ?? 0) + (census.stimchat?.ended ?? 0)).toBe(4);

    // Service is back: people meet again, across the nodes.
    expect(await e.emit("join", { space: "menti", intent: "talk" })).toEqual({ ok: true });
    expect(await f.emit("join", { space: "menti", intent: "listen" })).toEqual({ ok: true });
    await e.waitState((s) => s.state === "MATCHED");
    await f.waitState((s) => s.state === "MATCHED");
    expect(e.sessionId()).toBe(f.sessionId());
    // The token holders still hold their tokens (claims were made again).
    for (const x of [a, b, c, d]) expect(x.identities.at(-1)?.status).toBe("ok");
  }, 300_000);
});
