/**
 * For the browser tests' PostgreSQL project: starts a throwaway PostgreSQL (Debian's binaries, see
 * packages/persistence/test/support/postgres.ts), then the Duet server with DATABASE_URL pointing
 * at it, and stops the database when the server exits. Everything stays on 127.0.0.1.
 */
import { spawn } from "node:child_process";
import { startPostgres } from "../packages/persistence/test/support/postgres";

const pg = await startPostgres();
const server = spawn(process.execPath, ["--import", "tsx", "apps/server/src/main.ts"], {
  env: { ...process.env, DATABASE_URL: pg.url },
  stdio: "inherit",
});
let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  server.kill(signal);
};
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
server.on("exit", (code) => {
  pg.stop().finally(() => process.exit(code ?? 0));
});
