/**
 * MemoryStore and RedisStore, side by side: the same random sequences of store operations (fast-
 * check), run on both, must give the same results — records, versions, sequence numbers, stale
 * lists — and the same census after every step. Half of the steps run as concurrent batches
 * (started in one tick, awaited together): MemoryStore runs them in call order, and one Redis
 * connection runs the scripts in the order they were sent, so the answers must still match.
 *
 * Operations reuse what earlier ones returned (entries seen, sessions created), including stale
 * ones, so conditional paths (an old seq, a closed session, a foreign user) are taken often.
 */
import {
  type CloseOptions,
  type CreateSessionResult,
  type EnqueueManyResult,
  type EnqueueRequest,
  type EnqueueResult,
  MemoryStore,
  type QueueEntry,
  type SessionCommit,
  type SessionRecord,
  type Store,
  TIERS,
  type UserRecord,
} from "@duet/engine";
import { CLOSE_REASONS, INTENTS, SPACE_IDS, type UserState } from "@duet/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RedisStore } from "../src";
import { useTestRedis } from "./support/redis";
import { canonical, VersionOffset } from "./support/tee-store";

const T0 = 1_700_000_000_000;
const USERS = ["u0", "u1", "u2", "u3", "u4", "u5"] as const;
const BUCKETS = ["menti:talk", "menti:listen", "menti:both", "stimchat", "stimchat:cats", "x"];
const TOPICS = ["cats", "music", "exams"];
const STATES: readonly UserState[] = ["IDLE", "WAITING", "MATCHED", "ACTIVE", "ENDED"];

type EnqueueOp = {
  op: "enqueue";
  u: number;
  from: UserState[];
  space: number;
  intent: number | null;
  buckets: string[];
  topics: string[];
  onlyMine: boolean;
  tier: number | null;
  blocked: string[];
  at: number;
};
type CreateOp = { op: "createSession"; a: number; b: number; fresh: boolean; enterIn: number };

type Op =
  | { op: "addUser"; u: number; browser: number; person: number | null; node: number }
  | EnqueueOp
  | { op: "enqueueMany"; requests: EnqueueOp[]; buckets: string[]; per: number }
  | { op: "createSessions"; commits: CreateOp[] }
  | { op: "openSearch"; u: number; seqPick: number; bucket: string }
  | { op: "leaveQueue"; u: number; seqPick: number | null }
  | { op: "peek"; buckets: string[]; per: number }
  | CreateOp
  | { op: "enterSession"; s: number; u: number; at: number; earlier: number | null }
  | { op: "requestMedia"; s: number; u: number }
  | {
      op: "closeSession";
      s: number;
      reason: number;
      by: number | null;
      ifStatus: "PENDING" | "ACTIVE" | null;
      after: "none" | "cooldown" | "block";
    }
  | { op: "returnHome"; u: number }
  | { op: "removeUser"; u: number }
  | { op: "getUser"; u: number }
  | { op: "getSession"; s: number };

const idx = (n: number) => fc.nat({ max: n - 1 });
/** An index into what was seen, counted from the newest: mostly recent, sometimes old. */
const recent = fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 2 }) }, fc.nat({ max: 20 }));
const someOf = <T>(xs: readonly T[], max = xs.length) =>
  fc.uniqueArray(fc.constantFrom(...xs), { maxLength: max });

const addUserArb = (u: number) =>
  fc.record({
    op: fc.constant("addUser" as const),
    u: fc.constant(u),
    browser: idx(5),
    person: fc.option(idx(4), { freq: 3 }),
    node: idx(2),
  });

const enqueueArb: fc.Arbitrary<EnqueueOp> = fc.record({
  op: fc.constant("enqueue" as const),
  u: idx(USERS.length),
  from: fc.oneof(
    { weight: 6, arbitrary: fc.constant<UserState[]>(["IDLE", "ENDED"]) },
    fc.constant<UserState[]>(["WAITING"]),
    someOf(STATES),
  ),
  space: idx(SPACE_IDS.length),
  intent: fc.option(idx(INTENTS.length)),
  buckets: fc.uniqueArray(fc.constantFrom(...BUCKETS), { minLength: 1, maxLength: 3 }),
  topics: someOf(TOPICS),
  onlyMine: fc.boolean(),
  tier: fc.option(idx(TIERS.length)),
  blocked: someOf(["p0", "p1", "b2"], 2),
  at: fc.nat({ max: 60_000 }),
});

