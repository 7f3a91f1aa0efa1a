/**
 * Cluster mode (REDIS_URL): this process as one node of several sharing one Redis. Builds the
 * RedisStore (packages/redis-store) and the Redis side of every seam the gateway and app.ts take
 * (docs/architecture.md, "The gateway"), on three connections: commands (auto-pipelined), the bus
 * subscription, and the router's blocking reads.
 *
 * Outages: commands fail fast rather than queue for ever (a couple of retries while ioredis
 * reconnects, then an error the gateway turns into a calm "try again" for the client), and every
 * connection reconnects by itself with a capped back-off. `ready()` is false while the command
 * connection is down (/readyz answers 503, so a load balancer sends new visitors elsewhere).
 */
import { hostname } from "node:os";
import type { Deadline, SpacePolicy } from "@duet/engine";
import type { SpaceId } from "@duet/protocol";
import { RedisStore } from "@duet/redis-store";
import { Redis, type RedisOptions } from "ioredis";
import type { DuetSeams } from "../app";
import type { Config } from "../config";
import type { ClusterMembership } from "../gateway/types";
import { randomId } from "../ids";
import { DAY_MS } from "../limits";
import type { Logger } from "../logger";
import { TimerScheduler } from "../scheduler";
import { NodeLiveness } from "./node-liveness";
import { RedisClusterBus } from "./redis-bus";
import { RedisTokenClaims } from "./redis-claims";
import { RedisDeadlineQueue } from "./redis-deadlines";
import { RedisReportBuffers } from "./redis-reports";
import { inboxKey, RedisRouter } from "./redis-router";
import { RedisSalt } from "./redis-salt";
import { RedisAdminSessions, RedisSpentChallenges, redisLimitCounters } from "./redis-small-seams";

/** What a node did as part of the cluster (aggregates only; /metrics). */
export interface ClusterStats {
  readonly node: string;
  /** Events sent to other nodes' inboxes, and read from this node's. */
  readonly routedOut: number;
  readonly routedIn: number;
  /** Deadlines this node fired that it had not set (their node died or was late). */
  readonly deadlinesAdopted: number;
  /** Dead nodes this node reaped. */
  readonly nodesReaped: number;
  /** Whether the command connection is up now. */
  readonly redisReady: boolean;
}

export interface Cluster {
  readonly node: string;
  stats(): ClusterStats;
  readonly store: RedisStore;
  readonly seams: DuetSeams;
  /** False while Redis is unreachable. */
  ready(): boolean;
  /** Calls `then` each time Redis is back after being out of reach (or restarted). */
  onRecovered(then: () => void): void;
  /** Closes the Redis connections (after the gateway has shut down). */
  close(): Promise<void>;
}

/** How a node reconnects: quickly at first, then every 2 s, for ever. */
const retryStrategy = (times: number): number => Math.min(100 * times, 2_000);

export function redisOptions(): RedisOptions {
  return {
    lazyConnect: true,
    // A command waits through at most two reconnect attempts, then fails (no silent hang).
    maxRetriesPerRequest: 2,
    retryStrategy,
    // A command that gets no answer (Redis stalled) fails after 5 s.
    commandTimeout: 5_000,
    // Off: ioredis keeps one auto-pipeline in flight per connection, and every command started
    // meanwhile waits for all of that pipeline's answers. Under churn (N = 1,000) a match round's
    // read then took ~45 ms on an otherwise idle event loop; each command written on its own, the
    // node churned ~1,400 matches/s instead of ~1,100. Gathering the store's commands per tick or
    // per event-loop turn into pipelines of our own was tried and measured no better (BENCHMARKS.md).
    enableAutoPipelining: false,
  };
}

