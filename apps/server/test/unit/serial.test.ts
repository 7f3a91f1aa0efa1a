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
    const run = serialQueue(() => {});
    const seen: string[] = [];
    run(async () => {
      seen.push("started");
    });
    seen.push("after run()");
    expect(seen).toEqual(["started", "after run()"]);
  });

  it("a task waits until the one before it settled; order is kept", async () => {
    const run = serialQueue(() => {});
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
    const run = serialQueue((err) => errors.push(err));
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
});
