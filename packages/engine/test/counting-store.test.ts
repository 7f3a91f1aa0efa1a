import { describe, expect, it } from "vitest";
import { CountingStore } from "../src/counting-store";
import { MemoryStore } from "../src/memory-store";
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
