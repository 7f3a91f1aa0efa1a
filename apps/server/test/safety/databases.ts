/**
 * The databases every server suite that touches persistence runs on: the embedded PGlite (the
 * default) and a real PostgreSQL that the test starts itself (Debian's binaries; see
 * packages/persistence/test/support/postgres.ts — installed with apt as root, else a clear error).
 */
import { openSafetyRepo, type SafetyRepo } from "@duet/persistence";
import { startPostgres } from "../../../../packages/persistence/test/support/postgres";

export interface Database {
  name: string;
  open(): Promise<{ repo: SafetyRepo; stop(): Promise<void> }>;
}

export const DATABASES: Database[] = [
  {
    name: "PGlite",
    async open() {
      const repo = await openSafetyRepo({ dataDir: ":memory:" });
      return { repo, stop: () => repo.close() };
    },
  },
  {
    name: "PostgreSQL",
    async open() {
      const pg = await startPostgres();
      const repo = await openSafetyRepo({ dataDir: ":memory:", databaseUrl: pg.url });
      return {
        repo,
        async stop() {
          await repo.close();
          await pg.stop();
        },
      };
    },
  },
];
