/**
 * Video signalling through real sockets (SPEC §7; issue 5, server side): the `media` setup each
 * member of a dormparty session gets (opposite politeness, ICE servers with per-session TURN
 * credentials in coturn's REST scheme), and `signal` relayed only between the two members of an
 * open session — never to anyone else, never outside MATCHED/ACTIVE, never oversized, and
 * (issue 15) never before both members asked for media: being matched is not enough.
 */
import { createHmac } from "node:crypto";
import type { MediaSetup, RelayedSignal } from "@duet/protocol";
import { MAX_SDP_LENGTH } from "@duet/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { iceServersFor, turnCredentials } from "../src/media/ice";
import { mintToken, sleep, startServer, TestClient, type TestServer, until } from "./harness";

const TURN_SECRET = "coturn-shared-secret-for-tests";
let server: TestServer | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

interface Peer {
  client: TestClient;
  media: MediaSetup[];
  signals: RelayedSignal[];
}

async function peer(): Promise<Peer> {
  if (!server) throw new Error("no server");
  const client = await TestClient.connect(server, {
    extraHeaders: { cookie: mintToken(server).cookie },
  });
  clients.push(client);
  const p: Peer = { client, media: [], signals: [] };
  client.socket.on("media", (m) => p.media.push(m));
  client.socket.on("signal", (s) => p.signals.push(s));
  await until(() => client.identities.at(-1)?.status === "ok");
  return p;
}

/** Two dormparty peers, matched; with `ask` (the default) both asked for media and got it. */
async function matchedPair({ ask = true }: { ask?: boolean } = {}): Promise<[Peer, Peer]> {
  const a = await peer();
  const b = await peer();
  expect(await a.client.emit("join", { space: "dormparty" })).toEqual({ ok: true });
  expect(await b.client.emit("join", { space: "dormparty" })).toEqual({ ok: true });
  await a.client.waitState((s) => s.state === "MATCHED");
  await b.client.waitState((s) => s.state === "MATCHED");
  if (!ask) return [a, b];
  for (const p of [a, b]) {
    expect(await p.client.emit("media", { sessionId: p.client.sessionId() })).toEqual({ ok: true });
  }
  await until(() => a.media.length === 1 && b.media.length === 1, 20_000, "media setup");
  return [a, b];
}

const hostCandidate = {
  candidate: {
    candidate: "candidate:1 1 udp 2122260223 192.0.2.7 50000 typ host",
    sdpMid: "0",
  },
};

