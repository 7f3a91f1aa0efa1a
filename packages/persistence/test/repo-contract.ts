/**
 * The SafetyRepo contract (src/types.ts) as a suite any implementation runs; pglite.test.ts and
 * postgres.test.ts run it over the embedded and a real PostgreSQL.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewReport, SafetyRepo } from "../src/types";

const T0 = 1_800_000_000_000;
const DAY = 86_400_000;
const BOUNDS = { min: -50, max: 20 };
let n = 0;
const fresh = (label: string): string => `${label}-${++n}-${Math.random().toString(36).slice(2)}`;

function report(overrides: Partial<NewReport> = {}): NewReport {
  return {
    space: "stimchat",
    at: T0,
    reason: "harassment",
    note: "they were rude",
    reporter: fresh("reporter"),
    reported: fresh("reported"),
    transcript: [
      { from: "reporter", text: "hi", at: T0 - 2000 },
      { from: "reported", text: "ünïcødé ✨ — «quotes» \"and\" 'more'", at: T0 - 1000 },
    ],
    trustPenalty: 10,
    trustBounds: BOUNDS,
    ...overrides,
  };
}

export function repoContract(name: string, open: () => Promise<SafetyRepo>): void {
  describe(`SafetyRepo contract: ${name}`, () => {
    let repo: SafetyRepo;
    beforeAll(async () => {
      repo = await open();
    }, 120_000);
    afterAll(async () => {
      await repo?.close();
    });

    it("ping answers", async () => {
      expect(await repo.ping()).toBe(true);
    });

    it("a report round-trips exactly, blocks the pair both ways and costs the reported trust", async () => {
      const input = report({ note: "x".repeat(500) });
      const stored = await repo.addReport(input);
      expect(stored).toMatchObject({ status: "open", resolvedAt: null, space: "stimchat" });
      const read = await repo.getReport(stored.id);
      expect(read?.transcript).toEqual(input.transcript);
      expect(read?.note).toBe("x".repeat(500));
      expect(read?.reporter).toBe(input.reporter);
      expect(await repo.blockedWith(input.reporter as string)).toEqual([input.reported]);
      expect(await repo.blockedWith(input.reported as string)).toEqual([input.reporter]);
      expect(await repo.trust(input.reported as string)).toBe(-10);
      expect(await repo.trust(input.reporter as string)).toBe(0);
    });

    it("a second report of the same pair adds the penalty again, clamped at the floor, one pair row", async () => {
      const a = fresh("a");
      const b = fresh("b");
      for (let i = 0; i < 7; i++) await repo.addReport(report({ reporter: a, reported: b }));
      expect(await repo.trust(b)).toBe(BOUNDS.min);
      expect(await repo.blockedWith(a)).toEqual([b]);
    });

    it("an identity-free report (menti) blocks nobody and changes no trust", async () => {
      const stored = await repo.addReport(
        report({
          space: "menti",
          reporter: null,
          reported: null,
          note: null,
          transcript: null,
          trustPenalty: 0,
        }),
      );
      const read = await repo.getReport(stored.id);
      expect(read).toMatchObject({ reporter: null, reported: null, transcript: null, note: null });
    });

    it("lists newest first, filters by status, resolves only once", async () => {
      const older = await repo.addReport(report({ at: T0 + 10 }));
      const newer = await repo.addReport(report({ at: T0 + 20 }));
      const open = await repo.listReports({ status: "open" });
      const ids = open.map((r) => r.id);
      expect(ids.indexOf(newer.id)).toBeLessThan(ids.indexOf(older.id));
      expect(await repo.resolveReport(older.id, "dismissed", T0 + 30)).toBe(true);
      expect(await repo.resolveReport(older.id, "actioned", T0 + 40)).toBe(false);
      expect(await repo.getReport(older.id)).toMatchObject({
        status: "dismissed",
        resolvedAt: T0 + 30,
      });
      expect((await repo.listReports({ status: "open" })).map((r) => r.id)).not.toContain(older.id);
      expect((await repo.listReports({ status: "dismissed" })).map((r) => r.id)).toContain(
        older.id,
      );
      expect(await repo.resolveReport("no-such-report", "dismissed", T0)).toBe(false);
      expect((await repo.listReports({ limit: 1 })).length).toBe(1);
    });

    it("counts reports per space since a time", async () => {
      const since = T0 + 5 * DAY;
      await repo.addReport(report({ at: since - 1 }));
      await repo.addReport(report({ at: since, space: "dormparty" }));
      await repo.addReport(report({ at: since + 1, space: "dormparty" }));
      await repo.addReport(
        report({ at: since + 2, space: "menti", reporter: null, reported: null }),
      );
      expect(await repo.countReportsSince(since)).toEqual({ dormparty: 2, menti: 1 });
    });

    it("bans: in force until `until`, null for good; a new ban replaces; unban lifts", async () => {
      const t = fresh("tok");
      expect(await repo.activeBan(t, T0)).toBeUndefined();
      await repo.ban({ token: t, at: T0, until: T0 + DAY, note: "one day" });
      expect(await repo.activeBan(t, T0 + DAY - 1)).toMatchObject({ until: T0 + DAY });
      expect(await repo.activeBan(t, T0 + DAY)).toBeUndefined();
      await repo.ban({ token: t, at: T0 + 1, until: null, note: "for good", reportId: "r1" });
      expect(await repo.activeBan(t, T0 + 100 * DAY)).toEqual({
        token: t,
        at: T0 + 1,
        until: null,
        note: "for good",
        reportId: "r1",
      });
      expect((await repo.listBans(T0 + 100 * DAY)).map((b) => b.token)).toContain(t);
      expect(await repo.unban(t)).toBe(true);
      expect(await repo.unban(t)).toBe(false);
      expect(await repo.activeBan(t, T0)).toBeUndefined();
    });

    it("listBans shows only bans in force", async () => {
      const over = fresh("over");
      const live = fresh("live");
      await repo.ban({ token: over, at: T0, until: T0 + 10, note: "" });
      await repo.ban({ token: live, at: T0, until: T0 + 1000, note: "" });
      const tokens = (await repo.listBans(T0 + 500)).map((b) => b.token);
      expect(tokens).toContain(live);
      expect(tokens).not.toContain(over);
    });

    it("trust clamps at both bounds; concurrent adjustments all count", async () => {
      const t = fresh("trust");
      expect(await repo.trust(t)).toBe(0);
      expect(await repo.adjustTrust(t, 100, T0, BOUNDS)).toBe(20);
      expect(await repo.adjustTrust(t, -500, T0, BOUNDS)).toBe(-50);
      const u = fresh("concurrent");
      await Promise.all(Array.from({ length: 20 }, () => repo.adjustTrust(u, 1, T0, BOUNDS)));
      expect(await repo.trust(u)).toBe(20);
      const v = fresh("concurrent2");
      await Promise.all(Array.from({ length: 15 }, () => repo.adjustTrust(v, -1, T0, BOUNDS)));
      expect(await repo.trust(v)).toBe(-15);
    });

    it("property: any sequence of adjustments equals the clamped running sum", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: -30, max: 30 }), { maxLength: 12 }),
          async (deltas) => {
            const t = fresh("prop");
            let model = 0;
            for (const d of deltas) {
              model = Math.max(BOUNDS.min, Math.min(BOUNDS.max, model + d));
              expect(await repo.adjustTrust(t, d, T0, BOUNDS)).toBe(model);
            }
            expect(await repo.trust(t)).toBe(model);
          },
        ),
        { numRuns: 25 },
      );
    });

    it("purge deletes exactly what retention says and keeps the rest", async () => {
      const now = T0 + 1000 * DAY;
      const retention = { resolvedReportsMs: 30 * DAY, tokenLifetimeMs: 365 * DAY };
      const oldResolved = await repo.addReport(report({ at: now - 40 * DAY }));
      await repo.resolveReport(oldResolved.id, "actioned", now - 31 * DAY);
      const recentResolved = await repo.addReport(report({ at: now - 40 * DAY }));
      await repo.resolveReport(recentResolved.id, "dismissed", now - 29 * DAY);
      const oldOpen = await repo.addReport(report({ at: now - 400 * DAY }));
      const expired = fresh("expired");
      const forGoodOld = fresh("forgood-old");
      const forGoodNew = fresh("forgood-new");
      await repo.ban({ token: expired, at: now - 10 * DAY, until: now - 1, note: "" });
      await repo.ban({ token: forGoodOld, at: now - 366 * DAY, until: null, note: "" });
      await repo.ban({ token: forGoodNew, at: now - 10 * DAY, until: null, note: "" });
      const staleTrust = fresh("stale");
      const liveTrust = fresh("livetrust");
      await repo.adjustTrust(staleTrust, 3, now - 366 * DAY, BOUNDS);
      await repo.adjustTrust(liveTrust, 3, now - 10 * DAY, BOUNDS);
      await repo.purge(now, retention);
      expect(await repo.getReport(oldResolved.id)).toBeUndefined();
      expect(await repo.getReport(recentResolved.id)).toBeDefined();
      expect(await repo.getReport(oldOpen.id)).toBeDefined(); // open reports wait for a moderator
      const bans = (await repo.listBans(now - 100 * DAY)).map((b) => b.token);
      expect(bans).not.toContain(expired);
      expect(bans).not.toContain(forGoodOld);
      expect(bans).toContain(forGoodNew);
      expect(await repo.trust(staleTrust)).toBe(0);
      expect(await repo.trust(liveTrust)).toBe(3);
      // Pairs blocked by reports made long before the horizon are gone (their tokens expired).
      const a = fresh("pa");
      const b = fresh("pb");
      await repo.addReport(report({ reporter: a, reported: b, at: now - 400 * DAY }));
      await repo.purge(now, retention);
      expect(await repo.blockedWith(a)).toEqual([]);
    });
  });
}
