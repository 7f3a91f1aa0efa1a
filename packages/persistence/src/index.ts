/**
 * @duet/persistence — the safety records of SPEC §6 in PostgreSQL: reports (with the transcript
 * where a space keeps one), bans, trust scores and blocked pairs. Nothing about an unreported
 * conversation is ever written here. See types.ts for the interface and docs/operations.md for
 * what is kept for how long (`purge` applies it).
 *
 * Drivers: `databaseUrl` → node-postgres (a real PostgreSQL); otherwise PGlite (embedded
 * PostgreSQL, WebAssembly) in `<dataDir>/pglite`, or in memory with `dataDir: ":memory:"` (tests).
 *
 * Migrations: versioned SQL in ../migrations, written by drizzle-kit from src/schema.ts
 * (`npm run generate -w @duet/persistence` after editing the schema; offline). They run on every
 * open; drizzle records applied ones in its own table, so re-running is a no-op.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { type Db, DrizzleSafetyRepo } from "./repo";
import type { SafetyRepo } from "./types";

export * from "./types";

const migrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url));

export interface OpenOptions {
  /** postgres://… — use this PostgreSQL. */
  readonly databaseUrl?: string;
  /** Folder for the embedded database (`<dataDir>/pglite`); ":memory:" keeps it in memory. */
  readonly dataDir: string;
}

export async function openSafetyRepo(options: OpenOptions): Promise<SafetyRepo> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
    const db = drizzlePg({ client: pool });
    try {
      await migratePg(db, { migrationsFolder });
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new DrizzleSafetyRepo(db as unknown as Db, () => pool.end());
  }
  let client: PGlite;
  if (options.dataDir === ":memory:") client = new PGlite();
  else {
    const dir = join(options.dataDir, "pglite");
    mkdirSync(dir, { recursive: true });
    client = new PGlite(dir);
  }
  const db = drizzlePglite({ client });
  try {
    await migratePglite(db, { migrationsFolder });
  } catch (err) {
    await client.close();
    throw err;
  }
  return new DrizzleSafetyRepo(db as unknown as Db, () => client.close());
}
