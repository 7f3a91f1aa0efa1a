/**
 * Duet without Next.js, for the load harness: a bare node:http server (backlog 4096, so a burst
 * of connects is not dropped and retried 1 s later), `createDuet` from apps/server/src/app.ts
 * (the same wiring main.ts uses), Duet's own HTTP routes and a 404 for everything else.
 *
 * Configuration differs from production only where the bench needs it (BENCHMARKS.md says so):
 * - TOKEN_SECRET is a known value, so generators can mint valid pass cookies themselves instead
 *   of solving one proof of work per simulated browser;
 * - an in-memory PGlite (no disk), LOG_LEVEL=warn;
 * - RATE_LIMITS: every generator connects from 127.0.0.1, so the per-IP and per-person limits
 *   would refuse the load itself. The limiters keep running (their cost is part of what is
 *   measured) with the same rules and scopes as DEFAULT_LIMITS but points no test reaches.
 * - duet-redis: REDIS_URL (a throwaway redis-server the coordinator starts, procs.ts), with a
 *   DATABASE_URL only to pass the configuration check (the in-memory PGlite above is used).
 * - The caps on connections and waiting places per address (connection-caps.ts) are lifted for
 *   the same reason (every simulated person shares 127.0.0.1); they are still checked per
 *   connection and per join, so their cost is measured too.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { CountingStore, MemoryStore, type Store } from "@duet/engine";
import { openSafetyRepo } from "@duet/persistence";
import { createDuet } from "../../apps/server/src/app";
import { loadConfig } from "../../apps/server/src/config";
import type { Logger } from "../../apps/server/src/logger";
import type { RunningRelay } from "../reference/ws-relay";

/** The token secret of bench servers: generators mint pass cookies with it. */
export const BENCH_TOKEN_SECRET = "bench-secret-that-is-at-least-32-characters-long";

const HUGE = 1_000_000_000;
const rule = (scope: "person" | "ip" | "global", durationMs: number) => ({
  scope,
  points: HUGE,
  durationMs,
});

/** Same rules and scopes as limits.ts DEFAULT_LIMITS, with unreachable points. */
export const BENCH_RATE_LIMITS = {
  connect: [rule("ip", 60_000)],
  join: [rule("person", 60_000)],
  message: [rule("person", 5_000), rule("person", 60_000)],
  typing: [rule("person", 5_000)],
  report: [rule("person", 3_600_000)],
  signal: [rule("person", 10_000)],
};

/** Warnings and errors to stderr as one JSON line each; nothing below warn. */
const stderrLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: "warn", msg, ...obj })}\n`),
  error: (obj, msg) =>
    process.stderr.write(
      `${JSON.stringify({ level: "error", msg, err: String((obj as { err?: unknown }).err) })}\n`,
    ),
};

export interface DuetServerOptions {
  /** Extra environment (e.g. SPACES, DORMPARTY_PAIR_COOLDOWN_MS). */
  env?: Record<string, string>;
}

export async function startDuetServer(options: DuetServerOptions = {}): Promise<RunningRelay> {
  const config = loadConfig({
    HOST: "127.0.0.1",
    PORT: "0",
    SHUTDOWN_GRACE_MS: "0",
    TOKEN_SECRET: BENCH_TOKEN_SECRET,
    LOG_LEVEL: "warn",
    DATA_DIR: ":memory:",
    RATE_LIMITS: JSON.stringify(BENCH_RATE_LIMITS),
    MAX_CONNECTIONS_PER_ADDRESS: "1000000",
    MAX_WAITING_PER_ADDRESS: "1000000",
    // Only to keep the "admin is disabled" warning out of the bench output; nobody signs in.
    ADMIN_PASSWORD: "bench-admin-password-never-used",
    ...options.env,
  });
  const repo = await openSafetyRepo({ dataDir: ":memory:" });
  const http = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://duet.invalid");
    duet.handleHttp(req, res, url).then(
      (handled) => {
        if (!handled) res.writeHead(404).end();
      },
      () => res.writeHead(500).end(),
    );
  });
  // duet-redis (REDIS_URL): cluster mode opens its own RedisStore and seams. Either store is
  // wrapped to count the engine's calls (a property increment per call): store calls per match.
  let counting: CountingStore | undefined;
  const duet = await createDuet(http, config, stderrLogger, {
    ...(config.cluster ? {} : { store: new MemoryStore() }),
    wrapStore: (store: Store) => {
      counting = new CountingStore(store);
      return counting;
    },
    repo,
  });
  await new Promise<void>((resolve) =>
    http.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, resolve),
  );
  return {
    port: (http.address() as AddressInfo).port,
    connections: () => duet.gateway.connections(),
    storeCalls: () => counting?.counts() ?? {},
    async close() {
      await duet.close();
      await repo.close();
    },
  };
}
