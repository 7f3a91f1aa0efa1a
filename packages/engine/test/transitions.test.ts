/**
 * SPEC §3/§4 through the engine: every cell of the transition table for the client events, the
 * server-side events (paired, activated, closed, join_timeout, search_timeout, retry_match), the
 * table's helpers, and the failure rows and matching rules that are decided per command.
 */
import {
  compatible,
  DORMPARTY,
  decide,
  edges,
  GONE,
  isLegalEdge,
  MENTI,
  type MemoryStore,
  NOOP,
  type Outcome,
  type QueueEntry,
  type SpacePolicy,
  STIMCHAT,
  type Store,
  sourcesOf,
  TRANSITIONS,
  USER_EVENTS,
  type UserEvent,
} from "@duet/engine";
import {
  ERROR_CODES,
  type ErrorCode,
  type Intent,
  type SpaceId,
  StateView,
  USER_STATES,
  type UserState,
} from "@duet/protocol";
import { describe, expect, it } from "vitest";
import {
  comparableView,
  errorOf,
  MADE_UP_SESSION,
  mentiBuckets,
  OPAQUE_ID,
  storeVia,
  World,
} from "./helpers";

const CLIENT_EVENTS = [
  "join",
  "cancel",
  "enter",
  "send",
  "exit",
  "home",
  "disconnect",
  "skip",
  "end",
  "typing",
  "widen",
  "care",
  "report",
  "media",
  "signal",
] as const;
type ClientEvent = (typeof CLIENT_EVENTS)[number];
type Expect = UserState | typeof GONE | typeof NOOP | { error: ErrorCode };

/** SPEC §3 written out by hand: the engine and the declared table must both agree with it. */
const EXPECTED: Record<UserState, Record<ClientEvent, Expect>> = {
  IDLE: {
    join: "WAITING",
    cancel: NOOP,
    enter: { error: "room_unavailable" },
    send: { error: "illegal_state" },
    exit: NOOP,
    home: NOOP,
    skip: NOOP,
    end: NOOP,
    typing: { error: "illegal_state" },
    widen: NOOP,
    care: { error: "illegal_state" },
    report: { error: "illegal_state" },
    media: { error: "room_unavailable" },
    signal: { error: "illegal_state" },
    disconnect: GONE,
  },
  WAITING: {
    join: NOOP,
    cancel: "IDLE",
    enter: { error: "room_unavailable" },
    send: { error: "illegal_state" },
    exit: NOOP,
    home: NOOP,
    skip: NOOP,
    end: NOOP,
    typing: { error: "illegal_state" },
    widen: "WAITING",
    care: { error: "illegal_state" },
    report: { error: "illegal_state" },
    media: { error: "room_unavailable" },
    signal: { error: "illegal_state" },
    disconnect: GONE,
  },
  MATCHED: {
    join: { error: "already_in_conversation" },
    cancel: "ENDED",
    enter: "MATCHED",
    send: { error: "not_active" },
    exit: "ENDED",
    home: { error: "illegal_state" },
    skip: "ENDED",
    end: "ENDED",
    typing: NOOP,
    widen: NOOP,
    care: { error: "not_active" },
    report: "ENDED",
    media: "MATCHED",
    signal: "MATCHED",
    disconnect: GONE,
  },
  ACTIVE: {
    join: { error: "already_in_conversation" },
    cancel: { error: "illegal_state" },
    enter: NOOP,
    send: "ACTIVE",
    exit: "ENDED",
    home: { error: "illegal_state" },
    skip: "ENDED",
    end: "ENDED",
    typing: "ACTIVE",
    widen: NOOP,
    care: "ACTIVE",
    report: "ENDED",
    media: "ACTIVE",
    signal: "ACTIVE",
    disconnect: GONE,
  },
  ENDED: {
    join: "WAITING",
    cancel: NOOP,
    enter: { error: "room_unavailable" },
    send: NOOP,
    exit: NOOP,
    home: "IDLE",
    skip: NOOP,
    end: NOOP,
    typing: NOOP,
    widen: NOOP,
    care: NOOP,
    report: { error: "room_unavailable" },
    media: { error: "room_unavailable" },
    signal: NOOP,
    disconnect: GONE,
  },
};

/** menti with Skip, End, the typing indicator and video, so those cells' legal edges run too. */
const ROOMY: SpacePolicy = {
  ...MENTI,
  media: "video",
  controls: ["skip", "end"],
  typingIndicator: true,
};

/**
 * The engine's verdict for a cell under a policy: the table's, except that Skip / End where the
 * table allows them, and typing by anyone with a space, are refused in a space without them.
 */
function expectedFor(policy: SpacePolicy, state: UserState, event: ClientEvent): Expect {
  const rule = EXPECTED[state][event];
  if ((event === "skip" || event === "end") && typeof rule === "string" && rule !== NOOP) {
    return policy.controls.includes(event) ? rule : { error: "not_in_this_space" };
  }
  if (event === "typing" && state !== "IDLE" && !policy.typingIndicator) {
    return { error: "not_in_this_space" };
  }
  if (event === "care" && state !== "IDLE" && !policy.careOffer) {
    return { error: "not_in_this_space" };
  }
  if (event === "widen" && state === "WAITING" && !policy.pairing.topics) {
    return { error: "not_in_this_space" };
  }
  if ((event === "signal" || event === "media") && state !== "IDLE" && policy.media !== "video") {
    return { error: "not_in_this_space" };
  }
  return rule;
}

const CLOSE_REASON: Partial<Record<ClientEvent, string>> = {
  report: "reported",
  cancel: "left",
  exit: "left",
  skip: "skipped",
  end: "ended",
};

interface Ctx {
  w: World;
  me: string;
  partner?: string;
  /** The user's current session, or (ENDED) the one that just closed. */
  sessionId?: string;
}

/**
 * A fresh world with user `alice` in `state` (and `bob` as her partner where there is one). In a
 * video space a MATCHED or ACTIVE pair has both asked for media, as the reference client does,
 * so that `signal` is relayed (what happens before is tested on its own, below).
 */
async function inState(state: UserState, options: { policies?: SpacePolicy[] } = {}): Promise<Ctx> {
  const w = new World(options);
  const video = options.policies?.some((p) => p.media === "video") ?? false;
  await w.connect("alice");
  switch (state) {
    case "IDLE":
      return { w, me: "alice" };
    case "WAITING":
      await w.join("alice", "talk");
      return { w, me: "alice" };
    case "MATCHED": {
      const sessionId = await w.pair("alice", "bob");
      if (video) for (const u of ["alice", "bob"]) await w.media(u, sessionId);
      return { w, me: "alice", partner: "bob", sessionId };
    }
    case "ACTIVE": {
      const sessionId = await w.pair("alice", "bob");
      if (video) for (const u of ["alice", "bob"]) await w.media(u, sessionId);
      for (const u of ["alice", "bob"]) await w.enter(u, sessionId);
      return { w, me: "alice", partner: "bob", sessionId };
    }
    case "ENDED": {
      const sessionId = await w.converse("alice", "bob");
      await w.exit("bob");
      return { w, me: "alice", partner: "bob", sessionId };
    }
  }
}

