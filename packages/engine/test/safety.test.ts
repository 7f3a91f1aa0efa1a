/**
 * Safety (SPEC §6) through the engine: trust tiers as pure rules (trust.ts); tiers and blocked
 * lists in matching; reports; persons (tokens) across connections; the `closed` observation.
 *
 * The engine properties run the real Engine over a MemoryStore on a manual clock (helpers.ts
 * World), deadlines fired by the fake scheduler, and judge the engine against this file's own
 * model of the rules (`modelCompatible`), never against the matcher's `compatible`.
 */
import {
  type Avoid,
  DORMPARTY,
  MENTI,
  PEEK_PER_BUCKET,
  type QueueEntry,
  type SpacePolicy,
  STIMCHAT,
  type Store,
  TIERS,
  type Tier,
  TRUST,
  type TrustRules,
  tierOf,
  tiersCompatible,
  tiersFor,
} from "@duet/engine";
import type { Intent, SpaceId } from "@duet/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ClosedObservation, comparableView, errorOf, storeVia, World } from "./helpers";

// ---- 1. trust.ts --------------------------------------------------------------------------------

const rank = (t: Tier): number => TIERS.indexOf(t);

type TrustEvent = "gain" | "report";

/** The score after one event, clamped as the database clamps it. */
function applyTrust(score: number, e: TrustEvent, rules: TrustRules = TRUST): number {
  const next = e === "gain" ? score + rules.longChatGain : score - rules.reportPenalty;
  return Math.min(rules.max, Math.max(rules.min, next));
}

/** Trust rules of any shape the module allows: restricted strictly below trusted. */
const rulesArb: fc.Arbitrary<TrustRules> = fc
  .record({
    restrictedAtOrBelow: fc.integer({ min: -100, max: 100 }),
    width: fc.integer({ min: 1, max: 100 }),
    longChatGain: fc.integer({ min: 1, max: 10 }),
    reportPenalty: fc.integer({ min: 1, max: 50 }),
  })
  .map(({ restrictedAtOrBelow, width, longChatGain, reportPenalty }) => ({
    restrictedAtOrBelow,
    trustedFrom: restrictedAtOrBelow + width,
    longChatGain,
    reportPenalty,
    min: restrictedAtOrBelow - 50,
    max: restrictedAtOrBelow + width + 50,
  }));

const scoreArb = fc.oneof(
  fc.integer({ min: -200, max: 200 }),
  fc.double({ min: -200, max: 200, noNaN: true }),
);
const tierArb = fc.constantFrom<Tier>(...TIERS);

describe("trust tiers (trust.ts)", () => {
  it("tierOf at the default boundaries", () => {
    expect(tierOf(TRUST.min)).toBe("restricted");
    expect(tierOf(-16)).toBe("restricted");
    expect(tierOf(-15)).toBe("restricted");
    expect(tierOf(-14.999)).toBe("new");
    expect(tierOf(-14)).toBe("new");
    expect(tierOf(0)).toBe("new");
    expect(tierOf(4)).toBe("new");
    expect(tierOf(4.999)).toBe("new");
    expect(tierOf(5)).toBe("trusted");
    expect(tierOf(TRUST.max)).toBe("trusted");
    // The defaults describe a sane ladder: new tokens (0) start neutral, inside the bounds.
    expect(TRUST.min).toBeLessThanOrEqual(TRUST.restrictedAtOrBelow);
    expect(TRUST.restrictedAtOrBelow).toBeLessThan(0);
    expect(TRUST.trustedFrom).toBeGreaterThan(0);
    expect(TRUST.trustedFrom).toBeLessThanOrEqual(TRUST.max);
  });

  it("tierOf honours rules passed to it", () => {
    const rules: TrustRules = { ...TRUST, restrictedAtOrBelow: -1, trustedFrom: 1 };
    expect([-1, 0, 1].map((s) => tierOf(s, rules))).toEqual(["restricted", "new", "trusted"]);
  });

  it("the documented ladder: reports, recovery and the cap (the comment in trust.ts)", () => {
    const run = (from: number, events: TrustEvent[]) =>
      events.reduce((s, e) => applyTrust(s, e), from);
    expect(run(0, ["report"])).toBe(-10);
    expect(tierOf(run(0, ["report"]))).toBe("new");
    expect(run(0, ["report", "report"])).toBe(-20);
    expect(tierOf(-20)).toBe("restricted");
    // Six long conversations bring -20 back to "new"; five are not enough.
    expect(tierOf(run(-20, Array(5).fill("gain")))).toBe("restricted");
    expect(tierOf(run(-20, Array(6).fill("gain")))).toBe("new");
    // Five long conversations make a new token trusted; four do not.
    expect(tierOf(run(0, Array(4).fill("gain")))).toBe("new");
    expect(tierOf(run(0, Array(5).fill("gain")))).toBe("trusted");
    expect(run(0, Array(100).fill("gain"))).toBe(TRUST.max);
    expect(run(0, Array(100).fill("report"))).toBe(TRUST.min);
  });

  it("property: tierOf is monotonic in the score (default and arbitrary rules)", () => {
    fc.assert(
      fc.property(scoreArb, scoreArb, fc.option(rulesArb, { nil: undefined }), (x, y, rules) => {
        const [lo, hi] = x <= y ? [x, y] : [y, x];
        expect(rank(tierOf(lo, rules))).toBeLessThanOrEqual(rank(tierOf(hi, rules)));
      }),
      { numRuns: 2_000 },
    );
  });

  it("property: tiersFor(t) starts with t and lists exactly the tiers compatible with t, once", () => {
    fc.assert(
      fc.property(tierArb, (t) => {
        const list = tiersFor(t);
        expect(list[0]).toBe(t);
        expect(new Set(list).size).toBe(list.length);
        expect([...list].sort()).toEqual(TIERS.filter((u) => tiersCompatible(t, u)).sort());
      }),
    );
  });

  it("property: tiersCompatible is symmetric; restricted only with restricted; others together", () => {
    fc.assert(
      fc.property(tierArb, tierArb, (a, b) => {
        expect(tiersCompatible(a, b)).toBe(tiersCompatible(b, a));
        if (a === "restricted" || b === "restricted") {
          expect(tiersCompatible(a, b)).toBe(a === b);
        } else {
          expect(tiersCompatible(a, b)).toBe(true);
        }
      }),
    );
  });

  it("property: the story of a token from 0 (clamped gains and reports)", () => {
    const events = fc.array(
      fc.oneof(
        { weight: 2, arbitrary: fc.constant<TrustEvent>("gain") },
        { weight: 1, arbitrary: fc.constant<TrustEvent>("report") },
      ),
      { maxLength: 80 },
    );
    fc.assert(
      fc.property(events, (evs) => {
        let score = 0;
        let gains = 0;
        let reports = 0;
        const history: number[] = [0];
        for (const e of evs) {
          score = applyTrust(score, e);
          history.push(score);
          if (e === "gain") gains++;
          else reports++;
          expect(score).toBeGreaterThanOrEqual(TRUST.min);
          expect(score).toBeLessThanOrEqual(TRUST.max);
          // From 0 with no gain yet: one report alone is not restricted; a second one is.
          if (gains === 0) {
            expect(tierOf(score)).toBe(reports >= 2 ? "restricted" : "new");
          }
          // With no report yet, nothing is restricted.
          if (reports === 0) expect(tierOf(score)).not.toBe("restricted");
        }
        for (let i = 2; i < history.length; i++) {
          const [before, e1, e2] = [history[i - 2] ?? 0, evs[i - 2], evs[i - 1]];
          // Two reports in a row restrict any token that banked at most 5 (the trusted line).
          if (e1 === "report" && e2 === "report" && before < TRUST.trustedFrom + 1) {
            expect(tierOf(history[i] ?? 0)).toBe("restricted");
          }
          // One report never restricts a token that was at 0 or above.
          if (e2 === "report" && (history[i - 1] ?? 0) >= 0) {
            expect(tierOf(history[i] ?? 0)).not.toBe("restricted");
          }
        }
        // Trust cannot be banked against many reports: four in a row restrict anyone.
        const after4 = ["report", "report", "report", "report"].reduce(
          (s, e) => applyTrust(s, e as TrustEvent),
          score,
        );
        expect(tierOf(after4)).toBe("restricted");
      }),
      { numRuns: 1_000 },
    );
  });
});

