/**
 * Match rounds (cluster mode: match-rounds.ts and the engine's rounds): the bookkeeping on its
 * own; then the engine with rounds under random interleavings of every store call — nobody is
 * matched twice and no two compatible people are left waiting side by side, in menti (intents)
 * and stimchat (topics: several groups per search, an open fallback, tiers); and over a store
 * that answers in the order it was asked (as one Redis connection does), a burst in which a node
 * never races itself; rounds that overlap by their commits (the next one reads while the last
 * one's commits are unanswered) without choosing anyone twice or leaving anyone behind.
 */
import type { Intent } from "@duet/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compatible,
  Engine,
  MatchRounds,
  MENTI,
  type RoundRequest,
  type SearchRequest,
  type SpacePolicy,
  STIMCHAT,
  STIMCHAT_TOPICS,
  type Store,
} from "../src";
import { storeVia, World } from "./helpers";

const request = (userId: string): RoundRequest => ({
  userId,
  seq: 1,
  tries: 0,
  settle: () => {},
  fail: () => {},
});

describe("MatchRounds", () => {
  it("starts one round per space, gathers what comes meanwhile, and stops when nothing is left", () => {
    const r = new MatchRounds();
    expect(r.add("menti", request("a"))).toBe(true); // start a round
    expect(r.add("menti", request("b"))).toBe(false); // one runs: wait for it
    expect(r.add("stimchat", request("c"))).toBe(true); // another space: its own round
    expect(r.size()).toEqual({ queued: 3, running: 2, held: 0 });
    expect(r.take("menti").map((q) => q.userId)).toEqual(["a", "b"]);
    expect(r.add("menti", request("d"))).toBe(false); // came during the round
    expect(r.finish("menti")).toBe(false); // so another round
    expect(r.take("menti").map((q) => q.userId)).toEqual(["d"]);
    expect(r.finish("menti")).toBe(true);
    expect(r.add("menti", request("e"))).toBe(true); // the next one starts afresh
    expect(r.take("stimchat").map((q) => q.userId)).toEqual(["c"]);
    expect(r.finish("stimchat")).toBe(true);
    expect(r.size()).toEqual({ queued: 1, running: 1, held: 0 });
  });

  it("holds people of an unanswered commit, parks requests behind them, gives them back once", () => {
    const r = new MatchRounds();
    expect(r.isHeld("menti", "a")).toBe(false);
    expect(() => r.park("menti", "a", request("x"))).toThrow(/not held/); // never lost silently
    r.hold("menti", "a");
    r.hold("menti", "b");
    expect(r.isHeld("menti", "a")).toBe(true);
    expect(r.isHeld("stimchat", "a")).toBe(false); // per space
    r.park("menti", "a", request("a")); // a's own retry
    r.park("menti", "a", request("c")); // someone who wanted a
    expect(r.size()).toEqual({ queued: 2, running: 0, held: 2 });
    expect(r.release("menti", "a").map((q) => q.userId)).toEqual(["a", "c"]);
    expect(r.release("menti", "a")).toEqual([]); // once
    expect(r.isHeld("menti", "a")).toBe(false);
    expect(r.release("menti", "b")).toEqual([]);
    expect(r.size()).toEqual({ queued: 0, running: 0, held: 0 }); // nothing kept
  });

  it("drops queued requests for searches a round matched, and only those very searches", () => {
    const r = new MatchRounds();
    r.add("menti", request("a"));
    r.add("menti", { ...request("b"), seq: 2 });
    r.add("menti", request("c"));
    const dropped = r.drop(
      "menti",
      new Map([
        ["a", 1],
        ["b", 1],
      ]),
    );
    expect(dropped.map((q) => q.userId)).toEqual(["a"]); // b waits as search 2, not 1
    expect(r.take("menti").map((q) => q.userId)).toEqual(["b", "c"]);
    expect(r.drop("stimchat", new Map([["a", 1]]))).toEqual([]);
  });
});

type Commits = { ok: number; stale: number };
/** Counts the commits a store call answered: one (createSession) or a round's (createSessions). */
const countCommit = (commits: Commits, name: string, res: unknown) => {
  if (name !== "createSession" && name !== "createSessions") return;
  for (const r of (Array.isArray(res) ? res : [res]) as { ok: boolean }[]) {
    if (r.ok) commits.ok += 1;
    else commits.stale += 1;
  }
};

/** A store call that commits pairs (a round's calls, or one attempt's). */
const isCommit = (name: string) => name === "createSession" || name === "createSessions";
/** A store call that reads the buckets (a round reads with its enqueues: enqueueMany). */
const isRead = (name: string) => name === "peek" || name === "enqueueMany";

