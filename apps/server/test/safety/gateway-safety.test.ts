/**
 * SPEC §6 through real sockets: tokens from the cookie (forged = none), one connection per token,
 * bans, rate limits (the partner unaffected), reports ending the session for both and what they
 * store, reporter and reported never matched again, trust tiers and trust raised by a long chat.
 * The whole file runs twice: on PGlite (embedded default) and on a real PostgreSQL it starts.
 */
import { TRUST } from "@duet/engine";
import type { SafetyRepo } from "@duet/persistence";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mintToken, sleep, startServer, TestClient, type TestServer, until } from "../harness";
import { DATABASES } from "./databases";

describe.each(DATABASES)("safety through the gateway on $name", (backend) => {
  let repo: SafetyRepo;
  let stopRepo: () => Promise<void>;
  let server: TestServer | undefined;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    const opened = await backend.open();
    repo = opened.repo;
    stopRepo = opened.stop;
  }, 300_000);
  afterAll(async () => {
    await stopRepo?.();
  }, 60_000);
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.close();
    server = undefined;
  });

  async function start(env: Record<string, string> = {}): Promise<TestServer> {
    server = await startServer(
      { STIMCHAT_TOPIC_FALLBACK_MS: "0", DORMPARTY_PAIR_COOLDOWN_MS: "0", ...env },
      { repo },
    );
    return server;
  }

  async function connect(
    cookie?: string,
    browserId?: string,
    address?: string,
  ): Promise<TestClient> {
    if (!server) throw new Error("no server");
    // With TRUST_PROXY=true a test can give a client its own address (X-Forwarded-For).
    const headers = {
      ...(cookie ? { cookie } : {}),
      ...(address ? { "x-forwarded-for": address } : {}),
    };
    const c = await TestClient.connect(server, {
      ...(Object.keys(headers).length > 0 ? { extraHeaders: headers } : {}),
      ...(browserId ? { browserId } : {}),
    });
    clients.push(c);
    await until(() => c.identities.length > 0, 20_000, "identity");
    return c;
  }

  /** A connected client with a fresh valid token (from `address`, with TRUST_PROXY=true). */
  async function person(
    address?: string,
  ): Promise<{ client: TestClient; token: string; cookie: string }> {
    if (!server) throw new Error("no server");
    const t = mintToken(server);
    return { client: await connect(t.cookie, undefined, address), token: t.id, cookie: t.cookie };
  }

  async function stimchatPair(a: TestClient, b: TestClient): Promise<void> {
    expect(await a.emit("join", { space: "stimchat" })).toEqual({ ok: true });
    expect(await b.emit("join", { space: "stimchat" })).toEqual({ ok: true });
    await a.waitState((s) => s.state === "MATCHED");
    await b.waitState((s) => s.state === "MATCHED");
    await a.emit("enter", { sessionId: a.sessionId() });
    await b.emit("enter", { sessionId: b.sessionId() });
    await a.waitState((s) => s.state === "ACTIVE");
    await b.waitState((s) => s.state === "ACTIVE");
  }

  it("no cookie, a forged cookie or a tampered one all mean no token: stimchat refuses the join", async () => {
    await start();
    const real = mintToken(server as TestServer);
    const tampered = `${real.cookie.slice(0, -2)}${real.cookie.endsWith("A") ? "BB" : "AA"}`;
    for (const cookie of [undefined, "duet_token=v1.forged.forged.forged", tampered]) {
      const c = await connect(cookie);
      expect(c.identities.at(-1)).toEqual({ status: "none" });
      const ack = await c.emit("join", { space: "stimchat" });
      expect(ack).toMatchObject({ ok: false, code: "token_required" });
      // menti never looks at tokens.
      expect(await c.emit("join", { space: "menti", intent: "talk" })).toEqual({ ok: true });
    }
  });

  it("a valid token is ok and never appears in any event", async () => {
    await start();
    const a = await person();
    const b = await person();
    expect(a.client.identities.at(-1)).toEqual({ status: "ok" });
    await stimchatPair(a.client, b.client);
    await a.client.emit("send", { text: "hello" });
    await until(() => b.client.messages.length === 1);
    const seen = JSON.stringify([a.client.states, b.client.states, b.client.messages]);
    expect(seen).not.toContain(a.token);
    expect(seen).not.toContain(b.token);
  });

  it("a banned token sees until when, and cannot join stimchat or dormparty", async () => {
    await start();
    const t = mintToken(server as TestServer);
    const until7 = Date.now() + 7 * 86_400_000;
    await repo.ban({ token: t.id, at: Date.now(), until: until7, note: "test" });
    const c = await connect(t.cookie);
    expect(c.identities.at(-1)).toEqual({ status: "banned", bannedUntil: until7 });
    expect(await c.emit("join", { space: "stimchat" })).toMatchObject({ code: "banned" });
    expect(await c.emit("join", { space: "dormparty" })).toMatchObject({ code: "banned" });
    await repo.unban(t.id);
    const forever = mintToken(server as TestServer);
    await repo.ban({ token: forever.id, at: Date.now(), until: null, note: "for good" });
    const d = await connect(forever.cookie);
    expect(d.identities.at(-1)).toEqual({ status: "banned", bannedUntil: null });
  });

  it("one token, one connection: the second tab is refused, the first unaffected; it takes over when the first closes", async () => {
    await start();
    const a = await person();
    const second = await connect(a.cookie);
    expect(second.identities.at(-1)).toEqual({ status: "elsewhere" });
    expect(await second.emit("join", { space: "stimchat" })).toMatchObject({
      code: "open_elsewhere",
    });
    // The first tab chats as usual.
    const b = await person();
    await stimchatPair(a.client, b.client);
    expect(await a.client.emit("send", { text: "still here" })).toEqual({ ok: true });
    await until(() => b.client.messages.some((m) => m.text === "still here"));
    expect(a.client.identities).toEqual([{ status: "ok" }]);
    // The first tab closes: the second becomes usable by itself.
    a.client.close();
    await until(() => second.identities.at(-1)?.status === "ok", 20_000, "take-over");
    expect(await second.emit("join", { space: "dormparty" })).toEqual({ ok: true });
  });

  it("a flood of messages is limited with retry-after; the partner's side is unaffected", async () => {
    await start();
    const a = await person();
    const b = await person();
    await stimchatPair(a.client, b.client);
    // 25: past the burst of 8, and fewer refusals than the abuse disconnect's 20.
    const acks = await Promise.all(
      Array.from({ length: 25 }, (_, i) => a.client.emit("send", { text: `flood ${i}` })),
    );
    const refused = acks.filter((x) => !x.ok);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r).toMatchObject({ ok: false, code: "rate_limited" });
      expect(!r.ok && r.retryAfterMs).toBeGreaterThan(0);
    }
    const delivered = acks.length - refused.length;
    await until(() => b.client.messages.length === delivered);
    // The partner still talks freely, and still hears.
    for (let i = 0; i < 5; i++) {
      expect(await b.client.emit("send", { text: `reply ${i}` })).toEqual({ ok: true });
    }
    await until(() => a.client.messages.filter((m) => m.from === "partner").length === 5);
    expect(b.client.state?.state).toBe("ACTIVE");
    expect(b.client.rejected).toEqual([]);
  });

  it("a report ends the session for both; stores space, reason, note, both tokens and the transcript; lowers the reported's trust", async () => {
    await start();
    const a = await person();
    const b = await person();
    await stimchatPair(a.client, b.client);
    await a.client.emit("send", { text: "hi there" });
    await b.client.emit("send", { text: "something awful" });
    await until(() => a.client.messages.length === 2);
    const before = await repo.trust(b.token);
    const ack = await a.client.emit("report", { reason: "harassment", note: "  rude  " });
    expect(ack).toEqual({ ok: true });
    await a.client.waitState((s) => s.state === "ENDED");
    await b.client.waitState((s) => s.state === "ENDED");
    expect(a.client.state).toMatchObject({ reason: "reported", by: "you" });
    // Neutral for the reported person: nothing says "reported".
    expect(b.client.state).toMatchObject({ reason: "left", by: "partner" });
    expect(JSON.stringify(b.client.states)).not.toContain("reported");

    const report = (await repo.listReports({ status: "open" })).find((r) => r.reporter === a.token);
    expect(report).toMatchObject({
      space: "stimchat",
      reason: "harassment",
      note: "rude",
      reporter: a.token,
      reported: b.token,
      status: "open",
    });
    expect(report?.transcript?.map((l) => [l.from, l.text])).toEqual([
      ["reporter", "hi there"],
      ["reported", "something awful"],
    ]);
    expect(await repo.trust(b.token)).toBe(before - TRUST.reportPenalty);
    expect(await repo.blockedWith(a.token)).toContain(b.token);
  });

  it("reporter and reported are never matched again, on these connections or new ones", async () => {
    await start();
    const a = await person();
    const b = await person();
    await stimchatPair(a.client, b.client);
    expect(await a.client.emit("report", { reason: "spam" })).toEqual({ ok: true });
    await b.client.waitState((s) => s.state === "ENDED");
    // Same connections: both look, nobody else around.
    await a.client.emit("join", { space: "stimchat" });
    await b.client.emit("join", { space: "stimchat" });
    await sleep(300);
    expect(a.client.state?.state).toBe("WAITING");
    expect(b.client.state?.state).toBe("WAITING");
    // New connections of the same two tokens (a reload): still never.
    a.client.close();
    b.client.close();
    const a2 = await connect(a.cookie);
    const b2 = await connect(b.cookie);
    await until(
      () => a2.identities.at(-1)?.status === "ok" && b2.identities.at(-1)?.status === "ok",
    );
    await a2.emit("join", { space: "dormparty" });
    await b2.emit("join", { space: "dormparty" });
    await sleep(300);
    expect(a2.state?.state).toBe("WAITING");
    expect(b2.state?.state).toBe("WAITING");
    // A third person meets one of them at once.
    const c = await person();
    await c.client.emit("join", { space: "dormparty" });
    await c.client.waitState((s) => s.state === "MATCHED");
  });

  it("a menti report stores only space, time and reason: no tokens, no text", async () => {
    await start();
    const t = mintToken(server as TestServer);
    const a = await connect(t.cookie);
    const b = await connect();
    await a.emit("join", { space: "menti", intent: "talk" });
    await b.emit("join", { space: "menti", intent: "listen" });
    await a.waitState((s) => s.state === "MATCHED");
    await a.emit("enter", { sessionId: a.sessionId() });
    await b.emit("enter", { sessionId: b.sessionId() });
    await a.waitState((s) => s.state === "ACTIVE");
    await b.emit("send", { text: "menti words" });
    await until(() => a.messages.length === 1);
    const countBefore = (await repo.listReports()).length;
    expect(await a.emit("report", { reason: "other", note: "identifying words" })).toEqual({
      ok: true,
    });
    await b.waitState((s) => s.state === "ENDED");
    const reports = await repo.listReports();
    expect(reports.length).toBe(countBefore + 1);
    const menti = reports.find((r) => r.space === "menti");
    expect(menti).toMatchObject({
      reason: "other",
      note: null,
      reporter: null,
      reported: null,
      transcript: null,
    });
    expect(JSON.stringify(menti)).not.toContain("menti words");
    expect(JSON.stringify(menti)).not.toContain("identifying");
  });

  it("a report outside a session is refused and spends no limit; reports are rate limited", async () => {
    await start({
      RATE_LIMITS: JSON.stringify({
        report: [{ scope: "person", points: 1, durationMs: 3_600_000 }],
      }),
    });
    const a = await person();
    const b = await person();
    const c = await person();
    expect(await a.client.emit("report", { reason: "nope" } as never)).toMatchObject({
      code: "invalid_payload",
    });
    // Illegal in IDLE: refused by state before any limit is charged, however often.
    for (let i = 0; i < 5; i++) {
      expect(await a.client.emit("report", { reason: "spam" })).toMatchObject({
        code: "illegal_state",
      });
    }
    // So the one report a's limit allows is still there for a real conversation…
    await stimchatPair(a.client, b.client);
    expect(await a.client.emit("report", { reason: "spam" })).toEqual({ ok: true });
    // …and the next one, in another conversation, is over it.
    await a.client.emit("home", {});
    await stimchatPair(a.client, c.client);
    expect(await a.client.emit("report", { reason: "spam" })).toMatchObject({
      code: "rate_limited",
    });
    expect(a.client.state?.state).toBe("ACTIVE");
  });

  it("a ban while connected: the banned side sees the banned screen and leaves; the partner sees a neutral end", async () => {
    await start();
    const a = await person();
    const b = await person();
    await stimchatPair(a.client, b.client);
    const until1 = Date.now() + 86_400_000;
    await repo.ban({ token: b.token, at: Date.now(), until: until1, note: "live" });
    server?.duet.gateway.banned(b.token, until1);
    await until(() => b.client.identities.at(-1)?.status === "banned");
    await a.client.waitState((s) => s.state === "ENDED");
    expect(a.client.state).toMatchObject({ reason: "left", by: "partner" });
    expect(await b.client.emit("join", { space: "stimchat" })).toMatchObject({ code: "banned" });
    server?.duet.gateway.unbanned(b.token);
    await repo.unban(b.token);
    await until(() => b.client.identities.at(-1)?.status === "ok");
  });

  it("trust tiers: restricted only with restricted; new with new", async () => {
    await start();
    const bounds = { min: TRUST.min, max: TRUST.max };
    const r1 = await person();
    const r2 = await person();
    const n1 = await person();
    for (const t of [r1.token, r2.token]) await repo.adjustTrust(t, -20, Date.now(), bounds);
    await r1.client.emit("join", { space: "dormparty" });
    await n1.client.emit("join", { space: "dormparty" });
    await sleep(300);
    expect(r1.client.state?.state).toBe("WAITING");
    expect(n1.client.state?.state).toBe("WAITING");
    await r2.client.emit("join", { space: "dormparty" });
    await r2.client.waitState((s) => s.state === "MATCHED");
    await r1.client.waitState((s) => s.state === "MATCHED");
    expect(n1.client.state?.state).toBe("WAITING");
  });

  it("a long unreported conversation raises both tokens' trust; a short one does not", async () => {
    // "Long" is 3 s: the short conversation (two round trips from ACTIVE to exit) stays far
    // below it even on a busy machine; the long one waits it out. Two addresses: trust only
    // rises between different ones.
    const longChatMs = 3000;
    await start({ TRUST_LONG_CHAT_MS: String(longChatMs), TRUST_PROXY: "true" });
    const a = await person("198.51.100.1");
    const b = await person("198.51.100.2");
    await stimchatPair(a.client, b.client);
    await a.client.emit("exit", {});
    await b.client.waitState((s) => s.state === "ENDED");
    await sleep(200);
    expect(await repo.trust(a.token)).toBe(0);
    await a.client.emit("join", { space: "stimchat" });
    await b.client.emit("join", { space: "stimchat" });
    await a.client.waitState((s) => s.state === "MATCHED");
    await a.client.emit("enter", { sessionId: a.client.sessionId() });
    await b.client.emit("enter", { sessionId: b.client.sessionId() });
    await a.client.waitState((s) => s.state === "ACTIVE");
    await sleep(longChatMs + 100);
    await b.client.emit("exit", {});
    await a.client.waitState((s) => s.state === "ENDED");
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (await repo.trust(a.token)) !== TRUST.longChatGain) {
      await sleep(20);
    }
    expect(await repo.trust(a.token)).toBe(TRUST.longChatGain);
    expect(await repo.trust(b.token)).toBe(TRUST.longChatGain);
  });

  it("two passes from one address never raise each other's trust, however long they talk", async () => {
    await start({ TRUST_LONG_CHAT_MS: "300", TRUST_PROXY: "true" });
    // Two browsers (or one, with a second pass) behind the same address.
    const a = await person("198.51.100.7");
    const b = await person("198.51.100.7");
    const c = await person("198.51.100.8");
    await stimchatPair(a.client, b.client);
    await sleep(400);
    await a.client.emit("exit", {});
    await b.client.waitState((s) => s.state === "ENDED");
    // A long chat between distinct addresses afterwards proves the gain would have been seen.
    await a.client.emit("home", {});
    await stimchatPair(a.client, c.client);
    await sleep(400);
    await c.client.emit("exit", {});
    await a.client.waitState((s) => s.state === "ENDED");
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (await repo.trust(c.token)) !== TRUST.longChatGain) {
      await sleep(20);
    }
    expect(await repo.trust(c.token)).toBe(TRUST.longChatGain);
    expect(await repo.trust(a.token)).toBe(TRUST.longChatGain); // once: with c, not with b
    expect(await repo.trust(b.token)).toBe(0);
  });
});