async function fire(ctx: Ctx, event: ClientEvent): Promise<Outcome> {
  const { w, me } = ctx;
  switch (event) {
    case "join":
      return w.join(me, "both");
    case "cancel":
      return w.cancel(me);
    case "enter":
      return w.enter(me, ctx.sessionId ?? MADE_UP_SESSION);
    case "send":
      return w.send(me, "hello");
    case "exit":
      return w.exit(me);
    case "home":
      return w.home(me);
    case "disconnect":
      return w.disconnect(me);
    case "skip":
      return w.apply(await w.engine.skip(me));
    case "end":
      return w.apply(await w.engine.end(me));
    case "typing":
      return w.apply(await w.engine.typing(me));
    case "widen":
      return w.apply(await w.engine.widen(me));
    case "care":
      return w.apply(await w.engine.care(me));
    case "report":
      return w.apply(await w.engine.report(me));
    case "media":
      return w.media(me, ctx.sessionId ?? MADE_UP_SESSION);
    case "signal":
      return w.apply(await w.engine.signal(me, { candidate: null }));
  }
}

/** The states a user was shown, in order, repeats of the same state collapsed. */
function screens(w: World, userId: string): string[] {
  const out: string[] = [];
  for (const v of w.mailbox.states(userId)) if (out[out.length - 1] !== v.state) out.push(v.state);
  return out;
}

function expectViewMatchesStore(w: World, userId: string): void {
  const record = w.user(userId);
  if (!record) throw new Error(`${userId} is gone`);
  const last = w.mailbox.lastState(userId);
  expect(StateView.safeParse(last).success).toBe(true);
  expect(comparableView(last)).toEqual(comparableView(w.engine.view(record)));
}

describe.each([
  ["menti", MENTI],
  ["menti with skip, end and typing", ROOMY],
] as const)("the transition table, cell by cell, through the engine (%s)", (_name, policy) => {
  for (const state of USER_STATES) {
    describe(`in ${state}`, () => {
      for (const event of CLIENT_EVENTS) {
        const expected = expectedFor(policy, state, event);
        const label =
          typeof expected === "object" ? `error ${expected.error}` : (expected as string);
        it(`${event} → ${label}`, async () => {
          const ctx = await inState(state, { policies: [policy] });
          const { w, me, partner } = ctx;
          expect(w.user(me)?.state).toBe(state);
          expect(decide(state, event)).toEqual(EXPECTED[state][event]);

          const before = w.snapshot();
          const mark = w.mailbox.mark();
          const outcome = await fire(ctx, event);
          const after = w.snapshot();

          if (expected === NOOP) {
            expect(outcome.ok).toBe(true);
            expect(after).toEqual(before);
            // A NOOP may re-send the current state (duplicate join), never anything else.
            for (const o of w.mailbox.since(mark)) {
              expect(o.to).toBe(me);
              expect(o.event).toBe("state");
            }
            if (w.user(me)) expectViewMatchesStore(w, me);
          } else if (typeof expected === "object") {
            expect(errorOf(outcome)).toBe(expected.error);
            expect(outcome.out).toEqual([]);
            expect(outcome.deadlines).toEqual([]);
            expect(after).toEqual(before);
          } else if (expected === GONE) {
            expect(outcome.ok).toBe(true);
            expect(w.user(me)).toBeUndefined();
            expect(after.queued.some((e) => e.userId === me)).toBe(false);
            if (partner && (state === "MATCHED" || state === "ACTIVE")) {
              expect(w.user(partner)?.state).toBe("ENDED");
              expect(w.user(partner)?.ended).toEqual({
                sessionId: ctx.sessionId,
                reason: "disconnected",
                by: me,
              });
              expect(w.mailbox.lastState(partner)).toMatchObject({
                state: "ENDED",
                reason: "disconnected",
                by: "partner",
              });
              expect(after.sessions).toEqual([]);
            } else {
              // Nobody else was told anything.
              expect(w.mailbox.since(mark)).toEqual([]);
            }
          } else {
            expect(outcome.ok).toBe(true);
            expect(w.user(me)?.state).toBe(expected);
            expect(w.mailbox.lastState(me)?.state).toBe(expected);
            expectViewMatchesStore(w, me);
            if (partner && w.user(partner)) expectViewMatchesStore(w, partner);
            if (expected === "ENDED") {
              // cancel (crossing the match), exit, skip and end close it for both, by this user.
              const reason = CLOSE_REASON[event];
              expect(w.user(partner ?? "")?.state).toBe("ENDED");
              expect(w.mailbox.lastState(me)).toMatchObject({ reason, by: "you" });
              // The reported side reads a neutral ending: the other person left.
              expect(w.mailbox.lastState(partner ?? "")).toMatchObject(
                event === "report" ? { reason: "left", by: "partner" } : { reason, by: "partner" },
              );
              expect(after.sessions).toEqual([]);
            }
            if (event === "care") {
              // The partner alone is told; nothing changes, nothing is kept.
              expect(after).toEqual(before);
              expect(outcome.out).toEqual([
                { to: partner, event: "care", payload: { sessionId: ctx.sessionId } },
              ]);
              expect(outcome.observed).toEqual([]);
            }
            if (event === "typing") {
              expect(after).toEqual(before);
              expect(outcome.out).toEqual([
                { to: partner, event: "typing", payload: { sessionId: ctx.sessionId } },
              ]);
            }
            if (event === "signal") {
              // Relayed to the partner only, and nothing changes.
              expect(after).toEqual(before);
              expect(outcome.out).toEqual([
                {
                  to: partner,
                  event: "signal",
                  payload: { sessionId: ctx.sessionId, candidate: null },
                },
              ]);
            }
            if (event === "media") {
              // Both had asked already: a repeat changes nothing and sends nothing.
              expect(after).toEqual(before);
              expect(outcome.out).toEqual([]);
              expect(outcome.observed).toEqual([]);
            }
            if (state === "MATCHED" && event === "enter") {
              expect(w.session(ctx.sessionId ?? "")?.entered).toEqual([me]);
              expect(w.user(partner ?? "")?.state).toBe("MATCHED");
            }
            if (event === "send") {
              expect(after).toEqual(before);
              expect(w.mailbox.messages(me).map((m) => m.from)).toEqual(["you"]);
              expect(w.mailbox.messages(partner ?? "").map((m) => m.from)).toEqual(["partner"]);
            }
            if (event === "join") {
              expect(after.queued.filter((e) => e.userId === me)).toHaveLength(1);
              expect(w.user(me)?.sessionId).toBeUndefined();
              expect(w.user(me)?.ended).toBeUndefined();
            }
          }
        });
      }
    });
  }

  it("the hand-written table and the declared one agree on every client event", () => {
    for (const state of USER_STATES) {
      for (const event of CLIENT_EVENTS)
        expect(decide(state, event)).toEqual(EXPECTED[state][event]);
    }
  });

  it("a command from a connection that does not exist is refused and changes nothing", async () => {
    const w = new World();
    await w.connect("alice");
    const before = w.snapshot();
    expect(errorOf(await w.join("ghost", "talk"))).toBe("illegal_state");
    expect(errorOf(await w.cancel("ghost"))).toBe("illegal_state");
    expect(errorOf(await w.enter("ghost", MADE_UP_SESSION))).toBe("room_unavailable");
    expect(errorOf(await w.send("ghost", "hi"))).toBe("illegal_state");
    expect(errorOf(await w.exit("ghost"))).toBe("illegal_state");
    expect(errorOf(await w.home("ghost"))).toBe("illegal_state");
    expect((await w.disconnect("ghost")).ok).toBe(true);
    expect(w.snapshot()).toEqual(before);
  });

  it("connect creates an IDLE user and tells it so; a second connect of the id is a no-op", async () => {
    const w = new World();
    const first = await w.connect("alice", "browser-1");
    expect(first.out).toEqual([
      { to: "alice", event: "state", payload: { state: "IDLE" }, version: expect.any(Number) },
    ]);
    const before = w.snapshot();
    const again = await w.connect("alice", "browser-2");
    expect(again).toMatchObject({ ok: true, out: [], deadlines: [] });
    expect(w.snapshot()).toEqual(before);
    expect(w.user("alice")?.browserId).toBe("browser-1");
  });
});

