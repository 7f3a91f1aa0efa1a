import { describe, expect, it } from "vitest";
import { keyedLock } from "../../src/cluster/keyed-lock";

const tick = () => new Promise((r) => setImmediate(r));

describe("keyedLock (the engine's matchLock in cluster mode)", () => {
  it("runs one task at a time per key, in order; other keys do not wait; a failure frees the key", async () => {
    const lock = keyedLock();
    const log: string[] = [];
    let release: () => void = () => {};
    const first = lock("menti", async () => {
      log.push("a:start");
      await new Promise<void>((r) => {
        release = r;
      });
      log.push("a:end");
      return 1;
    });
    const second = lock("menti", async () => {
      log.push("b");
      throw new Error("boom");
    });
    const third = lock("menti", async () => {
      log.push("c");
      return 3;
    });
    const other = lock("stimchat", async () => {
      log.push("other");
      return 4;
    });
    await tick();
    expect(log).toEqual(["a:start", "other"]);
    release();
    expect(await first).toBe(1);
    await expect(second).rejects.toThrow("boom");
    expect(await third).toBe(3);
    expect(await other).toBe(4);
    expect(log).toEqual(["a:start", "other", "a:end", "b", "c"]);
    await tick();
    expect(lock.keys()).toBe(0);
  });

  it("keeps nothing for idle keys (10,000 keys used once)", async () => {
    const lock = keyedLock();
    const done = Promise.all(
      Array.from({ length: 10_000 }, (_, i) => lock(`k${i}`, async () => i)),
    );
    expect(lock.keys()).toBe(10_000);
    await done;
    await tick();
    expect(lock.keys()).toBe(0);
  });
});