const createArb: fc.Arbitrary<CreateOp> = fc.record({
  op: fc.constant("createSession" as const),
  a: recent,
  b: recent,
  fresh: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, fc.constant(false)),
  enterIn: fc.nat({ max: 20_000 }),
});

const opArb: fc.Arbitrary<Op> = fc.oneof(
  idx(USERS.length).chain(addUserArb),
  { weight: 8, arbitrary: enqueueArb },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("enqueueMany" as const),
      requests: fc.array(enqueueArb, { maxLength: 3 }),
      buckets: someOf(BUCKETS),
      per: fc.nat({ max: 4 }),
    }),
  },
  fc.record({
    op: fc.constant("openSearch" as const),
    u: idx(USERS.length),
    seqPick: fc.nat({ max: 5 }),
    bucket: fc.constantFrom(...BUCKETS),
  }),
  fc.record({
    op: fc.constant("leaveQueue" as const),
    u: idx(USERS.length),
    seqPick: fc.option(fc.nat({ max: 5 })),
  }),
  fc.record({
    op: fc.constant("peek" as const),
    buckets: someOf(BUCKETS),
    per: fc.nat({ max: 4 }),
  }),
  { weight: 6, arbitrary: createArb },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("createSessions" as const),
      commits: fc.array(createArb, { maxLength: 3 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("enterSession" as const),
      s: recent,
      u: idx(USERS.length),
      at: fc.nat({ max: 60_000 }),
      // Now and then with `earlier` (the engine's same-node first enter): any member, the caller
      // itself included.
      earlier: fc.option(idx(USERS.length), { freq: 3 }),
    }),
  },
  fc.record({
    op: fc.constant("requestMedia" as const),
    s: recent,
    u: idx(USERS.length),
  }),
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("closeSession" as const),
      s: recent,
      reason: idx(CLOSE_REASONS.length),
      by: fc.option(idx(USERS.length)),
      ifStatus: fc.constantFrom("PENDING" as const, "ACTIVE" as const, null),
      after: fc.constantFrom("none" as const, "cooldown" as const, "block" as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("returnHome" as const), u: idx(USERS.length) }),
  },
  fc.record({ op: fc.constant("removeUser" as const), u: idx(USERS.length) }),
  fc.record({ op: fc.constant("getUser" as const), u: idx(USERS.length) }),
  fc.record({ op: fc.constant("getSession" as const), s: fc.nat({ max: 6 }) }),
);

/** What the operations pick from: filled from MemoryStore's answers (checked equal to Redis's). */
interface Seen {
  entries: QueueEntry[];
  sessions: SessionRecord[];
  sessionCount: number;
  /**
   * MemoryStore's records before the current batch: most picks are of what is live now (two
   * entries waiting, an open session and one of its participants), the rest of older answers.
   */
  world: ReturnType<MemoryStore["inspect"]>;
}

const pick = <T>(xs: readonly T[], i: number): T | undefined =>
  xs.length === 0 ? undefined : xs[xs.length - 1 - (i % xs.length)];

/** The EnqueueRequest an `enqueue` operation stands for. */
function enqueueRequest(op: EnqueueOp): EnqueueRequest {
  return {
    userId: USERS[op.u] as string,
    from: op.from,
    space: SPACE_IDS[op.space] ?? "menti",
    ...(op.intent !== null ? { intent: INTENTS[op.intent] } : {}),
    since: T0 + op.at,
    buckets: op.buckets,
    ...(op.topics.length > 0 ? { topics: op.topics } : {}),
    ...(op.onlyMine ? { onlyMine: true } : {}),
    ...(op.tier !== null ? { tier: TIERS[op.tier] } : {}),
    ...(op.blocked.length > 0 ? { blocked: op.blocked } : {}),
  };
}

/**
 * The commit a `createSession` operation stands for, or undefined before any entry was seen.
 * Fresh: two of the entries waiting now (the same one twice now and then); else any two seen
 * before, mostly stale by now. `id` names a new session (a stale pick reuses an old one's id).
 */