describe("server-side events", () => {
  it("paired: a waiting user becomes MATCHED when a compatible user joins", async () => {
    const { w } = await inState("WAITING");
    await w.connect("bob");
    const outcome = await w.join("bob", "listen");
    expect(outcome.ok).toBe(true);
    const alice = w.user("alice");
    const bob = w.user("bob");
    expect(alice?.state).toBe("MATCHED");
    expect(bob?.state).toBe("MATCHED");
    expect(alice?.sessionId).toBe(bob?.sessionId);
    expect(alice?.sessionId).toMatch(OPAQUE_ID);
    expect(alice?.partnerId).toBe("bob");
    expect(bob?.partnerId).toBe("alice");
    expect(w.mailbox.lastState("alice")).toEqual({
      state: "MATCHED",
      space: "menti",
      sessionId: alice?.sessionId,
      partner: { intent: "listen" },
      enterWithinMs: MENTI.joinTimeoutMs,
    });
    expect(w.mailbox.lastState("bob")).toMatchObject({ partner: { intent: "talk" } });
    expect(outcome.deadlines).toEqual([
      {
        kind: "join_timeout",
        at: w.clock.now() + MENTI.joinTimeoutMs,
        sessionId: alice?.sessionId,
      },
    ]);
    const session = w.session(alice?.sessionId ?? "");
    expect(session).toMatchObject({
      status: "PENDING",
      entered: [],
      participants: ["alice", "bob"],
    });
    expect(w.snapshot().queued).toEqual([]);
  });

  it("a joiner matched at once is shown MATCHED only (its WAITING would be replaced unseen)", async () => {
    const { w } = await inState("WAITING");
    await w.connect("bob");
    const joined = await w.join("bob", "listen");
    // The record still went through WAITING (the store's versions say so); only the view that
    // nobody could have seen is not sent. The one who waited saw WAITING.
    expect(joined.out.filter((o) => o.to === "bob").map((o) => o.event)).toEqual(["state"]);
    expect(screens(w, "bob")).toEqual(["IDLE", "MATCHED"]);
    expect(screens(w, "alice")).toEqual(["IDLE", "WAITING", "MATCHED"]);
  });

  it("activated: the first enter sends nothing (no view changed); the second makes both ACTIVE", async () => {
    const { w, sessionId = "" } = await inState("MATCHED");
    const first = await w.enter("alice", sessionId);
    expect(first).toEqual({ ok: true, out: [], deadlines: [], observed: [] });
    expect(w.session(sessionId)?.entered).toEqual(["alice"]);
    expect(w.mailbox.lastState("alice")?.state).toBe("MATCHED");
    const second = await w.enter("bob", sessionId);
    expect(second.out.map((o) => o.to).sort()).toEqual(["alice", "bob"]);
    expect(w.user("alice")?.state).toBe("ACTIVE");
    expect(w.user("bob")?.state).toBe("ACTIVE");
    expect(w.session(sessionId)?.status).toBe("ACTIVE");
    expect(w.mailbox.lastState("alice")).toEqual({
      state: "ACTIVE",
      space: "menti",
      sessionId,
      partner: { intent: "listen" },
    });
  });

  it("a repeated enter while MATCHED changes nothing", async () => {
    const { w, sessionId = "" } = await inState("MATCHED");
    await w.enter("alice", sessionId);
    const before = w.snapshot();
    const again = await w.enter("alice", sessionId);
    expect(again.ok).toBe(true);
    expect(w.snapshot()).toEqual(before);
  });

  for (const state of ["MATCHED", "ACTIVE"] as const) {
    it(`closed: in ${state}, the partner exits → ENDED, reason left, by partner`, async () => {
      const { w, sessionId } = await inState(state);
      await w.exit("bob");
      expect(w.user("alice")).toMatchObject({
        state: "ENDED",
        sessionId,
        ended: { sessionId, reason: "left", by: "bob" },
      });
      expect(w.user("alice")?.partnerId).toBeUndefined();
      expect(w.mailbox.lastState("alice")).toEqual({
        state: "ENDED",
        space: "menti",
        sessionId,
        reason: "left",
        by: "partner",
      });
      expect(w.mailbox.lastState("bob")).toMatchObject({ reason: "left", by: "you" });
      expect(w.session(sessionId ?? "")).toBeUndefined();
    });
  }

  it("join_timeout: nobody entered in time → both ENDED by the server, exactly at the limit", async () => {
    const { w, sessionId } = await inState("MATCHED");
    await w.advance(MENTI.joinTimeoutMs - 1);
    expect(w.user("alice")?.state).toBe("MATCHED");
    expect(w.mailbox.lastState("alice")?.state).toBe("MATCHED");
    await w.advance(1);
    for (const id of ["alice", "bob"]) {
      expect(w.user(id)?.state).toBe("ENDED");
      expect(w.mailbox.lastState(id)).toEqual({
        state: "ENDED",
        space: "menti",
        sessionId,
        reason: "join_timeout",
        by: "server",
      });
    }
    expect(w.session(sessionId ?? "")).toBeUndefined();
  });

  it("join_timeout: one entered, the other never did → both ENDED, caused by the late one", async () => {
    const { w, sessionId = "" } = await inState("MATCHED");
    await w.enter("alice", sessionId);
    await w.advance(MENTI.joinTimeoutMs);
    // The one who never entered caused it: bob reads "you", alice "partner".
    expect(w.user("alice")?.ended).toEqual({ sessionId, reason: "join_timeout", by: "bob" });
    expect(w.user("bob")?.ended).toEqual({ sessionId, reason: "join_timeout", by: "bob" });
    expect(w.mailbox.lastState("alice")).toMatchObject({ reason: "join_timeout", by: "partner" });
    expect(w.mailbox.lastState("bob")).toMatchObject({ reason: "join_timeout", by: "you" });
    expect(errorOf(await w.enter("bob", sessionId))).toBe("room_unavailable");
  });

  it("join_timeout after ACTIVE does nothing (fired on time or again later)", async () => {
    const { w, sessionId = "" } = await inState("ACTIVE");
    const before = w.snapshot();
    const fired = await w.advance(MENTI.joinTimeoutMs * 2);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ ok: true, out: [], deadlines: [] });
    expect(w.snapshot()).toEqual(before);
    const again = await w.deadline({ kind: "join_timeout", at: w.clock.now(), sessionId });
    expect(again).toMatchObject({ ok: true, out: [], deadlines: [] });
    expect(w.snapshot()).toEqual(before);
  });

  it("join_timeout of a session that already closed does nothing to its former participants", async () => {
    const { w, sessionId = "" } = await inState("MATCHED");
    await w.exit("bob");
    await w.join("alice", "talk");
    await w.join("bob", "listen"); // a new session for the same two
    const before = w.snapshot();
    await w.deadline({ kind: "join_timeout", at: w.clock.now(), sessionId });
    expect(w.snapshot()).toEqual(before);
  });

  describe("search_timeout (policy with searchTimeoutMs: 1000)", () => {
    const policies = [{ ...MENTI, searchTimeoutMs: 1000 }];

    it("a search that finds nobody in time → IDLE with searchTimedOut", async () => {
      const { w } = await inState("WAITING", { policies });
      expect(w.scheduler.pendingDeadlines()).toEqual([
        {
          kind: "search_timeout",
          at: w.clock.now() + 1000,
          userId: "alice",
          seq: expect.any(Number),
        },
      ]);
      await w.advance(999);
      expect(w.user("alice")?.state).toBe("WAITING");
      await w.advance(1);
      expect(w.user("alice")?.state).toBe("IDLE");
      expect(w.mailbox.lastState("alice")).toEqual({ state: "IDLE", searchTimedOut: true });
      expect(w.snapshot().queued).toEqual([]);
    });

    it("only that very search: a user who cancelled and joined again is untouched", async () => {
      const { w } = await inState("WAITING", { policies });
      await w.advance(500);
      await w.cancel("alice");
      await w.advance(100);
      await w.join("alice", "talk");
      await w.advance(400); // the first search's deadline fires now
      expect(w.user("alice")?.state).toBe("WAITING");
      expect(w.mailbox.lastState("alice")?.state).toBe("WAITING");
      await w.advance(599);
      expect(w.user("alice")?.state).toBe("WAITING");
      await w.advance(1); // the second search's own deadline
      expect(w.user("alice")?.state).toBe("IDLE");
    });

    it("does nothing to a user who was matched meanwhile", async () => {
      const { w } = await inState("WAITING", { policies });
      await w.advance(500);
      await w.connect("bob");
      await w.join("bob", "listen");
      const before = w.snapshot();
      await w.advance(600);
      expect(w.snapshot()).toEqual(before);
      expect(w.user("alice")?.state).toBe("MATCHED");
    });
  });

  describe("retry_match", () => {
    /** Two compatible users waiting without a match attempt (enqueued past the engine). */
    async function unmatchedPair(w: World): Promise<[QueueEntry, QueueEntry]> {
      await w.connect("alice");
      await w.connect("bob");
      const entries: QueueEntry[] = [];
      for (const [id, intent] of [
        ["alice", "talk"],
        ["bob", "listen"],
      ] as const) {
        const res = await w.store.enqueue({
          userId: id,
          from: ["IDLE"],
          space: "menti",
          intent,
          since: w.clock.now(),
          buckets: mentiBuckets(intent),
        });
        if (!res.ok) throw new Error("enqueue failed");
        entries.push(res.entry);
      }
      return entries as [QueueEntry, QueueEntry];
    }

    it("matches the user's current search", async () => {
      const w = new World();
      const [, bob] = await unmatchedPair(w);
      const outcome = await w.deadline({
        kind: "retry_match",
        at: w.clock.now(),
        userId: "bob",
        seq: bob.seq,
      });
      expect(outcome.ok).toBe(true);
      expect(w.user("alice")?.state).toBe("MATCHED");
      expect(w.user("bob")?.partnerId).toBe("alice");
      expect(w.session(w.user("bob")?.sessionId ?? "")?.participants).toEqual(["alice", "bob"]);
    });

    it("a retry for an older search of the user does nothing", async () => {
      const w = new World();
      const [, bob] = await unmatchedPair(w);
      const before = w.snapshot();
      await w.deadline({
        kind: "retry_match",
        at: w.clock.now(),
        userId: "bob",
        seq: bob.seq - 100,
      });
      await w.deadline({ kind: "retry_match", at: w.clock.now(), userId: "nobody", seq: bob.seq });
      expect(w.snapshot()).toEqual(before);
    });

    it("is scheduled by the engine when its candidate keeps going away, and then matches", async () => {
      let contention = true;
      const w = new World({
        wrap: (memory) => contentious(memory, "alice", () => contention),
      });
      await w.connect("alice");
      await w.connect("bob");
      await w.join("alice", "talk");
      const outcome = await w.join("bob", "listen");
      // Every commit lost the race: bob still waits, and a retry is scheduled.
      expect(outcome.ok).toBe(true);
      expect(w.user("bob")?.state).toBe("WAITING");
      expect(outcome.deadlines).toEqual([
        {
          kind: "retry_match",
          at: w.clock.now() + 25,
          userId: "bob",
          seq: w.user("bob")?.entry?.seq,
        },
      ]);
      contention = false;
      await w.advance(25);
      expect(w.user("bob")?.state).toBe("MATCHED");
      expect(w.user("bob")?.partnerId).toBe("alice");
      expectViewMatchesStore(w, "alice");
      expectViewMatchesStore(w, "bob");
    });
  });
});

