/**
 * A campus or carrier NAT puts hundreds of real people behind one address (issue 15): nothing
 * one of them does may use up what the others need, and the defaults must carry 300 of them at
 * once in every space. Every client here connects from 127.0.0.1: one address.
 */

import type { Ack, ClientPayload, SpaceId } from "@duet/protocol";
import { type Challenge, solveChallenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import { afterEach, describe, expect, it } from "vitest";
import { startServer, TestClient, type TestServer, until } from "../harness";

let server: TestServer | undefined;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

/** Generous: these tests must pass on a machine with a load average of 20. */
const WAIT = 60_000;

async function boot(env: Record<string, string> = {}): Promise<TestServer> {
  server = await startServer({
    SPACES: "menti,stimchat,dormparty",
    STIMCHAT_TOPIC_FALLBACK_MS: "0",
    DORMPARTY_PAIR_COOLDOWN_MS: "0",
    // The cheapest proof of work config allows: 300 passes are solved in this test.
    POW_MAX_NUMBER: "1000",
    ...env,
  });
  return server;
}

/** What a browser does for a pass: a challenge, a proof of work, the cookie. */
async function pass(s: TestServer): Promise<string> {
  const res = await fetch(`${s.url}/api/token/challenge`);
  expect(res.status).toBe(200);
  const challenge = (await res.json()) as Challenge;
  const solution = await solveChallenge({ challenge, deriveKey });
  const payload = Buffer.from(JSON.stringify({ challenge, solution })).toString("base64");
  const issued = await fetch(`${s.url}/api/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ payload }),
  });
  expect(issued.status).toBe(204);
  const cookie = issued.headers.get("set-cookie")?.split(";")[0];
  if (!cookie) throw new Error("no cookie");
  return cookie;
}

async function connect(s: TestServer, cookie?: string): Promise<TestClient> {
  const c = await TestClient.connect(s, cookie ? { extraHeaders: { cookie } } : {});
  clients.push(c);
  return c;
}

const joinOf = (space: SpaceId, i: number): ClientPayload<"join"> =>
  space === "menti" ? { space, intent: i % 2 === 0 ? "talk" : "listen" } : { space };

describe("one address, many people", () => {
  it("300 people behind one address (200 earning passes) use every space at once, never refused", async () => {
    const s = await boot();
    const spaces: SpaceId[] = ["menti", "stimchat", "dormparty"];
    // Arriving over a few seconds, 50 at a time, as a crowd does (and as a loaded test machine
    // can take: 300 handshakes and proofs of work at once can outlast socket.io-client's 20 s).
    const people: { i: number; space: SpaceId; client: TestClient }[] = [];
    for (let from = 0; from < 300; from += 50) {
      const wave = await Promise.all(
        Array.from({ length: 50 }, async (_, k) => {
          const i = from + k;
          const space = spaces[i % 3] as SpaceId;
          // menti has no passes; stimchat and dormparty need one each.
          const cookie = space === "menti" ? undefined : await pass(s);
          return { i, space, client: await connect(s, cookie) };
        }),
      );
      people.push(...wave);
    }
    const acks: Ack[] = [];
    const ask = async (c: TestClient, ...args: Parameters<TestClient["emit"]>) => {
      const ack = await c.emit(...args);
      acks.push(ack);
      return ack;
    };
    // Everyone looks at once.
    await Promise.all(people.map((p) => ask(p.client, "join", joinOf(p.space, p.i))));
    // 100 per space, half talkers and half listeners in menti: everyone is matched.
    await Promise.all(
      people.map((p) =>
        p.client.waitState((v) => v.state === "MATCHED" || v.state === "ACTIVE", WAIT),
      ),
    );
    await Promise.all(
      people.map(async (p) => {
        const v = p.client.state;
        if (v?.state === "MATCHED") await ask(p.client, "enter", { sessionId: v.sessionId });
      }),
    );
    await Promise.all(people.map((p) => p.client.waitState((v) => v.state === "ACTIVE", WAIT)));
    // A conversation each: a few messages (and typing where the space shows it).
    await Promise.all(
      people.map(async (p) => {
        for (let k = 0; k < 3; k++) {
          if (p.space !== "menti") await ask(p.client, "typing", {});
          await ask(p.client, "send", { text: `hello ${k} from ${p.i}` });
        }
      }),
    );
    await Promise.all(
      people.map((p) =>
        until(
          () => p.client.messages.filter((m) => m.from === "partner").length >= 3,
          WAIT,
          "three messages from the partner",
        ),
      ),
    );
    // Some of them report (the stimchat rooms of the first 30), the rest leave.
    // Each one's conversation, to tell later that they have left it.
    const talkedIn = new Map(people.map((p) => [p.client, p.client.sessionId()]));
    const reporters = people.filter((p) => p.space === "stimchat").slice(0, 30);
    const reported = new Set<TestClient>();
    for (const r of reporters) {
      if (r.client.state?.state !== "ACTIVE" || reported.has(r.client)) continue;
      const session = r.client.sessionId();
      const partner = people.find(
        (p) =>
          p.client !== r.client &&
          p.client.state?.state === "ACTIVE" &&
          p.client.sessionId() === session,
      );
      if (partner) reported.add(partner.client);
      expect(await ask(r.client, "report", { reason: "spam" })).toEqual({ ok: true });
      reported.add(r.client);
    }
    await Promise.all(
      people
        .filter((p) => p.client.state?.state === "ACTIVE")
        .map((p) => ask(p.client, "exit", {})),
    );
    // And they look again, all at once (dormparty re-queues the partner of an End by itself).
    await Promise.all(
      people.map(async (p) => {
        // Out of that conversation. A dormparty partner re-queued after an End can be matched
        // again at once: its WAITING may be replaced before a poll sees it, so a new session
        // counts too (only the latest state is looked at).
        const old = talkedIn.get(p.client);
        const v = await p.client.waitState(
          (x) =>
            (x.state !== "ACTIVE" && x.state !== "MATCHED") ||
            ("sessionId" in x && x.sessionId !== old),
          WAIT,
        );
        if (v.state === "ENDED" || v.state === "IDLE")
          await ask(p.client, "join", joinOf(p.space, p.i));
      }),
    );
    expect(
      acks.filter((a) => !a.ok),
      JSON.stringify(acks.filter((a) => !a.ok)),
    ).toEqual([]);
    expect(people.flatMap((p) => p.client.rejected)).toEqual([]);
    expect(people.every((p) => !p.client.disconnected)).toBe(true);
  }, 600_000);

  it("31 reports sent while idle cost nothing: a real report from the same address goes through", async () => {
    const s = await boot();
    const [noisy, a, b] = [
      await connect(s, await pass(s)),
      await connect(s, await pass(s)),
      await connect(s, await pass(s)),
    ];
    for (let i = 0; i < 31; i++) {
      // Spread out, so the noisy one is refused 31 times without being cut off for abuse.
      expect(await noisy.emit("report", { reason: "spam" })).toMatchObject({
        code: "illegal_state",
      });
      if (i % 15 === 14) await new Promise((r) => setTimeout(r, 10_500));
    }
    await a.emit("join", { space: "stimchat" });
    await b.emit("join", { space: "stimchat" });
    await a.waitState((v) => v.state === "MATCHED", WAIT);
    await b.waitState((v) => v.state === "MATCHED", WAIT);
    await a.emit("enter", { sessionId: a.sessionId() });
    await b.emit("enter", { sessionId: b.sessionId() });
    await a.waitState((v) => v.state === "ACTIVE", WAIT);
    expect(await a.emit("report", { reason: "harassment" })).toEqual({ ok: true });
  }, 120_000);

  it("2,001 malformed joins from one address cost nothing: a join from the same address goes through", async () => {
    const s = await boot();
    let sent = 0;
    // The sender is cut off after 20 refusals in 10 s, so it reconnects: 101 connections.
    while (sent < 2001) {
      const bad = await connect(s);
      for (let k = 0; k < 20 && sent < 2001; k++, sent++) {
        const ack = await bad.emit("join", {
          space: "nowhere",
        } as unknown as ClientPayload<"join">);
        expect(ack).toMatchObject({ code: "invalid_payload" });
      }
      bad.close();
    }
    const innocent = await connect(s);
    expect(await innocent.emit("join", { space: "menti", intent: "talk" })).toEqual({ ok: true });
  }, 180_000);

  it("a message flood in one conversation never limits another pair on the same address", async () => {
    const s = await boot();
    const [fa, fb, a, b] = await Promise.all([1, 2, 3, 4].map(() => connect(s)));
    const pair = async (x: TestClient, y: TestClient) => {
      await x.emit("join", { space: "menti", intent: "talk" });
      await y.emit("join", { space: "menti", intent: "listen" });
      await x.waitState((v) => v.state === "MATCHED", WAIT);
      await y.waitState((v) => v.state === "MATCHED", WAIT);
      await x.emit("enter", { sessionId: x.sessionId() });
      await y.emit("enter", { sessionId: y.sessionId() });
      await x.waitState((v) => v.state === "ACTIVE", WAIT);
      await y.waitState((v) => v.state === "ACTIVE", WAIT);
    };
    await pair(fa as TestClient, fb as TestClient);
    await pair(a as TestClient, b as TestClient);
    const flooder = fa as TestClient;
    const flood = await Promise.all(
      Array.from({ length: 15 }, (_, i) => flooder.emit("send", { text: `flood ${i}` })),
    );
    expect(flood.some((x) => !x.ok && x.code === "rate_limited")).toBe(true);
    for (let i = 0; i < 8; i++) {
      expect(await (a as TestClient).emit("send", { text: `calm ${i}` })).toEqual({ ok: true });
    }
    await until(() => (b as TestClient).messages.length === 8, WAIT, "the calm pair's messages");
  }, 120_000);
});
