/**
 * The seams' contract suites on their Redis implementations (src/cluster/), on one throwaway
 * redis-server: two "nodes" are two objects over their own connections, and each suite's store
 * gets a prefix of its own.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { startRedis, type TestRedis } from "../../../../packages/redis-store/test/support/redis";
import { RedisClusterBus } from "../../src/cluster/redis-bus";
import { RedisSalt } from "../../src/cluster/redis-salt";
import {
  RedisAdminSessions,
  RedisSpentChallenges,
  redisLimitCounters,
} from "../../src/cluster/redis-small-seams";
import { adminSessionsContract } from "./admin-sessions.contract";
import { clusterBusContract } from "./cluster-bus.contract";
import { limitCounterContract } from "./limit-counter.contract";
import { saltContract } from "./salt.contract";
import { spentChallengesContract } from "./spent-challenges.contract";

let server: TestRedis;
const clients: Redis[] = [];
let prefixes = 0;

/** A new connection to the test server (closed after the file). */
async function connect(): Promise<Redis> {
  const redis = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  clients.push(redis);
  await redis.connect();
  return redis;
}
const prefix = (): string => {
  prefixes += 1;
  return `{seams-${prefixes}}:`;
};

beforeAll(async () => {
  server = await startRedis();
}, 600_000);

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server?.stop();
});

clusterBusContract("RedisClusterBus", async () => {
  const p = prefix();
  const nodes = [
    new RedisClusterBus(await connect(), await connect(), p),
    new RedisClusterBus(await connect(), await connect(), p),
  ] as const;
  await Promise.all(nodes.map((n) => n.ready()));
  const probe = await connect();
  return {
    nodes,
    // Every message published so far has been delivered once a round trip through each
    // publisher's connection is back: Redis delivers a PUBLISH before answering the next command.
    settle: async () => {
      await probe.ping();
      await new Promise((r) => setTimeout(r, 50));
    },
  };
});

spentChallengesContract("RedisSpentChallenges", async () => {
  const p = prefix();
  return [
    new RedisSpentChallenges(await connect(), p),
    new RedisSpentChallenges(await connect(), p),
  ];
});

adminSessionsContract("RedisAdminSessions", async (limits) => {
  const p = prefix();
  return [
    new RedisAdminSessions(await connect(), p, limits),
    new RedisAdminSessions(await connect(), p, limits),
  ];
});

saltContract("RedisSalt", async (start, rotationMs) => {
  const p = prefix();
  const nodes = [
    new RedisSalt(await connect(), p, rotationMs),
    new RedisSalt(await connect(), p, rotationMs),
  ] as const;
  await Promise.all(nodes.map((n) => n.ready(start)));
  return [nodes[0], nodes[1]];
});

// Redis keeps the windows on its own clock: a one-second window, and real waits.
limitCounterContract(
  "RedisLimitCounters (rate-limiter-flexible's Redis limiter)",
  async (points) => {
    const counters = redisLimitCounters(await connect(), prefix());
    return {
      counter: counters("test", { scope: "person", points, durationMs: 1_000 }),
      windowMs: 1_000,
      advance: (ms) => new Promise((r) => setTimeout(r, ms)),
    };
  },
);
