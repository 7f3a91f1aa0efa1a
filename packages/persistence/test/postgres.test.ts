import { afterAll, beforeAll } from "vitest";
import { openSafetyRepo } from "../src/index";
import { repoContract } from "./repo-contract";
import { startPostgres, type TestPostgres } from "./support/postgres";

let pg: TestPostgres | undefined;
beforeAll(async () => {
  pg = await startPostgres();
}, 180_000);
afterAll(async () => {
  await pg?.stop();
}, 60_000);

repoContract("PostgreSQL (throwaway cluster)", () => {
  if (!pg) throw new Error("PostgreSQL did not start");
  return openSafetyRepo({ dataDir: ":memory:", databaseUrl: pg.url });
});