function commitOf(op: CreateOp, seen: Seen, id: string): SessionCommit | undefined {
  const waitingNow = [...new Map(seen.world.queued.map((e) => [e.userId, e])).values()];
  const from = op.fresh && waitingNow.length > 0 ? waitingNow : seen.entries;
  const a = pick(from, op.a);
  // b: another entry than a's unless the picks are equal (the "same user twice" case).
  const b =
    op.a === op.b
      ? a
      : (pick(
          from.filter((e) => e !== a),
          op.b,
        ) ?? a);
  if (!a || !b) return undefined;
  const reused = op.fresh ? undefined : pick(seen.sessions, op.a);
  const session: SessionRecord = {
    id: reused?.id ?? id,
    space: a.space,
    participants: [a.userId, b.userId],
    browsers: [a.browserId, b.browserId],
    ...(a.person !== undefined && b.person !== undefined
      ? { persons: [a.person, b.person] as const }
      : {}),
    status: "PENDING",
    entered: [],
    createdAt: T0,
    enterBy: T0 + op.enterIn,
  };
  return { session, a, b };
}

/** Runs one operation on a store. `seen` is read only: `learn` adds to it afterwards. */
function apply(store: Store, op: Op, seen: Seen, seqOf: (u: string) => number[]): Promise<unknown> {
  const uid = (i: number) => USERS[i] as string;
  const live = seen.world.sessions;
  const liveSession = (i: number) => (i % 4 !== 3 ? pick(live, i) : undefined);
  const session = (i: number) =>
    liveSession(i)?.id ?? pick(seen.sessions, i)?.id ?? "no-such-session";
  /** Mostly a participant of the session picked by `s`; otherwise anyone. */
  const member = (s: number, u: number) =>
    (u < 4 ? liveSession(s)?.participants[u % 2] : undefined) ?? uid(u);
  /** A seq of the user's: its current search for pick 0–2, an older answer's otherwise. */
  const seqFor = (u: string, i: number) =>
    (i < 3 ? seen.world.users.find((r) => r.id === u)?.entry?.seq : undefined) ??
    pick(seqOf(u), i) ??
    0;
  switch (op.op) {
    case "addUser": {
      const record: UserRecord = {
        id: uid(op.u),
        browserId: `b${op.browser}`,
        ...(op.person !== null ? { person: `p${op.person}` } : {}),
        node: `n${op.node}`,
        state: "IDLE",
      };
      return store.addUser(record);
    }
    case "enqueue":
      return store.enqueue(enqueueRequest(op));
    case "enqueueMany":
      return store.enqueueMany(op.requests.map(enqueueRequest), op.buckets, op.per);
    case "openSearch":
      return store.openSearch(uid(op.u), seqFor(uid(op.u), op.seqPick), op.bucket);
    case "leaveQueue":
      return store.leaveQueue(
        uid(op.u),
        op.seqPick === null ? undefined : seqFor(uid(op.u), op.seqPick),
      );
    case "peek":
      return store.peek(op.buckets, op.per);
    case "createSession": {
      const c = commitOf(op, seen, `s${seen.sessionCount}`);
      return c ? store.createSession(c.session, c.a, c.b) : Promise.resolve("no entries yet");
    }
    case "createSessions": {
      // Each commit picks from what was seen before this call (not from the commits before it).
      const commits = op.commits.flatMap(
        (c, i) => commitOf(c, seen, `s${seen.sessionCount}_${i}`) ?? [],
      );
      return store.createSessions(commits);
    }
    case "enterSession":
      return store.enterSession(
        session(op.s),
        member(op.s, op.u),
        T0 + op.at,
        op.earlier === null ? undefined : member(op.s, op.earlier),
      );
    case "requestMedia":
      return store.requestMedia(session(op.s), member(op.s, op.u));
    case "closeSession": {
      const options: CloseOptions = {
        ...(op.ifStatus ? { ifStatus: op.ifStatus } : {}),
        ...(op.after === "cooldown" ? { cooldownUntil: T0 + 30_000 } : {}),
        ...(op.after === "block" ? { blockEachOther: true } : {}),
      };
      const reason = CLOSE_REASONS[op.reason] ?? "left";
      const by = op.by === null ? null : member(op.s, op.by);
      return store.closeSession(session(op.s), reason, by, options);
    }
    case "returnHome":
      return store.returnHome(uid(op.u));
    case "removeUser":
      return store.removeUser(uid(op.u));
    case "getUser":
      return store.getUser(uid(op.u));
    case "getSession":
      return store.getSession(session(op.s));
  }
}

