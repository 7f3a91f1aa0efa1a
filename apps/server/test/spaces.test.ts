/**
 * stimchat and dormparty rules through real sockets: topics and their fallback, only-my-topics,
 * search limit, typing, profanity, Skip / End / lost partner with re-queueing, pair cooldown,
 * presence. Timeouts are shortened by configuration, as an operator would.
 */
import type { ClientPayload, StateView } from "@duet/protocol";
import { afterEach, describe, expect, it } from "vitest";
import type { DuetDeps } from "../src/app";
import { mintToken, sleep, startServer, TestClient, type TestServer, until } from "./harness";

let server: TestServer | undefined;
const clients: TestClient[] = [];

async function boot(env: Record<string, string>, tuning?: DuetDeps["tuning"]): Promise<TestServer> {
  server = await startServer(
    { SPACES: "menti,stimchat,dormparty", ...env },
    tuning ? { tuning } : {},
  );
  return server;
}
/** A client with its own valid token (stimchat and dormparty need one), or the given cookie. */
async function connect(opts: { cookie?: string; browserId?: string } = {}): Promise<TestClient> {
  if (!server) throw new Error("no server");
  const cookie = opts.cookie ?? mintToken(server).cookie;
  const c = await TestClient.connect(server, {
    extraHeaders: { cookie },
    ...(opts.browserId ? { browserId: opts.browserId } : {}),
  });
  clients.push(c);
  return c;
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

const stim = (topics?: string[], onlyMyTopics?: boolean): ClientPayload<"join"> => ({
  space: "stimchat",
  ...(topics ? { topics } : {}),
  ...(onlyMyTopics ? { onlyMyTopics } : {}),
});
const is = (state: StateView["state"]) => (s: StateView) => s.state === state;

async function activate(a: TestClient, b: TestClient): Promise<void> {
  await a.waitState(is("MATCHED"));
  await b.waitState(is("MATCHED"));
  await a.emit("enter", { sessionId: a.sessionId() });
  await b.emit("enter", { sessionId: b.sessionId() });
  await a.waitState(is("ACTIVE"));
  await b.waitState(is("ACTIVE"));
}

describe("stimchat", () => {
  it("prefers a shared topic: with three people, the two music fans meet and see it", async () => {
    await boot({ STIMCHAT_TOPIC_FALLBACK_MS: "60000" });
    const a = await connect();
    const b = await connect();
    const c = await connect();
    await a.emit("join", stim(["music"]));
    await b.emit("join", stim(["games"]));
    await c.emit("join", stim(["study", "music"]));
    await a.waitState(is("MATCHED"));
    expect(c.state).toMatchObject({ state: "MATCHED", partner: { sharedTopics: ["music"] } });
    expect(a.sessionId()).toBe(c.sessionId());
    expect(b.state?.state).toBe("WAITING");
  });

  it("a topic search accepts anyone after the fallback wait; without topics anyone at once", async () => {
    const fallbackMs = 2000;
    await boot({ STIMCHAT_TOPIC_FALLBACK_MS: String(fallbackMs) });
    const a = await connect();
    const b = await connect();
    const joined = Date.now();
    await a.emit("join", stim(["music"]));
    await b.emit("join", stim());
    // Not before the fallback wait (a lower bound: a busy machine can only make it later).
    await a.waitState(is("MATCHED"));
    expect(Date.now() - joined).toBeGreaterThanOrEqual(fallbackMs);
    await b.waitState(is("MATCHED"));
    const c = await connect();
    const d = await connect();
    await c.emit("join", stim());
    await d.emit("join", stim());
    await c.waitState(is("MATCHED"));
  });

  it('"Anyone is fine" (widen) pairs a topic search at once with someone without topics', async () => {
    await boot({ STIMCHAT_TOPIC_FALLBACK_MS: "600000" });
    const a = await connect();
    const b = await connect();
    await a.emit("join", stim(["music"]));
    expect(await a.waitState(is("WAITING"))).toMatchObject({ anyoneInMs: expect.any(Number) });
    const waiting = a.state as Extract<StateView, { state: "WAITING" }>;
    expect(waiting.anyoneInMs).toBeGreaterThan(590_000);
    await b.emit("join", stim());
    await sleep(300);
    expect(a.state?.state).toBe("WAITING");
    expect(await a.emit("widen", {})).toEqual({ ok: true });
    await a.waitState(is("MATCHED"));
    await b.waitState(is("MATCHED"));
    expect(a.sessionId()).toBe(b.sessionId());
    // A late widen (the search is over) is accepted and changes nothing.
    expect(await a.emit("widen", {})).toEqual({ ok: true });
    expect(a.state?.state).toBe("MATCHED");
    // Before any search it is a no-op; while waiting in a space without topics it is refused.
    const c = await connect();
    expect(await c.emit("widen", {})).toEqual({ ok: true });
    await c.emit("join", { space: "dormparty" });
    expect(await c.emit("widen", {})).toMatchObject({ code: "not_in_this_space" });
  });

  it("only-my-topics is never matched outside its topics", async () => {
    await boot({ STIMCHAT_TOPIC_FALLBACK_MS: "100" });
    const a = await connect();
    const b = await connect();
    await a.emit("join", stim(["music"], true));
    await b.emit("join", stim(["games"]));
    await sleep(500);
    expect(a.state?.state).toBe("WAITING");
    expect(b.state?.state).toBe("WAITING");
    const c = await connect();
    await c.emit("join", stim(["music"]));
    await a.waitState(is("MATCHED"));
    expect(a.sessionId()).toBe(c.sessionId());
  });

  it("the search limit returns the person to IDLE exactly once, saying why", async () => {
    await boot({ STIMCHAT_SEARCH_TIMEOUT_MS: "1000" });
    const a = await connect();
    await a.emit("join", stim(["music"], true));
    const idle = await a.waitState(is("IDLE"));
    expect(idle).toEqual({ state: "IDLE", searchTimedOut: true });
    await sleep(300);
    expect(a.states.filter((s) => s.state === "IDLE" && s.searchTimedOut)).toHaveLength(1);
    expect(server?.store.inspect().queued).toEqual([]);
  });

  it("relays typing to the partner only, masks profanity, and a leave shows both the end", async () => {
    await boot({});
    const a = await connect();
    const b = await connect();
    await a.emit("join", stim());
    await b.emit("join", stim());
    await activate(a, b);
    const typings = { a: 0, b: 0 };
    a.socket.on("typing", () => typings.a++);
    b.socket.on("typing", () => typings.b++);
    expect(await a.emit("typing", {})).toEqual({ ok: true });
    await until(() => typings.b === 1, 20_000, "typing relayed");
    expect(typings.a).toBe(0);
    await a.emit("send", { text: "this is fucking great" });
    await until(() => b.messages.length === 1, 20_000, "message");
    expect(b.messages[0]?.text).toBe("this is ****ing great");
    expect(a.messages[0]?.text).toBe("this is ****ing great");
    await a.emit("exit", {});
    expect(await b.waitState(is("ENDED"))).toMatchObject({ reason: "left", by: "partner" });
    expect(a.state).toMatchObject({ state: "ENDED", reason: "left", by: "you" });
    // "New chat" is one join away.
    expect(await b.emit("join", stim())).toEqual({ ok: true });
    expect(b.state?.state).toBe("WAITING");
  });

  it("refuses unknown topics, and typing or skip where the space has none", async () => {
    await boot({});
    const a = await connect();
    expect(await a.emit("join", stim(["knitting"]))).toMatchObject({ code: "topic_unknown" });
    expect(
      await a.emit("join", { space: "menti", intent: "talk", topics: ["music"] }),
    ).toMatchObject({
      code: "topic_unknown",
    });
    const m1 = await connect();
    const m2 = await connect();
    await m1.join("talk");
    await m2.join("listen");
    await activate(m1, m2);
    expect(await m1.emit("typing", {})).toMatchObject({ code: "not_in_this_space" });
    expect(await m1.emit("skip", {})).toMatchObject({ code: "not_in_this_space" });
    expect(await m1.emit("end", {})).toMatchObject({ code: "not_in_this_space" });
    expect(m1.state?.state).toBe("ACTIVE");
  });
});

describe("dormparty", () => {
  const dorm: ClientPayload<"join"> = { space: "dormparty" };

  it("Skip re-queues both at once; the pair waits out its cooldown; a third person meets one of them", async () => {
    // Long enough for everything up to C's match to happen inside it on a busy machine.
    await boot({ DORMPARTY_PAIR_COOLDOWN_MS: "8000" });
    const a = await connect();
    const b = await connect();
    await a.emit("join", dorm);
    await b.emit("join", dorm);
    await activate(a, b);
    expect(await a.emit("skip", {})).toEqual({ ok: true });
    const wa = await a.waitState(is("WAITING"));
    const wb = await b.waitState(is("WAITING"));
    expect(wa).toMatchObject({ previous: { reason: "skipped", by: "you" } });
    expect(wb).toMatchObject({ previous: { reason: "skipped", by: "partner" } });
    // Only the two of them online: they wait rather than meet again inside the cooldown.
    await sleep(500);
    expect(a.state?.state).toBe("WAITING");
    expect(b.state?.state).toBe("WAITING");
    const c = await connect();
    await c.emit("join", dorm);
    await c.waitState(is("MATCHED"));
    await until(() => [a, b].some((x) => x.state?.state === "MATCHED"), 20_000, "C's partner told");
    const partnerOfC = [a, b].find((x) => x.state?.state === "MATCHED");
    expect(partnerOfC?.sessionId()).toBe(c.sessionId());
    // C exits; once the cooldown is over, whoever is left waiting with the other meets again.
    await c.emit("exit", {});
    await until(
      () => a.state?.state === "MATCHED" && b.state?.state === "MATCHED",
      30_000,
      "rematch after cooldown",
    );
    expect(a.sessionId()).toBe(b.sessionId());
  });

  it("End sends the ender home and re-queues the partner, who is told", async () => {
    await boot({});
    const a = await connect();
    const b = await connect();
    await a.emit("join", dorm);
    await b.emit("join", dorm);
    await activate(a, b);
    expect(await a.emit("end", {})).toEqual({ ok: true });
    await a.waitState(is("IDLE"));
    expect(await b.waitState(is("WAITING"))).toMatchObject({
      previous: { reason: "ended", by: "partner" },
    });
    // A double End is a no-op.
    expect(await a.emit("end", {})).toEqual({ ok: true });
    expect(a.state?.state).toBe("IDLE");
  });

  it("a partner lost to a disconnect is like End for the one who remains", async () => {
    await boot({});
    const a = await connect();
    const b = await connect();
    await a.emit("join", dorm);
    await b.emit("join", dorm);
    await activate(a, b);
    a.close();
    expect(await b.waitState(is("WAITING"))).toMatchObject({
      previous: { reason: "disconnected", by: "partner" },
    });
    expect(server?.store.inspect().sessions).toEqual([]);
  });

  it("media that never connects in time: media_failed, both look again, not with each other", async () => {
    // In video spaces a participant enters once its peer connection is up, so a session still
    // pending at the limit failed to connect: nobody is blamed, both are re-queued.
    await boot({ DORMPARTY_JOIN_TIMEOUT_MS: "1000" });
    const a = await connect();
    const b = await connect();
    await a.emit("join", dorm);
    await b.emit("join", dorm);
    await a.waitState(is("MATCHED"));
    await a.emit("enter", { sessionId: a.sessionId() });
    for (const c of [a, b]) {
      expect(await c.waitState(is("WAITING"))).toMatchObject({
        previous: { reason: "media_failed", by: "server" },
      });
    }
    // The pair cooldown keeps them from failing together again at once.
    await sleep(300);
    expect(a.state?.state).toBe("WAITING");
    expect(b.state?.state).toBe("WAITING");
  });
});

describe("presence", () => {
  it("tells every client how busy each space is, rounded", async () => {
    await boot({});
    const a = await connect();
    const seen: unknown[] = [];
    a.socket.on("presence", (p) => seen.push(p));
    await a.emit("join", { space: "dormparty" });
    await until(() => seen.length > 0, 20_000, "presence");
    expect(seen.at(-1)).toEqual({
      spaces: [
        { id: "menti", here: "a few" },
        { id: "stimchat", here: "a few" },
        { id: "dormparty", here: "a few" },
      ],
    });
  });

  it("goes to those not in a conversation; someone leaving one gets the latest at once", async () => {
    const s = await boot({});
    const [a, b, c] = [await connect(), await connect(), await connect()];
    const seen = new Map<TestClient, { spaces: { id: string; estimatedWaitMs?: number }[] }[]>();
    for (const x of [a, b, c]) {
      seen.set(x, []);
      x.socket.on("presence", (p) => seen.get(x)?.push(p));
    }
    const members = async () => (await s.duet.gateway.io.in("presence").fetchSockets()).length;
    expect(await members()).toBe(3);
    await a.emit("join", { space: "dormparty" });
    await b.emit("join", { space: "dormparty" });
    await until(() => a.states.at(-1)?.state === "MATCHED", 20_000, "a matched");
    // socketsLeave is asynchronous in general: poll, bounded (1,000 × 20 ms).
    for (let i = 0; i < 1000 && (await members()) !== 1; i += 1) await sleep(20);
    expect(await members()).toBe(1);
    // The first match gives dormparty a wait estimate: a change, broadcast by a later check.
    const estimated = (list: { spaces: { id: string; estimatedWaitMs?: number }[] }[]) =>
      list.some((p) =>
        p.spaces.some((sp) => sp.id === "dormparty" && sp.estimatedWaitMs !== undefined),
      );
    await until(() => estimated(seen.get(c) ?? []), 20_000, "c hears the new estimate");
    expect(estimated(seen.get(a) ?? [])).toBe(false);
    expect(estimated(seen.get(b) ?? [])).toBe(false);
    // Skip: both look again, out of the conversation, and hear the latest presence at once.
    await a.emit("skip", {});
    await until(
      () => estimated(seen.get(a) ?? []) && estimated(seen.get(b) ?? []),
      20_000,
      "a and b told",
    );
    expect(await members()).toBe(3);
  });

  it("a change reaches everyone out of a conversation once, a few sockets per turn", async () => {
    // Slices of 2: the three people out of a conversation are told over two turns.
    await boot({}, { presenceEveryMs: 100, presenceSlice: 2 });
    const [a, b, c, d, e] = [
      await connect(),
      await connect(),
      await connect(),
      await connect(),
      await connect(),
    ];
    const seen = new Map<TestClient, { spaces: { id: string; estimatedWaitMs?: number }[] }[]>();
    for (const x of [a, b, c, d, e]) {
      seen.set(x, []);
      x.socket.on("presence", (p) => seen.get(x)?.push(p));
    }
    const estimates = (x: TestClient) =>
      (seen.get(x) ?? []).filter((p) =>
        p.spaces.some((sp) => sp.id === "menti" && sp.estimatedWaitMs !== undefined),
      ).length;
    await a.emit("join", { space: "menti", intent: "talk" });
    await b.emit("join", { space: "menti", intent: "listen" });
    await until(() => [c, d, e].every((x) => estimates(x) > 0), 20_000, "c, d and e told");
    await sleep(300); // three more checks: no change, nothing more sent
    expect([a, b, c, d, e].map(estimates)).toEqual([0, 0, 1, 1, 1]);
  });

  it("someone leaving a conversation during which presence did not change gets none", async () => {
    await boot({});
    const [a, b, c] = [await connect(), await connect(), await connect()];
    const seen = new Map<TestClient, { spaces: { id: string; estimatedWaitMs?: number }[] }[]>();
    for (const x of [a, b, c]) {
      seen.set(x, []);
      x.socket.on("presence", (p) => seen.get(x)?.push(p));
    }
    const estimated = (x: TestClient) =>
      (seen.get(x) ?? []).some((p) =>
        p.spaces.some((sp) => sp.id === "menti" && sp.estimatedWaitMs !== undefined),
      );
    const talkOnce = async () => {
      const ended = (x: TestClient) => x.states.filter((v) => v.state === "ENDED").length;
      const before = ended(a);
      await a.emit("join", { space: "menti", intent: "talk" });
      await b.emit("join", { space: "menti", intent: "listen" });
      await until(() => b.states.at(-1)?.state === "MATCHED", 20_000, "matched");
      await a.emit("exit", {});
      await until(() => ended(a) > before && ended(b) > before, 20_000, "both ended");
    };
    // The first conversation gives menti its first wait estimate (a change, broadcast by the
    // next check); a and b are out of the conversation by then and hear it with c.
    await talkOnce();
    await until(() => estimated(a) && estimated(b) && estimated(c), 20_000, "the estimate");
    const counts = [a, b, c].map((x) => seen.get(x)?.length);
    // A second short conversation: the figures stay the same ("a few", a wait of about 0 s), so
    // nobody is sent them again on leaving it.
    await talkOnce();
    await sleep(200);
    expect([a, b, c].map((x) => seen.get(x)?.length)).toEqual(counts);
  });
});
