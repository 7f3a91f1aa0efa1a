import { describe, expect, it } from "vitest";
import { CountingStore } from "../src/counting-store";
import { MemoryStore } from "../src/memory-store";
import { storeVia, World } from "./helpers";
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
  async function pairOverCounting() {
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
    // The seat each screen showed (ACTIVE), as the gateway passes it with an exit.
    const seat = { state: "ACTIVE" as const, sessionId, space: "menti" as const };
    return { world, store: counting as CountingStore, seat };
  }
  const endedByPartner = expect.objectContaining({
    to: "b",
    event: "state",
    payload: expect.objectContaining({ state: "ENDED", reason: "left", by: "partner" }),
  });

  it("both leave at once: one close, and the second leaver learns where it stands from it", async () => {
    const { world, store, seat } = await pairOverCounting();
    const before = store.counts();
    // Both exits reach the engine before either has finished: the first one's close is still
    // unanswered when the second arrives, which waits for it instead of sending its own.
    const [first, second] = await Promise.all([
      world.engine.exit("a", seat),
      world.engine.exit("b", seat),
    ]);
    const after = store.counts();
    expect(after.closeSession - before.closeSession).toBe(1);
    expect(after.getUser - before.getUser).toBe(0);
    expect(first.ok && second.ok).toBe(true);
    // The second leaver's screen is told where it stands: ENDED, by the first.
    expect(second.out).toEqual([endedByPartner]);
    expect(world.user("b")).toMatchObject({ state: "ENDED", ended: { reason: "left", by: "a" } });
  });

  it("a leave just after the other's close was answered misses, and is answered without a read", async () => {
    const { world, store, seat } = await pairOverCounting();
    const before = store.counts();
    const first = await world.engine.exit("a", seat);
    // b's screen still showed ACTIVE when b pressed Leave: its close misses in the store.
    const second = await world.engine.exit("b", seat);
    const after = store.counts();
    expect(after.closeSession - before.closeSession).toBe(2);
    expect(after.getUser - before.getUser).toBe(0);
    expect(first.ok && second.ok).toBe(true);
    expect(second.out).toEqual([endedByPartner]);
  });

  it("both leave at once and the first close fails: the second leave closes the session itself", async () => {
    let failNext = false;
    const world = new World({
      wrap: (inner) =>
        storeVia(inner, async (name, call) => {
          if (name === "closeSession" && failNext) {
            failNext = false;
            // Answered after the second leave has started waiting for it.
            await new Promise((r) => setImmediate(r));
            throw new Error("store unreachable");
          }
          return call();
        }),
    });
    await world.connect("a");
    await world.connect("b");
    const sessionId = await world.converse("a", "b");
    const seat = { state: "ACTIVE" as const, sessionId, space: "menti" as const };
    failNext = true;
    const [first, second] = await Promise.allSettled([
      world.engine.exit("a", seat),
      world.engine.exit("b", seat),
    ]);
    expect(first.status).toBe("rejected"); // the gateway answers that event with an error
    expect(second.status).toBe("fulfilled");
    if (second.status === "fulfilled") world.apply(second.value);
    // The session closed by b's own leave: a is told, b is where its own leave put it.
    expect(world.session(sessionId)).toBeUndefined();
    expect(world.user("a")).toMatchObject({ state: "ENDED", ended: { reason: "left", by: "b" } });
    expect(world.user("b")?.state).toBe("ENDED");
  });
});
