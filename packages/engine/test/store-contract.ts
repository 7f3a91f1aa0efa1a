/**
 * The Store contract (src/store.ts), as a suite any implementation runs:
 *
 *   storeContract("MemoryStore", () => new MemoryStore());
 *   storeContract("RedisStore", async () => makeRedisStore(), async (s) => close(s));
 *
 * It uses only the Store interface (no `inspect()`), so every implementation is held to the same
 * observable behaviour: operations are atomic, idempotent and conditional, and records are
 * snapshots.
 */

import type { QueueEntry, SessionRecord, Store, UserRecord } from "@duet/engine";
import type { CloseReason, Intent, SpaceId, UserState } from "@duet/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const T0 = 1_700_000_000_000;
const JOIN_SOURCES: readonly UserState[] = ["IDLE", "ENDED"];

/** A bucket name per space and intent (the store treats it as opaque). */
const bucket = (space: SpaceId, intent?: Intent): string => `${space}:${intent ?? "any"}`;

/**
 * Tries to change a returned record through its readonly type, to prove the store is unaffected:
 * either the record is a copy, or it is frozen and the write throws (both keep the contract).
 */
function scribble(record: object, key: string, value: unknown): void {
  attempt(() => {
    (record as Record<string, unknown>)[key] = value;
  });
}

/** The value with every `version` key removed: versions are checked on their own, below. */
function unversioned<T>(value: T): T {
  if (Array.isArray(value)) return value.map(unversioned) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k !== "version") out[k] = unversioned(v);
    return out as T;
  }
  return value;
}

function attempt(write: () => void): void {
  try {
    write();
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
  }
}

