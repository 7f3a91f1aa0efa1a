/**
 * The throwaway Redis the cluster tests will run on (test/support/redis.ts): it starts from Debian's
 * package, answers on loopback only, keeps nothing on disk, and is gone after `stop()`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisCommand, startRedis, type TestRedis } from "./support/redis";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
}, 600_000);
afterAll(async () => {
  await redis?.stop();
});

describe("a throwaway Redis for tests", () => {
  it("answers on 127.0.0.1 only, with persistence off", async () => {
    expect(await redisCommand(redis.port, ["PING"])).toBe("PONG");
    expect(await redisCommand(redis.port, ["SET", "duet:test", "héllo"])).toBe("OK");
    expect(await redisCommand(redis.port, ["GET", "duet:test"])).toBe("héllo");
    expect(await redisCommand(redis.port, ["GET", "duet:missing"])).toBeNull();
    expect(await redisCommand(redis.port, ["CONFIG", "GET", "bind"])).toContain("127.0.0.1");
    expect(await redisCommand(redis.port, ["CONFIG", "GET", "appendonly"])).toContain("no");
    const save = await redisCommand(redis.port, ["CONFIG", "GET", "save"]);
    expect(save).toMatch(/save\r\n\$0\r\n\r\n$/);
    await expect(redisCommand(redis.port, ["NOSUCHCOMMAND"])).rejects.toThrow(/ERR/);
  });

  it("is gone after stop(), and a second stop is harmless", async () => {
    const other = await startRedis();
    expect(other.port).not.toBe(redis.port);
    await other.stop();
    await other.stop();
    await expect(redisCommand(other.port, ["PING"], 2_000)).rejects.toThrow();
  });
});
