/**
 * Cluster-mode figures (issue 18; BENCHMARKS.md "Cluster mode"). A measurement, not a test:
 * nothing here passes or fails. Everything on 127.0.0.1: a throwaway redis-server (and, for the
 * crash part, PostgreSQL) from Debian's packages, Duet nodes in this process or in a child.
 *
 *   npm run bench:cluster                         # all parts
 *   npm run bench:cluster -- --parts ops,scripts  # ops | scripts | crash
 *   npm run bench:cluster -- --pairs 300 --seconds 10
 *
 * - ops: Redis commands per match and per relayed message, counted by Redis itself (INFO
 *   commandstats deltas) while real Socket.IO clients pair up and talk: one node (both people on
 *   it) and two nodes (one person on each). Round trips on the critical path = the engine's
 *   sequential store calls, also listed.
 * - scripts: what one Redis primary sustains for Duet's scripts: RedisStore driven directly
 *   (no gateway), full match cycles (add two users, enqueue both, create the session, both enter,
 *   close, remove both) from several connections at once, with redis-server's own CPU time, so
 *   the figure says whether Redis or this client was the limit.
 * - crash: a node in a child process with `pairs` conversations across to a live node is killed
 *   (SIGKILL) with the production timings (heartbeat 2 s, dead after 6 s); each partner's time
 *   from the kill to its ENDED view, p50/p99.
 * Every loop is bounded in count and time; the whole run by --timeout-s (default 900).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { MemoryStore, type QueueEntry, type Store } from "@duet/engine";
import { RedisStore } from "@duet/redis-store";
import { Redis } from "ioredis";
import {
  meetAndEnter,
  mintToken,
  startClusterNode,
  TEST_TOKEN_SECRET,
  TestClient,
  until,
} from "../apps/server/test/harness";
import { startPostgres } from "../packages/persistence/test/support/postgres";
import { startRedis, type TestRedis } from "../packages/redis-store/test/support/redis";

const { values: args } = parseArgs({
  options: {
    parts: { type: "string", default: "ops,scripts,crash" },
    pairs: { type: "string", default: "200" },
    seconds: { type: "string", default: "8" },
    "timeout-s": { type: "string", default: "900" },
  },
});
const PARTS = new Set(args.parts.split(","));
const PAIRS = Math.max(10, Math.min(2_000, Number(args.pairs) || 200));
const SECONDS = Math.max(2, Math.min(60, Number(args.seconds) || 8));
const deadline = setTimeout(
  () => {
    console.error("bench:cluster: --timeout-s reached, stopping");
    process.exit(2);
  },
  Math.max(60, Number(args["timeout-s"]) || 900) * 1000,
);
deadline.unref();

const print = (s: string) => process.stdout.write(`${s}\n`);
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

/** INFO commandstats as command → calls. */
async function commandStats(redis: Redis): Promise<Map<string, number>> {
  const text = await redis.info("commandstats");
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^cmdstat_([a-z|_-]+):calls=(\d+)/.exec(line.trim());
    if (m?.[1] && m[2]) out.set(m[1], Number(m[2]));
  }
  return out;
}
const delta = (after: Map<string, number>, before: Map<string, number>): Map<string, number> =>
  new Map(
    [...after]
      .map(([k, v]) => [k, v - (before.get(k) ?? 0)] as [string, number])
      .filter(([k, v]) => v > 0 && k !== "info"),
  );
