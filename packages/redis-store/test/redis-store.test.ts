/**
 * RedisStore against the Store contract, unchanged (packages/engine/test/store-contract.ts), on a
 * throwaway redis-server. Each test gets a store of its own: a fresh key prefix on one server.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { storeContract } from "../../engine/test/store-contract";
import { RedisStore } from "../src";
import { startRedis, type TestRedis } from "./support/redis";

let server: TestRedis;
let redis: Redis;
let stores = 0;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
}, 600_000);

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

storeContract("RedisStore", () => {
  stores += 1;
  return new RedisStore(redis, { prefix: `contract-${stores}` });
});
