import { describe, expect, it } from "vitest";
import { serialQueue } from "../../src/serial";

/** A promise with its resolve and reject at hand. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve = (): void => {};
  let reject = (_e: Error): void => {};
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise job run (a bounded number of turns). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe("serialQueue", () => {
  it("an idle queue starts a task at once, in the caller's turn", () => {
    const run = serialQueue(() => {}).offer;
    const seen: string[] = [];
    run(async () => {
      seen.push("started");
    });
    seen.push("after run()");
    expect(seen).toEqual(["started", "after run()"]);
  });

  it("a task waits until the one before it settled; order is kept", async () => {
    const run = serialQueue(() => {}).offer;
    const seen: string[] = [];
    const first = deferred();
    run(async () => {
      seen.push("1 start");
      await first.promise;
      seen.push("1 end");
    });
    run(async () => {
      seen.push("2");
    });
    run(async () => {
      seen.push("3");
    });
    await settle();
    expect(seen).toEqual(["1 start"]);
    first.resolve();
    await settle();
    expect(seen).toEqual(["1 start", "1 end", "2", "3"]);
    // Idle again: the next task starts at once.
    run(async () => {
      seen.push("4");
    });
    expect(seen.at(-1)).toBe("4");
  });

  it("a failing task is reported and the tasks behind it still run", async () => {
    const errors: unknown[] = [];
    const run = serialQueue((err) => errors.push(err)).offer;
    const seen: string[] = [];
    const first = deferred();
    run(() => first.promise);
    run(() => {
      throw new Error("thrown");
    });
    run(async () => {
      seen.push("after");
    });
    first.reject(new Error("rejected"));
    await settle();
    expect(errors.map((e) => (e as Error).message)).toEqual(["rejected", "thrown"]);
    expect(seen).toEqual(["after"]);
  });

  it("refuses a task beyond maxWaiting, except a forced one; order is kept through the ring", async () => {
    const queue = serialQueue(() => {}, 3);
    const seen: number[] = [];
    const first = deferred();
    expect(queue.offer(() => first.promise)).toBe(true);
    for (let i = 1; i <= 3; i++) {
      expect(
        queue.offer(async () => {
          seen.push(i);
        }),
      ).toBe(true);
    }
    expect(queue.waiting()).toBe(3);
    expect(queue.offer(async () => void seen.push(99))).toBe(false);
    // The server's own tasks (a disconnect) always get in, growing the ring.
    expect(queue.offer(async () => void seen.push(4), true)).toBe(true);
    expect(queue.offer(async () => void seen.push(5), true)).toBe(true);
    expect(queue.waiting()).toBe(5);
    first.resolve();
    await settle();
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(queue.waiting()).toBe(0);
  });

  it("stays bounded and in order over 100,000 offers through a small ring", async () => {
    const queue = serialQueue(() => {}, 4);
    const accepted: number[] = [];
    const ran: number[] = [];
    let seq = 0;
    let deepest = 0;
    let leftOver = 0;
    let gate = deferred();
    for (let round = 0; round < 20_000; round++) {
      if (round % 2 === 0) {
        // Every other round the queue is busy on a task of its own while the offers arrive.
        const held = gate;
        queue.offer(() => held.promise, true);
      }
      for (let k = 0; k < 5; k++) {
        const mine = seq++;
        if (queue.offer(async () => void ran.push(mine))) accepted.push(mine);
        deepest = Math.max(deepest, queue.waiting());
      }
      gate.resolve();
      gate = deferred();
      await settle();
      if (queue.waiting() !== 0) leftOver += 1;
    }
    expect(deepest).toBe(4);
    expect(leftOver).toBe(0);
    expect(ran).toEqual(accepted);
    // Busy rounds refused the fifth offer; idle rounds took all five.
    expect(accepted.length).toBe(100_000 - 10_000);
  });
});