const offer = {
  description: { type: "offer" as const, sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" },
};

describe("TURN credentials (coturn REST scheme)", () => {
  it("username is expiry:random, password base64(HMAC-SHA1(secret, username))", () => {
    const now = 1_800_000_000_000;
    const { username, credential } = turnCredentials("s3cret", 600, now, "abc");
    expect(username).toBe(`${1_800_000_000 + 600}:abc`);
    expect(credential).toBe(createHmac("sha1", "s3cret").update(username).digest("base64"));
  });

  it("each call makes new credentials; no TURN without a secret; STUN passes as is", () => {
    const config = {
      stunUrls: ["stun:127.0.0.1:3478"],
      turnUrls: ["turn:127.0.0.1:3478"],
      turnSecret: TURN_SECRET,
      turnTtlS: 60,
      transportPolicy: "all" as const,
    };
    const [stun, turn] = iceServersFor(config, Date.now());
    expect(stun).toEqual({ urls: ["stun:127.0.0.1:3478"] });
    expect(turn?.credential).not.toContain(TURN_SECRET);
    expect(iceServersFor(config, Date.now())[1]?.username).not.toBe(turn?.username);
    const { turnSecret: _none, ...withoutSecret } = config;
    expect(iceServersFor(withoutSecret, Date.now())).toEqual([{ urls: ["stun:127.0.0.1:3478"] }]);
  });
});

describe("dormparty signalling through the gateway", () => {
  it("a new session tells each member its role and the ICE servers, with fresh TURN credentials", async () => {
    server = await startServer({
      ICE_STUN_URLS: "stun:127.0.0.1:3478",
      TURN_URLS: "turn:127.0.0.1:3478",
      TURN_SECRET,
      TURN_CREDENTIAL_TTL_S: "120",
      ICE_TRANSPORT_POLICY: "relay",
    });
    const [a, b] = await matchedPair();
    const [ma, mb] = [a.media[0], b.media[0]];
    expect(ma?.sessionId).toBe(a.client.sessionId());
    expect(mb?.sessionId).toBe(a.client.sessionId());
    // Exactly one polite side: the one who joined later.
    expect(ma?.polite).toBe(false);
    expect(mb?.polite).toBe(true);
    expect([ma?.iceTransportPolicy, mb?.iceTransportPolicy]).toEqual(["relay", "relay"]);
    const turn = ma?.iceServers.find((s) => s.urls.some((u) => u.startsWith("turn:")));
    expect(turn?.username).toMatch(/^\d+:[A-Za-z0-9_-]+$/);
    const expiry = Number(turn?.username?.split(":")[0]);
    expect(expiry).toBeGreaterThan(Date.now() / 1000 + 100);
    expect(expiry).toBeLessThanOrEqual(Date.now() / 1000 + 121);
    expect(turn?.credential).toBe(
      createHmac("sha1", TURN_SECRET)
        .update(turn?.username ?? "")
        .digest("base64"),
    );
    expect(JSON.stringify([a.media, b.media, a.client.states])).not.toContain(TURN_SECRET);
  });

  it("welcome tells the entry screen how calls connect: relay by default with TURN, else all", async () => {
    server = await startServer({ TURN_URLS: "turn:127.0.0.1:3478", TURN_SECRET });
    const policyOf = (p: Peer) =>
      p.client.welcome?.spaces.find((s) => s.id === "dormparty")?.iceTransportPolicy;
    const withTurn = await peer();
    expect(policyOf(withTurn)).toBe("relay");
    expect(withTurn.client.welcome?.spaces.find((s) => s.id === "menti")).not.toHaveProperty(
      "iceTransportPolicy",
    );
    await server.close();
    server = await startServer({});
    expect(policyOf(await peer())).toBe("all");
  });

  it("relays descriptions and candidates only to the partner, while MATCHED and ACTIVE", async () => {
    server = await startServer({});
    const [a, b] = await matchedPair();
    const [c, d] = await matchedPair();
    expect(await a.client.emit("signal", offer)).toEqual({ ok: true });
    const candidate = {
      candidate: {
        candidate: "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
        sdpMid: "0",
      },
    };
    expect(await b.client.emit("signal", candidate)).toEqual({ ok: true });
    await until(() => b.signals.length === 1 && a.signals.length === 1);
    expect(b.signals[0]).toEqual({ sessionId: a.client.sessionId(), ...offer });
    expect(a.signals[0]).toEqual({ sessionId: a.client.sessionId(), ...candidate });
    // ACTIVE too.
    await a.client.emit("enter", { sessionId: a.client.sessionId() });
    await b.client.emit("enter", { sessionId: b.client.sessionId() });
    await a.client.waitState((s) => s.state === "ACTIVE");
    expect(await a.client.emit("signal", { candidate: null })).toEqual({ ok: true });
    await until(() => b.signals.length === 2);
    // The other session heard nothing.
    await sleep(100);
    expect(c.signals).toEqual([]);
    expect(d.signals).toEqual([]);
  });

  it("refuses signals outside a session, oversized or malformed; after the end nothing is relayed", async () => {
    server = await startServer({});
    const lone = await peer();
    expect(await lone.client.emit("signal", offer)).toMatchObject({ code: "illegal_state" });
    await lone.client.emit("join", { space: "dormparty" });
    expect(await lone.client.emit("signal", offer)).toMatchObject({ code: "illegal_state" });
    await lone.client.emit("cancel", {});
    const [a, b] = await matchedPair();
    const huge = { description: { type: "offer" as const, sdp: "x".repeat(MAX_SDP_LENGTH + 1) } };
    expect(await a.client.emit("signal", huge)).toMatchObject({ code: "invalid_payload" });
    const both = { ...offer, candidate: null } as never;
    expect(await a.client.emit("signal", both)).toMatchObject({ code: "invalid_payload" });
    // A forged session id field is not part of the payload: refused, not relayed anywhere.
    const forged = { ...offer, sessionId: "AAAAAAAAAAAAAAAAAAAAAA" } as never;
    expect(await a.client.emit("signal", forged)).toMatchObject({ code: "invalid_payload" });
    await sleep(100);
    expect(b.signals).toEqual([]);
    // The session ends (End: the ender goes home, the partner looks again): a late candidate is
    // refused (no session) and reaches nobody.
    await a.client.emit("end", {});
    await b.client.waitState((s) => s.state !== "MATCHED");
    expect(await a.client.emit("signal", { candidate: null })).toMatchObject({
      code: "illegal_state",
    });
    await sleep(100);
    expect(b.signals).toEqual([]);
    expect(lone.signals).toEqual([]);
  });

  it("a matched client that never asks for media gets no signal (no candidate, no address) from a partner that did", async () => {
    server = await startServer({});
    const [asker, lurker] = await matchedPair({ ask: false });
    const sessionId = asker.client.sessionId();
    expect(await asker.client.emit("media", { sessionId })).toEqual({ ok: true });
    // The asker's client would start its peer connection now if it had its setup; a modified one
    // sends its offer and host candidates anyway: refused, relayed to nobody.
    expect(await asker.client.emit("signal", offer)).toMatchObject({ code: "not_active" });
    expect(await asker.client.emit("signal", hostCandidate)).toMatchObject({
      code: "not_active",
    });
    // The lurker can't pull any either: its own signals (an offer to provoke an answer) are
    // refused too, and entering the room is not asking for media.
    expect(await lurker.client.emit("signal", offer)).toMatchObject({ code: "not_active" });
    await lurker.client.emit("enter", { sessionId });
    expect(await asker.client.emit("signal", hostCandidate)).toMatchObject({
      code: "not_active",
    });
    await sleep(200);
    expect(lurker.signals).toEqual([]);
    expect(asker.signals).toEqual([]);
    // Neither got ICE servers (TURN credentials) or a role yet.
    expect([asker.media, lurker.media]).toEqual([[], []]);

    // Skip, and the next partner: the same. Nothing carries over from the last session.
    await lurker.client.emit("skip", {});
    const next = await peer();
    expect(await next.client.emit("join", { space: "dormparty" })).toEqual({ ok: true });
    await next.client.waitState((s) => s.state === "MATCHED");
    const partner = [asker, lurker].find((p) => p.client.state?.state === "MATCHED");
    expect(partner).toBeDefined();
    expect(await next.client.emit("media", { sessionId: next.client.sessionId() })).toEqual({
      ok: true,
    });
    expect(await next.client.emit("signal", hostCandidate)).toMatchObject({ code: "not_active" });
    await sleep(100);
    expect(partner?.signals).toEqual([]);
  });

  it("once both asked: one `media` each, and only then do signals flow", async () => {
    server = await startServer({});
    const [a, b] = await matchedPair({ ask: false });
    expect(await a.client.emit("media", { sessionId: a.client.sessionId() })).toEqual({ ok: true });
    await sleep(100);
    expect([a.media, b.media]).toEqual([[], []]);
    expect(await b.client.emit("media", { sessionId: b.client.sessionId() })).toEqual({ ok: true });
    await until(() => a.media.length === 1 && b.media.length === 1, 5000, "media setup");
    expect([a.media[0]?.polite, b.media[0]?.polite]).toEqual([false, true]);
    // A repeated ask changes nothing and sends no second setup.
    expect(await a.client.emit("media", { sessionId: a.client.sessionId() })).toEqual({ ok: true });
    expect(await b.client.emit("signal", hostCandidate)).toEqual({ ok: true });
    await until(() => a.signals.length === 1);
    expect(a.signals[0]).toEqual({ sessionId: a.client.sessionId(), ...hostCandidate });
    await sleep(100);
    expect([a.media.length, b.media.length]).toEqual([1, 1]);
    // An ask for a session that is not this connection's is refused.
    expect(await a.client.emit("media", { sessionId: "AAAAAAAAAAAAAAAAAAAAAA" })).toMatchObject({
      code: "room_unavailable",
    });
  });

  it("menti and stimchat have no video: signal is not_in_this_space", async () => {
    server = await startServer({});
    const a = await peer();
    const b = await peer();
    await a.client.emit("join", { space: "stimchat" });
    await b.client.emit("join", { space: "stimchat" });
    await a.client.waitState((s) => s.state === "MATCHED");
    expect(await a.client.emit("signal", offer)).toMatchObject({ code: "not_in_this_space" });
    expect(await a.client.emit("media", { sessionId: a.client.sessionId() })).toMatchObject({
      code: "not_in_this_space",
    });
    expect(a.media).toEqual([]);
  });
});