/**
 * A store under contention: while `on()`, every createSession involving `victim` first makes the
 * victim leave and re-join (a new search, new seq), so the commit finds its entry stale.
 */
function contentious(inner: MemoryStore, victim: string, on: () => boolean): Store {
  const createSession: Store["createSession"] = async (session, a, b) => {
    const entry = [a, b].find((e) => e.userId === victim);
    if (on() && entry?.intent) {
      await inner.leaveQueue(entry.userId);
      await inner.enqueue({
        userId: entry.userId,
        from: ["IDLE"],
        space: entry.space,
        intent: entry.intent,
        since: entry.since,
        buckets: mentiBuckets(entry.intent),
      });
    }
    return inner.createSession(session, a, b);
  };
  return storeVia(inner, undefined, { createSession });
}

describe("rooms: enter", () => {
  it("a foreign session id (another pair's), a made-up id, a closed session's id → room_unavailable", async () => {
    const w = new World();
    const mine = await w.pair("alice", "bob");
    const theirs = await w.pair("carol", "dave");
    const closedPair = await w.pair("erin", "frank");
    await w.exit("erin");
    for (const id of [theirs, MADE_UP_SESSION, closedPair]) {
      const before = w.snapshot();
      expect(errorOf(await w.enter("alice", id))).toBe("room_unavailable");
      expect(w.snapshot()).toEqual(before);
    }
    // The closed session cannot be entered by its own former participants either.
    expect(errorOf(await w.enter("erin", closedPair))).toBe("room_unavailable");
    expect(errorOf(await w.enter("frank", closedPair))).toBe("room_unavailable");
    // Own room still works.
    expect((await w.enter("alice", mine)).ok).toBe(true);
  });

  it("while ACTIVE, a foreign id is still refused; the own id is a no-op", async () => {
    const w = new World();
    const mine = await w.converse("alice", "bob");
    const theirs = await w.pair("carol", "dave");
    const before = w.snapshot();
    expect(errorOf(await w.enter("alice", theirs))).toBe("room_unavailable");
    expect((await w.enter("alice", mine)).ok).toBe(true);
    expect(w.snapshot()).toEqual(before);
  });

  it("a participant of an ended session cannot get back in after re-joining", async () => {
    const w = new World();
    const old = await w.converse("alice", "bob");
    await w.exit("alice");
    await w.join("alice", "talk");
    await w.join("bob", "listen");
    expect(w.user("alice")?.sessionId).not.toBe(old);
    expect(errorOf(await w.enter("alice", old))).toBe("room_unavailable");
  });
});

