/**
 * The SafetyRepo contract (src/types.ts) as a suite any implementation runs; pglite.test.ts and
 * postgres.test.ts run it over the embedded and a real PostgreSQL.
 *
 * `open` is called before every test and must give a repo over an EMPTY database (each test
 * file decides how: a truncated shared PGlite, a new PostgreSQL database); the repo is closed
 * after the test. So every test is independent and may assert exact counts.
 */
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NewReport, Report, Retention, SafetyRepo, TranscriptLine } from "../src/types";

const T0 = 1_800_000_000_000;
const DAY = 86_400_000;
const BOUNDS = { min: -50, max: 20 };
/** Retention that deletes everything it may: what remains after it proves what is never purged. */
const EVERYTHING: Retention = { resolvedReportsMs: 0, tokenLifetimeMs: 0 };
const FAR_FUTURE = T0 + 100_000 * DAY;

let n = 0;
const fresh = (label: string): string => `${label}-${++n}-${Math.random().toString(36).slice(2)}`;

const TRANSCRIPT: TranscriptLine[] = [
  { from: "reporter", text: "hi", at: T0 - 3000 },
  { from: "reported", text: "ünïcødé ✨ — «quotes» \"and\" 'more' \\ back\\slash", at: T0 - 2000 },
  { from: "reporter", text: "emoji 👩🏽‍💻🏳️‍🌈, CJK 漢字, RTL שלום مرحبا, e\u0301", at: T0 - 1500 },
  { from: "reported", text: '{"json":[1,2]} <script>alert(1)</script>\n\ttabs\r\n', at: T0 - 1 },
  { from: "reporter", text: "", at: T0 },
  { from: "reported", text: "   ", at: T0 },
];

/** 500 UTF-16 units (the protocol's note limit), mixing BMP and astral characters. */
const NOTE_500 = "aé✨😀".repeat(100);

function report(overrides: Partial<NewReport> = {}): NewReport {
  return {
    space: "stimchat",
    at: T0,
    reason: "harassment",
    note: "they were rude",
    reporter: fresh("reporter"),
    reported: fresh("reported"),
    transcript: TRANSCRIPT,
    trustPenalty: 10,
    trustBounds: BOUNDS,
    ...overrides,
  };
}

const sorted = (xs: string[]): string[] => [...xs].sort();

