import { MemoryStore } from "@duet/engine";
import { describe, expect, it } from "vitest";
import { storeContract } from "./store-contract";

storeContract("MemoryStore", () => new MemoryStore());

describe("MemoryStore.inspect (test and health aid, not part of Store)", () => {
  it("lists users, open sessions and queued entries", async () => {
    const store = new MemoryStore();
    await store.addUser({ id: "alice", browserId: "ba", state: "IDLE" });
    await store.addUser({ id: "bob", browserId: "bb", state: "IDLE" });
    const res = await store.enqueue({
      userId: "alice",
      from: ["IDLE"],
      space: "menti",
      intent: "talk",
      since: 0,
      buckets: ["menti:talk"],
    });
    const view = store.inspect();
    expect(view.users.map((u) => u.id)).toEqual(["alice", "bob"]);
    expect(view.sessions).toEqual([]);
    expect(view.queued).toEqual(res.ok ? [res.entry] : []);
  });
});