describe("messages", () => {
  it("relayed to both: the sender's copy says you, the partner's says partner; trimmed", async () => {
    const w = new World();
    const sessionId = await w.converse("alice", "bob");
    const outcome = await w.send("alice", "   hello there \n ");
    expect(outcome.ok).toBe(true);
    const [mine] = w.mailbox.messages("alice");
    const [theirs] = w.mailbox.messages("bob");
    expect(mine).toEqual({
      sessionId,
      id: expect.any(String),
      from: "you",
      text: "hello there",
      at: w.clock.now(),
    });
    expect(theirs).toEqual({ ...mine, from: "partner" });
    expect(outcome.deadlines).toEqual([]);
  });

  it("empty or blank → message_empty; > 2000 chars after trimming → message_too_long", async () => {
    const w = new World();
    await w.converse("alice", "bob");
    const before = w.snapshot();
    expect(errorOf(await w.send("alice", ""))).toBe("message_empty");
    expect(errorOf(await w.send("alice", " \n\t "))).toBe("message_empty");
    expect(errorOf(await w.send("alice", "x".repeat(2001)))).toBe("message_too_long");
    expect(errorOf(await w.send("alice", ` ${"x".repeat(2001)} `))).toBe("message_too_long");
    expect(w.mailbox.messages("alice")).toEqual([]);
    expect(w.mailbox.messages("bob")).toEqual([]);
    expect((await w.send("alice", "y".repeat(2000))).ok).toBe(true);
    expect((await w.send("alice", `   ${"z".repeat(2000)}   `)).ok).toBe(true);
    expect(w.mailbox.messages("bob").map((m) => m.text.length)).toEqual([2000, 2000]);
    expect(w.snapshot()).toEqual(before);
  });

  it("a message after the end is a silent no-op: nothing is delivered to anyone", async () => {
    const w = new World();
    await w.converse("alice", "bob");
    await w.exit("bob");
    const mark = w.mailbox.mark();
    const before = w.snapshot();
    const outcome = await w.send("alice", "are you there?");
    expect(outcome).toMatchObject({ ok: true, out: [], deadlines: [] });
    expect(w.mailbox.since(mark)).toEqual([]);
    expect(w.snapshot()).toEqual(before);
  });

  it("message ids are unique", async () => {
    const w = new World();
    await w.converse("alice", "bob");
    await w.send("alice", "one");
    await w.send("bob", "two");
    await w.send("alice", "three");
    const ids = w.mailbox.messages("alice").map((m) => m.id);
    expect(new Set(ids).size).toBe(3);
  });
});