export function repoContract(name: string, open: () => Promise<SafetyRepo>): void {
  describe(`SafetyRepo contract: ${name}`, () => {
    let repo: SafetyRepo;
    beforeEach(async () => {
      repo = await open();
    }, 300_000);
    afterEach(async () => {
      await repo?.close();
    });

    describe("ping and close", () => {
      it("ping answers true while open, false once closed; close is idempotent", async () => {
        expect(await repo.ping()).toBe(true);
        await repo.close();
        expect(await repo.ping()).toBe(false);
        await repo.close();
      });
    });

    describe("reports", () => {
      it("a report round-trips exactly (unicode transcript, 500-character note)", async () => {
        const input = report({ note: NOTE_500 });
        expect(NOTE_500.length).toBe(500);
        const stored = await repo.addReport(input);
        const { trustBounds: _bounds, ...kept } = input;
        const expected: Report = { ...kept, id: stored.id, status: "open", resolvedAt: null };
        expect(stored).toEqual(expected);
        expect(stored.id).toMatch(/^[0-9a-f-]{36}$/);
        const read = await repo.getReport(stored.id);
        expect(read).toEqual(expected);
        // Exactly, including key-by-key string identity of every line.
        expect(JSON.stringify(read?.transcript)).toBe(JSON.stringify(TRANSCRIPT));
        expect(read?.note).toBe(NOTE_500);
        expect(await repo.listReports()).toEqual([expected]);
      });

      it("ids are distinct even for identical reports", async () => {
        const base = report();
        const ids = await Promise.all(
          Array.from({ length: 10 }, () => repo.addReport(base).then((r) => r.id)),
        );
        expect(new Set(ids).size).toBe(10);
      });

      it("characters PostgreSQL cannot store (NUL, lone surrogates) become U+FFFD, the report is kept", async () => {
        const stored = await repo.addReport(
          report({
            note: "a\u0000b",
            transcript: [
              { from: "reported", text: "x\u0000y", at: T0 },
              { from: "reported", text: "lone \ud800 high, lone \udc00 low, pair 😀", at: T0 },
            ],
          }),
        );
        const read = await repo.getReport(stored.id);
        expect(read?.note).toBe("a\ufffdb");
        expect(read?.transcript?.map((l) => l.text)).toEqual([
          "x\ufffdy",
          "lone \ufffd high, lone \ufffd low, pair 😀",
        ]);
        expect(read).toEqual(stored);
      });

      it("getReport of an unknown id is undefined", async () => {
        expect(await repo.getReport("no-such-report")).toBeUndefined();
        expect(await repo.getReport("00000000-0000-0000-0000-000000000000")).toBeUndefined();
      });

      it("a report blocks the pair both ways and costs the reported token its penalty", async () => {
        const input = report({ trustPenalty: 7 });
        await repo.addReport(input);
        const [a, b] = [input.reporter as string, input.reported as string];
        expect(await repo.blockedWith(a)).toEqual([b]);
        expect(await repo.blockedWith(b)).toEqual([a]);
        expect(await repo.trust(b)).toBe(-7);
        expect(await repo.trust(a)).toBe(0);
        expect(await repo.purge(FAR_FUTURE, EVERYTHING)).toEqual({
          reports: 0,
          bans: 0,
          trust: 1,
          blockedPairs: 1,
        });
      });

      it("an identity-free report (menti: null tokens) blocks nobody and changes no trust", async () => {
        const input = report({
          space: "menti",
          reporter: null,
          reported: null,
          note: null,
          transcript: null,
          trustPenalty: 0,
        });
        const stored = await repo.addReport(input);
        expect(await repo.getReport(stored.id)).toMatchObject({
          space: "menti",
          reporter: null,
          reported: null,
          transcript: null,
          note: null,
          trustPenalty: 0,
        });
        // Nothing but the report was written: a purge of everything finds no trust, no pair.
        expect(await repo.purge(FAR_FUTURE, EVERYTHING)).toEqual({
          reports: 0,
          bans: 0,
          trust: 0,
          blockedPairs: 0,
        });
      });

      it("with only one token known, no pair is blocked and no penalty applied", async () => {
        const known = fresh("known");
        await repo.addReport(report({ reporter: null, reported: known, trustPenalty: 10 }));
        await repo.addReport(report({ reporter: known, reported: null, trustPenalty: 10 }));
        expect(await repo.blockedWith(known)).toEqual([]);
        expect(await repo.trust(known)).toBe(0);
        expect(await repo.purge(FAR_FUTURE, EVERYTHING)).toMatchObject({
          trust: 0,
          blockedPairs: 0,
        });
      });

      it("a zero penalty still blocks the pair but leaves trust alone", async () => {
        const input = report({ trustPenalty: 0 });
        await repo.addReport(input);
        expect(await repo.blockedWith(input.reporter as string)).toEqual([input.reported]);
        expect(await repo.purge(FAR_FUTURE, EVERYTHING)).toMatchObject({
          trust: 0,
          blockedPairs: 1,
        });
      });

      it("without trustBounds the penalty applies unclamped within sane default bounds", async () => {
        const input = report({ trustPenalty: 75, trustBounds: undefined });
        await repo.addReport(input);
        expect(await repo.trust(input.reported as string)).toBe(-75);
      });

      it("reports of one pair either way keep one pair row; penalties add up, clamped at the floor", async () => {
        const a = fresh("a");
        const b = fresh("b");
        for (let i = 0; i < 4; i++) await repo.addReport(report({ reporter: a, reported: b }));
        expect(await repo.trust(b)).toBe(-40);
        for (let i = 0; i < 3; i++) await repo.addReport(report({ reporter: a, reported: b }));
        expect(await repo.trust(b)).toBe(BOUNDS.min);
        await repo.addReport(report({ reporter: b, reported: a }));
        expect(await repo.trust(a)).toBe(-10);
        expect(await repo.blockedWith(a)).toEqual([b]);
        expect(await repo.blockedWith(b)).toEqual([a]);
        expect(await repo.purge(FAR_FUTURE, EVERYTHING)).toMatchObject({ blockedPairs: 1 });
      });

      it("concurrent reports against one token each apply their penalty (no lost update)", async () => {
        const target = fresh("target");
        const reporters = Array.from({ length: 12 }, () => fresh("r"));
        await Promise.all(
          reporters.map((r) =>
            repo.addReport(
              report({ reporter: r, reported: target, trustPenalty: 3, trustBounds: BOUNDS }),
            ),
          ),
        );
        expect(await repo.trust(target)).toBe(-36);
        expect(sorted(await repo.blockedWith(target))).toEqual(sorted(reporters));
        for (const r of reporters) expect(await repo.blockedWith(r)).toEqual([target]);
      });

      it("blockedWith is symmetric across many partners and empty for strangers", async () => {
        const hub = fresh("hub");
        const reportedByHub = [fresh("x"), fresh("y")];
        const reportingHub = [fresh("z"), fresh("w")];
        for (const t of reportedByHub) await repo.addReport(report({ reporter: hub, reported: t }));
        for (const t of reportingHub) await repo.addReport(report({ reporter: t, reported: hub }));
        expect(sorted(await repo.blockedWith(hub))).toEqual(
          sorted([...reportedByHub, ...reportingHub]),
        );
        for (const t of [...reportedByHub, ...reportingHub]) {
          expect(await repo.blockedWith(t)).toEqual([hub]);
        }
        expect(await repo.blockedWith(fresh("stranger"))).toEqual([]);
      });

      it("lists newest first, filters by status, honours limit (default 100)", async () => {
        const made: Report[] = [];
        for (let i = 0; i < 105; i++) made.push(await repo.addReport(report({ at: T0 + i })));
        const all = await repo.listReports();
        expect(all).toHaveLength(100);
        expect(all.map((r) => r.at)).toEqual(
          made
            .map((r) => r.at)
            .reverse()
            .slice(0, 100),
        );
        expect(await repo.listReports({ limit: 3 })).toEqual(made.slice(-3).reverse());
        expect(await repo.listReports({ limit: 200 })).toHaveLength(105);
        await repo.resolveReport(made[5]?.id as string, "dismissed", T0 + 1000);
        await repo.resolveReport(made[7]?.id as string, "actioned", T0 + 1000);
        expect((await repo.listReports({ status: "dismissed" })).map((r) => r.id)).toEqual([
          made[5]?.id,
        ]);
        expect((await repo.listReports({ status: "actioned" })).map((r) => r.id)).toEqual([
          made[7]?.id,
        ]);
        const open = await repo.listReports({ status: "open", limit: 1000 });
        expect(open).toHaveLength(103);
        expect(open.map((r) => r.id)).not.toContain(made[5]?.id);
      });

      it("resolves an open report once; a second resolution or an unknown id changes nothing", async () => {
        const r = await repo.addReport(report());
        expect(await repo.resolveReport(r.id, "dismissed", T0 + 30)).toBe(true);
        expect(await repo.resolveReport(r.id, "actioned", T0 + 40)).toBe(false);
        expect(await repo.getReport(r.id)).toEqual({
          ...r,
          status: "dismissed",
          resolvedAt: T0 + 30,
        });
        expect(await repo.resolveReport("no-such-report", "dismissed", T0)).toBe(false);
        const s = await repo.addReport(report());
        const both = await Promise.all([
          repo.resolveReport(s.id, "actioned", T0 + 50),
          repo.resolveReport(s.id, "dismissed", T0 + 60),
        ]);
        expect(both.filter(Boolean)).toHaveLength(1);
      });

      it("counts reports per space made at or after `since`", async () => {
        const since = T0 + 5 * DAY;
        expect(await repo.countReportsSince(since)).toEqual({});
        await repo.addReport(report({ at: since - 1 }));
        await repo.addReport(report({ at: since, space: "dormparty" }));
        await repo.addReport(report({ at: since + 1, space: "dormparty" }));
        await repo.addReport(
          report({ at: since + 2, space: "menti", reporter: null, reported: null }),
        );
        expect(await repo.countReportsSince(since)).toEqual({ dormparty: 2, menti: 1 });
        expect(await repo.countReportsSince(since - 1)).toEqual({
          stimchat: 1,
          dormparty: 2,
          menti: 1,
        });
        expect(await repo.countReportsSince(since + 3)).toEqual({});
      });
    });

    describe("bans", () => {
      it("a ban is in force until `until` (exclusive); unknown tokens have none", async () => {
        const t = fresh("tok");
        expect(await repo.activeBan(t, T0)).toBeUndefined();
        const made = await repo.ban({ token: t, at: T0, until: T0 + DAY, note: "one day" });
        expect(made).toEqual({
          token: t,
          at: T0,
          until: T0 + DAY,
          note: "one day",
          reportId: null,
        });
        expect(await repo.activeBan(t, T0)).toEqual(made);
        expect(await repo.activeBan(t, T0 + DAY - 1)).toEqual(made);
        expect(await repo.activeBan(t, T0 + DAY)).toBeUndefined();
        expect(await repo.activeBan(fresh("other"), T0)).toBeUndefined();
      });

      it("a ban with until null is for good", async () => {
        const t = fresh("tok");
        await repo.ban({ token: t, at: T0, until: null, note: "for good ✨", reportId: "r1" });
        expect(await repo.activeBan(t, FAR_FUTURE)).toEqual({
          token: t,
          at: T0,
          until: null,
          note: "for good ✨",
          reportId: "r1",
        });
      });

      it("a new ban replaces the old one (shorter or longer), one row per token", async () => {
        const t = fresh("tok");
        await repo.ban({ token: t, at: T0, until: null, note: "for good", reportId: "r1" });
        const shorter = await repo.ban({ token: t, at: T0 + 1, until: T0 + 10, note: "short" });
        expect(await repo.activeBan(t, T0 + 5)).toEqual(shorter);
        expect(shorter.reportId).toBeNull();
        expect(await repo.activeBan(t, T0 + 10)).toBeUndefined();
        expect(await repo.listBans(T0 + 5)).toEqual([shorter]);
        const longer = await repo.ban({ token: t, at: T0 + 2, until: null, note: "again" });
        expect(await repo.listBans(T0 + 5)).toEqual([longer]);
      });

      it("unban lifts a ban and answers false when there is none", async () => {
        const t = fresh("tok");
        expect(await repo.unban(t)).toBe(false);
        await repo.ban({ token: t, at: T0, until: null, note: "" });
        expect(await repo.unban(t)).toBe(true);
        expect(await repo.unban(t)).toBe(false);
        expect(await repo.activeBan(t, T0)).toBeUndefined();
        // An expired ban still counts as one to lift until purged.
        await repo.ban({ token: t, at: T0, until: T0 + 1, note: "" });
        expect(await repo.unban(t)).toBe(true);
      });

      it("listBans shows only bans in force, newest first", async () => {
        const over = fresh("over");
        const live = fresh("live");
        const forever = fresh("forever");
        const older = fresh("older");
        await repo.ban({ token: over, at: T0 + 3, until: T0 + 10, note: "" });
        await repo.ban({ token: older, at: T0, until: T0 + 1000, note: "" });
        await repo.ban({ token: live, at: T0 + 1, until: T0 + 1000, note: "" });
        await repo.ban({ token: forever, at: T0 + 2, until: null, note: "" });
        expect((await repo.listBans(T0 + 500)).map((b) => b.token)).toEqual([forever, live, older]);
        expect((await repo.listBans(T0 + 5)).map((b) => b.token)).toEqual([
          over,
          forever,
          live,
          older,
        ]);
        expect((await repo.listBans(T0 + 1000)).map((b) => b.token)).toEqual([forever]);
      });
    });

    describe("trust", () => {
      it("a token without a score has 0; adjustTrust returns and keeps the new score", async () => {
        const t = fresh("trust");
        expect(await repo.trust(t)).toBe(0);
        expect(await repo.adjustTrust(t, 3, T0, BOUNDS)).toBe(3);
        expect(await repo.adjustTrust(t, -5, T0, BOUNDS)).toBe(-2);
        expect(await repo.adjustTrust(t, 0, T0, BOUNDS)).toBe(-2);
        expect(await repo.trust(t)).toBe(-2);
      });

      it("clamps at both bounds, also on the first adjustment", async () => {
        const t = fresh("trust");
        expect(await repo.adjustTrust(t, 100, T0, BOUNDS)).toBe(BOUNDS.max);
        expect(await repo.adjustTrust(t, 1, T0, BOUNDS)).toBe(BOUNDS.max);
        expect(await repo.adjustTrust(t, -500, T0, BOUNDS)).toBe(BOUNDS.min);
        expect(await repo.adjustTrust(t, -1, T0, BOUNDS)).toBe(BOUNDS.min);
        expect(await repo.adjustTrust(t, 1, T0, BOUNDS)).toBe(BOUNDS.min + 1);
        const u = fresh("trust");
        expect(await repo.adjustTrust(u, -9999, T0, BOUNDS)).toBe(BOUNDS.min);
        // Extremes of the integer column never overflow.
        const wide = { min: -2_147_483_648, max: 2_147_483_647 };
        const v = fresh("trust");
        expect(await repo.adjustTrust(v, 2_147_483_647, T0, wide)).toBe(wide.max);
        expect(await repo.adjustTrust(v, 2_147_483_647, T0, wide)).toBe(wide.max);
        expect(await repo.adjustTrust(v, -2_147_483_647, T0, wide)).toBe(0);
      });

      it("rejects fractional deltas and inverted bounds, changing nothing", async () => {
        const t = fresh("trust");
        await expect(repo.adjustTrust(t, 1.5, T0, BOUNDS)).rejects.toThrow(RangeError);
        await expect(repo.adjustTrust(t, 1, T0, { min: 5, max: -5 })).rejects.toThrow(RangeError);
        await expect(repo.addReport(report({ reported: t, trustPenalty: 0.5 }))).rejects.toThrow(
          RangeError,
        );
        expect(await repo.trust(t)).toBe(0);
        expect(await repo.listReports()).toEqual([]);
      });

      it("20 concurrent adjustments all count", async () => {
        const u = fresh("concurrent");
        const results = await Promise.all(
          Array.from({ length: 20 }, () => repo.adjustTrust(u, 1, T0, { min: -100, max: 100 })),
        );
        expect(await repo.trust(u)).toBe(20);
        // Each caller saw a distinct intermediate score: the updates were serialised.
        expect(sorted(results.map(String))).toEqual(
          sorted(Array.from({ length: 20 }, (_, i) => String(i + 1))),
        );
        const v = fresh("concurrent");
        await Promise.all(Array.from({ length: 30 }, () => repo.adjustTrust(v, 1, T0, BOUNDS)));
        expect(await repo.trust(v)).toBe(BOUNDS.max);
        const w = fresh("concurrent");
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            repo.adjustTrust(w, i % 2 === 0 ? 2 : -1, T0, { min: -100, max: 100 }),
          ),
        );
        expect(await repo.trust(w)).toBe(10);
      });

      it("property: any sequence of adjustments equals the clamped running sum", async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.integer({ min: -40, max: 40 }), { maxLength: 15 }),
            fc
              .tuple(fc.integer({ min: -60, max: 0 }), fc.integer({ min: 0, max: 60 }))
              .map(([min, max]) => ({ min, max })),
            async (deltas, bounds) => {
              const t = fresh("prop");
              let model = 0;
              for (const d of deltas) {
                model = Math.max(bounds.min, Math.min(bounds.max, model + d));
                expect(await repo.adjustTrust(t, d, T0, bounds)).toBe(model);
              }
              expect(await repo.trust(t)).toBe(model);
            },
          ),
          { numRuns: 30 },
        );
      });

      it("property: concurrent unit adjustments within wide bounds sum exactly", async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.constantFrom(-1, 1, 2, -3), { minLength: 1, maxLength: 25 }),
            async (deltas) => {
              const t = fresh("prop-concurrent");
              const wide = { min: -1000, max: 1000 };
              await Promise.all(deltas.map((d) => repo.adjustTrust(t, d, T0, wide)));
              expect(await repo.trust(t)).toBe(deltas.reduce((s, d) => s + d, 0));
            },
          ),
          { numRuns: 10 },
        );
      });
    });

    describe("purge", () => {
      const now = T0 + 1000 * DAY;
      const retention: Retention = { resolvedReportsMs: 30 * DAY, tokenLifetimeMs: 365 * DAY };
      const horizon = now - retention.tokenLifetimeMs;

      it("deletes exactly what retention says and keeps the rest", async () => {
        const resolved = async (resolvedAt: number, status: "dismissed" | "actioned") => {
          const r = await repo.addReport(report({ at: resolvedAt - DAY, trustPenalty: 0 }));
          await repo.resolveReport(r.id, status, resolvedAt);
          return r.id;
        };
        // Reports: resolved before now - 30 days go; at the limit or later stay; open stay.
        const goneResolved = [
          await resolved(now - 30 * DAY - 1, "actioned"),
          await resolved(now - 300 * DAY, "dismissed"),
        ];
        const keptResolved = [
          await resolved(now - 30 * DAY, "dismissed"),
          await resolved(now - DAY, "actioned"),
        ];
        const oldOpen = await repo.addReport(
          report({ at: now - 5000 * DAY, reporter: null, reported: null, trustPenalty: 0 }),
        );
        // Bans: ended before now go; ending at now or later stay; for good go at the horizon.
        const ban = (token: string, at: number, until: number | null) =>
          repo.ban({ token, at, until, note: "" });
        await ban("ended", now - 10 * DAY, now - 1);
        await ban("ends-now", now - 10 * DAY, now);
        await ban("ends-later", now - 10 * DAY, now + 1);
        await ban("forgood-old", horizon - 1, null);
        await ban("forgood-at-horizon", horizon, null);
        await ban("forgood-new", now - DAY, null);
        // Trust: untouched since before the horizon goes.
        await repo.adjustTrust("trust-stale", 3, horizon - 1, BOUNDS);
        await repo.adjustTrust("trust-at-horizon", 4, horizon, BOUNDS);
        await repo.adjustTrust("trust-live", 5, now - DAY, BOUNDS);
        // Blocked pairs: made before the horizon go (penalty 0 so no trust rows here).
        await repo.addReport(
          report({ reporter: "pa", reported: "pb", at: horizon - 1, trustPenalty: 0 }),
        );
        await repo.addReport(
          report({ reporter: "pc", reported: "pd", at: horizon, trustPenalty: 0 }),
        );

        expect(await repo.purge(now, retention)).toEqual({
          reports: 2,
          bans: 2,
          trust: 1,
          blockedPairs: 1,
        });
        for (const id of goneResolved) expect(await repo.getReport(id)).toBeUndefined();
        for (const id of keptResolved) expect(await repo.getReport(id)).toBeDefined();
        expect(await repo.getReport(oldOpen.id)).toEqual(oldOpen);
        expect((await repo.listBans(now - 10 * DAY)).map((b) => b.token).sort()).toEqual(
          ["ends-later", "ends-now", "forgood-at-horizon", "forgood-new"].sort(),
        );
        expect(await repo.unban("ended")).toBe(false);
        expect(await repo.unban("forgood-old")).toBe(false);
        expect(await repo.trust("trust-stale")).toBe(0);
        expect(await repo.trust("trust-at-horizon")).toBe(4);
        expect(await repo.trust("trust-live")).toBe(5);
        expect(await repo.blockedWith("pa")).toEqual([]);
        expect(await repo.blockedWith("pb")).toEqual([]);
        expect(await repo.blockedWith("pc")).toEqual(["pd"]);
        // Nothing more is due: purging again deletes nothing.
        expect(await repo.purge(now, retention)).toEqual({
          reports: 0,
          bans: 0,
          trust: 0,
          blockedPairs: 0,
        });
      });

      it("an adjustment or a new report renews a score's and a pair's lifetime", async () => {
        await repo.adjustTrust("renewed", 2, horizon - DAY, BOUNDS);
        await repo.adjustTrust("renewed", 1, now - DAY, BOUNDS);
        const pairReport = (reporter: string, reported: string, at: number) =>
          repo.addReport(report({ reporter, reported, at, trustPenalty: 0 }));
        await pairReport("ra", "rb", horizon - DAY);
        await pairReport("rb", "ra", now - DAY);
        // A late-arriving older report does not make the pair look older.
        await pairReport("ra", "rb", horizon - 2 * DAY);
        await repo.adjustTrust("renewed", 0, horizon - 3 * DAY, BOUNDS);
        expect(await repo.purge(now, retention)).toEqual({
          reports: 0,
          bans: 0,
          trust: 0,
          blockedPairs: 0,
        });
        expect(await repo.trust("renewed")).toBe(3);
        expect(await repo.blockedWith("ra")).toEqual(["rb"]);
      });

      it("on an empty database deletes nothing", async () => {
        expect(await repo.purge(now, retention)).toEqual({
          reports: 0,
          bans: 0,
          trust: 0,
          blockedPairs: 0,
        });
      });
    });
  });
}

