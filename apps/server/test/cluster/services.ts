/**
 * What every cluster test file needs: a throwaway redis-server and PostgreSQL for the file
 * (Debian's packages, loopback only; started before its tests, stopped after), and the nodes and
 * clients a test opens, closed after each test.
 */
import { afterAll, afterEach, beforeAll } from "vitest";
import {
  startPostgres,
  type TestPostgres,
} from "../../../../packages/persistence/test/support/postgres";
import { startRedis, type TestRedis } from "../../../../packages/redis-store/test/support/redis";
import { type ClusterNode, TestClient } from "../harness";

export interface ClusterServices {
  readonly redis: TestRedis;
  readonly pg: TestPostgres;
  /** Nodes to close after the test. */
  readonly nodes: ClusterNode[];
  /** A client of `node` (closed after the test), with a token cookie if given. */
  connect(node: { url: string }, cookie?: string): Promise<TestClient>;
}

export function clusterServices(): ClusterServices {
  let redis: TestRedis | undefined;
  let pg: TestPostgres | undefined;
  const nodes: ClusterNode[] = [];
  const clients: TestClient[] = [];
  beforeAll(async () => {
    [redis, pg] = await Promise.all([startRedis(), startPostgres()]);
  }, 600_000);
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const n of nodes.splice(0)) await n.close();
  });
  afterAll(async () => {
    await redis?.stop();
    await pg?.stop();
  });
  return {
    get redis() {
      if (!redis) throw new Error("redis-server not started yet");
      return redis;
    },
    get pg() {
      if (!pg) throw new Error("PostgreSQL not started yet");
      return pg;
    },
    nodes,
    async connect(node, cookie) {
      const client = await TestClient.connect(node, cookie ? { extraHeaders: { cookie } } : {});
      clients.push(client);
      return client;
    },
  };
}