describe("joining", () => {
  it("a duplicate join while WAITING is one queue entry, the same search", async () => {
    const { w } = await inState("WAITING");
    const entry = w.user("alice")?.entry;
    const again = await w.join("alice", "talk");
    const other = await w.join("alice", "listen");
    expect(again.ok && other.ok).toBe(true);
    expect(w.snapshot().queued).toEqual([entry]);
    expect(w.user("alice")?.entry).toEqual(entry);
    expect(w.user("alice")?.intent).toBe("talk");
  });

  it("intent missing or not one of the space's → intent_required, nothing changed", async () => {
    const w = new World();
    await w.connect("alice");
    const before = w.snapshot();
    expect(errorOf(await w.join("alice"))).toBe("intent_required");
    expect(errorOf(await w.join("alice", "sing" as Intent))).toBe("intent_required");
    expect(w.snapshot()).toEqual(before);
  });

  it("unknown or disabled space → space_unavailable, nothing changed", async () => {
    const w = new World();
    await w.connect("alice");
    const before = w.snapshot();
    expect(errorOf(await w.join("alice", "talk", "dormparty"))).toBe("space_unavailable");
    expect(errorOf(await w.join("alice", "talk", "nowhere" as SpaceId))).toBe("space_unavailable");
    expect(w.snapshot()).toEqual(before);
  });

  it("two tabs of one browser: the second's join while the first waits → already_waiting_elsewhere", async () => {
    const w = new World();
    await w.connect("tab1", "browser-x");
    await w.connect("tab2", "browser-x");
    await w.join("tab1", "talk");
    const before = w.snapshot();
    // Even with an intent that would be compatible: they are never paired.
    expect(errorOf(await w.join("tab2", "listen"))).toBe("already_waiting_elsewhere");
    expect(w.snapshot()).toEqual(before);
    expect(w.user("tab1")?.state).toBe("WAITING");
    expect(w.user("tab2")?.state).toBe("IDLE");
    // Once the first stops waiting, the second may search (and still not meet the first).
    await w.cancel("tab1");
    expect((await w.join("tab2", "listen")).ok).toBe(true);
    expect(w.user("tab2")?.state).toBe("WAITING");
    expect(errorOf(await w.join("tab1", "talk"))).toBe("already_waiting_elsewhere");
    // A third party is matched with the waiting tab.
    await w.connect("carol", "browser-c");
    await w.join("carol", "talk");
    expect(w.user("tab2")?.partnerId).toBe("carol");
    // Now tab1 may search again.
    expect((await w.join("tab1", "talk")).ok).toBe(true);
  });

  it("two tabs of one browser are never compatible, whatever their intents", () => {
    const base = { space: "menti" as const, since: 0 };
    const a: QueueEntry = { ...base, userId: "tab1", browserId: "x", intent: "talk", seq: 1 };
    const b: QueueEntry = { ...base, userId: "tab2", browserId: "x", intent: "listen", seq: 2 };
    expect(compatible(MENTI, a, b, 0)).toBe(false);
    expect(compatible(MENTI, a, { ...b, browserId: "y" }, 0)).toBe(true);
    expect(compatible(MENTI, a, { ...a, seq: 3 }, 0)).toBe(false);
  });

  it("disconnect while waiting: out of the queue at once, never matched afterwards", async () => {
    const w = new World();
    await w.connect("alice");
    await w.join("alice", "talk");
    await w.disconnect("alice");
    expect(w.snapshot().queued).toEqual([]);
    await w.connect("bob");
    await w.join("bob", "listen");
    expect(w.user("bob")?.state).toBe("WAITING");
    expect(screens(w, "alice")).toEqual(["IDLE", "WAITING"]);
  });

  for (const state of ["MATCHED", "ACTIVE"] as const) {
    it(`disconnect in ${state}: partner ENDED, reason disconnected, by partner`, async () => {
      const { w, sessionId } = await inState(state);
      await w.disconnect("bob");
      expect(w.user("bob")).toBeUndefined();
      expect(w.user("alice")?.ended).toEqual({ sessionId, reason: "disconnected", by: "bob" });
      expect(w.mailbox.lastState("alice")).toEqual({
        state: "ENDED",
        space: "menti",
        sessionId,
        reason: "disconnected",
        by: "partner",
      });
      expect(w.snapshot().sessions).toEqual([]);
      // A refreshed tab is a new visitor: the old session stays closed to it.
      await w.connect("bob-2", "browser-bob");
      expect(errorOf(await w.enter("bob-2", sessionId ?? ""))).toBe("room_unavailable");
    });
  }
});

describe("matching", () => {
  /** Puts users straight into the queue, past the engine's match attempt. */
  async function waitUnmatched(w: World, list: ReadonlyArray<readonly [string, Intent]>) {
    for (const [id, intent] of list) {
      await w.connect(id);
      const res = await w.store.enqueue({
        userId: id,
        from: ["IDLE"],
        space: "menti",
        intent,
        since: w.clock.now(),
        buckets: mentiBuckets(intent),
      });
      if (!res.ok) throw new Error("enqueue failed");
      w.clock.advance(10);
    }
  }

  it("the oldest compatible candidate wins, FIFO across the talk / listen / both buckets", async () => {
    const w = new World();
    // talk and both would pair with each other on join; queued directly to test the order.
    await waitUnmatched(w, [
      ["t1", "talk"],
      ["b1", "both"],
      ["t2", "talk"],
      ["b2", "both"],
      ["l0", "listen"],
    ]);
    const partners: string[] = [];
    for (const id of ["l1", "l2", "l3", "l4"]) {
      await w.connect(id);
      await w.join(id, "listen");
      partners.push(w.user(id)?.partnerId ?? "none");
    }
    expect(partners).toEqual(["t1", "b1", "t2", "b2"]);
  });

  it("a talker takes the oldest of the listen and both buckets; a both-joiner the oldest of all", async () => {
    const w = new World();
    await waitUnmatched(w, [
      ["b1", "both"],
      ["l1", "listen"],
      ["b2", "both"],
      ["t1", "talk"],
    ]);
    await w.connect("x");
    await w.join("x", "talk");
    expect(w.user("x")?.partnerId).toBe("b1");
    await w.connect("y");
    await w.join("y", "talk");
    expect(w.user("y")?.partnerId).toBe("l1");
    await w.connect("z");
    await w.join("z", "both");
    expect(w.user("z")?.partnerId).toBe("b2");
    await w.connect("v");
    await w.join("v", "both");
    expect(w.user("v")?.partnerId).toBe("t1");
  });

  it("a both-joiner takes the oldest of any bucket", async () => {
    const w = new World();
    for (const [id, intent] of [
      ["l1", "listen"],
      ["t1", "talk"],
      ["l2", "listen"],
    ] as const) {
      await w.connect(id);
      await w.join(id, intent);
    }
    // l1 and t1 were matched with each other on t1's join.
    expect(w.user("t1")?.partnerId).toBe("l1");
    await w.connect("b");
    await w.join("b", "both");
    expect(w.user("b")?.partnerId).toBe("l2");
  });

  it("the older entry is listed first in the session", async () => {
    const w = new World();
    const sessionId = await w.pair("first", "second");
    expect(w.session(sessionId)?.participants).toEqual(["first", "second"]);
  });

  const pairs: Array<[Intent, Intent, boolean]> = [
    ["talk", "talk", false],
    ["listen", "listen", false],
    ["talk", "listen", true],
    ["listen", "talk", true],
    ["both", "both", true],
    ["both", "talk", true],
    ["talk", "both", true],
    ["both", "listen", true],
    ["listen", "both", true],
  ];
  for (const [x, y, ok] of pairs) {
    it(`${x} + ${y}: ${ok ? "paired" : "never paired"}`, async () => {
      const w = new World();
      await w.connect("a");
      await w.connect("b");
      await w.join("a", x);
      await w.join("b", y);
      expect(w.user("a")?.state).toBe(ok ? "MATCHED" : "WAITING");
      expect(w.user("b")?.state).toBe(ok ? "MATCHED" : "WAITING");
    });
  }

  it("many talkers and listeners waiting never pair within their own kind", async () => {
    const w = new World();
    for (let i = 0; i < 20; i++) {
      await w.connect(`t${i}`);
      await w.join(`t${i}`, "talk");
    }
    expect(w.snapshot().sessions).toEqual([]);
    for (let i = 0; i < 5; i++) {
      await w.connect(`l${i}`);
      await w.join(`l${i}`, "listen");
    }
    const sessions = w.snapshot().sessions;
    expect(sessions).toHaveLength(5);
    for (const s of sessions) {
      const intents = s.participants.map((id) => w.user(id)?.intent).sort();
      expect(intents).toEqual(["listen", "talk"]);
    }
  });
});