// ---- shared: a model of who may meet whom --------------------------------------------------------

/** One person of a random population: its connection, token, tier, search and blocked persons. */
interface Person {
  readonly id: string;
  readonly browserId: string;
  readonly person: string;
  readonly tier: Tier;
  readonly topics: readonly string[];
  readonly only: boolean;
  /** Persons (token ids) this one must never meet, as the gateway passes them (one-sided). */
  readonly blocked: readonly string[];
}

/** A waiting user as the model sees it. */
interface Seeker {
  readonly userId: string;
  readonly browserId: string;
  readonly person: string;
  readonly tier: Tier;
  readonly topics: readonly string[];
  readonly onlyMine: boolean;
  readonly since: number;
  readonly avoid: readonly Avoid[];
  readonly blocked: readonly string[];
}

const avoidsAt = (a: Seeker, b: Seeker, now: number): boolean =>
  a.avoid.some((x) => x.person === b.person && (x.until === null || x.until > now));

/**
 * SPEC §4/§6 written out independently of the matcher: never oneself or one's own browser; in
 * spaces with tiers restricted only with restricted; in spaces with "never with reported" not
 * when either blocked the other; not inside a cooldown or after a report (the store's avoids);
 * in topic spaces a shared tag, or both accepting anyone by now.
 */
function modelCompatible(policy: SpacePolicy, a: Seeker, b: Seeker, now: number): boolean {
  if (a.userId === b.userId || a.browserId === b.browserId) return false;
  if (policy.pairing.trustTiers && (a.tier === "restricted") !== (b.tier === "restricted")) {
    return false;
  }
  if (
    policy.pairing.neverWithReported &&
    (a.blocked.includes(b.person) || b.blocked.includes(a.person))
  ) {
    return false;
  }
  if (avoidsAt(a, b, now) || avoidsAt(b, a, now)) return false;
  const topics = policy.pairing.topics;
  if (!topics) return true;
  const open = (x: Seeker) =>
    x.topics.length === 0 || (!x.onlyMine && now - x.since >= topics.preferSameForMs);
  return a.topics.some((t) => b.topics.includes(t)) || (open(a) && open(b));
}

/** The distinct waiting entries (an entry may sit in several buckets). */
function waitingEntries(w: World): QueueEntry[] {
  const seen = new Map<string, QueueEntry>();
  for (const e of w.memory.inspect().queued) seen.set(e.userId, e);
  return [...seen.values()];
}

type PopCmd =
  | { k: "join"; i: number }
  | { k: "advance"; ms: number }
  | { k: "enter"; i: number }
  | { k: "exit"; i: number };

/**
 * At most this many people: then every bucket holds at most PEEK_PER_BUCKET entries and a match
 * attempt sees all of them (the matcher's documented limit — a compatible entry behind more than
 * PEEK_PER_BUCKET incompatible heads is found later, not at once — stays out of these checks).
 */
const MAX_PEOPLE = PEEK_PER_BUCKET;

function populationArb(
  policy: SpacePolicy,
  opts: { tiers: boolean; blocked: boolean },
): fc.Arbitrary<Person[]> {
  const topicList = policy.pairing.topics?.list.slice(0, 3) ?? [];
  const topics =
    topicList.length > 0
      ? fc.oneof(
          { weight: 2, arbitrary: fc.constant<string[]>([]) },
          { weight: 3, arbitrary: fc.subarray([...topicList], { minLength: 1 }) },
        )
      : fc.constant<string[]>([]);
  return fc
    .array(
      fc.record({
        tier: opts.tiers ? tierArb : fc.constantFrom<Tier>("new", "trusted"),
        topics,
        only: fc.boolean(),
        blocks: opts.blocked
          ? fc.uniqueArray(fc.nat({ max: MAX_PEOPLE - 1 }), { maxLength: 3 })
          : fc.constant<number[]>([]),
      }),
      { minLength: 2, maxLength: MAX_PEOPLE },
    )
    .map((rows) =>
      rows.map((r, i) => ({
        id: `u${i}`,
        browserId: `browser-u${i}`,
        person: `tok-u${i}`,
        tier: r.tier,
        topics: r.topics,
        only: r.only,
        blocked: r.blocks.filter((j) => j !== i && j < rows.length).map((j) => `tok-u${j}`),
      })),
    );
}

