/**
 * The seams' contract suites on their Redis implementations (src/cluster/), on one throwaway
 * redis-server: two "nodes" are two objects over their own connections, and each suite's store
 * gets a prefix of its own.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { startRedis, type TestRedis } from "../../../../packages/redis-store/test/support/redis";
import { RedisClusterBus } from "../../src/cluster/redis-bus";
import { RedisTokenClaims } from "../../src/cluster/redis-claims";
import { RedisDeadlineQueue } from "../../src/cluster/redis-deadlines";
import { RedisReportBuffers } from "../../src/cluster/redis-reports";
import { RedisRouter } from "../../src/cluster/redis-router";
import { RedisSalt } from "../../src/cluster/redis-salt";
import {
  RedisAdminSessions,
  RedisSpentChallenges,
  redisLimitCounters,
} from "../../src/cluster/redis-small-seams";
import { adminSessionsContract } from "./admin-sessions.contract";
import { clusterBusContract } from "./cluster-bus.contract";
import { deadlineQueueContract, type Item } from "./deadline-queue.contract";
import { limitCounterContract } from "./limit-counter.contract";
import { ManualScheduler } from "./manual-scheduler";
import { reportBuffersContract } from "./report-buffers.contract";
import { routerContract } from "./router.contract";
import { saltContract } from "./salt.contract";
import { spentChallengesContract } from "./spent-challenges.contract";
import { tokenClaimsContract } from "./token-claims.contract";

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

routerContract("RedisRouter (a stream per node)", async () => {
  const p = prefix();
  const command = await connect();
  const nodes = [
    new RedisRouter("a", command, await connect(), p),
    new RedisRouter("b", await connect(), await connect(), p),
  ] as const;
  return {
    nodes,
    // Appends go out on each node's connection; a blocking read returns as soon as they land.
    settle: async () => {
      await Promise.all([command.ping()]);
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline) {
        const sent = nodes[0].stats.sent + nodes[1].stats.sent;
        const received = nodes[0].stats.received + nodes[1].stats.received;
        if (received >= sent) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await new Promise((r) => setTimeout(r, 20));
    },
  };
});

// Two nodes, each with its own hand-driven timers, moved in step; `advance` moves the clocks,
// runs the timers that fell due, and polls both nodes (as their intervals would), then waits for
// Redis to have answered everything sent.
deadlineQueueContract("RedisDeadlineQueue (a sorted set, claimed by any node)", async () => {
  const p = prefix();
  const schedulers = [new ManualScheduler(), new ManualScheduler()];
  const redises = [await connect(), await connect()];
  const opts = { pollMs: 3_600_000, graceMs: 20, leaseMs: 10_000 };
  const [a, b] = [0, 1].map(
    (i) =>
      new RedisDeadlineQueue<Item>(
        redises[i] as Redis,
        p,
        schedulers[i] as ManualScheduler,
        () => (schedulers[i] as ManualScheduler).now(),
        undefined,
        opts,
      ),
  ) as [RedisDeadlineQueue<Item>, RedisDeadlineQueue<Item>];
  const flush = async () => {
    for (let i = 0; i < 3; i++) {
      await Promise.all(redises.map((r) => r.ping()));
      await new Promise((r) => setImmediate(r));
    }
  };
  return {
    queue: a,
    other: b,
    now: () => (schedulers[0] as ManualScheduler).now(),
    advance: async (ms) => {
      await flush();
      for (const s of schedulers) s.advance(ms);
      await flush();
      await Promise.all([a.poll(), b.poll()]);
      await flush();
    },
  };
});

reportBuffersContract("RedisReportBuffers (a list per session)", async (policies) => {
  const p = prefix();
  const [a, b] = [await connect(), await connect()];
  return {
    here: new RedisReportBuffers(a, p, policies),
    there: new RedisReportBuffers(b, p, policies),
    settle: async () => {
      await Promise.all([a.ping(), b.ping()]);
    },
  };
});

tokenClaimsContract("RedisTokenClaims (a list per token)", async () => {
  const p = prefix();
  return [new RedisTokenClaims(await connect(), p), new RedisTokenClaims(await connect(), p)];
});
