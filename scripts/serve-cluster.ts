/**
 * For the browser tests' cluster project (e2e/cluster.spec.ts): a throwaway redis-server and
 * PostgreSQL (Debian's packages: packages/redis-store/test/support/redis.ts and
 * packages/persistence/test/support/postgres.ts), then two Duet nodes on the ports in
 * CLUSTER_PORTS (comma-separated), each a process of its own with REDIS_URL and DATABASE_URL: a
 * cluster of two on 127.0.0.1. The second node starts once the first is ready, so its /readyz
 * answering means both serve. Everything stops when this process is told to.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { startPostgres } from "../packages/persistence/test/support/postgres";
import { startRedis } from "../packages/redis-store/test/support/redis";

const ports = (process.env.CLUSTER_PORTS ?? "").split(",").filter(Boolean);
if (ports.length < 2) throw new Error("CLUSTER_PORTS: two ports or more, e.g. 3111,3112");

const [redis, pg] = await Promise.all([startRedis(), startPostgres()]);
const children: ChildProcess[] = [];
let stopping = false;

const stop = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill(signal);
};
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));

async function ready(port: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`node on port ${port} not ready in 120 s`);
}

for (const port of ports) {
  const child = spawn(process.execPath, ["--import", "tsx", "apps/server/src/main.ts"], {
    env: {
      ...process.env,
      PORT: port,
      REDIS_URL: redis.url,
      DATABASE_URL: pg.url,
      TOKEN_SECRET: process.env.TOKEN_SECRET ?? "e2e-cluster-token-secret-0123456789abcdef",
    },
    stdio: "inherit",
  });
  children.push(child);
  child.on("exit", (code) => {
    // One node gone ends the cluster (the test would otherwise see half of it).
    stop("SIGTERM");
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) {
      Promise.allSettled([redis.stop(), pg.stop()]).finally(() => process.exit(code ?? 0));
    }
  });
  await ready(port);
}
