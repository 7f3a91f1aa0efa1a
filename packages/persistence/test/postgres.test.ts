/**
 * The same contract against a real PostgreSQL that this file starts (test/support/postgres.ts):
 * a new, empty database for every test. Plus what only a server shows: several pools (servers)
 * migrating and writing at once.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSafetyRepo } from "../src/index";
import type { SafetyRepo } from "../src/types";
import { repoAtomicity, repoContract } from "./repo-contract";
import { startPostgres, type TestPostgres } from "./support/postgres";

let server: TestPostgres | undefined;
beforeAll(async () => {
  server = await startPostgres();
}, 900_000); // may include installing the Debian package
afterAll(async () => {
  await server?.stop();
}, 60_000);

function cluster(): TestPostgres {
  if (!server) throw new Error("PostgreSQL did not start");
  return server;
}

async function openEmpty(): Promise<SafetyRepo> {
  return openSafetyRepo({ dataDir: ":memory:", databaseUrl: await cluster().newDatabase() });
}

async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

repoContract("PostgreSQL (throwaway cluster)", openEmpty);

repoAtomicity("PostgreSQL (throwaway cluster)", async () => {
  const url = await cluster().newDatabase();
  return {
    repo: await openSafetyRepo({ dataDir: ":memory:", databaseUrl: url }),
    exec: async (text) => {
      await sql(url, text);
    },
  };
});

describe("PostgreSQL shared by several servers", () => {
  it("the helper's default database answers", async () => {
    const rows = await sql<{ one: number }>(cluster().url, "SELECT 1 AS one");
    expect(rows).toEqual([{ one: 1 }]);
    expect(cluster().url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/duet_test$/);
  });

  it("servers opening at once migrate once; their concurrent writes all count", async () => {
    const url = await cluster().newDatabase();
    const repos = await Promise.all(
      Array.from({ length: 4 }, () =>
        openSafetyRepo({ dataDir: ":memory:", databaseUrl: url, maxConnections: 4 }),
      ),
    );
    try {
      const applied = await sql<{ n: number }>(
        url,
        "SELECT count(*)::integer AS n FROM drizzle.__drizzle_migrations",
      );
      expect(applied).toEqual([{ n: 1 }]);
      const bounds = { min: -1000, max: 1000 };
      await Promise.all(
        repos.flatMap((repo) =>
          Array.from({ length: 10 }, () => repo.adjustTrust("shared", 1, 1, bounds)),
        ),
      );
      for (const repo of repos) expect(await repo.trust("shared")).toBe(40);
      const reporters = Array.from({ length: 8 }, (_, i) => `reporter-${i}`);
      await Promise.all(
        reporters.map((reporter, i) =>
          repos[i % repos.length]?.addReport({
            space: "stimchat",
            at: i,
            reason: "spam",
            note: null,
            reporter,
            reported: "target",
            transcript: null,
            trustPenalty: 5,
            trustBounds: bounds,
          }),
        ),
      );
      expect(await repos[0]?.trust("target")).toBe(-40);
      expect((await repos[1]?.blockedWith("target"))?.sort()).toEqual(reporters);
    } finally {
      await Promise.all(repos.map((r) => r.close()));
    }
  });

  it("an unreachable server fails to open with an error naming the step", async () => {
    const url = "postgres://postgres@127.0.0.1:1/nowhere";
    await expect(openSafetyRepo({ dataDir: ":memory:", databaseUrl: url })).rejects.toThrow(
      /persistence: migrating PostgreSQL failed/,
    );
  });
});