/** What every test below checks at the end: pairs are mutual, and no compatible pair waits. */
function expectSettled(w: World, policy: SpacePolicy, ids: readonly string[], commits: Commits) {
  const users = ids.map((id) => w.user(id));
  const matched = users.filter((u) => u?.state === "MATCHED");
  expect(matched).toHaveLength(2 * commits.ok);
  for (const u of matched) {
    const partner = users.find((p) => p?.id === u?.partnerId);
    expect(partner?.partnerId).toBe(u?.id);
    expect(partner?.sessionId).toBe(u?.sessionId);
  }
  const waiting = users.filter((u) => u?.state === "WAITING");
  const now = w.clock.now();
  for (const a of waiting) {
    for (const b of waiting) {
      if (!a?.entry || !b?.entry || a === b) continue;
      expect(compatible(policy, a.entry, b.entry, now), `${a.id} and ${b.id} both wait`).toBe(
        false,
      );
    }
  }
}

describe("match rounds under random interleavings", () => {
  /** Every store call waits for fast-check's scheduler; commits are counted by their answer. */
  function scheduled(box: { s?: fc.Scheduler }, commits: Commits) {
    return (inner: Parameters<typeof storeVia>[0]): Store =>
      storeVia(inner, async (name, call) => {
        const s = box.s;
        if (s) await s.schedule(Promise.resolve(), name);
        const res = await call();
        countCommit(commits, name, res);
        return res;
      });
  }

  const menti = fc.array(
    fc
      .constantFrom<Intent>("talk", "listen", "both")
      .map((intent): SearchRequest => ({ space: "menti", intent })),
    { minLength: 2, maxLength: 14 },
  );
  const stimchat = fc.array(
    fc
      .record({
        topics: fc.subarray([...STIMCHAT_TOPICS.slice(0, 3)], { maxLength: 2 }),
        onlyMyTopics: fc.boolean(),
      })
      .map((r): SearchRequest => ({ space: "stimchat", ...r })),
    { minLength: 2, maxLength: 14 },
  );

  it("property: concurrent joins on two nodes and their deferred retries: nobody matched twice, nobody stranded", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(menti, stimchat),
        fc.scheduler(),
        fc.infiniteStream(fc.boolean()),
        async (joins, s, onSecond) => {
          const policy = joins[0]?.space === "stimchat" ? STIMCHAT : MENTI;
          const box: { s?: fc.Scheduler } = {};
          const commits = { ok: 0, stale: 0 };
          const w = new World({
            policies: [policy],
            wrap: scheduled(box, commits),
            rounds: new MatchRounds(),
          });
          // A second node: its own engine and rounds over the same store, so rounds of the two
          // race each other's commits (the retries after a lost commit are what this exercises).
          const second = new Engine({
            store: w.store,
            clock: w.clock,
            ids: w.ids,
            policies: [policy],
            rounds: new MatchRounds(),
          });
          const ids = joins.map((_, i) => `u${i}`);
          for (const id of ids) await w.connect(id);
          box.s = s;
          const sides = [...onSecond.take(ids.length)];
          await s.waitFor(
            Promise.all(
              ids.map(async (id, i) => {
                const req = joins[i] as SearchRequest;
                if (!sides[i]) return w.joinWith(id, req);
                return w.apply(await second.join(id, req));
              }),
            ),
          );
          // Deferred attempts (retry_match, 25 ms later); not the topic fallback (10 s) nor the
          // search limit: the check below is at the moment the joins settled.
          for (let round = 0; round < 20; round++) {
            const due = w.scheduler.pendingDeadlines().some((d) => d.kind === "retry_match");
            if (!due) break;
            await s.waitFor(w.scheduler.advance(50));
          }
          box.s = undefined;
          expectSettled(w, policy, ids, commits);
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe("match rounds over a store that answers in order", () => {
  /** Each call runs and answers on a later turn, in the order the calls were made (FIFO). */
  function inOrder(commits: Commits, calls: Map<string, number>) {
    return (inner: Parameters<typeof storeVia>[0]): Store =>
      storeVia(
        inner,
        (name, call) =>
          new Promise((resolve, reject) => {
            calls.set(name, (calls.get(name) ?? 0) + 1);
            setImmediate(() => {
              call().then((res) => {
                countCommit(commits, name, res);
                resolve(res);
              }, reject);
            });
          }),
      );
  }

  async function burst(
    rounds: MatchRounds | undefined,
    calls = new Map<string, number>(),
    size = 60,
  ) {
    const commits = { ok: 0, stale: 0 };
    const w = new World({
      policies: [MENTI],
      wrap: inOrder(commits, calls),
      ...(rounds ? { rounds } : {}),
    });
    const ids = Array.from({ length: size }, (_, i) => `u${i}`);
    for (const id of ids) await w.connect(id);
    await Promise.all(
      ids.map((id, i) => w.join(id, i % 3 === 0 ? "talk" : i % 3 === 1 ? "listen" : "both")),
    );
    for (let round = 0; round < 20 && w.scheduler.size > 0; round++) await w.scheduler.advance(50);
    expectSettled(w, MENTI, ids, commits);
    return commits;
  }

  it("60 joins at once: 30 pairs, and with rounds no commit lost to a sibling", async () => {
    const calls = new Map<string, number>();
    expect(await burst(new MatchRounds(), calls)).toEqual({ ok: 30, stale: 0 });
    // A round enqueues its joiners and reads in one call, and commits its pairs in one more: the
    // 60 joins took a handful of calls, not one enqueue, one read and half a commit each.
    expect(calls.get("enqueue") ?? 0).toBe(0);
    expect(calls.get("createSession") ?? 0).toBe(0);
    expect(calls.get("peek") ?? 0).toBe(0);
    expect(calls.get("enqueueMany")).toBeGreaterThan(0);
    expect(calls.get("enqueueMany")).toBeLessThanOrEqual(5);
    expect(calls.get("createSessions")).toBeGreaterThan(0);
    expect(calls.get("createSessions")).toBeLessThanOrEqual(5);
    // A round larger than one store call carries (64): sent in parts, in order, all answered.
    const big = new Map<string, number>();
    expect(await burst(new MatchRounds(), big, 300)).toEqual({ ok: 150, stale: 0 });
    expect(big.get("enqueueMany")).toBeGreaterThanOrEqual(300 / 64);
    expect(big.get("createSessions")).toBeGreaterThanOrEqual(150 / 64);
    // The same burst without rounds races itself: the test can tell the difference.
    const without = await burst(undefined);
    expect(without.ok).toBe(30);
    expect(without.stale).toBeGreaterThan(0);
  });
});

describe("one search asked twice in one round", () => {
  it("two retries of one search in the round with a newcomer: both answered, the pair made once", async () => {
    // Round 1 is held at its first read until released, so that the next round gathers u0's two
    // requests and p's join together.
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let u9Reads = -1; // counting from the retry below: its 2nd read is round 1's
    const w = new World({
      policies: [STIMCHAT],
      rounds: new MatchRounds(),
      wrap: (inner) =>
        storeVia(inner, undefined, {
          getUser: async (id) => {
            if (id === "u9" && u9Reads >= 0 && ++u9Reads === 2) await gate;
            return inner.getUser(id);
          },
        }),
    });
    for (const id of ["u0", "u9", "p"]) await w.connect(id, `browser-${id}`, `person-${id}`);
    await w.joinWith("u0", { space: "stimchat" });
    // u9 never meets u0 or p (reported both), so round 1 makes no pair.
    await w.joinWith("u9", { space: "stimchat" }, { blocked: ["person-u0", "person-p"] });
    expect(w.user("u0")?.state).toBe("WAITING");
    expect(w.user("u9")?.state).toBe("WAITING");
    const seqOf = (id: string) => w.user(id)?.entry?.seq as number;
    u9Reads = 0;
    const round1 = w.engine.onDeadline({
      kind: "retry_match",
      at: 0,
      userId: "u9",
      seq: seqOf("u9"),
    });
    await new Promise((r) => setImmediate(r));
    const retries = [1, 2].map(() =>
      w.engine.onDeadline({ kind: "retry_match", at: 0, userId: "u0", seq: seqOf("u0") }),
    );
    const join = w.engine.join("p", { space: "stimchat" });
    await new Promise((r) => setImmediate(r));
    release();
    const timeout = new Promise<"hung">((r) => setTimeout(() => r("hung"), 5_000).unref());
    const settled = await Promise.race([Promise.all([round1, ...retries, join]), timeout]);
    expect(settled).not.toBe("hung");
    const outcomes = settled as Awaited<typeof join>[];
    for (const o of outcomes) w.apply(o);
    expect(w.user("u0")?.state).toBe("MATCHED");
    expect(w.user("u0")?.partnerId).toBe("p");
    expect(w.user("u9")?.state).toBe("WAITING");
    // The pair's views came in exactly one outcome.
    const withViews = outcomes.filter((o) =>
      o.out.some((x) => x.event === "state" && x.to === "u0"),
    );
    expect(withViews).toHaveLength(1);
  });
});

describe("rounds overlap by their commits", () => {
  /**
   * A store whose commits (createSession) wait, each at its own gate, until `answer` opens the
   * gates (in the order asked, or the last commit first); the rest answers at once.
   */
  function gated() {
    const gates: (() => void)[] = [];
    let open = false;
    const commits = { ok: 0, stale: 0, waiting: 0, peeks: 0 };
    const rounds = new MatchRounds();
    const w = new World({
      policies: [MENTI],
      rounds,
      wrap: (inner) =>
        storeVia(inner, async (name, call) => {
          if (isCommit(name) && !open) {
            commits.waiting += 1;
            await new Promise<void>((r) => gates.push(r));
            commits.waiting -= 1;
          }
          if (isRead(name)) commits.peeks += 1;
          const res = await call();
          countCommit(commits, name, res);
          return res;
        }),
    });
    /** Answers the waiting commits one by one, then lets every later one through. */
    const answer = async (order: "first-first" | "last-first" = "first-first") => {
      open = true;
      const list = order === "first-first" ? gates.splice(0) : gates.splice(0).reverse();
      for (const go of list) {
        go();
        await turns();
      }
    };
    return { w, commits, rounds, answer };
  }
  const turns = async (n = 5) => {
    for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
  };

  it("the next round reads and commits while the last one's commit is unanswered", async () => {
    const { w, commits, answer } = gated();
    for (const id of ["a", "b", "c", "d"]) await w.connect(id, `browser-${id}`, `person-${id}`);
    await w.join("a", "both"); // waits: nobody else yet
    const ab = w.engine.join("b", { space: "menti", intent: "both" });
    await turns();
    expect(commits.waiting).toBe(1); // a–b sent, not answered
    // A round while a–b is held: a and b are not chosen.
    const cd = ["c", "d"].map((id) => w.engine.join(id, { space: "menti", intent: "both" }));
    await turns();
    expect(commits.waiting).toBe(2); // c–d sent before a–b was answered
    await answer();
    for (const o of await Promise.all([ab, ...cd])) w.apply(o);
    expect(commits).toMatchObject({ ok: 2, stale: 0 });
    expect(w.user("a")?.partnerId).toBe("b");
    expect(w.user("c")?.partnerId).toBe("d");
  });

  it("someone waiting behind a held commit is matched by a later joiner, and its request ends", async () => {
    const { w, commits, rounds, answer } = gated();
    for (const id of ["a", "b", "c", "d"]) await w.connect(id, `browser-${id}`, `person-${id}`);
    await w.join("a", "both");
    const ab = w.engine.join("b", { space: "menti", intent: "both" });
    await turns();
    const cJoin = w.engine.join("c", { space: "menti", intent: "both" }); // wants a: waits for a–b
    await turns();
    const dJoin = w.engine.join("d", { space: "menti", intent: "both" }); // takes c
    await turns();
    expect(commits.waiting).toBe(2);
    await answer("last-first"); // c–d's answer before a–b's, behind which c's request waits
    for (const o of await Promise.all([ab, cJoin, dJoin])) w.apply(o);
    await w.scheduler.advance(50);
    expect(w.user("c")?.partnerId).toBe("d");
    // c's own request was answered when d's commit held, not run again on a stale entry: one
    // read of the buckets per join, and no commit lost.
    expect(commits).toMatchObject({ ok: 2, stale: 0, peeks: 4 });
    expect(rounds.size()).toEqual({ queued: 0, running: 0, held: 0 }); // nothing kept
  });

  it("a search that wanted someone held meets them when that commit fails", async () => {
    const { w, commits, answer } = gated();
    for (const id of ["a", "b", "c"]) await w.connect(id, `browser-${id}`, `person-${id}`);
    await w.join("b", "both"); // b waits, with no request of its own after this
    const ab = w.engine.join("a", { space: "menti", intent: "both" }); // chooses b: commit held
    await turns();
    expect(commits.waiting).toBe(1);
    // c's round passes over b (held); only b would do for c.
    const cJoin = w.engine.join("c", { space: "menti", intent: "both" });
    await turns();
    // a leaves before its commit is answered: the commit fails, b is free again.
    w.apply(await w.cancel("a"));
    await answer();
    for (const o of await Promise.all([ab, cJoin])) w.apply(o);
    await w.scheduler.advance(50); // any deferred retry
    expect(commits.stale).toBe(1);
    expect(w.user("a")?.state).toBe("IDLE");
    expect(w.user("b")?.partnerId).toBe("c"); // not both left waiting side by side
    expect(w.user("c")?.partnerId).toBe("b");
    expectSettled(w, MENTI, ["a", "b", "c"], commits);
  });
});