const popCmdArb: fc.Arbitrary<PopCmd> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ k: fc.constant("join" as const), i: fc.nat({ max: MAX_PEOPLE - 1 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant("advance" as const),
      ms: fc.oneof(
        fc.integer({ min: 0, max: 3_000 }),
        fc.integer({ min: 9_000, max: 11_000 }),
        fc.integer({ min: 15_000, max: 31_000 }),
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant("enter" as const), i: fc.nat({ max: MAX_PEOPLE - 1 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant("exit" as const), i: fc.nat({ max: MAX_PEOPLE - 1 }) }),
  },
);

/**
 * Runs a population's commands against the engine, checking after each: no open session pairs
 * restricted with non-restricted or two people who blocked one another (either way); no two
 * waiting people the model finds compatible (nobody is kept apart without a reason); and, for
 * every join that paired across tiers, that no waiting person of the joiner's own tier could
 * have been its partner at that moment (tiers together where possible). Returns, for coverage,
 * how often a join paired within / across tiers, and how often two waiting people were kept
 * apart by a block alone.
 */
async function runPopulation(
  policy: SpacePolicy,
  people: readonly Person[],
  cmds: readonly PopCmd[],
): Promise<{ sameTier: number; crossTier: number; matched: number; keptApart: number }> {
  const w = new World({ policies: [policy] });
  const byId = new Map(people.map((p) => [p.id, p]));
  const stats = { sameTier: 0, crossTier: 0, matched: 0, keptApart: 0 };
  for (const p of people) await w.connect(p.id, p.browserId, p.person);
  const who = (id: string | undefined): Person => {
    const p = id === undefined ? undefined : byId.get(id);
    if (!p) throw new Error(`unknown user ${id}`);
    return p;
  };
  const seekerOf = (e: QueueEntry): Seeker => {
    const p = who(e.userId);
    return {
      userId: e.userId,
      browserId: e.browserId,
      person: p.person,
      tier: p.tier,
      topics: e.topics ?? [],
      onlyMine: e.onlyMine ?? false,
      since: e.since,
      avoid: e.avoid ?? [],
      blocked: p.blocked,
    };
  };
  const trace: string[] = [];
  const fail = (msg: string): never => {
    throw new Error(`${msg}\n  people: ${JSON.stringify(people)}\n  steps: ${trace.join(" ")}`);
  };

  for (const cmd of cmds) {
    trace.push(JSON.stringify(cmd));
    const now = w.clock.now();
    switch (cmd.k) {
      case "advance":
        await w.advance(cmd.ms);
        break;
      case "enter": {
        const p = people[cmd.i % people.length];
        const sessionId = p ? w.user(p.id)?.sessionId : undefined;
        if (p && sessionId) await w.enter(p.id, sessionId);
        break;
      }
      case "exit": {
        const p = people[cmd.i % people.length];
        if (p) await w.exit(p.id);
        break;
      }
      case "join": {
        const p = people[cmd.i % people.length];
        if (!p) break;
        const before = w.user(p.id);
        const waiting = waitingEntries(w);
        const openBefore = new Set(w.memory.inspect().sessions.map((s) => s.id));
        const res = await w.joinWith(
          p.id,
          {
            space: policy.id,
            ...(p.topics.length > 0 ? { topics: p.topics } : {}),
            ...(p.only ? { onlyMyTopics: true } : {}),
          },
          { tier: p.tier, blocked: p.blocked },
        );
        const after = w.user(p.id);
        if (
          !res.ok ||
          after?.state !== "MATCHED" ||
          !after.sessionId ||
          openBefore.has(after.sessionId)
        ) {
          break;
        }
        stats.matched++;
        const partner = who(after.partnerId);
        if (partner.tier === p.tier) {
          stats.sameTier++;
          break;
        }
        stats.crossTier++;
        const me: Seeker = {
          userId: p.id,
          browserId: p.browserId,
          person: p.person,
          tier: p.tier,
          topics: [...new Set(p.topics)],
          onlyMine: p.topics.length > 0 && p.only,
          since: now,
          avoid: before?.avoid ?? [],
          blocked: p.blocked,
        };
        const ownTier = waiting
          .map(seekerOf)
          .filter((s) => s.tier === p.tier && modelCompatible(policy, me, s, now));
        if (ownTier.length > 0) {
          fail(
            `${p.id} (${p.tier}) was paired with ${partner.id} (${partner.tier}) while ${ownTier
              .map((s) => s.userId)
              .join(",")} of its own tier waited`,
          );
        }
        break;
      }
    }

    // After every command: open sessions, then waiting people.
    const snap = w.memory.inspect();
    for (const s of snap.sessions) {
      const [a, b] = s.participants.map(who);
      if (!a || !b) fail(`session ${s.id} without two participants`);
      else {
        if (policy.pairing.trustTiers && !tiersCompatible(a.tier, b.tier)) {
          fail(`session ${s.id} pairs ${a.id} (${a.tier}) with ${b.id} (${b.tier})`);
        }
        if ((a.tier === "restricted") !== (b.tier === "restricted")) {
          fail(`session ${s.id} pairs restricted with non-restricted`);
        }
        if (a.blocked.includes(b.person) || b.blocked.includes(a.person)) {
          fail(`session ${s.id} pairs ${a.id} and ${b.id}, one of whom blocked the other`);
        }
      }
    }
    const waiting = waitingEntries(w).map(seekerOf);
    const t = w.clock.now();
    for (let i = 0; i < waiting.length; i++) {
      for (let j = i + 1; j < waiting.length; j++) {
        const x = waiting[i];
        const y = waiting[j];
        if (!x || !y) continue;
        if (modelCompatible(policy, x, y, t)) {
          fail(`${x.userId} (${x.tier}) and ${y.userId} (${y.tier}) could meet but both wait`);
        }
        const unblocked = (z: Seeker): Seeker => ({ ...z, blocked: [] });
        if (modelCompatible(policy, unblocked(x), unblocked(y), t)) stats.keptApart++;
      }
    }
  }
  return stats;
}

// ---- 2a. tiers in matching -----------------------------------------------------------------------

describe("trust tiers in matching (stimchat, dormparty)", () => {
  describe.each([
    ["stimchat", STIMCHAT],
    ["dormparty", DORMPARTY],
  ] as const)("%s", (_name, policy) => {
    it("property: restricted never meets non-restricted; tiers together where possible", async () => {
      const total = { sameTier: 0, crossTier: 0, matched: 0 };
      // Blocks too: "own tier first" only shows when people of two tiers wait side by side, and
      // without something keeping them apart (a block, a cooldown, topics) they would have met.
      await fc.assert(
        fc.asyncProperty(
          populationArb(policy, { tiers: true, blocked: true }),
          fc.array(popCmdArb, { minLength: 1, maxLength: 40 }),
          async (people, cmds) => {
            const s = await runPopulation(policy, people, cmds);
            total.sameTier += s.sameTier;
            total.crossTier += s.crossTier;
            total.matched += s.matched;
          },
        ),
        { numRuns: 500 },
      );
      console.info(`[safety] ${policy.id} tiers: ${JSON.stringify(total)}`);
      // The generator reaches both kinds of pairing, so the "own tier first" check is exercised.
      expect(total.sameTier).toBeGreaterThan(20);
      expect(total.crossTier).toBeGreaterThan(15);
    });
  });

  it("property (stimchat): a restricted joiner with only non-restricted people waiting stays WAITING", async () => {
    const topics = STIMCHAT.pairing.topics?.list ?? [];
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom(...topics), { minLength: 1, maxLength: 4 }),
        fc.array(fc.constantFrom<Tier>("new", "trusted"), { minLength: 4, maxLength: 4 }),
        fc.subarray([...topics]),
        fc.boolean(),
        async (tags, tiers, myTags, only) => {
          const w = new World({ policies: [STIMCHAT] });
          // Non-restricted people who wait whatever happens: each only with its own one topic.
          for (const [i, tag] of tags.entries()) {
            await w.connect(`n${i}`, `browser-n${i}`, `tok-n${i}`);
            await w.joinWith(
              `n${i}`,
              { space: "stimchat", topics: [tag], onlyMyTopics: true },
              { tier: tiers[i] ?? "new" },
            );
          }
          await w.connect("r", "browser-r", "tok-r");
          await w.joinWith(
            "r",
            { space: "stimchat", topics: myTags, onlyMyTopics: only },
            { tier: "restricted" },
          );
          const states = () => ["r", ...tags.map((_, i) => `n${i}`)].map((id) => w.user(id)?.state);
          expect(states().every((s) => s === "WAITING")).toBe(true);
          // Past the topic window (everyone not "only" now accepts anyone): still nobody.
          await w.advance(STIMCHAT.pairing.topics?.preferSameForMs ?? 0);
          await w.advance(1_000);
          expect(states().every((s) => s === "WAITING")).toBe(true);
          // Another restricted person who accepts anyone is the one who meets r, if r accepts
          // anyone by now.
          await w.connect("r2", "browser-r2", "tok-r2");
          await w.joinWith("r2", { space: "stimchat" }, { tier: "restricted" });
          const rOpen = myTags.length === 0 || !only;
          expect(w.user("r2")?.partnerId).toBe(rOpen ? "r" : undefined);
          expect(w.memory.inspect().sessions).toHaveLength(rOpen ? 1 : 0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("dormparty: a restricted joiner is never paired with the non-restricted one waiting, however long", async () => {
    for (const other of ["new", "trusted"] as const) {
      for (const order of ["restricted first", "restricted second"] as const) {
        const w = new World({ policies: [DORMPARTY] });
        const people = [
          ["r", "restricted"],
          ["n", other],
        ] as const;
        const ordered = order === "restricted first" ? people : [...people].reverse();
        for (const [id, tier] of ordered) {
          await w.connect(id, `browser-${id}`, `tok-${id}`);
          await w.joinWith(id, { space: "dormparty" }, { tier });
        }
        await w.advance(10 * 60_000);
        expect([w.user("r")?.state, w.user("n")?.state]).toEqual(["WAITING", "WAITING"]);
        // Each is paired with the next person of a compatible tier, not with the other.
        await w.connect("n2", "browser-n2", "tok-n2");
        await w.joinWith("n2", { space: "dormparty" }, { tier: other });
        expect(w.user("n2")?.partnerId).toBe("n");
        await w.connect("r2", "browser-r2", "tok-r2");
        await w.joinWith("r2", { space: "dormparty" }, { tier: "restricted" });
        expect(w.user("r2")?.partnerId).toBe("r");
      }
    }
  });

  it("dormparty: a joiner meets its own tier first, even when the other tier waited longer", async () => {
    for (const [mine, theirs] of [
      ["new", "trusted"],
      ["trusted", "new"],
    ] as const) {
      const w = new World({ policies: [DORMPARTY] });
      const join = async (id: string, tier: Tier, blocked: string[] = []) => {
        await w.connect(id, `browser-${id}`, `tok-${id}`);
        await w.joinWith(id, { space: "dormparty" }, { tier, blocked });
      };
      // x (other tier) waits first; y (own tier) second; x and y are kept apart by a block.
      await join("x", theirs, ["tok-y"]);
      await join("y", mine);
      expect([w.user("x")?.state, w.user("y")?.state]).toEqual(["WAITING", "WAITING"]);
      await join("j", mine);
      expect(w.user("j")?.partnerId).toBe("y");
      // With nobody of its own tier left, the next one of that tier meets the other tier.
      await join("k", mine);
      expect(w.user("k")?.partnerId).toBe("x");
    }
  });

  it("menti has no tiers (no tokens): the tier in the context is ignored by policy", async () => {
    expect(MENTI.pairing.trustTiers).toBe(false);
    const w = new World({ policies: [MENTI] });
    await w.connect("a");
    await w.connect("b");
    await w.joinWith("a", { space: "menti", intent: "talk" }, { tier: "restricted" });
    await w.joinWith("b", { space: "menti", intent: "listen" }, { tier: "trusted" });
    expect(w.user("a")?.partnerId).toBe("b");
  });
});

// ---- 2b. blocked persons -------------------------------------------------------------------------

describe("blocked persons (JoinContext.blocked)", () => {
  describe.each([
    ["stimchat", STIMCHAT],
    ["dormparty", DORMPARTY],
  ] as const)("%s", (_name, policy) => {
    it("property: two people one of whom blocked the other are never paired; nobody else is kept apart", async () => {
      let keptApart = 0;
      await fc.assert(
        fc.asyncProperty(
          populationArb(policy, { tiers: false, blocked: true }),
          fc.array(popCmdArb, { minLength: 1, maxLength: 40 }),
          async (people, cmds) => {
            keptApart += (await runPopulation(policy, people, cmds)).keptApart;
          },
        ),
        { numRuns: 300 },
      );
      console.info(
        `[safety] ${policy.id} blocks: ${keptApart} waiting pairs kept apart by a block`,
      );
      // Blocks did keep waiting people apart (checked after each step), many times.
      expect(keptApart).toBeGreaterThan(100);
    });

    it("a one-sided block keeps the two apart whichever of them joins first", async () => {
      for (const blockerFirst of [true, false]) {
        const w = new World({ policies: [policy] });
        await w.connect("a", "browser-a", "tok-a");
        await w.connect("b", "browser-b", "tok-b");
        const joinA = () => w.joinWith("a", { space: policy.id }, { blocked: ["tok-b"] });
        const joinB = () => w.joinWith("b", { space: policy.id });
        if (blockerFirst) {
          await joinA();
          await joinB();
        } else {
          await joinB();
          await joinA();
        }
        await w.advance(20_000);
        expect([w.user("a")?.state, w.user("b")?.state]).toEqual(["WAITING", "WAITING"]);
        // A third person meets whoever waited longest.
        await w.connect("c", "browser-c", "tok-c");
        await w.joinWith("c", { space: policy.id });
        expect(w.user("c")?.partnerId).toBe(blockerFirst ? "a" : "b");
      }
    });

    it("the block is keyed by person, not by connection or browser", async () => {
      const w = new World({ policies: [policy] });
      await w.connect("a", "browser-a", "tok-a");
      await w.joinWith("a", { space: policy.id }, { blocked: ["tok-b"] });
      // The blocked person on a brand-new browser: still kept apart.
      await w.connect("b", "browser-new", "tok-b");
      await w.joinWith("b", { space: policy.id });
      expect(w.user("b")?.state).toBe("WAITING");
      // Someone on the browser id "tok-b" names is not that person.
      await w.disconnect("b");
      await w.connect("c", "tok-b", "tok-c");
      await w.joinWith("c", { space: policy.id });
      expect(w.user("c")?.partnerId).toBe("a");
    });
  });

  it("dormparty: the blocked list survives a re-queue (skip) and still keeps the two apart", async () => {
    const w = new World({ policies: [DORMPARTY] });
    for (const id of ["a", "b", "c"]) await w.connect(id, `browser-${id}`, `tok-${id}`);
    await w.joinWith("a", { space: "dormparty" }, { blocked: ["tok-b"] });
    await w.joinWith("c", { space: "dormparty" });
    expect(w.user("a")?.partnerId).toBe("c");
    await w.joinWith("b", { space: "dormparty" });
    expect(w.user("b")?.state).toBe("WAITING");
    // c skips: both are re-queued (a first); a (the blocker) must not land on b, c does.
    await w.skip("c");
    expect(w.user("a")?.state).toBe("WAITING");
    expect(w.user("a")?.entry?.blocked).toEqual(["tok-b"]);
    expect(w.user("c")?.partnerId).toBe("b");
    // c leaves: b is re-queued next to a, and still the two never meet.
    await w.exit("c");
    expect(w.user("b")?.state).toBe("WAITING");
    await w.advance(DORMPARTY.pairing.pairCooldownMs + 1_000);
    expect([w.user("a")?.state, w.user("b")?.state]).toEqual(["WAITING", "WAITING"]);
  });

  it("menti ignores blocked lists by policy (neverWithReported false: it has no tokens)", async () => {
    expect(MENTI.pairing.neverWithReported).toBe(false);
    const w = new World({ policies: [MENTI] });
    await w.connect("a");
    await w.connect("b");
    await w.joinWith("a", { space: "menti", intent: "talk" }, { blocked: ["browser-b"] });
    await w.joinWith("b", { space: "menti", intent: "listen" }, { blocked: ["browser-a"] });
    expect(w.user("a")?.partnerId).toBe("b");
    expect(w.user("a")?.blocked).toBeUndefined();
  });
});

// ---- 2c. report ----------------------------------------------------------------------------------

const SPACES = [MENTI, STIMCHAT, DORMPARTY] as const;
const hasTokens = (p: SpacePolicy): boolean => p.identity === "token";
const personFor = (p: SpacePolicy, id: string): string =>
  hasTokens(p) ? `tok-${id}` : `browser-${id}`;
const request = (p: SpacePolicy, intent: Intent) => ({
  space: p.id as SpaceId,
  ...(p.intents ? { intent } : {}),
});

async function connectIn(w: World, policy: SpacePolicy, id: string): Promise<void> {
  await w.connect(id, `browser-${id}`, hasTokens(policy) ? `tok-${id}` : undefined);
}

/** Connects (if needed) and pairs `a` (talk, first) with `b` (listen); ACTIVE if asked. */
async function pairIn(
  w: World,
  policy: SpacePolicy,
  a: string,
  b: string,
  stage: "MATCHED" | "ACTIVE",
): Promise<string> {
  for (const id of [a, b]) if (!w.user(id)) await connectIn(w, policy, id);
  await w.joinWith(a, request(policy, "talk"));
  await w.joinWith(b, request(policy, "listen"));
  const sessionId = w.user(a)?.sessionId;
  if (!sessionId || w.user(b)?.sessionId !== sessionId) throw new Error("pairIn: not paired");
  if (stage === "ACTIVE") {
    await w.enter(a, sessionId);
    await w.enter(b, sessionId);
    if (w.user(a)?.state !== "ACTIVE") throw new Error("pairIn: not active");
  }
  return sessionId;
}

/** Where the after-close policy sends `userId` for this close, as a state. */
function stateAfterClose(
  policy: SpacePolicy,
  close: ClosedObservation,
  userId: string,
  entered: readonly string[],
): string {
  const initiator =
    close.reason === "join_timeout" ? !entered.includes(userId) : close.by === userId;
  const move = policy.afterClose[close.reason][initiator ? "initiator" : "other"];
  return move === "ended" ? "ENDED" : move === "idle" ? "IDLE" : "WAITING";
}

/** No stuck screen: each user's last view is its record's view now. */
function expectScreensMatch(w: World): void {
  for (const u of w.memory.inspect().users) {
    expect(comparableView(w.mailbox.lastState(u.id)), u.id).toEqual(
      comparableView(w.engine.view(u)),
    );
  }
}

describe("report", () => {
  describe.each(
    SPACES.flatMap((p) =>
      (["MATCHED", "ACTIVE"] as const).map((stage) => [p.id, stage, p] as const),
    ),
  )("%s, report while %s", (space, stage, policy) => {
    it("ends it for both; reporter reads reported/you, the other a neutral left/partner; one closed observation", async () => {
      const w = new World({ policies: [policy] });
      const sessionId = await pairIn(w, policy, "rep", "oth", stage);
      w.clock.advance(4_321);
      const res = await w.report("rep");
      expect(errorOf(res)).toBeUndefined();
      expect(w.user("rep")?.state).toBe("ENDED");
      expect(w.user("oth")?.state).toBe("ENDED");
      expect(w.mailbox.lastState("rep")).toEqual({
        state: "ENDED",
        space,
        sessionId,
        reason: "reported",
        by: "you",
      });
      expect(w.mailbox.lastState("oth")).toEqual({
        state: "ENDED",
        space,
        sessionId,
        reason: "left",
        by: "partner",
      });
      // Nothing the reported side receives says "reported".
      expect(JSON.stringify(w.mailbox.received("oth"))).not.toContain("reported");
      expect(w.closes()).toEqual([
        {
          kind: "closed",
          space,
          sessionId,
          reason: "reported",
          by: "rep",
          participants: [
            { userId: "rep", person: personFor(policy, "rep") },
            { userId: "oth", person: personFor(policy, "oth") },
          ],
          activeMs: stage === "ACTIVE" ? 4_321 : null,
        },
      ]);
      expect(w.user("rep")?.avoid).toContainEqual({
        person: personFor(policy, "oth"),
        until: null,
      });
      expect(w.user("oth")?.avoid).toContainEqual({
        person: personFor(policy, "rep"),
        until: null,
      });
      expect(w.memory.inspect().sessions).toEqual([]);
      expectScreensMatch(w);
    });

    it("afterwards the two never meet again on these connections; a third person meets either", async () => {
      const w = new World({ policies: [policy] });
      await pairIn(w, policy, "rep", "oth", stage);
      await w.report("rep");
      // The only two waiting (the reported one first), also past the pair cooldown.
      await w.joinWith("oth", request(policy, "listen"));
      await w.joinWith("rep", request(policy, "talk"));
      expect([w.user("rep")?.state, w.user("oth")?.state]).toEqual(["WAITING", "WAITING"]);
      await w.advance(policy.pairing.pairCooldownMs + 5_000);
      expect([w.user("rep")?.state, w.user("oth")?.state]).toEqual(["WAITING", "WAITING"]);
      expect(w.memory.inspect().sessions).toEqual([]);
      // A third and a fourth person: each meets one of them (the longest waiting first).
      await connectIn(w, policy, "third");
      await w.joinWith("third", request(policy, "both"));
      expect(w.user("third")?.partnerId).toBe("oth");
      await connectIn(w, policy, "fourth");
      await w.joinWith("fourth", request(policy, "both"));
      expect(w.user("fourth")?.partnerId).toBe("rep");
    });

    it("the reported person on a new connection (same person) is still kept from the reporter", async () => {
      const w = new World({ policies: [policy] });
      await pairIn(w, policy, "rep", "oth", stage);
      await w.report("rep");
      await w.disconnect("oth");
      // Same person: in token spaces the same token (on a new browser id); in menti the browser.
      const browser = hasTokens(policy) ? "browser-oth-2" : "browser-oth";
      await w.connect("oth2", browser, hasTokens(policy) ? "tok-oth" : undefined);
      await w.joinWith("rep", request(policy, "talk"));
      await w.joinWith("oth2", request(policy, "listen"));
      await w.advance(policy.pairing.pairCooldownMs + 5_000);
      expect([w.user("rep")?.state, w.user("oth2")?.state]).toEqual(["WAITING", "WAITING"]);
    });
  });

  it.each([STIMCHAT, DORMPARTY])(
    "$id: a reporter on a new connection is kept apart by the gateway's blocked list",
    async (policy) => {
      // Both come back on new connections: the engine's block lived on the old ones.
      const comeBack = async (blocked?: string[]): Promise<World> => {
        const w = new World({ policies: [policy] });
        await pairIn(w, policy, "rep", "oth", "ACTIVE");
        await w.report("rep");
        await w.disconnect("rep");
        await w.disconnect("oth");
        await w.connect("oth2", "browser-oth-2", "tok-oth");
        await w.connect("rep2", "browser-rep-2", "tok-rep");
        await w.joinWith("oth2", request(policy, "listen"));
        await w.joinWith("rep2", request(policy, "talk"), blocked ? { blocked } : {});
        return w;
      };
      // With the gateway's list (from the database), the reporter's new connection is kept apart.
      const w = await comeBack(["tok-oth"]);
      await w.advance(policy.pairing.pairCooldownMs + 5_000);
      expect([w.user("rep2")?.state, w.user("oth2")?.state]).toEqual(["WAITING", "WAITING"]);
      // Without it, the engine alone pairs them: the list is what carries the block.
      const w2 = await comeBack();
      expect(w2.user("rep2")?.partnerId).toBe("oth2");
    },
  );

  it.each(SPACES)(
    "$id: refused when there is nothing to report, changing nothing",
    async (policy) => {
      const w = new World({ policies: [policy] });
      const refused = async (id: string, code: string) => {
        const before = w.snapshot();
        const closes = w.closes().length;
        const res = await w.report(id);
        expect(errorOf(res), `${id}: ${w.user(id)?.state}`).toBe(code);
        expect(res.out).toEqual([]);
        expect(res.deadlines).toEqual([]);
        expect(res.observed).toEqual([]);
        expect(w.snapshot()).toEqual(before);
        expect(w.closes()).toHaveLength(closes);
      };
      await refused("nobody", "illegal_state");
      await connectIn(w, policy, "a");
      await refused("a", "illegal_state"); // IDLE
      await w.joinWith("a", request(policy, "talk"));
      expect(w.user("a")?.state).toBe("WAITING");
      await refused("a", "illegal_state"); // WAITING
      await pairIn(w, policy, "a", "b", "ACTIVE");
      expect(errorOf(await w.report("b"))).toBeUndefined();
      await refused("a", "room_unavailable"); // ENDED, reported
      await refused("b", "room_unavailable"); // ENDED, reporter
      // After any other close, too (where the partner is re-queued, it is WAITING by then).
      await pairIn(w, policy, "c", "d", "ACTIVE");
      await w.exit("c");
      const requeued = policy.afterClose.left.other === "requeue";
      expect(w.user("d")?.state).toBe(requeued ? "WAITING" : "ENDED");
      await refused("d", requeued ? "illegal_state" : "room_unavailable");
    },
  );

  describe("racing the partner", () => {
    it.each(
      SPACES.flatMap((p) =>
        (["MATCHED", "ACTIVE"] as const).flatMap((stage) =>
          ([0, 1] as const).map((order) => [p.id, stage, order, p] as const),
        ),
      ),
    )(
      "%s, %s: report and the partner's disconnect in one tick (order %i)",
      async (_s, stage, order, policy) => {
        const w = new World({ policies: [policy] });
        const sessionId = await pairIn(w, policy, "rep", "oth", stage);
        const calls = [() => w.report("rep"), () => w.disconnect("oth")];
        const [first, second] = order === 0 ? calls : [...calls].reverse();
        const results = await Promise.all([first?.(), second?.()]);
        const report = order === 0 ? results[0] : results[1];
        expect(report).toBeDefined();
        expect([undefined, "room_unavailable"]).toContain(report && errorOf(report));
        expect(w.user("oth")).toBeUndefined();
        const closes = w.closes().filter((c) => c.sessionId === sessionId);
        expect(closes).toHaveLength(1);
        const [close] = closes;
        if (!close) throw new Error("no close");
        expect(report?.ok).toBe(close.reason === "reported");
        const entered = stage === "ACTIVE" ? ["rep", "oth"] : [];
        expect(w.user("rep")?.state).toBe(stateAfterClose(policy, close, "rep", entered));
        expectScreensMatch(w);
      },
    );

    /** Every store call waits for fast-check's scheduler, which releases them in a random order. */
    function scheduled(box: { s?: fc.Scheduler }) {
      return (inner: Parameters<typeof storeVia>[0]): Store =>
        storeVia(inner, async (name, call) => {
          const s = box.s;
          if (s) await s.schedule(Promise.resolve(), name);
          return call();
        });
    }

    type PartnerAct = "disconnect" | "exit" | "report" | "skip" | "end" | "cancel" | "timeout";

    it("property: report against any partner action under random interleavings", async () => {
      const outcomes = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...SPACES),
          fc.constantFrom("MATCHED" as const, "ACTIVE" as const),
          fc.constantFrom<PartnerAct>(
            "disconnect",
            "exit",
            "report",
            "skip",
            "end",
            "cancel",
            "timeout",
          ),
          fc.boolean(),
          fc.scheduler(),
          async (policy, stage, act, reportFirst, s) => {
            const box: { s?: fc.Scheduler } = {};
            const w = new World({ policies: [policy], wrap: scheduled(box) });
            const sessionId = await pairIn(w, policy, "rep", "oth", stage);
            const partner = async () => {
              switch (act) {
                case "disconnect":
                  return w.disconnect("oth");
                case "exit":
                  return w.exit("oth");
                case "report":
                  return w.report("oth");
                case "skip":
                  return w.skip("oth");
                case "end":
                  return w.end("oth");
                case "cancel":
                  return w.cancel("oth");
                case "timeout":
                  return w.deadline({ kind: "join_timeout", at: w.clock.now(), sessionId });
              }
            };
            box.s = s;
            const both = reportFirst
              ? Promise.all([w.report("rep"), partner()])
              : Promise.all([partner(), w.report("rep")]).then(([p, r]) => [r, p] as const);
            const [report] = await s.waitFor(both);
            box.s = undefined;

            const code = errorOf(report) ?? "ok";
            outcomes.set(`${act}:${code}`, (outcomes.get(`${act}:${code}`) ?? 0) + 1);
            const closes = w.closes().filter((c) => c.sessionId === sessionId);
            // A partner action that closes nothing (skip/end outside dormparty; a join deadline
            // of an ACTIVE session) leaves the report alone to close it.
            expect(closes).toHaveLength(1);
            const [close] = closes;
            if (!close) throw new Error("no close");
            const reportWon = close.reason === "reported" && close.by === "rep";
            expect(report.ok).toBe(reportWon);
            if (code === "illegal_state") {
              // The partner's close had already sent the reporter home or back to the queue
              // before the report was read: the table's IDLE/WAITING row.
              expect(["IDLE", "WAITING"]).toContain(w.user("rep")?.state);
            } else if (!report.ok) {
              // The session was gone when the report committed (or the reporter was ENDED).
              expect(code).toBe("room_unavailable");
            }
            const entered = stage === "ACTIVE" ? ["rep", "oth"] : [];
            expect(w.user("rep")?.state).toBe(stateAfterClose(policy, close, "rep", entered));
            if (act === "disconnect") expect(w.user("oth")).toBeUndefined();
            else expect(w.user("oth")?.state).toBe(stateAfterClose(policy, close, "oth", entered));
            if (reportWon) {
              expect(w.user("rep")?.avoid).toContainEqual({
                person: personFor(policy, "oth"),
                until: null,
              });
              if (act !== "disconnect") {
                expect(w.mailbox.lastState("oth")).toMatchObject({ reason: "left", by: "partner" });
              }
            } else if (close.reason !== "reported") {
              expect((w.user("rep")?.avoid ?? []).some((a) => a.until === null)).toBe(false);
            }
            expect(w.memory.inspect().sessions).toEqual([]);
            expectScreensMatch(w);
          },
        ),
        { numRuns: 400 },
      );
      console.info(
        `[safety] report races: ${[...outcomes.entries()]
          .sort()
          .map(([k, n]) => `${k}=${n}`)
          .join(" ")}`,
      );
      // Both sides of the race are reached.
      expect(outcomes.get("disconnect:ok") ?? 0).toBeGreaterThan(0);
      expect(outcomes.get("disconnect:room_unavailable") ?? 0).toBeGreaterThan(0);
      expect(outcomes.get("report:room_unavailable") ?? 0).toBeGreaterThan(0);
    });
  });
});

// ---- 2d. persons across connections --------------------------------------------------------------

describe("persons across connections (dormparty pair cooldown)", () => {
  const COOLDOWN = DORMPARTY.pairing.pairCooldownMs;

  /** P and Q meet and P skips at `t0` (both re-queued, 30 s apart); returns t0. */
  async function parted(w: World): Promise<number> {
    await w.connect("p", "browser-p", "tok-P");
    await w.connect("q1", "browser-q1", "tok-Q");
    await w.joinWith("p", { space: "dormparty" });
    await w.joinWith("q1", { space: "dormparty" });
    expect(w.user("p")?.partnerId).toBe("q1");
    const t0 = w.clock.now();
    await w.skip("p");
    expect([w.user("p")?.state, w.user("q1")?.state]).toEqual(["WAITING", "WAITING"]);
    return t0;
  }

  it("property: Q on a new connection and browser, same person, meets P only when the cooldown is over", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: COOLDOWN - 2 }),
        fc.integer({ min: 1, max: COOLDOWN }),
        async (gap, step) => {
          const w = new World({ policies: [DORMPARTY] });
          const t0 = await parted(w);
          await w.advance(gap);
          await w.disconnect("q1");
          await w.connect("q2", "browser-q2", "tok-Q");
          await w.joinWith("q2", { space: "dormparty" });
          // Walk up to the end of the cooldown in random steps: never before it.
          for (let i = 0; i < 100 && w.clock.now() + step < t0 + COOLDOWN; i++) {
            await w.advance(step);
            expect([w.user("p")?.state, w.user("q2")?.state]).toEqual(["WAITING", "WAITING"]);
          }
          await w.advance(t0 + COOLDOWN - 1 - w.clock.now());
          expect([w.user("p")?.state, w.user("q2")?.state]).toEqual(["WAITING", "WAITING"]);
          // The cooldown ends: P's retry deadline fires and the two meet, by then and no later.
          await w.advance(1);
          expect(w.user("p")?.partnerId).toBe("q2");
          const session = w.memory.inspect().sessions[0];
          expect(session?.persons).toEqual(["tok-P", "tok-Q"]);
          expect(session?.createdAt).toBe(t0 + COOLDOWN);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("without a person the new connection is someone else (its browser id): met at once", async () => {
    const w = new World({ policies: [DORMPARTY] });
    await parted(w);
    await w.disconnect("q1");
    await w.connect("q2", "browser-q2");
    await w.joinWith("q2", { space: "dormparty" });
    expect(w.user("q2")?.partnerId).toBe("p");
  });

  it("the same browser with another person is someone else too (cooldowns follow persons)", async () => {
    const w = new World({ policies: [DORMPARTY] });
    await parted(w);
    await w.disconnect("q1");
    await w.connect("q2", "browser-q1", "tok-R");
    await w.joinWith("q2", { space: "dormparty" });
    expect(w.user("q2")?.partnerId).toBe("p");
  });
});

// ---- 2e. the closed observation's activeMs -------------------------------------------------------

describe("closed observation: activeMs", () => {
  it("property: null when the session never became ACTIVE, the time since activation when it did", async () => {
    type Close = "exit" | "report" | "disconnect" | "skip" | "end" | "shutdown" | "timeout";
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SPACES),
        fc.constantFrom<"none" | "one" | "both">("none", "one", "both"),
        fc.integer({ min: 0, max: 14_000 }),
        fc.integer({ min: 0, max: 2 * 3_600_000 }),
        fc.constantFrom<Close>(
          "exit",
          "report",
          "disconnect",
          "skip",
          "end",
          "shutdown",
          "timeout",
        ),
        async (policy, entered, beforeEnter, activeFor, how) => {
          if ((how === "skip" || how === "end") && !policy.controls.includes(how)) return;
          const w = new World({ policies: [policy] });
          const sessionId = await pairIn(w, policy, "a", "b", "MATCHED");
          await w.advance(beforeEnter);
          if (entered !== "none") await w.enter("a", sessionId);
          if (entered === "both") await w.enter("b", sessionId);
          const activatedAt = w.clock.now();
          if (how === "timeout") {
            // The join deadline: closes only a session that never became ACTIVE.
            await w.advance(policy.joinTimeoutMs);
          } else {
            await w.advance(entered === "both" ? activeFor : 0);
            if (how === "exit") await w.exit("b");
            else if (how === "report") await w.report("b");
            else if (how === "disconnect") await w.disconnect("b");
            else if (how === "skip") await w.skip("b");
            else if (how === "end") await w.end("b");
            else w.apply(await w.engine.shutdownUser("b"));
          }
          const closes = w.closes().filter((c) => c.sessionId === sessionId);
          if (how === "timeout" && entered === "both") {
            expect(closes).toEqual([]);
            return;
          }
          expect(closes).toHaveLength(1);
          const [close] = closes;
          if (entered === "both") {
            expect(w.clock.now() - activatedAt).toBe(activeFor);
            expect(close?.activeMs).toBe(activeFor);
          } else {
            expect(close?.activeMs).toBeNull();
          }
          // Video spaces: a session still PENDING at the limit is media that never connected.
          if (how === "timeout") {
            expect(close?.reason).toBe(policy.media === "video" ? "media_failed" : "join_timeout");
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a media timeout (dormparty) reports null; every close reports both participants and persons", async () => {
    const w = new World({ policies: [DORMPARTY] });
    const sessionId = await pairIn(w, DORMPARTY, "a", "b", "MATCHED");
    await w.enter("a", sessionId);
    await w.advance(DORMPARTY.joinTimeoutMs);
    expect(w.closes()).toEqual([
      {
        kind: "closed",
        space: "dormparty",
        sessionId,
        reason: "media_failed",
        by: null,
        participants: [
          { userId: "a", person: "tok-a" },
          { userId: "b", person: "tok-b" },
        ],
        activeMs: null,
      },
    ]);
  });
});