describe("after-close policies (dormparty: skip, end, re-queue)", () => {
  async function dormPair(w: World, a: string, b: string): Promise<string> {
    await w.join(a, undefined, "dormparty");
    await w.join(b, undefined, "dormparty");
    const sessionId = w.user(a)?.sessionId;
    if (!sessionId || w.user(b)?.sessionId !== sessionId) throw new Error("not paired");
    return sessionId;
  }

  it("skip: both look again at once, not with each other until the pair cooldown has passed", async () => {
    const w = new World({ policies: [DORMPARTY] });
    await w.connect("alice");
    await w.connect("bob");
    const sessionId = await dormPair(w, "alice", "bob");
    const outcome = w.apply(await w.engine.skip("alice"));
    expect(outcome.ok).toBe(true);
    for (const [id, by] of [
      ["alice", "you"],
      ["bob", "partner"],
    ] as const) {
      expect(w.user(id)?.state).toBe("WAITING");
      expect(w.mailbox.lastState(id)).toMatchObject({
        state: "WAITING",
        previous: { sessionId, reason: "skipped", by },
      });
    }
    await w.advance(DORMPARTY.pairing.pairCooldownMs - 1);
    expect(w.user("alice")?.state).toBe("WAITING");
    await w.advance(1);
    expect(w.user("alice")?.state).toBe("MATCHED");
    expect(w.user("alice")?.partnerId).toBe("bob");
    expect(w.mailbox.lastState("bob")?.state).toBe("MATCHED");
  });

  it("a re-queue matched at once still shows WAITING with `previous` before the new match", async () => {
    const w = new World({ policies: [DORMPARTY] });
    for (const id of ["alice", "bob", "carol"]) await w.connect(id);
    const sessionId = await dormPair(w, "alice", "bob");
    await w.join("carol", undefined, "dormparty");
    const skipped = w.apply(await w.engine.skip("alice"));
    expect(skipped.ok).toBe(true);
    // alice is re-queued and meets carol (who waited) in the same command.
    expect(w.user("alice")?.partnerId).toBe("carol");
    const views = skipped.out
      .filter((o) => o.to === "alice" && o.event === "state")
      .map((o) => o.payload as { state: string; previous?: { sessionId: string } });
    expect(views.map((v) => v.state)).toEqual(["WAITING", "MATCHED"]);
    expect(views.find((v) => v.state === "WAITING")?.previous?.sessionId).toBe(sessionId);
  });

  it("a re-queue that cannot happen does not fail the other person's command", async () => {
    // tab1 and tab2 are one browser; tab2 started looking while tab1 was in a room. When bob
    // ends the conversation, tab1 cannot be re-queued (its browser already looks in this space).
    const w = new World({ policies: [DORMPARTY] });
    await w.connect("tab1", "browser-x");
    await w.connect("tab2", "browser-x");
    await w.connect("bob", "browser-b");
    await dormPair(w, "tab1", "bob");
    await w.join("tab2", undefined, "dormparty");
    expect(w.user("tab2")?.state).toBe("WAITING");
    const outcome = w.apply(await w.engine.end("bob"));
    // bob's End worked (the session is closed, bob went home): it must not be reported to bob as
    // "You are already looking for someone in another tab" (that is about tab1's browser).
    expect(w.snapshot().sessions).toEqual([]);
    expect(w.user("bob")?.state).toBe("IDLE");
    expect(errorOf(outcome)).toBeUndefined();
    // tab1 is told where it is (whatever the policy makes of it): no stuck screen.
    const tab1 = w.user("tab1");
    if (!tab1) throw new Error("tab1 gone");
    expect(comparableView(w.mailbox.lastState("tab1"))).toEqual(
      comparableView(w.engine.view(tab1)),
    );
  });
});

describe("table helpers", () => {
  it("decide: missing cells are illegal_state", () => {
    expect(decide("IDLE", "paired")).toEqual({ error: "illegal_state" });
    expect(decide("ACTIVE", "requeue")).toEqual({ error: "illegal_state" });
    expect(decide("ENDED", "activated")).toEqual({ error: "illegal_state" });
    expect(decide("WAITING", "closed")).toEqual({ error: "illegal_state" });
  });

  it("decide: every error in the table is a protocol error code", () => {
    for (const state of USER_STATES) {
      for (const event of USER_EVENTS) {
        const rule = decide(state, event);
        if (typeof rule === "object") expect(ERROR_CODES).toContain(rule.error);
        else expect([...USER_STATES, GONE, NOOP]).toContain(rule);
      }
    }
  });

  it("decide: server-side events", () => {
    expect(decide("WAITING", "paired")).toBe("MATCHED");
    expect(decide("MATCHED", "activated")).toBe("ACTIVE");
    expect(decide("MATCHED", "closed")).toBe("ENDED");
    expect(decide("ACTIVE", "closed")).toBe("ENDED");
    expect(decide("ENDED", "requeue")).toBe("WAITING");
    expect(decide("WAITING", "search_timeout")).toBe("IDLE");
    expect(decide("IDLE", "search_timeout")).toEqual({ error: "illegal_state" });
  });

  it("sourcesOf", () => {
    expect(sourcesOf("join", "WAITING")).toEqual(["IDLE", "ENDED"]);
    expect(sourcesOf("requeue", "WAITING")).toEqual(["ENDED"]);
    expect(sourcesOf("cancel", "IDLE")).toEqual(["WAITING"]);
    expect(sourcesOf("exit", "ENDED")).toEqual(["MATCHED", "ACTIVE"]);
    expect(sourcesOf("closed", "ENDED")).toEqual(["MATCHED", "ACTIVE"]);
    expect(sourcesOf("home", "IDLE")).toEqual(["ENDED"]);
    expect(sourcesOf("disconnect", GONE)).toEqual([...USER_STATES]);
    expect(sourcesOf("join", "MATCHED")).toEqual([]);
  });

  it("edges: exactly the table's state-changing cells, no NOOPs, no errors", () => {
    const list = edges();
    const expected: Array<{ from: UserState; event: UserEvent; to: string }> = [];
    for (const from of USER_STATES) {
      for (const event of USER_EVENTS) {
        const rule = TRANSITIONS[from][event];
        if (typeof rule === "string" && rule !== NOOP) expected.push({ from, event, to: rule });
      }
    }
    expect([...list].sort(byEdge)).toEqual(expected.sort(byEdge));
    expect(list).toContainEqual({ from: "IDLE", event: "join", to: "WAITING" });
    expect(list).toContainEqual({ from: "ENDED", event: "home", to: "IDLE" });
    expect(list.some((e) => (e.to as string) === NOOP)).toBe(false);
    expect(list).toHaveLength(expected.length);
  });

  it("isLegalEdge", () => {
    expect(isLegalEdge("IDLE", "WAITING")).toBe(true);
    expect(isLegalEdge("WAITING", "MATCHED")).toBe(true);
    expect(isLegalEdge("MATCHED", "ACTIVE")).toBe(true);
    expect(isLegalEdge("MATCHED", "MATCHED")).toBe(true); // enter
    expect(isLegalEdge("ACTIVE", "ACTIVE")).toBe(true); // send
    expect(isLegalEdge("ACTIVE", "ENDED")).toBe(true);
    expect(isLegalEdge("ENDED", "WAITING")).toBe(true);
    expect(isLegalEdge("ACTIVE", GONE)).toBe(true);
    expect(isLegalEdge("IDLE", "MATCHED")).toBe(false);
    expect(isLegalEdge("IDLE", "ACTIVE")).toBe(false);
    expect(isLegalEdge("WAITING", "ACTIVE")).toBe(false);
    expect(isLegalEdge("ACTIVE", "MATCHED")).toBe(false);
    expect(isLegalEdge("ACTIVE", "WAITING")).toBe(false);
    expect(isLegalEdge("IDLE", "IDLE")).toBe(false);
    expect(isLegalEdge("ENDED", "MATCHED")).toBe(false);
  });
});