export function storeContract(
  name: string,
  makeStore: () => Promise<Store> | Store,
  teardown?: (store: Store) => Promise<void> | void,
): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let sessionCounter = 0;

    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await teardown?.(store);
    });

    // ---- helpers (Store calls only) ----------------------------------------------------------

    async function user(id: string, browserId = `browser-${id}`): Promise<UserRecord> {
      const record: UserRecord = { id, browserId, state: "IDLE" };
      expect(await store.addUser(record)).toBe(true);
      return record;
    }

    /** `intent: null` for a space without intents. */
    async function waiting(
      id: string,
      intentOrNone: Intent | null = "talk",
      space: SpaceId = "menti",
      browserId = `browser-${id}`,
    ): Promise<QueueEntry> {
      const intent = intentOrNone ?? undefined;
      if (!(await store.getUser(id))) await user(id, browserId);
      const res = await store.enqueue({
        userId: id,
        from: JOIN_SOURCES,
        space,
        ...(intent ? { intent } : {}),
        since: T0,
        buckets: [bucket(space, intent)],
      });
      if (!res.ok) throw new Error(`enqueue ${id}: ${res.reason}`);
      return res.entry;
    }

    function session(a: QueueEntry, b: QueueEntry, id?: string): SessionRecord {
      sessionCounter += 1;
      return {
        id: id ?? `contract_session_${String(sessionCounter).padStart(6, "0")}`,
        space: a.space,
        participants: [a.userId, b.userId],
        browsers: [a.browserId, b.browserId],
        status: "PENDING",
        entered: [],
        createdAt: T0,
        enterBy: T0 + 15_000,
      };
    }

    /** alice (talk) and bob (listen), matched. */
    async function matched(): Promise<{ s: SessionRecord; a: QueueEntry; b: QueueEntry }> {
      const a = await waiting("alice", "talk");
      const b = await waiting("bob", "listen");
      const s = session(a, b);
      const res = await store.createSession(s, a, b);
      if (!res.ok) throw new Error("createSession failed");
      return { s, a, b };
    }

    async function active(): Promise<SessionRecord> {
      const { s } = await matched();
      await store.enterSession(s.id, "alice", T0 + 5);
      const res = await store.enterSession(s.id, "bob", T0 + 5);
      if (!res.ok || !res.activated) throw new Error("not activated");
      return s;
    }

    async function ended(reason: CloseReason = "left"): Promise<SessionRecord> {
      const s = await active();
      await store.closeSession(s.id, reason, "alice");
      return s;
    }

    async function peekAll(): Promise<QueueEntry[]> {
      const buckets = [
        bucket("menti", "talk"),
        bucket("menti", "listen"),
        bucket("menti", "both"),
        bucket("menti"),
        bucket("stimchat"),
        bucket("stimchat", "talk"),
        bucket("stimchat", "listen"),
      ];
      return (await store.peek(buckets, 1000)).flat();
    }

    async function states(...ids: string[]): Promise<Array<UserState | undefined>> {
      return Promise.all(ids.map(async (id) => (await store.getUser(id))?.state));
    }

    // ---- addUser / getUser -------------------------------------------------------------------

    describe("addUser / getUser", () => {
      it("creates an IDLE user; getUser reads it back; unknown ids read undefined", async () => {
        await user("alice", "browser-a");
        expect(unversioned(await store.getUser("alice"))).toEqual({
          id: "alice",
          browserId: "browser-a",
          state: "IDLE",
        });
        expect(await store.getUser("nobody")).toBeUndefined();
      });

      it("addUser twice: false, and the first record stays", async () => {
        await user("alice", "browser-a");
        expect(await store.addUser({ id: "alice", browserId: "browser-b", state: "IDLE" })).toBe(
          false,
        );
        expect((await store.getUser("alice"))?.browserId).toBe("browser-a");
      });

      it("addUser does not replace a user who has moved on", async () => {
        await waiting("alice");
        expect(
          await store.addUser({ id: "alice", browserId: "browser-alice", state: "IDLE" }),
        ).toBe(false);
        expect((await store.getUser("alice"))?.state).toBe("WAITING");
        expect(await peekAll()).toHaveLength(1);
      });
    });

    // ---- enqueue -----------------------------------------------------------------------------

    describe("enqueue", () => {
      it("IDLE → WAITING with a queue entry that names this search", async () => {
        await user("alice");
        const res = await store.enqueue({
          userId: "alice",
          from: JOIN_SOURCES,
          space: "menti",
          intent: "talk",
          since: T0 + 5,
          buckets: [bucket("menti", "talk")],
        });
        expect(res.ok).toBe(true);
        if (!res.ok) return;
        expect(res.entry).toEqual({
          userId: "alice",
          browserId: "browser-alice",
          space: "menti",
          intent: "talk",
          since: T0 + 5,
          seq: expect.any(Number),
        });
        expect(unversioned(res.user)).toEqual({
          id: "alice",
          browserId: "browser-alice",
          state: "WAITING",
          space: "menti",
          intent: "talk",
          entry: res.entry,
        });
        expect(await store.getUser("alice")).toEqual(res.user);
        expect(await store.peek([bucket("menti", "talk")], 10)).toEqual([[res.entry]]);
      });

      it("without an intent (spaces without intents)", async () => {
        const entry = await waiting("alice", null, "stimchat");
        expect(entry.intent).toBeUndefined();
        expect((await store.getUser("alice"))?.intent).toBeUndefined();
        expect(await store.peek([bucket("stimchat")], 10)).toEqual([[entry]]);
      });

      it("seq is strictly increasing across users and searches", async () => {
        const a = await waiting("alice");
        const b = await waiting("bob");
        await store.leaveQueue("alice");
        const a2 = await waiting("alice");
        expect(b.seq).toBeGreaterThan(a.seq);
        expect(a2.seq).toBeGreaterThan(b.seq);
      });

      it("an unknown user: no_user, nothing changed", async () => {
        const res = await store.enqueue({
          userId: "nobody",
          from: JOIN_SOURCES,
          space: "menti",
          intent: "talk",
          since: T0,
          buckets: [bucket("menti", "talk")],
        });
        expect(unversioned(res)).toEqual({ ok: false, reason: "no_user" });
        expect(await peekAll()).toEqual([]);
        expect(await store.getUser("nobody")).toBeUndefined();
      });

      it("from a state not in `from`: state, with the user as it is, nothing changed", async () => {
        await user("alice");
        const res = await store.enqueue({
          userId: "alice",
          from: ["ENDED"],
          space: "menti",
          intent: "talk",
          since: T0,
          buckets: [bucket("menti", "talk")],
        });
        expect(unversioned(res)).toEqual({
          ok: false,
          reason: "state",
          user: { id: "alice", browserId: "browser-alice", state: "IDLE" },
        });
        expect(await peekAll()).toEqual([]);
        expect((await store.getUser("alice"))?.state).toBe("IDLE");
      });

      it("a WAITING user with the join sources: state; still one entry, same search", async () => {
        const entry = await waiting("alice");
        const res = await store.enqueue({
          userId: "alice",
          from: JOIN_SOURCES,
          space: "menti",
          intent: "listen",
          since: T0 + 1,
          buckets: [bucket("menti", "listen")],
        });
        expect(res.ok).toBe(false);
        expect(await peekAll()).toEqual([entry]);
        expect((await store.getUser("alice"))?.entry).toEqual(entry);
      });

      it("MATCHED and ACTIVE users are refused (state)", async () => {
        const { s } = await matched();
        const req = {
          from: JOIN_SOURCES,
          space: "menti" as const,
          intent: "talk" as const,
          since: T0,
          buckets: [bucket("menti", "talk")],
        };
        expect(await store.enqueue({ ...req, userId: "alice" })).toMatchObject({
          ok: false,
          reason: "state",
        });
        await store.enterSession(s.id, "alice", T0 + 5);
        await store.enterSession(s.id, "bob", T0 + 5);
        expect(await store.enqueue({ ...req, userId: "bob" })).toMatchObject({
          ok: false,
          reason: "state",
        });
        expect(await peekAll()).toEqual([]);
      });

      it("from ENDED: a new search that clears the previous session fields", async () => {
        const s = await ended();
        const before = await store.getUser("bob");
        expect(before).toMatchObject({ state: "ENDED", sessionId: s.id });
        const entry = await waiting("bob", "both");
        expect(unversioned(await store.getUser("bob"))).toEqual({
          id: "bob",
          browserId: "browser-bob",
          state: "WAITING",
          space: "menti",
          intent: "both",
          entry,
        });
      });

      it("if `from` allows WAITING, a re-enqueue still leaves the user in the queue once", async () => {
        const first = await waiting("alice", "talk");
        const res = await store.enqueue({
          userId: "alice",
          from: ["WAITING"],
          space: "menti",
          intent: "listen",
          since: T0 + 1,
          buckets: [bucket("menti", "listen")],
        });
        const all = await peekAll();
        expect(all.filter((e) => e.userId === "alice")).toHaveLength(1);
        if (res.ok) {
          expect(res.entry.seq).toBeGreaterThan(first.seq);
          expect(all).toEqual([res.entry]);
        } else {
          expect(all).toEqual([first]);
        }
      });

      it("a second tab of the same browser in the same space: browser_waiting", async () => {
        await waiting("tab1", "talk", "menti", "browser-x");
        await user("tab2", "browser-x");
        const res = await store.enqueue({
          userId: "tab2",
          from: JOIN_SOURCES,
          space: "menti",
          intent: "listen",
          since: T0,
          buckets: [bucket("menti", "listen")],
        });
        expect(res).toMatchObject({ ok: false, reason: "browser_waiting" });
        expect((await store.getUser("tab2"))?.state).toBe("IDLE");
        expect((await peekAll()).map((e) => e.userId)).toEqual(["tab1"]);
      });

      it("a second tab of the same browser in another space: fine", async () => {
        await waiting("tab1", "talk", "menti", "browser-x");
        await waiting("tab2", null, "stimchat", "browser-x");
        expect(await states("tab1", "tab2")).toEqual(["WAITING", "WAITING"]);
      });

      it("the browser claim ends with the search (leave, match, removal)", async () => {
        await waiting("tab1", "talk", "menti", "browser-x");
        await store.leaveQueue("tab1");
        await waiting("tab2", "talk", "menti", "browser-x");
        const partner = await waiting("carol", "listen");
        const tab2 = (await store.getUser("tab2"))?.entry;
        if (!tab2) throw new Error("tab2 not waiting");
        expect((await store.createSession(session(tab2, partner), tab2, partner)).ok).toBe(true);
        await waiting("tab3", "talk", "menti", "browser-x");
        await store.removeUser("tab3");
        await waiting("tab1", "talk", "menti", "browser-x");
        expect((await store.getUser("tab1"))?.state).toBe("WAITING");
      });
    });

    // ---- leaveQueue --------------------------------------------------------------------------

    describe("leaveQueue", () => {
      it("WAITING → IDLE and out of its bucket", async () => {
        await waiting("alice");
        const idle = await store.leaveQueue("alice");
        expect(unversioned(idle)).toEqual({
          id: "alice",
          browserId: "browser-alice",
          state: "IDLE",
        });
        expect(await store.getUser("alice")).toEqual(idle);
        expect(await peekAll()).toEqual([]);
      });

      it("twice: the second returns undefined and changes nothing", async () => {
        await waiting("alice");
        await store.leaveQueue("alice");
        expect(await store.leaveQueue("alice")).toBeUndefined();
        expect((await store.getUser("alice"))?.state).toBe("IDLE");
      });

      it("with that very search's seq: leaves", async () => {
        const entry = await waiting("alice");
        expect((await store.leaveQueue("alice", entry.seq))?.state).toBe("IDLE");
      });

      it("with the seq of an older search: undefined, the newer search is untouched", async () => {
        const old = await waiting("alice");
        await store.leaveQueue("alice");
        const current = await waiting("alice");
        expect(await store.leaveQueue("alice", old.seq)).toBeUndefined();
        expect((await store.getUser("alice"))?.entry).toEqual(current);
        expect(await peekAll()).toEqual([current]);
      });

      it("not waiting (IDLE, MATCHED, ENDED) or unknown: undefined, nothing changed", async () => {
        await user("idle");
        expect(await store.leaveQueue("idle")).toBeUndefined();
        const { s } = await matched();
        expect(await store.leaveQueue("alice")).toBeUndefined();
        expect((await store.getUser("alice"))?.state).toBe("MATCHED");
        expect(await store.getSession(s.id)).toBeDefined();
        await store.closeSession(s.id, "left", "bob");
        expect(await store.leaveQueue("alice")).toBeUndefined();
        expect((await store.getUser("alice"))?.state).toBe("ENDED");
        expect(await store.leaveQueue("nobody")).toBeUndefined();
      });
    });

    // ---- peek --------------------------------------------------------------------------------

    describe("peek", () => {
      it("oldest first within a bucket, buckets in the order asked, at most perBucket each", async () => {
        const t1 = await waiting("t1", "talk");
        const l1 = await waiting("l1", "listen");
        const t2 = await waiting("t2", "talk");
        const t3 = await waiting("t3", "talk");
        const l2 = await waiting("l2", "listen");
        expect(await store.peek([bucket("menti", "listen"), bucket("menti", "talk")], 2)).toEqual([
          [l1, l2],
          [t1, t2],
        ]);
        expect(await store.peek([bucket("menti", "talk")], 10)).toEqual([[t1, t2, t3]]);
        expect(await store.peek([bucket("menti", "talk")], 1)).toEqual([[t1]]);
        expect(await store.peek([bucket("menti", "talk")], 0)).toEqual([[]]);
      });

      it("unknown or empty buckets read as empty lists, one per bucket asked", async () => {
        await waiting("t1", "talk");
        expect(await store.peek([bucket("menti", "both"), "no-such-bucket"], 4)).toEqual([[], []]);
        expect(await store.peek([], 4)).toEqual([]);
      });

      it("a user who leaves and re-joins goes to the back", async () => {
        const t1 = await waiting("t1", "talk");
        const t2 = await waiting("t2", "talk");
        await store.leaveQueue("t1");
        const t1again = await waiting("t1", "talk");
        expect(t1again.seq).toBeGreaterThan(t1.seq);
        expect(await store.peek([bucket("menti", "talk")], 10)).toEqual([[t2, t1again]]);
      });

      it("left, matched and removed users are not in any bucket", async () => {
        await waiting("gone", "talk");
        await waiting("left", "talk");
        await matched();
        const stay = await waiting("stay", "talk");
        await store.removeUser("gone");
        await store.leaveQueue("left");
        expect(await peekAll()).toEqual([stay]);
      });
    });

    // ---- enqueueMany / createSessions (a match round in two calls) ---------------------------

    describe("enqueueMany", () => {
      const req = (id: string, intent: Intent) => ({
        userId: id,
        from: JOIN_SOURCES,
        space: "menti" as SpaceId,
        intent,
        since: T0,
        buckets: [bucket("menti", intent)],
      });

      it("each request answered as enqueue would, in order; the read comes after all", async () => {
        const w = await waiting("w", "listen");
        await user("t1");
        await user("t2", "shared-browser");
        await user("t3", "shared-browser"); // the same browser as t2: refused behind it
        await user("l1");
        await matched(); // alice and bob: MATCHED, refused
        const res = await store.enqueueMany(
          [
            req("t1", "talk"),
            req("ghost", "talk"),
            req("t2", "talk"),
            req("t3", "talk"),
            req("alice", "talk"),
            req("l1", "listen"),
          ],
          [bucket("menti", "listen"), bucket("menti", "talk")],
          10,
        );
        expect(res.results.map((r) => (r.ok ? "ok" : r.reason))).toEqual([
          "ok",
          "no_user",
          "ok",
          "browser_waiting",
          "state",
          "ok",
        ]);
        const entries = res.results.flatMap((r) => (r.ok ? [r.entry] : []));
        const [t1, t2, l1] = entries as [QueueEntry, QueueEntry, QueueEntry];
        expect(t1.seq).toBeLessThan(t2.seq);
        expect(t2.seq).toBeLessThan(l1.seq);
        expect(res.heads).toEqual([
          [w, l1],
          [t1, t2],
        ]);
        // What each result says is what the store holds.
        for (const r of res.results) {
          if (r.ok) expect(await store.getUser(r.user.id)).toEqual(r.user);
        }
        expect(await states("t3", "alice")).toEqual(["IDLE", "MATCHED"]);
        expect(await store.peek([bucket("menti", "talk")], 10)).toEqual([[t1, t2]]);
      });

      it("no requests: a read and nothing else", async () => {
        const t = await waiting("t", "talk");
        expect(await store.enqueueMany([], [bucket("menti", "talk"), "none"], 5)).toEqual({
          results: [],
          heads: [[t], []],
        });
      });

      it("a round of hundreds: every one enqueued in order, the read after the last", async () => {
        const n = 150;
        for (let i = 0; i < n; i++) await user(`u${String(i).padStart(3, "0")}`);
        const res = await store.enqueueMany(
          Array.from({ length: n }, (_, i) => req(`u${String(i).padStart(3, "0")}`, "talk")),
          [bucket("menti", "talk")],
          n + 10,
        );
        expect(res.results.every((r) => r.ok)).toBe(true);
        const entries = res.results.flatMap((r) => (r.ok ? [r.entry] : []));
        expect(entries.map((e) => e.userId)).toEqual(
          Array.from({ length: n }, (_, i) => `u${String(i).padStart(3, "0")}`),
        );
        for (let i = 1; i < n; i++) {
          expect((entries[i] as QueueEntry).seq).toBeGreaterThan(
            (entries[i - 1] as QueueEntry).seq,
          );
        }
        expect(res.heads).toEqual([entries]);
      });
    });

    describe("createSessions", () => {
      it("each commit answered as createSession would, in order, each seeing the ones before", async () => {
        const a = await waiting("alice", "talk");
        const b = await waiting("bob", "listen");
        const c = await waiting("carol", "listen");
        const d = await waiting("dave", "talk");
        const e = await waiting("erin", "talk");
        const f = await waiting("frank", "listen");
        await store.removeUser("frank");
        const ab = session(a, b);
        const ac = session(a, c); // alice is taken by the commit before: stale
        const dc = session(d, c);
        const ef = session(e, f); // frank departed: stale
        const ee = session(e, e); // the same user twice: refused
        const dup = session(e, c, dc.id); // an id opened by the commit before: refused
        const res = await store.createSessions([
          { session: ab, a, b },
          { session: ac, a, b: c },
          { session: dc, a: d, b: c },
          { session: ef, a: e, b: f },
          { session: ee, a: e, b: e },
          { session: dup, a: e, b: c },
        ]);
        expect(res.map((r) => r.ok)).toEqual([true, false, true, false, false, false]);
        expect(res[1]).toEqual({ ok: false, stale: ["alice"] });
        expect(res[3]).toEqual({ ok: false, stale: ["frank"] });
        const first = res[0];
        if (!first?.ok) throw new Error("first commit failed");
        expect(first.users.map((u) => u.partnerId)).toEqual(["bob", "alice"]);
        expect(await store.getUser("alice")).toEqual(first.users[0]);
        expect((await store.getSession(ab.id))?.participants).toEqual(["alice", "bob"]);
        expect(await store.getSession(ac.id)).toBeUndefined();
        expect((await store.getSession(dc.id))?.participants).toEqual(["dave", "carol"]);
        expect(await states("alice", "bob", "carol", "dave", "erin")).toEqual([
          "MATCHED",
          "MATCHED",
          "MATCHED",
          "MATCHED",
          "WAITING",
        ]);
        expect(await peekAll()).toEqual([e]);
      });

      it("none: nothing", async () => {
        expect(await store.createSessions([])).toEqual([]);
      });

      it("a round of a hundred pairs: every commit made, in order", async () => {
        const commits = [];
        for (let i = 0; i < 100; i++) {
          const t = await waiting(`t${i}`, "talk");
          const l = await waiting(`l${i}`, "listen");
          commits.push({ session: session(t, l), a: t, b: l });
        }
        const res = await store.createSessions(commits);
        expect(res.length).toBe(100);
        res.forEach((r, i) => {
          expect(r.ok).toBe(true);
          if (r.ok) expect(r.users.map((u) => u.id)).toEqual([`t${i}`, `l${i}`]);
        });
        expect(await peekAll()).toEqual([]);
      });
    });

    // ---- createSession -----------------------------------------------------------------------

    describe("createSession", () => {
      it("both MATCHED, each other's partner, out of the queue; the session PENDING", async () => {
        const a = await waiting("alice", "talk");
        const b = await waiting("bob", "listen");
        const s = session(a, b);
        const res = await store.createSession(s, a, b);
        expect(res.ok).toBe(true);
        if (!res.ok) return;
        const expectedA: UserRecord = {
          id: "alice",
          browserId: "browser-alice",
          state: "MATCHED",
          space: "menti",
          intent: "talk",
          sessionId: s.id,
          partnerId: "bob",
          partnerIntent: "listen",
          enterBy: s.enterBy,
        };
        const expectedB: UserRecord = {
          id: "bob",
          browserId: "browser-bob",
          state: "MATCHED",
          space: "menti",
          intent: "listen",
          sessionId: s.id,
          partnerId: "alice",
          partnerIntent: "talk",
          enterBy: s.enterBy,
        };
        expect(unversioned(res.users)).toEqual([expectedA, expectedB]);
        expect(unversioned(await store.getUser("alice"))).toEqual(expectedA);
        expect(unversioned(await store.getUser("bob"))).toEqual(expectedB);
        expect(await store.getSession(s.id)).toEqual({ ...s, status: "PENDING", entered: [] });
        expect(await peekAll()).toEqual([]);
      });

      it("ownership: each record keeps its node through every state, and knows its partner's", async () => {
        for (const [id, node] of [
          ["alice", "node-a"],
          ["bob", "node-b"],
        ] as const) {
          expect(await store.addUser({ id, browserId: `browser-${id}`, node, state: "IDLE" })).toBe(
            true,
          );
        }
        const a = await waiting("alice", "talk");
        const b = await waiting("bob", "listen");
        expect((await store.getUser("alice"))?.node).toBe("node-a");
        const s = session(a, b);
        const res = await store.createSession(s, a, b);
        expect(res.ok).toBe(true);
        const alice = await store.getUser("alice");
        expect([alice?.node, alice?.partnerNode]).toEqual(["node-a", "node-b"]);
        const bob = await store.getUser("bob");
        expect([bob?.node, bob?.partnerNode]).toEqual(["node-b", "node-a"]);
        await store.enterSession(s.id, "alice", T0 + 1);
        const entered = await store.enterSession(s.id, "bob", T0 + 2);
        expect(entered.ok).toBe(true);
        const active = await store.getUser("bob");
        expect([active?.state, active?.node, active?.partnerNode]).toEqual([
          "ACTIVE",
          "node-b",
          "node-a",
        ]);
        await store.closeSession(s.id, "left", "alice");
        const ended = await store.getUser("alice");
        expect([ended?.state, ended?.node, ended?.partnerNode]).toEqual([
          "ENDED",
          "node-a",
          undefined,
        ]);
      });

      it("without intents: no partnerIntent", async () => {
        const a = await waiting("alice", null, "stimchat");
        const b = await waiting("bob", null, "stimchat");
        const res = await store.createSession(session(a, b), a, b);
        expect(res.ok).toBe(true);
        const alice = await store.getUser("alice");
        expect(alice?.partnerId).toBe("bob");
        expect(alice?.partnerIntent).toBeUndefined();
        expect(alice?.intent).toBeUndefined();
      });

      it("a stale seq (the user left and joined again): names it, nothing changed", async () => {
        const a = await waiting("alice", "talk");
        const b = await waiting("bob", "listen");
        await store.leaveQueue("alice");
        const a2 = await waiting("alice", "talk");
        const s = session(a, b);
        expect(await store.createSession(s, a, b)).toEqual({ ok: false, stale: ["alice"] });
        expect(await store.getSession(s.id)).toBeUndefined();
        expect(await states("alice", "bob")).toEqual(["WAITING", "WAITING"]);
        expect(await peekAll()).toEqual([a2, b]);
        // The current searches match.
        expect((await store.createSession(session(a2, b), a2, b)).ok).toBe(true);
      });

      it("a user who left the queue: stale", async () => {
        const a = await waiting("alice", "talk");
        const b = await waiting("bob", "listen");
        await store.leaveQueue("bob");
        expect(await store.createSession(session(a, b), a, b)).toEqual({
          ok: false,
          stale: ["bob"],
        });
        expect(await states("alice", "bob")).toEqual(["WAITING", "IDLE"]);
        expect(await peekAll()).toEqual([a]);
      });

      it("a departed (removed) user: stale, the other keeps waiting", async () => {
        const a = await waiting("alice", "talk");
        const b = await waiting("bob", "listen");
        await store.removeUser("alice");
        const s = session(a, b);
        expect(await store.createSession(s, a, b)).toEqual({ ok: false, stale: ["alice"] });
        expect(await store.getSession(s.id)).toBeUndefined();
        expect(await store.getUser("alice")).toBeUndefined();
        expect((await store.getUser("bob"))?.entry).toEqual(b);
        expect(await peekAll()).toEqual([b]);
      });

      it("both stale: both named", async () => {
        const a = await waiting("alice", "talk");
        const b = await waiting("bob", "listen");
        await store.removeUser("alice");
        await store.leaveQueue("bob");
        const res = await store.createSession(session(a, b), a, b);
        expect(res.ok).toBe(false);
        if (!res.ok) expect([...res.stale].sort()).toEqual(["alice", "bob"]);
      });

      it("a user already paired: stale, and no second session", async () => {
        const a = await waiting("alice", "talk");
        const b = await waiting("bob", "listen");
        const c = await waiting("carol", "listen");
        expect((await store.createSession(session(a, b), a, b)).ok).toBe(true);
        const s2 = session(a, c);
        expect(await store.createSession(s2, a, c)).toEqual({ ok: false, stale: ["alice"] });
        expect(await store.getSession(s2.id)).toBeUndefined();
        expect((await store.getUser("carol"))?.state).toBe("WAITING");
        expect((await store.getUser("alice"))?.partnerId).toBe("bob");
      });

      it("the same user twice: refused, nothing changed", async () => {
        const a = await waiting("alice", "talk");
        const s = session(a, a);
        const res = await store.createSession(s, a, a);
        expect(res.ok).toBe(false);
        expect(await store.getSession(s.id)).toBeUndefined();
        expect((await store.getUser("alice"))?.entry).toEqual(a);
        expect(await peekAll()).toEqual([a]);
      });

      it("the id of a session that is open: refused, the open one untouched", async () => {
        const { s } = await matched();
        const c = await waiting("carol", "talk");
        const d = await waiting("dave", "listen");
        const res = await store.createSession(session(c, d, s.id), c, d);
        expect(res.ok).toBe(false);
        expect((await store.getSession(s.id))?.participants).toEqual(["alice", "bob"]);
        expect(await states("carol", "dave")).toEqual(["WAITING", "WAITING"]);
      });

      it("is stored as PENDING with nobody entered, whatever the record passed says", async () => {
        const a = await waiting("alice", "talk");
        const b = await waiting("bob", "listen");
        const s: SessionRecord = { ...session(a, b), status: "ACTIVE", entered: ["alice"] };
        expect((await store.createSession(s, a, b)).ok).toBe(true);
        expect(await store.getSession(s.id)).toMatchObject({ status: "PENDING", entered: [] });
      });
    });

    // ---- enterSession ------------------------------------------------------------------------

    describe("enterSession", () => {
      it("the first participant: entered, not activated, still MATCHED", async () => {
        const { s } = await matched();
        const res = await store.enterSession(s.id, "alice", T0 + 5);
        expect(res.ok).toBe(true);
        if (!res.ok) return;
        expect(res.activated).toBe(false);
        expect(res.already).toBe(false);
        expect(res.session).toMatchObject({ id: s.id, status: "PENDING", entered: ["alice"] });
        expect(res.users).toEqual([await store.getUser("alice")]);
        expect(await states("alice", "bob")).toEqual(["MATCHED", "MATCHED"]);
        expect((await store.getSession(s.id))?.entered).toEqual(["alice"]);
      });

      it("twice by the same participant: already, nothing changed", async () => {
        const { s } = await matched();
        await store.enterSession(s.id, "alice", T0 + 5);
        const res = await store.enterSession(s.id, "alice", T0 + 5);
        expect(res).toMatchObject({ ok: true, activated: false, already: true });
        expect(await store.getSession(s.id)).toMatchObject({
          status: "PENDING",
          entered: ["alice"],
        });
        expect(await states("alice", "bob")).toEqual(["MATCHED", "MATCHED"]);
      });

      it("both: the session and both users ACTIVE, both records returned", async () => {
        const { s } = await matched();
        await store.enterSession(s.id, "bob", T0 + 5);
        const res = await store.enterSession(s.id, "alice", T0 + 5);
        expect(res.ok).toBe(true);
        if (!res.ok) return;
        expect(res.activated).toBe(true);
        expect(res.already).toBe(false);
        expect(res.session).toMatchObject({ status: "ACTIVE" });
        expect([...res.session.entered].sort()).toEqual(["alice", "bob"]);
        expect(res.users.map((u) => u.id).sort()).toEqual(["alice", "bob"]);
        for (const u of res.users) {
          expect(u.state).toBe("ACTIVE");
          expect(await store.getUser(u.id)).toEqual(u);
        }
        expect((await store.getUser("alice"))?.partnerId).toBe("bob");
        expect((await store.getSession(s.id))?.status).toBe("ACTIVE");
      });

      it("again after ACTIVE: already, nothing changed", async () => {
        const s = await active();
        const res = await store.enterSession(s.id, "alice", T0 + 5);
        expect(res).toMatchObject({ ok: true, activated: false, already: true });
        expect(await states("alice", "bob")).toEqual(["ACTIVE", "ACTIVE"]);
      });

      it("by a non-participant, an unknown user, or for an unknown session: ok false", async () => {
        const { s } = await matched();
        await user("mallory");
        expect(await store.enterSession(s.id, "mallory", T0 + 5)).toEqual({ ok: false });
        expect(await store.enterSession(s.id, "nobody", T0 + 5)).toEqual({ ok: false });
        expect(await store.enterSession("no_such_session_000000", "alice", T0 + 5)).toEqual({
          ok: false,
        });
        expect(await store.getSession(s.id)).toMatchObject({ status: "PENDING", entered: [] });
        expect((await store.getUser("mallory"))?.state).toBe("IDLE");
      });

      it("by a participant of another open session: ok false", async () => {
        const { s } = await matched();
        const c = await waiting("carol", "talk");
        const d = await waiting("dave", "listen");
        await store.createSession(session(c, d), c, d);
        expect(await store.enterSession(s.id, "carol", T0 + 5)).toEqual({ ok: false });
        expect((await store.getSession(s.id))?.entered).toEqual([]);
      });

      it("after close: ok false, nothing changes (the users stay ENDED)", async () => {
        const { s } = await matched();
        await store.enterSession(s.id, "alice", T0 + 5);
        await store.closeSession(s.id, "left", "bob");
        expect(await store.enterSession(s.id, "bob", T0 + 5)).toEqual({ ok: false });
        expect(await store.enterSession(s.id, "alice", T0 + 5)).toEqual({ ok: false });
        expect(await store.getSession(s.id)).toBeUndefined();
        expect(await states("alice", "bob")).toEqual(["ENDED", "ENDED"]);
      });

      it("with `earlier` (the partner entered before, unknown to the store): both in, ACTIVE, in one call", async () => {
        const { s } = await matched();
        const res = await store.enterSession(s.id, "bob", T0 + 7, "alice");
        expect(res.ok).toBe(true);
        if (!res.ok) return;
        expect(res).toMatchObject({ activated: true, already: false });
        // The partner came first, and is listed first.
        expect(res.session).toMatchObject({ status: "ACTIVE", entered: ["alice", "bob"] });
        expect(res.session.activeAt).toBe(T0 + 7);
        expect(res.users.map((u) => u.id).sort()).toEqual(["alice", "bob"]);
        expect(await states("alice", "bob")).toEqual(["ACTIVE", "ACTIVE"]);
      });

      it("with `earlier` when the caller had entered already (the store knew it): ACTIVE", async () => {
        const { s } = await matched();
        await store.enterSession(s.id, "bob", T0 + 5);
        const res = await store.enterSession(s.id, "bob", T0 + 6, "alice");
        expect(res).toMatchObject({ ok: true, activated: true, already: false });
        expect(await store.getSession(s.id)).toMatchObject({
          status: "ACTIVE",
          entered: ["bob", "alice"],
        });
      });

      it("with `earlier` already entered in the store: an ordinary second enter", async () => {
        const { s } = await matched();
        await store.enterSession(s.id, "alice", T0 + 5);
        const res = await store.enterSession(s.id, "bob", T0 + 6, "alice");
        expect(res).toMatchObject({ ok: true, activated: true, already: false });
        expect((await store.getSession(s.id))?.entered).toEqual(["alice", "bob"]);
        // And after ACTIVE, a repeat with `earlier` changes nothing.
        const again = await store.enterSession(s.id, "bob", T0 + 9, "alice");
        expect(again).toMatchObject({ ok: true, activated: false, already: true });
        expect((await store.getSession(s.id))?.activeAt).toBe(T0 + 6);
      });

      it("with `earlier` departed, or not the partner: ignored (nobody is brought back)", async () => {
        const { s } = await matched();
        await user("mallory");
        const res = await store.enterSession(s.id, "bob", T0 + 5, "mallory");
        expect(res).toMatchObject({ ok: true, activated: false, already: false });
        expect((await store.getSession(s.id))?.entered).toEqual(["bob"]);
        const self = await store.enterSession(s.id, "bob", T0 + 5, "bob");
        expect(self).toMatchObject({ ok: true, activated: false, already: true });
        await store.removeUser("alice");
        const gone = await store.enterSession(s.id, "bob", T0 + 5, "alice");
        expect(gone).toMatchObject({ ok: true, activated: false });
        expect(await store.getSession(s.id)).toMatchObject({ status: "PENDING", entered: ["bob"] });
        expect(await store.getUser("alice")).toBeUndefined();
        expect((await store.getUser("bob"))?.state).toBe("MATCHED");
      });

      it("with the partner departed: never resurrects the departed user", async () => {
        const { s } = await matched();
        await store.enterSession(s.id, "alice", T0 + 5);
        await store.removeUser("alice"); // the caller closes the session next; bob enters first
        const res = await store.enterSession(s.id, "bob", T0 + 5);
        expect(await store.getUser("alice")).toBeUndefined();
        if (res.ok) for (const u of res.users) expect(u.id).toBe("bob");
        expect((await store.getUser("bob"))?.partnerId).toBe("alice");
        // The close that follows ends it for bob.
        const closed = await store.closeSession(s.id, "disconnected", "alice");
        expect(closed.closed).toBe(true);
        expect(await store.getUser("alice")).toBeUndefined();
        expect((await store.getUser("bob"))?.state).toBe("ENDED");
      });
    });

    // ---- requestMedia ------------------------------------------------------------------------

    describe("requestMedia", () => {
      it("a new session has nobody who asked; the first ask is recorded, not ready", async () => {
        const { s } = await matched();
        expect((await store.getSession(s.id))?.media ?? []).toEqual([]);
        const res = await store.requestMedia(s.id, "alice");
        expect(res).toMatchObject({ ok: true, ready: false, already: false });
        if (!res.ok) return;
        expect(res.session.media).toEqual(["alice"]);
        expect((await store.getSession(s.id))?.media).toEqual(["alice"]);
        // Nothing else moves: no one entered, both still MATCHED.
        expect(await store.getSession(s.id)).toMatchObject({ status: "PENDING", entered: [] });
        expect(await states("alice", "bob")).toEqual(["MATCHED", "MATCHED"]);
      });

      it("the second participant's ask is the one that says ready, exactly once", async () => {
        const { s } = await matched();
        await store.requestMedia(s.id, "bob");
        const res = await store.requestMedia(s.id, "alice");
        expect(res).toMatchObject({ ok: true, ready: true, already: false });
        if (res.ok) expect([...(res.session.media ?? [])].sort()).toEqual(["alice", "bob"]);
        for (const who of ["alice", "bob"]) {
          expect(await store.requestMedia(s.id, who)).toMatchObject({
            ok: true,
            ready: false,
            already: true,
          });
        }
        expect(await states("alice", "bob")).toEqual(["MATCHED", "MATCHED"]);
      });

      it("in an ACTIVE session too; entering does not count as asking", async () => {
        const s = await active();
        expect((await store.getSession(s.id))?.media ?? []).toEqual([]);
        expect(await store.requestMedia(s.id, "alice")).toMatchObject({ ok: true, ready: false });
        expect(await store.requestMedia(s.id, "bob")).toMatchObject({ ok: true, ready: true });
        expect(await states("alice", "bob")).toEqual(["ACTIVE", "ACTIVE"]);
      });

      it("a non-participant, an unknown user or session, another session's member: ok false", async () => {
        const { s } = await matched();
        await user("mallory");
        const c = await waiting("carol", "talk");
        const d = await waiting("dave", "listen");
        await store.createSession(session(c, d), c, d);
        for (const who of ["mallory", "nobody", "carol"]) {
          expect(await store.requestMedia(s.id, who)).toEqual({ ok: false });
        }
        expect(await store.requestMedia("no_such_session_000000", "alice")).toEqual({ ok: false });
        expect((await store.getSession(s.id))?.media ?? []).toEqual([]);
      });

      it("after close: ok false; a new session of the same people starts with nobody asked", async () => {
        const { s } = await matched();
        await store.requestMedia(s.id, "alice");
        await store.requestMedia(s.id, "bob");
        await store.closeSession(s.id, "skipped", "alice");
        expect(await store.requestMedia(s.id, "alice")).toEqual({ ok: false });
        const a = await waiting("alice", "talk");
        const b = await waiting("bob", "listen");
        const next = session(a, b);
        // Whatever the record passed says, a new session starts with nobody having asked.
        expect((await store.createSession({ ...next, media: ["alice", "bob"] }, a, b)).ok).toBe(
          true,
        );
        expect((await store.getSession(next.id))?.media ?? []).toEqual([]);
        expect(await store.requestMedia(next.id, "alice")).toMatchObject({ ready: false });
      });

      it("with the partner departed: recorded, never ready", async () => {
        const { s } = await matched();
        await store.requestMedia(s.id, "alice");
        await store.removeUser("alice");
        expect(await store.requestMedia(s.id, "bob")).toMatchObject({ ok: true, ready: false });
      });

      it("returns snapshots: changing one changes nothing in the store", async () => {
        const { s } = await matched();
        const res = await store.requestMedia(s.id, "alice");
        if (res.ok) scribble(res.session, "media", ["alice", "bob"]);
        expect((await store.getSession(s.id))?.media).toEqual(["alice"]);
      });
    });

    // ---- closeSession ------------------------------------------------------------------------

    describe("closeSession", () => {
      it("deletes the session and ENDs both, with reason and who", async () => {
        const s = await active();
        const res = await store.closeSession(s.id, "left", "alice");
        expect(res.closed).toBe(true);
        if (!res.closed) return;
        expect(res.session).toMatchObject({
          id: s.id,
          status: "CLOSED",
          participants: s.participants,
        });
        expect(res.ended.map((u) => u.id).sort()).toEqual(["alice", "bob"]);
        for (const id of ["alice", "bob"]) {
          const u = await store.getUser(id);
          expect(u).toMatchObject({
            state: "ENDED",
            space: "menti",
            sessionId: s.id,
            ended: { sessionId: s.id, reason: "left", by: "alice" },
          });
          expect(u?.partnerId).toBeUndefined();
          expect(u?.entry).toBeUndefined();
          expect(res.ended.find((e) => e.id === id)).toEqual(u);
        }
        expect(await store.getSession(s.id)).toBeUndefined();
      });

      it("a PENDING session closes too; by null is the server", async () => {
        const { s } = await matched();
        const res = await store.closeSession(s.id, "join_timeout", null);
        expect(res.closed).toBe(true);
        expect((await store.getUser("bob"))?.ended).toEqual({
          sessionId: s.id,
          reason: "join_timeout",
          by: null,
        });
      });

      it("twice: the second is closed false, changes nothing, and gives back the caller", async () => {
        const s = await active();
        await store.closeSession(s.id, "left", "alice");
        const before = await Promise.all(["alice", "bob"].map((id) => store.getUser(id)));
        // The caller's record as it is now: the engine answers a missed close from it.
        expect(await store.closeSession(s.id, "disconnected", "bob")).toEqual({
          closed: false,
          caller: before[1],
        });
        const after = await Promise.all(["alice", "bob"].map((id) => store.getUser(id)));
        expect(after).toEqual(before);
        expect(after[0]?.ended?.reason).toBe("left");
        expect(after[1]?.state).toBe("ENDED");
      });

      it("a miss by a caller that is gone, or by the server, carries no caller", async () => {
        const s = await active();
        await store.closeSession(s.id, "left", "alice");
        await store.removeUser("bob");
        expect(await store.closeSession(s.id, "disconnected", "bob")).toEqual({ closed: false });
        expect(await store.closeSession(s.id, "join_timeout", null)).toEqual({ closed: false });
      });

      it("an unknown session: closed false", async () => {
        expect(await store.closeSession("no_such_session_000000", "left", null)).toEqual({
          closed: false,
        });
      });

      it("ifStatus mismatch: closed false, nothing changed", async () => {
        const s = await active();
        expect(
          await store.closeSession(s.id, "join_timeout", null, { ifStatus: "PENDING" }),
        ).toEqual({
          closed: false,
        });
        const alice = await store.getUser("alice");
        expect(await store.closeSession(s.id, "left", "alice", { ifStatus: "PENDING" })).toEqual({
          closed: false,
          caller: alice,
        });
        expect((await store.getSession(s.id))?.status).toBe("ACTIVE");
        expect(await states("alice", "bob")).toEqual(["ACTIVE", "ACTIVE"]);
      });

      it("ifStatus match: closes", async () => {
        const { s } = await matched();
        await store.enterSession(s.id, "alice", T0 + 5);
        const res = await store.closeSession(s.id, "join_timeout", null, { ifStatus: "PENDING" });
        expect(res.closed).toBe(true);
        expect(await states("alice", "bob")).toEqual(["ENDED", "ENDED"]);
        const t = await active();
        expect(
          (await store.closeSession(t.id, "left", "alice", { ifStatus: "ACTIVE" })).closed,
        ).toBe(true);
      });

      it("with a departed participant: only the remaining one is ENDED", async () => {
        const s = await active();
        await store.removeUser("alice");
        const res = await store.closeSession(s.id, "disconnected", "alice");
        expect(res.closed).toBe(true);
        if (!res.closed) return;
        expect(res.ended.map((u) => u.id)).toEqual(["bob"]);
        expect(await store.getUser("alice")).toBeUndefined();
        expect((await store.getUser("bob"))?.ended).toEqual({
          sessionId: s.id,
          reason: "disconnected",
          by: "alice",
        });
      });

      it("a participant no longer attached to it is left alone", async () => {
        // bob's session closed and he searched again; a stale close of the old session must not
        // touch his new state (the old session is gone, so this is closed false).
        const s = await ended();
        await waiting("bob", "listen");
        expect(await store.closeSession(s.id, "join_timeout", null)).toEqual({ closed: false });
        expect((await store.getUser("bob"))?.state).toBe("WAITING");
      });

      it("a closed session stays closed: it reads as undefined and cannot be entered", async () => {
        const s = await ended();
        expect(await store.getSession(s.id)).toBeUndefined();
        expect(await store.enterSession(s.id, "alice", T0 + 5)).toEqual({ ok: false });
      });
    });

    // ---- returnHome --------------------------------------------------------------------------

    describe("returnHome", () => {
      it("ENDED → IDLE, clearing the session fields", async () => {
        await ended();
        const idle = await store.returnHome("bob");
        expect(unversioned(idle)).toEqual({ id: "bob", browserId: "browser-bob", state: "IDLE" });
        expect(await store.getUser("bob")).toEqual(idle);
      });

      it("twice: the second is undefined, nothing changed", async () => {
        await ended();
        await store.returnHome("bob");
        expect(await store.returnHome("bob")).toBeUndefined();
        expect((await store.getUser("bob"))?.state).toBe("IDLE");
      });

      it("from any state but ENDED, or unknown: undefined, nothing changed", async () => {
        await user("idle");
        await waiting("wait", "both");
        const { s } = await matched();
        expect(await store.returnHome("idle")).toBeUndefined();
        expect(await store.returnHome("wait")).toBeUndefined();
        expect(await store.returnHome("alice")).toBeUndefined();
        expect(await store.returnHome("nobody")).toBeUndefined();
        expect(await states("idle", "wait", "alice")).toEqual(["IDLE", "WAITING", "MATCHED"]);
        await store.enterSession(s.id, "alice", T0 + 5);
        await store.enterSession(s.id, "bob", T0 + 5);
        expect(await store.returnHome("bob")).toBeUndefined();
        expect(await states("alice", "bob")).toEqual(["ACTIVE", "ACTIVE"]);
      });
    });

    // ---- removeUser --------------------------------------------------------------------------

    describe("removeUser", () => {
      it("returns the record as it was, and deletes it with its queue entry", async () => {
        const entry = await waiting("alice");
        const before = await store.getUser("alice");
        expect(await store.removeUser("alice")).toEqual(before);
        expect(await store.getUser("alice")).toBeUndefined();
        expect(await peekAll()).toEqual([]);
        expect(before?.entry).toEqual(entry);
      });

      it("twice: the second is undefined", async () => {
        await user("alice");
        await store.removeUser("alice");
        expect(await store.removeUser("alice")).toBeUndefined();
        expect(await store.removeUser("nobody")).toBeUndefined();
      });

      it("does not close the session: the partner stays attached until the caller closes it", async () => {
        const { s } = await matched();
        const gone = await store.removeUser("alice");
        expect(gone).toMatchObject({ state: "MATCHED", sessionId: s.id, partnerId: "bob" });
        expect(await store.getSession(s.id)).toBeDefined();
        expect((await store.getUser("bob"))?.state).toBe("MATCHED");
      });

      it("only that user: others waiting in its bucket stay, in order", async () => {
        const t1 = await waiting("t1", "talk");
        await waiting("t2", "talk");
        const t3 = await waiting("t3", "talk");
        await store.removeUser("t2");
        expect(await store.peek([bucket("menti", "talk")], 10)).toEqual([[t1, t3]]);
      });
    });

    // ---- several buckets, addToBucket ------------------------------------------------------------

    describe("several buckets per search; openSearch", () => {
      const topic = (t: string) => `stimchat:topic:${t}`;
      const open = "stimchat:open";

      async function tagged(id: string, topics: string[], buckets: string[]): Promise<QueueEntry> {
        await user(id);
        const res = await store.enqueue({
          userId: id,
          from: JOIN_SOURCES,
          space: "stimchat",
          since: T0,
          buckets,
          topics,
        });
        if (!res.ok) throw new Error(`enqueue ${id}: ${res.reason}`);
        return res.entry;
      }

      it("an entry waits in each of its buckets, once each, and keeps its tags", async () => {
        const e = await tagged(
          "alice",
          ["music", "games"],
          [topic("music"), topic("games"), topic("music")],
        );
        expect(e.topics).toEqual(["music", "games"]);
        expect((await store.getUser("alice"))?.topics).toEqual(["music", "games"]);
        expect(await store.peek([topic("music"), topic("games"), open], 10)).toEqual([
          [e],
          [e],
          [],
        ]);
      });

      it("leaving, matching or removal takes it out of every bucket", async () => {
        await tagged("alice", ["music", "games"], [topic("music"), topic("games")]);
        await tagged("bob", ["games"], [topic("games"), open]);
        const c = await tagged("carol", ["music"], [topic("music")]);
        await store.leaveQueue("alice");
        expect(await store.peek([topic("music"), topic("games")], 10)).toEqual([
          [c],
          [(await store.getUser("bob"))?.entry],
        ]);
        await store.removeUser("bob");
        expect(await store.peek([topic("games"), open], 10)).toEqual([[], []]);
        const d = await tagged("dave", ["music"], [topic("music"), open]);
        expect((await store.createSession(session(c, d), c, d)).ok).toBe(true);
        expect(await store.peek([topic("music"), open], 10)).toEqual([[], []]);
      });

      it("openSearch: the current search is marked open and joins one more bucket, keeping its seq and places", async () => {
        const c = await tagged("carol", ["music"], [topic("music")]);
        const e = await tagged("alice", ["music"], [topic("music")]);
        const d = await tagged("dave", ["music"], [topic("music")]);
        const b = await tagged("bob", [], [open]);
        const user = await store.openSearch("alice", e.seq, open);
        const opened = { ...e, open: true };
        expect(user?.state).toBe("WAITING");
        expect(user?.entry).toEqual(opened);
        expect((await store.getUser("alice"))?.entry).toEqual(opened);
        // It joins the open bucket's tail (bob, who was there first, stays ahead) and keeps its
        // place between carol and dave in its topic, now marked open there too.
        expect(await store.peek([open, topic("music")], 10)).toEqual([
          [b, opened],
          [c, opened, d],
        ]);
        expect(user?.version).toBeGreaterThan(0);
        await store.leaveQueue("alice");
        expect(await store.peek([open, topic("music")], 10)).toEqual([[b], [c, d]]);
      });

      it("openSearch: already open or in the bucket, another search, not waiting or unknown → undefined, no change", async () => {
        const e = await tagged("alice", ["music"], [topic("music"), open]);
        expect(await store.openSearch("alice", e.seq, open)).toBeUndefined();
        expect(await store.openSearch("alice", e.seq - 1, topic("games"))).toBeUndefined();
        expect(await store.openSearch("nobody", e.seq, open)).toBeUndefined();
        expect(await store.peek([open, topic("games")], 10)).toEqual([[e], []]);
        const f = await tagged("bob", ["games"], [topic("games")]);
        const opened = await store.openSearch("bob", f.seq, open);
        expect(opened?.entry?.open).toBe(true);
        // Opened once: its deadline (or a second "Anyone is fine") changes nothing.
        expect(await store.openSearch("bob", f.seq, `${open}-2`)).toBeUndefined();
        expect(await store.peek([`${open}-2`], 10)).toEqual([[]]);
        await store.leaveQueue("alice");
        expect(await store.openSearch("alice", e.seq, open)).toBeUndefined();
        expect(await store.peek([open], 10)).toEqual([[{ ...f, open: true }]]);
      });

      it("createSession records the tags both chose", async () => {
        const a = await tagged("alice", ["music", "games", "study"], [topic("music")]);
        const b = await tagged("bob", ["study", "music"], [topic("music")]);
        const res = await store.createSession(session(a, b), a, b);
        expect(res.ok).toBe(true);
        expect((await store.getUser("alice"))?.sharedTopics).toEqual(["music", "study"]);
        expect((await store.getUser("bob"))?.sharedTopics).toEqual(["study", "music"]);
      });
    });

    // ---- identity, tiers, blocks, activation time ------------------------------------------------

    describe("persons, trust tiers and blocked lists", () => {
      it("a user's person is kept through every state and copied into its entries", async () => {
        expect(
          await store.addUser({ id: "alice", browserId: "b-a", person: "tok-a", state: "IDLE" }),
        ).toBe(true);
        const res = await store.enqueue({
          userId: "alice",
          from: JOIN_SOURCES,
          space: "dormparty",
          since: T0,
          buckets: [bucket("dormparty")],
        });
        expect(res.ok && res.entry.person).toBe("tok-a");
        const b = await waiting("bob", null, "dormparty");
        if (!res.ok) throw new Error("enqueue");
        const s = session(res.entry, b);
        await store.createSession(s, res.entry, b);
        expect((await store.getUser("alice"))?.person).toBe("tok-a");
        await store.closeSession(s.id, "left", "bob");
        expect((await store.getUser("alice"))?.person).toBe("tok-a");
        expect((await store.returnHome("alice"))?.person).toBe("tok-a");
      });

      it("enqueue keeps the request's tier and blocked list on the entry and the record", async () => {
        await user("alice");
        const res = await store.enqueue({
          userId: "alice",
          from: JOIN_SOURCES,
          space: "stimchat",
          since: T0,
          buckets: [bucket("stimchat")],
          tier: "restricted",
          blocked: ["tok-x", "tok-y"],
        });
        expect(res.ok && res.entry.tier).toBe("restricted");
        expect(res.ok && res.entry.blocked).toEqual(["tok-x", "tok-y"]);
        const [heads] = await store.peek([bucket("stimchat")], 1);
        expect(heads?.[0]?.blocked).toEqual(["tok-x", "tok-y"]);
        const record = await store.getUser("alice");
        expect(record?.tier).toBe("restricted");
        expect(record?.blocked).toEqual(["tok-x", "tok-y"]);
      });

      it("tier and blocked list survive the session for a re-queue, and a new join replaces them", async () => {
        await user("alice");
        const first = await store.enqueue({
          userId: "alice",
          from: JOIN_SOURCES,
          space: "dormparty",
          since: T0,
          buckets: [bucket("dormparty")],
          tier: "trusted",
          blocked: ["tok-x"],
        });
        const b = await waiting("bob", null, "dormparty");
        if (!first.ok) throw new Error("enqueue");
        const s = session(first.entry, b);
        await store.createSession(s, first.entry, b);
        await store.closeSession(s.id, "skipped", "bob");
        const ended = await store.getUser("alice");
        expect(ended?.tier).toBe("trusted");
        expect(ended?.blocked).toEqual(["tok-x"]);
        const again = await store.enqueue({
          userId: "alice",
          from: JOIN_SOURCES,
          space: "dormparty",
          since: T0 + 1,
          buckets: [bucket("dormparty")],
        });
        expect(again.ok && again.entry.tier).toBeUndefined();
        expect(again.ok && again.entry.blocked).toBeUndefined();
      });

      it("activation records when the session became ACTIVE; a PENDING session has no activeAt", async () => {
        const { s } = await matched();
        const first = await store.enterSession(s.id, "alice", T0 + 100);
        expect(first.ok && first.session.activeAt).toBeUndefined();
        const second = await store.enterSession(s.id, "bob", T0 + 250);
        expect(second.ok && second.session.activeAt).toBe(T0 + 250);
        expect((await store.getSession(s.id))?.activeAt).toBe(T0 + 250);
        const closed = await store.closeSession(s.id, "left", "alice");
        expect(closed.closed && closed.session.activeAt).toBe(T0 + 250);
      });
    });

    // ---- pair cooldowns ------------------------------------------------------------------------

    describe("pair cooldowns (closeSession cooldownUntil)", () => {
      it("each remaining participant avoids the other's browser until then", async () => {
        const s = await active();
        await store.closeSession(s.id, "skipped", "alice", { cooldownUntil: T0 + 30_000 });
        expect((await store.getUser("alice"))?.avoid).toEqual([
          { person: "browser-bob", until: T0 + 30_000 },
        ]);
        expect((await store.getUser("bob"))?.avoid).toEqual([
          { person: "browser-alice", until: T0 + 30_000 },
        ]);
      });

      it("a departed participant's browser is still avoided by the one who stays", async () => {
        const s = await active();
        await store.removeUser("alice");
        await store.closeSession(s.id, "disconnected", "alice", { cooldownUntil: T0 + 30_000 });
        expect((await store.getUser("bob"))?.avoid).toEqual([
          { person: "browser-alice", until: T0 + 30_000 },
        ]);
      });

      it("without cooldownUntil nobody avoids anybody", async () => {
        const s = await active();
        await store.closeSession(s.id, "left", "alice");
        expect((await store.getUser("alice"))?.avoid).toBeUndefined();
      });

      it("a new search copies the cooldowns in force at `since` into its entry; expired ones go", async () => {
        const s = await active();
        await store.closeSession(s.id, "skipped", "alice", { cooldownUntil: T0 + 30_000 });
        const res = await store.enqueue({
          userId: "bob",
          from: JOIN_SOURCES,
          space: "menti",
          intent: "listen",
          since: T0 + 10_000,
          buckets: [bucket("menti", "listen")],
        });
        expect(res.ok && res.entry.avoid).toEqual([
          { person: "browser-alice", until: T0 + 30_000 },
        ]);
        const later = await store.enqueue({
          userId: "alice",
          from: JOIN_SOURCES,
          space: "menti",
          intent: "talk",
          since: T0 + 30_000,
          buckets: [bucket("menti", "talk")],
        });
        expect(later.ok && later.entry.avoid).toBeUndefined();
      });

      it("cooldowns follow the session's persons (token ids) when it has them", async () => {
        const a = await waiting("alice", "talk");
        const b = await waiting("bob", "listen");
        const s: SessionRecord = { ...session(a, b), persons: ["token-alice", "token-bob"] };
        expect((await store.createSession(s, a, b)).ok).toBe(true);
        await store.closeSession(s.id, "skipped", "bob", { cooldownUntil: T0 + 30_000 });
        expect((await store.getUser("alice"))?.avoid).toEqual([
          { person: "token-bob", until: T0 + 30_000 },
        ]);
        expect((await store.getUser("bob"))?.avoid).toEqual([
          { person: "token-alice", until: T0 + 30_000 },
        ]);
      });

      it("blockEachOther (a report) makes each side avoid the other without end", async () => {
        const s = await active();
        await store.closeSession(s.id, "reported", "alice", {
          cooldownUntil: T0 + 30_000,
          blockEachOther: true,
        });
        expect((await store.getUser("alice"))?.avoid).toEqual([
          { person: "browser-bob", until: null },
        ]);
        const res = await store.enqueue({
          userId: "bob",
          from: JOIN_SOURCES,
          space: "menti",
          intent: "listen",
          since: T0 + 10_000_000,
          buckets: [bucket("menti", "listen")],
        });
        expect(res.ok && res.entry.avoid).toEqual([{ person: "browser-alice", until: null }]);
      });

      it("cooldowns outlive the ended screen and home", async () => {
        const s = await active();
        await store.closeSession(s.id, "skipped", "alice", { cooldownUntil: T0 + 30_000 });
        const idle = await store.returnHome("alice");
        expect(idle?.avoid).toEqual([{ person: "browser-bob", until: T0 + 30_000 }]);
      });
    });

    // ---- census --------------------------------------------------------------------------------

    describe("census", () => {
      it("users per state per space; IDLE users belong to no space", async () => {
        expect(await store.census()).toEqual({});
        await user("idle");
        await waiting("w1", "talk");
        await waiting("w2", null, "stimchat");
        const s = await active(); // alice, bob ACTIVE
        await waiting("m1", "talk");
        const m2 = await waiting("m2", "listen");
        const m1 = (await store.getUser("m1"))?.entry;
        if (!m1) throw new Error("m1 not waiting");
        await store.createSession(session(m1, m2), m1, m2);
        expect(await store.census()).toEqual({
          menti: { waiting: 1, matched: 2, active: 2, ended: 0, waitingByIntent: { talk: 1 } },
          stimchat: { waiting: 1, matched: 0, active: 0, ended: 0 },
        });
        await store.closeSession(s.id, "left", "alice");
        await store.returnHome("alice");
        expect(await store.census()).toMatchObject({
          menti: { waiting: 1, matched: 2, active: 0, ended: 1 },
        });
      });

      it("counts the waiting per intent, and only the waiting", async () => {
        await waiting("t1", "talk");
        await waiting("t2", "talk");
        await waiting("l1", "listen");
        await waiting("b1", "both");
        await waiting("s1", null, "stimchat");
        expect((await store.census()).menti?.waitingByIntent).toEqual({
          talk: 2,
          listen: 1,
          both: 1,
        });
        await store.leaveQueue("t1");
        await store.leaveQueue("b1");
        expect((await store.census()).menti?.waitingByIntent).toEqual({ talk: 1, listen: 1 });
        expect((await store.census()).stimchat?.waitingByIntent).toBeUndefined();
      });
    });

    // ---- versions ----------------------------------------------------------------------------

    describe("user versions", () => {
      it("grow with every change of a user, and only then", async () => {
        await user("alice");
        const v = async () => (await store.getUser("alice"))?.version ?? -1;
        const v1 = await v();
        await waiting("alice");
        const v2 = await v();
        expect(v2).toBeGreaterThan(v1);
        await store.peek([bucket("menti", "talk")], 4);
        await store.leaveQueue("alice", 999_999);
        expect(await v()).toBe(v2);
        await store.leaveQueue("alice");
        expect(await v()).toBeGreaterThan(v2);
      });
    });

    // ---- snapshots ---------------------------------------------------------------------------

    describe("returned records are snapshots", () => {
      it("getUser", async () => {
        await waiting("alice");
        const read = await store.getUser("alice");
        if (!read?.entry) throw new Error("no entry");
        scribble(read, "state", "ACTIVE");
        scribble(read.entry, "seq", -1);
        const again = await store.getUser("alice");
        expect(again?.state).toBe("WAITING");
        expect(again?.entry?.seq).not.toBe(-1);
        expect((await peekAll())[0]?.seq).not.toBe(-1);
      });

      it("enqueue's user and entry", async () => {
        await user("alice");
        const res = await store.enqueue({
          userId: "alice",
          from: JOIN_SOURCES,
          space: "menti",
          intent: "talk",
          since: T0,
          buckets: [bucket("menti", "talk")],
        });
        if (!res.ok) throw new Error("enqueue failed");
        const seq = res.entry.seq;
        scribble(res.user, "state", "IDLE");
        scribble(res.entry, "seq", -1);
        scribble(res.entry, "userId", "mallory");
        expect((await store.getUser("alice"))?.state).toBe("WAITING");
        expect((await store.getUser("alice"))?.entry?.seq).toBe(seq);
        expect(await peekAll()).toMatchObject([{ userId: "alice", seq }]);
      });

      it("peek's entries", async () => {
        const entry = await waiting("alice");
        const [[head]] = (await store.peek([bucket("menti", "talk")], 1)) as [[QueueEntry]];
        scribble(head, "seq", -1);
        scribble(head, "browserId", "other");
        expect(await store.peek([bucket("menti", "talk")], 1)).toEqual([[entry]]);
        expect((await store.getUser("alice"))?.entry).toEqual(entry);
      });

      it("createSession's users", async () => {
        const a = await waiting("alice", "talk");
        const b = await waiting("bob", "listen");
        const created = await store.createSession(session(a, b), a, b);
        if (!created.ok) throw new Error("createSession failed");
        scribble(created.users[0], "partnerId", "mallory");
        scribble(created.users[1], "state", "IDLE");
        expect((await store.getUser("alice"))?.partnerId).toBe("bob");
        expect((await store.getUser("bob"))?.state).toBe("MATCHED");
      });

      it("getSession's session (and its participants list)", async () => {
        const { s } = await matched();
        const read = await store.getSession(s.id);
        if (!read) throw new Error("no session");
        scribble(read, "status", "CLOSED");
        attempt(() => {
          (read.participants as unknown as string[])[0] = "mallory";
        });
        attempt(() => (read.entered as string[]).push("bob"));
        expect(await store.getSession(s.id)).toMatchObject({
          status: "PENDING",
          participants: ["alice", "bob"],
          entered: [],
        });
      });

      it("enterSession's session and users", async () => {
        const { s } = await matched();
        const entered = await store.enterSession(s.id, "alice", T0 + 5);
        if (!entered.ok) throw new Error("enter failed");
        attempt(() => (entered.session.entered as string[]).push("bob"));
        scribble(entered.session, "status", "ACTIVE");
        scribble(entered.users[0] ?? {}, "state", "ENDED");
        expect((await store.getUser("alice"))?.state).toBe("MATCHED");
        expect(await store.getSession(s.id)).toMatchObject({
          status: "PENDING",
          entered: ["alice"],
        });
      });

      it("closeSession's session and ended users, returnHome's and removeUser's records", async () => {
        const s = await active();
        const res = await store.closeSession(s.id, "left", "alice");
        if (!res.closed) throw new Error("not closed");
        scribble(res.ended[0] ?? {}, "state", "ACTIVE");
        const bob = await store.getUser("bob");
        expect((await store.getUser("alice"))?.state).toBe("ENDED");
        const home = await store.returnHome("alice");
        if (!home) throw new Error("not home");
        scribble(home, "state", "ENDED");
        expect((await store.getUser("alice"))?.state).toBe("IDLE");
        expect(await store.returnHome("alice")).toBeUndefined();
        const removed = await store.removeUser("bob");
        expect(removed).toEqual(bob);
      });

      it("records passed in are copied (addUser, createSession)", async () => {
        const record = { id: "alice", browserId: "browser-alice", state: "IDLE" as UserState };
        await store.addUser(record);
        record.state = "ACTIVE";
        expect((await store.getUser("alice"))?.state).toBe("IDLE");
        const a = await waiting("alice", "talk");
        const b = await waiting("bob", "listen");
        const s = session(a, b);
        await store.createSession(s, a, b);
        (s.participants as unknown as string[])[1] = "mallory";
        expect((await store.getSession(s.id))?.participants).toEqual(["alice", "bob"]);
      });
    });

    // ---- atomicity under concurrency -----------------------------------------------------------

    describe("concurrent calls (started in the same tick)", () => {
      it("two createSession for one candidate: exactly one wins", async () => {
        const a = await waiting("alice", "talk");
        const b = await waiting("bob", "listen");
        const c = await waiting("carol", "listen");
        const [r1, r2] = await Promise.all([
          store.createSession(session(a, b), a, b),
          store.createSession(session(a, c), a, c),
        ]);
        expect([r1.ok, r2.ok].filter(Boolean)).toHaveLength(1);
        const alice = await store.getUser("alice");
        const winner = r1.ok ? "bob" : "carol";
        const loser = r1.ok ? "carol" : "bob";
        expect(alice?.partnerId).toBe(winner);
        expect((await store.getUser(loser))?.state).toBe("WAITING");
      });

      it("enqueue and removeUser: the user is gone and not in the queue", async () => {
        await user("alice");
        await Promise.all([
          store.enqueue({
            userId: "alice",
            from: JOIN_SOURCES,
            space: "menti",
            intent: "talk",
            since: T0,
            buckets: [bucket("menti", "talk")],
          }),
          store.removeUser("alice"),
        ]);
        expect(await store.getUser("alice")).toBeUndefined();
        expect(await peekAll()).toEqual([]);
      });

      it("two closes of one session: exactly one closes it", async () => {
        const s = await active();
        const results = await Promise.all([
          store.closeSession(s.id, "left", "alice"),
          store.closeSession(s.id, "left", "bob"),
        ]);
        expect(results.filter((r) => r.closed)).toHaveLength(1);
      });

      it("two tabs enqueue at once: exactly one waits", async () => {
        await user("tab1", "browser-x");
        await user("tab2", "browser-x");
        const req = {
          from: JOIN_SOURCES,
          space: "menti" as const,
          intent: "talk" as const,
          since: T0,
          buckets: [bucket("menti", "talk")],
        };
        const results = await Promise.all([
          store.enqueue({ ...req, userId: "tab1" }),
          store.enqueue({ ...req, userId: "tab2" }),
        ]);
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(await peekAll()).toHaveLength(1);
      });
    });
  });
}