const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
const describe = (m: Map<string, number>, per: number): string =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${(v / per).toFixed(1)}`)
    .join(", ");

/** redis-server's CPU seconds (utime + stime) from /proc. */
function redisCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function redisPid(redis: Redis): Promise<number> {
  const text = await redis.info("server");
  return Number(/process_id:(\d+)/.exec(text)?.[1]);
}

// ---- ops per match and per message -----------------------------------------------------------

async function partOps(server: TestRedis): Promise<void> {
  const pg = await startPostgres();
  const probe = new Redis(server.url);
  const env = {
    REDIS_URL: server.url,
    REDIS_PREFIX: "bench-ops",
    DATABASE_URL: pg.url,
    RATE_LIMITS: JSON.stringify({
      connect: [{ scope: "ip", points: 1_000_000, durationMs: 60_000 }],
      join: [{ scope: "person", points: 1_000_000, durationMs: 60_000 }],
      message: [{ scope: "person", points: 1_000_000, durationMs: 5_000 }],
    }),
    MAX_CONNECTIONS_PER_ADDRESS: "100000",
    MAX_WAITING_PER_ADDRESS: "100000",
  };
  const n1 = await startClusterNode(env);
  const n2 = await startClusterNode(env);
  const clients: TestClient[] = [];
  const MATCHES = 50;
  const MESSAGES = 200;
  try {
    print("\n## Redis commands per match and per relayed message (INFO commandstats)");
    print("| where | per | commands | of which | ");
    print("| --- | --- | --- | --- |");
    for (const [label, a, b] of [
      ["one node", n1, n1],
      ["two nodes", n1, n2],
    ] as const) {
      // Let heartbeats and polls be counted separately: measured over an idle second.
      const idle0 = await commandStats(probe);
      await new Promise((r) => setTimeout(r, 1_000));
      const idle = delta(await commandStats(probe), idle0);

      const pairs: [TestClient, TestClient][] = [];
      for (let i = 0; i < MATCHES; i++) {
        const x = await TestClient.connect(a);
        const y = await TestClient.connect(b);
        clients.push(x, y);
        pairs.push([x, y]);
      }
      const before = await commandStats(probe);
      const t0 = Date.now();
      for (const [x, y] of pairs) {
        await meetAndEnter(
          x,
          y,
          { space: "menti", intent: "talk" },
          { space: "menti", intent: "listen" },
        );
      }
      const matchMs = Date.now() - t0;
      const matched = delta(await commandStats(probe), before);
      const [x, y] = pairs[0] as [TestClient, TestClient];
      const m0 = await commandStats(probe);
      const t1 = Date.now();
      for (let i = 0; i < MESSAGES; i++) await x.emit("send", { text: `m${i}` });
      await until(() => y.messages.length >= MESSAGES, 60_000, "messages delivered");
      const msgMs = Date.now() - t1;
      const sent = delta(await commandStats(probe), m0);
      // Background (heartbeats, deadline polls) over the same time, taken off.
      const less = (m: Map<string, number>, ms: number) =>
        new Map(
          [...m]
            .map(([k, v]) => [k, v - ((idle.get(k) ?? 0) * ms) / 1000] as [string, number])
            .filter(([, v]) => v > 0.5),
        );
      const perMatch = less(matched, matchMs);
      const perMsg = less(sent, msgMs);
      print(
        `| ${label} | match (join ×2, enter ×2) | ${(sum(perMatch) / MATCHES).toFixed(1)} | ${describe(perMatch, MATCHES)} |`,
      );
      print(
        `| ${label} | relayed message | ${(sum(perMsg) / MESSAGES).toFixed(2)} | ${describe(perMsg, MESSAGES) || "none"} |`,
      );
      for (const c of clients.splice(0)) c.close();
    }
    print(
      "\nRound trips on a match's critical path: join = its round's enqueueMany (the joiners' enqueues and the buckets' read in one script), then createSessions (the round's commits in one script); enter = nothing for the first of a pair on one node, enterSession for the second (two nodes: one each). A message between two people on one node needs no Redis command (the node's copy of the pair); between nodes one XADD (the receiving node's XREAD and XDEL are not on the sender's path). Heartbeats and deadline polls, counted over an idle second, are taken off: the evalsha column is the noisiest (the heartbeats are scripts too).",
    );
  } finally {
    for (const c of clients) c.close();
    await n1.close();
    await n2.close();
    probe.disconnect();
    await pg.stop();
  }
}

// ---- scripts per second on one primary -------------------------------------------------------

/**
 * One full match cycle on a store: two users added, both enqueued, a peek, the session created,
 * both entered, closed, both removed = 11 store operations.
 */
async function matchCycle(store: Store, tag: string, bucket: string): Promise<void> {
  const [a, b] = [`${tag}a`, `${tag}b`];
  await Promise.all([
    store.addUser({ id: a, browserId: `B${a}`, state: "IDLE" }),
    store.addUser({ id: b, browserId: `B${b}`, state: "IDLE" }),
  ]);
  const req = (u: string) => ({
    userId: u,
    from: ["IDLE" as const],
    space: "menti" as const,
    intent: "both" as const,
    since: Date.now(),
    buckets: [bucket],
  });
  const ra = await store.enqueue(req(a));
  const rb = await store.enqueue(req(b));
  await store.peek([bucket], 8);
  if (!ra.ok || !rb.ok) throw new Error("enqueue failed");
  const s = `s-${tag}`;
  await store.createSession(
    {
      id: s,
      space: "menti",
      participants: [a, b],
      browsers: [`B${a}`, `B${b}`],
      status: "PENDING",
      entered: [],
      createdAt: 0,
      enterBy: Date.now() + 15_000,
    },
    ra.entry,
    rb.entry,
  );
  await Promise.all([store.enterSession(s, a, 1), store.enterSession(s, b, 1)]);
  await store.closeSession(s, "left", a);
  await Promise.all([store.removeUser(a), store.removeUser(b)]);
}

/** Pairs per round in `roundCycle`: a busy node's rounds carry tens to hundreds of pairs. */
const ROUND_PAIRS = 16;

/**
 * One match round as a busy cluster node makes it now, for `ROUND_PAIRS` pairs of people who stay
 * connected (as in the churn: nobody is added or removed): every joiner enqueued with the round's
 * read in one call (enqueueMany), every pair committed in one more (createSessions), each session
 * entered by one call (a same-node pair's first `enter` is kept by the engine: `earlier`), and
 * closed by one. Returns the pairs made.
 */
async function roundCycle(store: Store, users: readonly string[], bucket: string, i: number) {
  const since = Date.now();
  const reqs = users.map((u) => ({
    userId: u,
    from: ["IDLE" as const, "ENDED" as const],
    space: "menti" as const,
    intent: "both" as const,
    since,
    buckets: [bucket],
  }));
  const { results } = await store.enqueueMany(reqs, [bucket], users.length + 8);
  const entries = results.map((r) => {
    if (!r.ok) throw new Error(`enqueue failed: ${r.reason}`);
    return r.entry;
  });
  const commits = [];
  for (let p = 0; p + 1 < entries.length; p += 2) {
    const [a, b] = [entries[p], entries[p + 1]] as [QueueEntry, QueueEntry];
    commits.push({
      session: {
        id: `s-${a.userId}-${i}`,
        space: "menti" as const,
        participants: [a.userId, b.userId] as const,
        browsers: [a.browserId, b.browserId] as const,
        status: "PENDING" as const,
        entered: [],
        createdAt: 0,
        enterBy: since + 15_000,
      },
      a,
      b,
    });
  }
  const made = await store.createSessions(commits);
  if (!made.every((m) => m.ok)) throw new Error("a commit failed");
  await Promise.all(
    commits.map((c) => store.enterSession(c.session.id, c.b.userId, 1, c.a.userId)),
  );
  await Promise.all(commits.map((c) => store.closeSession(c.session.id, "left", c.a.userId)));
  return commits.length;
}

/**
 * Runs `count` lanes side by side for SECONDS, then calls `stop` and waits for them: the time
 * taken and redis-server's and this process's CPU over it, as fractions of a core.
 */
async function timedLanes(
  count: number,
  lane: (l: number) => Promise<void>,
  pid: number,
  stop: () => void,
): Promise<{ secs: number; redisCpu: number; clientCpu: number }> {
  const cpu0 = redisCpuSeconds(pid);
  const client0 = process.cpuUsage();
  const t0 = Date.now();
  const lanes = Array.from({ length: count }, (_, l) => lane(l));
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  stop();
  await Promise.all(lanes);
  const secs = (Date.now() - t0) / 1000;
  const client = process.cpuUsage(client0);
  return {
    secs,
    redisCpu: (redisCpuSeconds(pid) - cpu0) / secs,
    clientCpu: (client.user + client.system) / 1e6 / secs,
  };
}

async function partScripts(server: TestRedis): Promise<void> {
  const CONNECTIONS = 4;
  const LANES = 64;
  const redises = Array.from(
    { length: CONNECTIONS },
    () => new Redis(server.url, { enableAutoPipelining: true }),
  );
  const probe = new Redis(server.url);
  const pid = await redisPid(probe);
  await new RedisStore(redises[0] as Redis, { prefix: "bench-scripts" }).loadScripts();
  const stores = redises.map((r) => new RedisStore(r, { prefix: "bench-scripts" }));
  let cycles = 0;
  let stop = false;
  const lane = async (l: number): Promise<void> => {
    const store = stores[l % stores.length] as RedisStore;
    for (let i = 0; !stop && i < 1_000_000; i++) {
      await matchCycle(store, `l${l}i${i}`, `menti:lane${l}`);
      cycles += 1;
    }
  };
  const { secs, redisCpu, clientCpu } = await timedLanes(LANES, lane, pid, () => {
    stop = true;
  });
  // Per cycle: 2 addUser, 2 enqueue, 1 peek, 1 createSession, 2 enterSession, 1 closeSession,
  // 2 removeUser = 11 store operations.
  print("\n## What one Redis primary sustains for Duet's store scripts (RedisStore, no gateway)");
  print(
    `${CONNECTIONS} connections, ${LANES} match cycles in flight, ${secs.toFixed(1)} s: ${(cycles / secs).toFixed(0)} match cycles/s = ${((cycles * 11) / secs).toFixed(0)} store operations/s; redis-server CPU ${(redisCpu * 100).toFixed(0)} % of a core, this client ${(clientCpu * 100).toFixed(0)} % (2 cores shared: the figure is Redis's limit only if its CPU is near 100 %)`,
  );
  // The same primary, driven as a busy node's rounds now drive it (issue 18, session 22).
  let roundMatches = 0;
  stop = false;
  const roundLane = async (l: number): Promise<void> => {
    const store = stores[l % stores.length] as RedisStore;
    const users = Array.from({ length: 2 * ROUND_PAIRS }, (_, k) => `r${l}u${k}`);
    await Promise.all(
      users.map((u) => store.addUser({ id: u, browserId: `B${u}`, state: "IDLE" })),
    );
    for (let i = 0; !stop && i < 1_000_000; i++) {
      // Not `roundMatches += await …`: that reads the total before the await, and the lanes
      // running meanwhile would be counted over.
      const made = await roundCycle(store, users, `menti:round${l}`, i);
      roundMatches += made;
    }
  };
  const LANES_R = 8;
  const {
    secs: secs2,
    redisCpu: redisCpu2,
    clientCpu: clientCpu2,
  } = await timedLanes(LANES_R, roundLane, pid, () => {
    stop = true;
  });
  print(
    `As a busy node's match rounds use it (${ROUND_PAIRS} pairs a round: one enqueueMany, one createSessions, one enterSession and one closeSession per pair; ${LANES_R} rounds in flight, ${secs2.toFixed(1)} s): ${(roundMatches / secs2).toFixed(0)} matches/s = ${(((roundMatches / ROUND_PAIRS) * 2 + roundMatches * 2) / secs2).toFixed(0)} script calls/s; redis-server CPU ${(redisCpu2 * 100).toFixed(0)} % of a core, this client ${(clientCpu2 * 100).toFixed(0)} %`,
  );
  // For comparison: the same cycle on MemoryStore in this process, one at a time.
  const mem = new MemoryStore();
  const t1 = Date.now();
  let memCycles = 0;
  for (let i = 0; Date.now() - t1 < 2_000 && i < 1_000_000; i++) {
    await matchCycle(mem, `m${i}`, "menti:mem");
    memCycles += 1;
  }
  print(
    `(MemoryStore, the same cycle in this process: ${(memCycles / ((Date.now() - t1) / 1000)).toFixed(0)} cycles/s — the store is not what limits one process.)`,
  );
  const used = await probe.info("memory");
  print(`redis used_memory after the run: ${/used_memory_human:(\S+)/.exec(used)?.[1]}`);
  for (const r of redises) r.disconnect();
  probe.disconnect();
}