/**
 * A write that fails half-way leaves nothing behind. `setup` gives a repo over an empty database
 * and a way to run SQL on that database, used to make the trust update (the last write of
 * addReport) fail after the report and the pair were written.
 */
export function repoAtomicity(
  name: string,
  setup: () => Promise<{ repo: SafetyRepo; exec(sql: string): Promise<void> }>,
): void {
  describe(`SafetyRepo atomicity: ${name}`, () => {
    it("addReport is one transaction: a failing trust update keeps neither report nor pair", async () => {
      const { repo, exec } = await setup();
      try {
        await exec("ALTER TABLE trust ADD CONSTRAINT test_floor CHECK (score > -5)");
        const input = report({ trustPenalty: 10 });
        const failure = await repo.addReport(input).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(failure).toBeInstanceOf(Error);
        // The error names the operation and the database's reason, never the stored content.
        const message = (failure as Error).message;
        expect(message).toMatch(/addReport/);
        expect(message).not.toContain(input.reporter as string);
        expect(message).not.toContain("ünïcødé");
        expect(await repo.listReports()).toEqual([]);
        expect(await repo.blockedWith(input.reporter as string)).toEqual([]);
        expect(await repo.trust(input.reported as string)).toBe(0);
        await exec("ALTER TABLE trust DROP CONSTRAINT test_floor");
        await repo.addReport(input);
        expect(await repo.listReports()).toHaveLength(1);
        expect(await repo.trust(input.reported as string)).toBe(-10);
      } finally {
        await repo.close();
      }
    });
  });
}