describe('widen: stimchat\'s "Anyone is fine"', () => {
  const world = async (): Promise<World> => {
    const w = new World({ policies: [STIMCHAT] });
    for (const id of ["alice", "bob", "carol"]) await w.connect(id);
    return w;
  };
  const join = (w: World, id: string, topics: string[] = [], onlyMyTopics = false) =>
    w.joinWith(id, {
      space: "stimchat",
      ...(topics.length > 0 ? { topics } : {}),
      ...(onlyMyTopics ? { onlyMyTopics } : {}),
    });
  const fallback = STIMCHAT.pairing.topics?.preferSameForMs ?? 0;
  /** Since `mark`, alice was sent one view, MATCHED: no WAITING that nobody could have seen. */
  const expectOnlyMatchedSent = (w: World, mark: number) => {
    const views = w.mailbox.since(mark).filter((o) => o.to === "alice");
    expect(views.map((o) => o.event)).toEqual(["state"]);
    expect(w.mailbox.lastState("alice")).toMatchObject({ state: "MATCHED" });
  };

  it("a topic search's view counts down to anyone; one without topics or topic-only has no countdown", async () => {
    const w = await world();
    await join(w, "alice", ["music"]);
    expect(w.mailbox.lastState("alice")).toMatchObject({ state: "WAITING", anyoneInMs: fallback });
    await join(w, "bob", ["games"], true);
    expect(w.mailbox.lastState("bob")).not.toHaveProperty("anyoneInMs");
    await w.cancel("bob");
    await join(w, "bob");
    // bob (no topics) takes anyone, but alice does not yet: they both wait.
    expect(w.mailbox.lastState("bob")).toMatchObject({ state: "WAITING" });
    expect(w.mailbox.lastState("bob")).not.toHaveProperty("anyoneInMs");
    await w.advance(4_000);
    const alice = w.user("alice");
    if (!alice) throw new Error("alice is gone");
    expect(w.engine.view(alice)).toMatchObject({ anyoneInMs: fallback - 4_000 });
    // At the fallback the search opens by itself; no new view is sent (the client counted down).
    const mark = w.mailbox.mark();
    await w.advance(fallback - 4_000);
    expect(w.user("alice")?.partnerId).toBe("bob");
    expectOnlyMatchedSent(w, mark);
  });

  it("pairs at once with someone who waits without a shared topic, sending MATCHED only", async () => {
    const w = await world();
    await join(w, "bob");
    await join(w, "alice", ["music"]);
    expect(w.user("alice")?.state).toBe("WAITING");
    const mark = w.mailbox.mark();
    const outcome = w.apply(await w.engine.widen("alice"));
    expect(outcome.ok).toBe(true);
    expect(w.user("alice")?.state).toBe("MATCHED");
    expect(w.user("alice")?.partnerId).toBe("bob");
    // The widened WAITING would be replaced before anyone saw it: not sent.
    expectOnlyMatchedSent(w, mark);
  });

  it("alone, it tells the person their search takes anyone now; the next newcomer without topics pairs with them", async () => {
    const w = await world();
    await join(w, "alice", ["music"]);
    const outcome = w.apply(await w.engine.widen("alice"));
    expect(outcome.ok).toBe(true);
    const view = w.mailbox.lastState("alice");
    expect(view).toMatchObject({ state: "WAITING", space: "stimchat" });
    expect(view).not.toHaveProperty("anyoneInMs");
    expect(w.user("alice")?.entry?.open).toBe(true);
    // Twice is once: nothing changes, the view is re-sent.
    const before = w.snapshot();
    expect((await w.apply(await w.engine.widen("alice"))).ok).toBe(true);
    expect(w.snapshot()).toEqual(before);
    // Its own fallback deadline, when it comes, changes nothing either.
    await w.advance(fallback + 1);
    expect(w.snapshot()).toEqual(before);
    await join(w, "carol");
    expect(w.user("carol")?.partnerId).toBe("alice");
  });

  it("leaves topic-only and topic-less searches as they are", async () => {
    const w = await world();
    await join(w, "alice", ["music"], true);
    await join(w, "bob");
    const before = w.snapshot();
    for (const id of ["alice", "bob"]) {
      const mark = w.mailbox.mark();
      expect(w.apply(await w.engine.widen(id)).ok).toBe(true);
      expect(w.mailbox.since(mark).map((o) => o.event)).toEqual(["state"]);
    }
    expect(w.snapshot()).toEqual(before);
    expect(w.user("alice")?.state).toBe("WAITING");
  });

  it("is refused where a space has no topics, and a no-op after the search ended", async () => {
    const w = new World({ policies: [MENTI, DORMPARTY] });
    await w.connect("alice");
    await w.join("alice", "talk");
    expect(errorOf(await w.engine.widen("alice"))).toBe("not_in_this_space");
    await w.cancel("alice");
    const before = w.snapshot();
    expect(await w.engine.widen("alice")).toMatchObject({ ok: true, out: [] });
    expect(w.snapshot()).toEqual(before);
    expect(errorOf(await w.engine.widen("nobody"))).toBe("illegal_state");
  });
});

function byEdge(a: { from: string; event: string }, b: { from: string; event: string }): number {
  return `${a.from}/${a.event}`.localeCompare(`${b.from}/${b.event}`);
}