/** Adds what an answer carries (entries, sessions) to what later operations pick from. */
function learn(op: Op, result: unknown, seen: Seen): void {
  const r = result as Record<string, unknown> | undefined;
  const enqueued = (res: EnqueueResult) => {
    if (res.ok) seen.entries.push(res.entry);
  };
  const read = (heads: readonly QueueEntry[][]) => {
    for (const e of heads.flat()) seen.entries.push(e);
  };
  const committed = (res: CreateSessionResult) => {
    const u = res.ok ? res.users[0] : undefined;
    if (u?.sessionId) seen.sessions.push({ id: u.sessionId } as SessionRecord);
  };
  if (op.op === "enqueue" && r?.ok) enqueued(result as EnqueueResult);
  if (op.op === "peek") read(result as QueueEntry[][]);
  if (op.op === "enqueueMany") {
    const many = result as EnqueueManyResult;
    many.results.forEach(enqueued);
    read(many.heads);
  }
  if (op.op === "createSession") {
    seen.sessionCount += 1;
    if (typeof result === "object") committed(result as CreateSessionResult);
  }
  if (op.op === "createSessions") {
    seen.sessionCount += 1;
    (result as CreateSessionResult[]).forEach(committed);
  }
}

/**
 * JSON's view of a value: what both stores must agree on (no undefined-vs-absent noise, versions
 * counted from the same start: see support/tee-store.ts).
 */
const plain = (v: unknown, offset = 0): unknown => JSON.parse(canonical(v, offset));

const testRedis = useTestRedis();
let runs = 0;

describe("differential: MemoryStore and RedisStore give the same answers", () => {
  it("random sequences, one operation at a time and in concurrent batches", async () => {
    await fc.assert(
      fc.asyncProperty(
        // Every run starts with all six users connected (browsers and persons shared at random,
        // so "another tab waits" and cooldowns between persons come up).
        fc.tuple(...USERS.map((_, u) => addUserArb(u))),
        fc.array(fc.array(opArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 40 }),
        async (prelude, rest) => {
          const batches: Op[][] = [prelude, ...rest];
          runs += 1;
          const memory = new MemoryStore();
          const red = new RedisStore(testRedis.redis, { prefix: `diff-${runs}` });
          if (runs === 1) await red.loadScripts();
          const seen: Seen = {
            entries: [],
            sessions: [],
            sessionCount: 0,
            world: memory.inspect(),
          };
          const versions = new VersionOffset();
          const seqOf = (u: string) => seen.entries.filter((e) => e.userId === u).map((e) => e.seq);
          for (const batch of batches) {
            seen.world = memory.inspect();
            // Both stores get the batch started in one tick; MemoryStore's answers decide `seen`.
            const [mine, theirs] = await Promise.all([
              Promise.all(batch.map((op) => apply(memory, op, seen, seqOf))),
              Promise.all(batch.map((op) => apply(red, op, seen, seqOf))),
            ]);
            for (let i = 0; i < batch.length; i++) {
              const offset = versions.of(mine[i], theirs[i]);
              expect(plain(theirs[i], offset), JSON.stringify(batch[i])).toEqual(plain(mine[i]));
              learn(batch[i] as Op, mine[i], seen);
            }
            expect(await red.census()).toEqual(await memory.census());
          }
          // Nothing of a removed user is left behind: remove everyone, then the census is empty.
          for (const u of USERS) {
            const [r, m] = [await red.removeUser(u), await memory.removeUser(u)];
            expect(plain(r, versions.of(m, r))).toEqual(plain(m));
          }
          expect(await red.census()).toEqual({});
          const left = [
            ...(await testRedis.redis.keys(`{diff-${runs}}:[ueb]:*`)),
            ...(await testRedis.redis.keys(`{diff-${runs}}:ub:*`)),
            ...(await testRedis.redis.keys(`{diff-${runs}}:n:*`)),
          ];
          expect(left).toEqual([]);
        },
      ),
      { numRuns: Number(process.env.DIFF_RUNS ?? 1000) },
    );
  });
});
