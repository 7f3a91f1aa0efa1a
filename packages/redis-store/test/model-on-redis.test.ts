/**
 * The engine's model-based sequences (packages/engine/test/model.ts) with the engine running on
 * RedisStore: every store call goes to RedisStore and to the model's MemoryStore at once
 * (support/tee-store.ts), their answers must agree, and the model checks every step as it does
 * on MemoryStore alone. Fewer sequences than model.test.ts (each call is a round trip to a real
 * redis-server); MODEL_REDIS_RUNS raises the count.
 */
import { DORMPARTY, MENTI, STIMCHAT } from "@duet/engine";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { cmdArb, coverage, fewTagsArb, runSequence, topicsArb } from "../../engine/test/model";
import { RedisStore } from "../src";
import { useTestRedis } from "./support/redis";
import { teeStore } from "./support/tee-store";

const RUNS = Number(process.env.MODEL_REDIS_RUNS ?? 1000);
const SEQUENCE = { minLength: 1, maxLength: 32, size: "max" } as const;

const testRedis = useTestRedis();
let stores = 0;

// Loaded up front: the tee compares call order, which a first-use EVAL fallback would change.
beforeAll(async () => {
  await new RedisStore(testRedis.redis).loadScripts();
});

const onRedis = () => {
  stores += 1;
  const store = new RedisStore(testRedis.redis, { prefix: `model-${stores}` });
  return (memory: Parameters<typeof teeStore>[0]) => teeStore(memory, store);
};

describe("model: random sequences against Engine + RedisStore", () => {
  it.each([
    ["menti", [MENTI], topicsArb, RUNS],
    ["stimchat", [STIMCHAT], topicsArb, Math.ceil(RUNS / 2)],
    ["dormparty", [DORMPARTY], fewTagsArb, Math.ceil(RUNS / 2)],
    ["all three spaces", [MENTI, STIMCHAT, DORMPARTY], topicsArb, Math.ceil(RUNS / 2)],
  ] as const)("%s: sequences checked at every step", async (_name, policies, tags, runs) => {
    const before = new Map(coverage);
    await fc.assert(
      fc.asyncProperty(
        fc.array(cmdArb(MENTI.joinTimeoutMs, true, tags), SEQUENCE),
        async (cmds) => {
          // With match rounds, as a cluster node runs the engine (match-rounds.ts).
          await runSequence(policies, cmds, onRedis(), { rounds: true });
        },
      ),
      { numRuns: runs },
    );
    // The sequences got people into conversations and out of them, on Redis.
    const grew = (k: string) => (coverage.get(k) ?? 0) > (before.get(k) ?? 0);
    expect(
      ["state:ACTIVE", "state:ENDED", "send:ok", "disconnect:ok"].filter((k) => !grew(k)),
    ).toEqual([]);
  });
});
