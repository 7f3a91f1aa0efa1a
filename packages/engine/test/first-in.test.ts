/**
 * A same-node pair's first `enter` is kept by the engine, not sent to the store (Engine.firstIns):
 * one store call per pair instead of two, with every answer, view and attribution as before.
 */
import { describe, expect, it } from "vitest";
import { CountingStore } from "../src/counting-store";
import { World } from "./helpers";

/** A World over a CountingStore; `nodes` names each user's node (none: one process). */
async function pairOn(nodes: { a?: string; b?: string } = {}) {
  let counting: CountingStore | undefined;
  const world = new World({
    wrap: (inner) => {
      counting = new CountingStore(inner);
      return counting;
    },
  });
  world.apply(await world.engine.connect("a", "browser-a", undefined, nodes.a));
  world.apply(await world.engine.connect("b", "browser-b", undefined, nodes.b));
  const sessionId = await world.pair("a", "b");
  return { world, store: counting as CountingStore, sessionId };
}

const enters = (store: CountingStore): number => store.counts().enterSession;

describe("a same-node pair's first enter", () => {
  it("costs no store call; the second tells the store both in one call; both ACTIVE", async () => {
    const { world, store, sessionId } = await pairOn();
    expect(world.engine.firstInsKept()).toBe(1);
    const first = await world.enter("a", sessionId);
    expect(first).toMatchObject({ ok: true, out: [] });
    expect(enters(store)).toBe(0);
    // The store has not heard of it; the engine knows, and says so where entered is read.
    expect(world.memory.inspect().sessions[0]?.entered).toEqual([]);
    expect(world.session(sessionId)?.entered).toEqual(["a"]);
    // A repeat is a no-op, still without the store.
    expect(await world.enter("a", sessionId)).toMatchObject({ ok: true, out: [] });
    expect(enters(store)).toBe(0);
    const second = await world.enter("b", sessionId);
    expect(enters(store)).toBe(1);
    expect(second.ok).toBe(true);
    const views = second.out.map((o) => [o.to, (o.payload as { state?: string }).state]);
    expect(views.sort()).toEqual([
      ["a", "ACTIVE"],
      ["b", "ACTIVE"],
    ]);
    expect(world.memory.inspect().sessions[0]).toMatchObject({
      status: "ACTIVE",
      entered: ["a", "b"],
    });
    expect(world.engine.firstInsKept()).toBe(0);
  });

  it("someone else's enter for that session is refused by the store and loses nothing kept", async () => {
    const { world, store, sessionId } = await pairOn();
    await world.connect("m");
    await world.enter("a", sessionId);
    const foreign = await world.enter("m", sessionId);
    expect(foreign).toMatchObject({ ok: false, error: "room_unavailable" });
    expect(enters(store)).toBe(1);
    expect(world.session(sessionId)?.entered).toEqual(["a"]);
    await world.enter("b", sessionId);
    expect(world.user("a")?.state).toBe("ACTIVE");
  });

  it("a pair on two nodes: each enter goes to the store, as before", async () => {
    const { world, store, sessionId } = await pairOn({ a: "n1", b: "n2" });
    expect(world.engine.firstInsKept()).toBe(0);
    await world.enter("a", sessionId);
    expect(enters(store)).toBe(1);
    expect(world.memory.inspect().sessions[0]?.entered).toEqual(["a"]);
    await world.enter("b", sessionId);
    expect(enters(store)).toBe(2);
    expect(world.user("a")?.state).toBe("ACTIVE");
  });

  it("the join deadline blames whoever never entered, though only this engine knew who did", async () => {
    const { world, sessionId } = await pairOn();
    await world.enter("a", sessionId);
    await world.advance(15_001);
    const [closed] = world.closes();
    expect(closed).toMatchObject({ sessionId, reason: "join_timeout", by: "b" });
    expect(world.user("b")?.ended ?? world.user("b")?.state).toBeDefined();
    expect(world.engine.firstInsKept()).toBe(0);
    // a sees "the other person didn't join", b "you didn't".
    const endedViews = world.outcomes
      .flatMap((o) => o.out)
      .filter((o) => (o.payload as { state?: string }).state === "ENDED")
      .map((o) => [o.to, (o.payload as { by?: string }).by]);
    expect(endedViews.sort()).toEqual([
      ["a", "partner"],
      ["b", "you"],
    ]);
  });

  it("a partner who leaves or disconnects after the first enter: closed as before, nothing kept", async () => {
    for (const how of ["exit", "disconnect", "disconnect-first"] as const) {
      const { world, sessionId } = await pairOn();
      await world.enter("a", sessionId);
      if (how === "exit") await world.exit("b");
      else if (how === "disconnect") await world.disconnect("b");
      else await world.disconnect("a");
      expect(world.engine.firstInsKept()).toBe(0);
      expect(world.memory.inspect().sessions).toEqual([]);
      const survivor = how === "disconnect-first" ? "b" : "a";
      expect(world.user(survivor)?.state).not.toBe("MATCHED");
      // The late enter of the other finds no session: refused, as it always was.
      const late = await world.enter(how === "disconnect-first" ? "b" : "a", sessionId);
      expect(late.ok).toBe(false);
    }
  });

  it("stays bounded: 2,000 pairs ended every way leave nothing kept", async () => {
    const world = new World();
    let kept = 0;
    for (let i = 0; i < 2_000; i++) {
      const [a, b] = [`a${i}`, `b${i}`];
      await world.connect(a);
      await world.connect(b);
      const sessionId = await world.pair(a, b);
      switch (i % 5) {
        case 0: // both in, then one leaves
          await world.enter(a, sessionId);
          await world.enter(b, sessionId);
          await world.exit(b);
          break;
        case 1: // one in, the deadline
          await world.enter(b, sessionId);
          await world.advance(15_001);
          break;
        case 2: // one in, the other disconnects
          await world.enter(a, sessionId);
          await world.disconnect(b);
          break;
        case 3: // nobody in, one leaves
          await world.exit(a);
          break;
        default: // nobody in, the deadline
          await world.advance(15_001);
      }
      await world.disconnect(a);
      await world.disconnect(b);
      kept = Math.max(kept, world.engine.firstInsKept());
    }
    expect(kept).toBe(0);
    expect(world.memory.inspect().sessions).toEqual([]);
  });
});

describe("a kept first enter nobody comes back for", () => {
  it("is dropped a minute past its join deadline (a pair matched here for another node's users)", async () => {
    const world = new World();
    // Two users of node n2, matched by this engine (as a re-queue or deadline run here would).
    world.apply(await world.engine.connect("a", "browser-a", undefined, "n2"));
    world.apply(await world.engine.connect("b", "browser-b", undefined, "n2"));
    await world.pair("a", "b");
    expect(world.engine.firstInsKept()).toBe(1);
    // Entered, timed out and closed on n2: this engine hears nothing of it.
    world.clock.advance(15_000 + 60_000);
    world.apply(await world.engine.connect("c", "browser-c", undefined, "n2"));
    world.apply(await world.engine.connect("d", "browser-d", undefined, "n2"));
    await world.pair("c", "d");
    expect(world.engine.firstInsKept()).toBe(1);
  });
});