export async function openCluster(
  settings: NonNullable<Config["cluster"]>,
  policies: ReadonlyMap<SpaceId, SpacePolicy>,
  logger: Logger,
): Promise<Cluster> {
  const node = `${hostname().slice(0, 24)}-${randomId().slice(0, 8)}`;
  const prefix = `{${settings.prefix}}:`;
  const command = new Redis(settings.redisUrl, {
    ...redisOptions(),
    connectionName: `duet:${node}`,
  });
  // Blocking reads and the subscription need connections of their own, with no command timeout
  // shorter than a blocking read.
  const subscriber = new Redis(settings.redisUrl, {
    ...redisOptions(),
    commandTimeout: undefined,
    enableAutoPipelining: false,
    maxRetriesPerRequest: null,
  });
  const reader = new Redis(settings.redisUrl, {
    ...redisOptions(),
    commandTimeout: undefined,
    enableAutoPipelining: false,
    maxRetriesPerRequest: null,
  });
  let down = false;
  let closing = false;
  const recovered: Array<() => void> = [];
  const lost = (err?: Error) => {
    if (!down && !closing) logger.error({ err: err?.message }, "Redis out of reach");
    down = true;
  };
  command.on("error", lost);
  command.on("close", () => lost());
  command.on("ready", () => {
    if (!down) return;
    down = false;
    logger.warn({}, "Redis reachable again: re-reading this node's connections");
    // Scripts may be gone (a restarted Redis): load them before anything else runs them.
    store
      .loadScripts()
      .catch(() => undefined)
      .then(() => {
        for (const then of recovered) then();
      });
  });
  // The others' errors are the same outage, already logged once.
  subscriber.on("error", () => {});
  reader.on("error", () => {});
  await Promise.all([command.connect(), subscriber.connect(), reader.connect()]);

  const logError = (what: string) => (err: unknown) =>
    logger.error({ err: err instanceof Error ? err.message : String(err) }, what);
  const store = new RedisStore(command, { prefix: settings.prefix });
  await store.loadScripts();
  const salt = new RedisSalt(command, prefix, DAY_MS, (period) =>
    logger.error({ period }, "no shared IP-hash salt (Redis unreachable): using this node's own"),
  );
  await salt.ready(Date.now());
  salt.start(() => Date.now(), logError("refreshing the shared IP-hash salt failed"));

  const bus = new RedisClusterBus(
    command,
    subscriber,
    prefix,
    logError("a cluster message failed"),
  );
  await bus.ready();
  const router = new RedisRouter(
    node,
    command,
    reader,
    prefix,
    logError("routing an event failed"),
  );
  const liveness = new NodeLiveness(command, prefix, node, {
    heartbeatMs: settings.heartbeatMs,
    deadAfterMs: settings.deadAfterMs,
  });
  const membership: ClusterMembership = {
    start: (hooks) => liveness.start(hooks),
    stop: () => liveness.stop(),
    usersOn: (other) => store.usersOnNode(other),
    forget: async (other) => {
      await command.del(inboxKey(prefix, other), `${prefix}claims:${other}`);
    },
  };

  const deadlines = new RedisDeadlineQueue<Deadline>(
    command,
    prefix,
    new TimerScheduler(),
    () => Date.now(),
    logError("a deadline failed"),
  );
  const seams: DuetSeams = {
    bus,
    claims: new RedisTokenClaims(command, prefix),
    reports: new RedisReportBuffers(command, prefix, policies, logError("report buffer failed")),
    deadlines,
    router,
    membership,
    limitCounter: redisLimitCounters(command, prefix),
    spent: new RedisSpentChallenges(command, prefix),
    salt,
    adminSessions: new RedisAdminSessions(command, prefix),
  };
  logger.info({ node, prefix }, "cluster mode: this process is one node of a Redis cluster");

  return {
    node,
    stats: () => ({
      node,
      routedOut: router.stats.sent,
      routedIn: router.stats.received,
      deadlinesAdopted: deadlines.adopted,
      nodesReaped: liveness.reaped,
      redisReady: command.status === "ready",
    }),
    store,
    seams,
    ready: () => command.status === "ready",
    onRecovered: (then) => {
      recovered.push(then);
    },
    async close() {
      closing = true;
      salt.stop();
      bus.close();
      liveness.halt();
      reader.disconnect();
      await command.quit().catch(() => command.disconnect());
    },
  };
}