// ---- crash → partner told --------------------------------------------------------------------

async function partCrash(server: TestRedis): Promise<void> {
  const pg = await startPostgres();
  const env = {
    REDIS_URL: server.url,
    REDIS_PREFIX: "bench-crash",
    DATABASE_URL: pg.url,
    TOKEN_SECRET: TEST_TOKEN_SECRET,
    HOST: "127.0.0.1",
    PORT: "0",
    SHUTDOWN_GRACE_MS: "0",
    RATE_LIMITS: JSON.stringify({
      connect: [{ scope: "ip", points: 1_000_000, durationMs: 60_000 }],
      join: [{ scope: "person", points: 1_000_000, durationMs: 60_000 }],
    }),
    MAX_CONNECTIONS_PER_ADDRESS: "100000",
    MAX_WAITING_PER_ADDRESS: "100000",
  };
  const proc: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", "apps/server/test/cluster/node-process.ts"],
    {
      env: { NODE_ENV: "test", PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("child node did not start")), 120_000);
    createInterface({ input: proc.stdout as NonNullable<typeof proc.stdout> }).once("line", (l) => {
      clearTimeout(t);
      resolve(l);
    });
  });
  const doomed = { url: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}` };
  const live = await startClusterNode(env);
  const clients: TestClient[] = [];
  try {
    const partners: TestClient[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const there = await TestClient.connect(doomed);
      const here = await TestClient.connect(live, {
        extraHeaders: { cookie: mintToken(live).cookie },
      });
      clients.push(there, here);
      await meetAndEnter(
        there,
        here,
        { space: "menti", intent: "talk" },
        { space: "menti", intent: "listen" },
      );
      partners.push(here);
    }
    const told = new Map<TestClient, number>();
    const killedAt = Date.now();
    proc.kill("SIGKILL");
    await until(
      () => {
        for (const p of partners) {
          if (!told.has(p) && p.state?.state === "ENDED") told.set(p, Date.now() - killedAt);
        }
        return told.size === partners.length;
      },
      60_000,
      "every partner told",
    );
    const times = [...told.values()];
    print("\n## A node crashes: from SIGKILL to each partner's ENDED view");
    print(
      `${PAIRS} conversations across a killed node and a live one, heartbeat 2 s, dead after 6 s: p50 ${pct(times, 50)} ms, p99 ${pct(times, 99)} ms, max ${Math.max(...times)} ms (SPEC: 15 s)`,
    );
  } finally {
    proc.kill("SIGKILL");
    for (const c of clients) c.close();
    await live.close();
    await pg.stop();
  }
}

const redisServer = await startRedis();
print(
  `# bench:cluster — ${new Date().toISOString()}, node ${process.version}, load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")}`,
);
try {
  if (PARTS.has("ops")) await partOps(redisServer);
  if (PARTS.has("scripts")) await partScripts(redisServer);
  if (PARTS.has("crash")) await partCrash(redisServer);
} finally {
  await redisServer.stop();
  print(
    `\nload average after: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
}
process.exit(0);
