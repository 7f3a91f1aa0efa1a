/**
 * The contract over PGlite. One in-memory PGlite is shared by the contract's tests (starting one
 * costs seconds): each test's repo opens on it (so migrations re-run, as no-ops) after its tables
 * are emptied. The `dataDir: ":memory:"` path and a data folder are tested on their own.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrationsFolder, openSafetyRepo } from "../src/index";
import { repoAtomicity, repoContract } from "./repo-contract";

const TABLES = "reports, bans, trust, blocked_pairs";

let shared: PGlite;
beforeAll(async () => {
  shared = new PGlite();
  await shared.waitReady;
}, 300_000);
afterAll(async () => {
  await shared?.close();
});

async function openEmpty() {
  const repo = await openSafetyRepo({ dataDir: ":memory:", pglite: shared });
  await shared.exec(`TRUNCATE ${TABLES}`);
  return repo;
}

repoContract("PGlite (in memory)", openEmpty);

repoAtomicity("PGlite (in memory)", async () => ({
  repo: await openEmpty(),
  exec: async (sql) => {
    await shared.exec(sql);
  },
}));

const journalEntries = (): number =>
  (
    JSON.parse(readFileSync(join(migrationsFolder, "meta", "_journal.json"), "utf8")) as {
      entries: unknown[];
    }
  ).entries.length;

describe("PGlite drivers", () => {
  it('dataDir ":memory:" opens a fresh migrated database of its own', async () => {
    const repo = await openSafetyRepo({ dataDir: ":memory:" });
    try {
      expect(await repo.ping()).toBe(true);
      expect(await repo.listReports()).toEqual([]);
      expect(await repo.adjustTrust("t", 2, 1, { min: -5, max: 5 })).toBe(2);
    } finally {
      await repo.close();
    }
    expect(await repo.ping()).toBe(false);
  }, 300_000);

  it("a data folder keeps data across close and reopen; migrations are applied once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "duet-pglite-"));
    try {
      const first = await openSafetyRepo({ dataDir: dir });
      await first.ban({ token: "kept", at: 1, until: null, note: "n" });
      const report = await first.addReport({
        space: "stimchat",
        at: 5,
        reason: "spam",
        note: "ünïcødé",
        reporter: "a",
        reported: "b",
        transcript: [{ from: "reported", text: "✨", at: 4 }],
        trustPenalty: 2,
      });
      await first.close();

      const second = await openSafetyRepo({ dataDir: dir });
      expect(await second.activeBan("kept", 2)).toMatchObject({ token: "kept", until: null });
      expect(await second.getReport(report.id)).toEqual(report);
      expect(await second.trust("b")).toBe(-2);
      expect(await second.blockedWith("a")).toEqual(["b"]);
      await second.close();

      // The files are in <dataDir>/pglite; drizzle recorded each migration exactly once.
      const raw = new PGlite(join(dir, "pglite"));
      try {
        const applied = await raw.query<{ n: number }>(
          "SELECT count(*)::integer AS n FROM drizzle.__drizzle_migrations",
        );
        expect(applied.rows[0]?.n).toBe(journalEntries());
      } finally {
        await raw.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
