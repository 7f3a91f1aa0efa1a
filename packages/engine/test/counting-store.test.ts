import { describe, expect, it } from "vitest";
import { CountingStore } from "../src/counting-store";
import { MemoryStore } from "../src/memory-store";
import { World } from "./helpers";
import { storeContract } from "./store-contract";

// What it wraps it passes through unchanged: the whole contract holds through it.
storeContract("CountingStore over MemoryStore", () => new CountingStore(new MemoryStore()));

describe("CountingStore", () => {
  it("counts each operation it passes on, and not census", async () => {
    const store = new CountingStore(new MemoryStore());
    expect(store.total()).toBe(0);
    await store.addUser({ id: "a", browserId: "ba", state: "IDLE" });
    await store.addUser({ id: "b", browserId: "bb", state: "IDLE" });
    await store.getUser("a");
    await store.getUser("nobody");
    await store.removeUser("b");
    await store.census();
    expect(store.counts()).toMatchObject({ addUser: 2, getUser: 2, removeUser: 1, enqueue: 0 });
    expect(store.total()).toBe(5);
    // A copy: what the caller holds does not move with later calls.
    const before = store.counts();
    await store.getUser("a");
    expect(before.getUser).toBe(2);
    expect(store.counts().getUser).toBe(3);
  });
});

describe("store calls of the engine", () => {
  it("both leave at once: the second leave's missed close is answered without reading again", async () => {
    let counting: CountingStore | undefined;
    const world = new World({
      wrap: (inner) => {
        counting = new CountingStore(inner);
        return counting;
      },
    });
    await world.connect("a");
    await world.connect("b");
    const sessionId = await world.converse("a", "b");
    const store = counting as CountingStore;
    const before = store.counts();
    // Both exits reach the engine before either has finished, with the seat each screen showed
    // (ACTIVE): the first closes the session, the second's close misses.
    const seat = { state: "ACTIVE" as const, sessionId, space: "menti" as const };
    const [first, second] = await Promise.all([
      world.engine.exit("a", seat),
      world.engine.exit("b", seat),
    ]);
    const after = store.counts();
    expect(after.closeSession - before.closeSession).toBe(2);
    expect(after.getUser - before.getUser).toBe(0);
    expect(first.ok && second.ok).toBe(true);
    // The second leaver's screen is told where it stands: ENDED, by the first.
    expect(second.out).toEqual([
      expect.objectContaining({
        to: "b",
        event: "state",
        payload: expect.objectContaining({ state: "ENDED", reason: "left", by: "partner" }),
      }),
    ]);
  });
});
