/**
 * `send` with a `Talk` (the sender's node's copy of its conversation) answers exactly as `send`
 * that reads the store, while the copy agrees with the store.
 */
import { describe, expect, it } from "vitest";
import { MENTI, type Talk } from "../src";
import { World } from "./helpers";

/** a (talk) and b (listen) in an ACTIVE menti session. */
async function activePair() {
  const w = new World({ policies: [MENTI] });
  await w.connect("a");
  await w.connect("b");
  await w.join("a", "talk");
  await w.join("b", "listen");
  const sessionId = w.user("a")?.sessionId as string;
  await w.enter("a", sessionId);
  await w.enter("b", sessionId);
  return { w, sessionId };
}

describe("send on the node's copy", () => {
  it("relays the same messages as a send that reads the store", async () => {
    const { w, sessionId } = await activePair();
    const a = w.user("a");
    if (!a?.partnerId || !a.space) throw new Error("not paired");
    const talk: Talk = {
      state: "ACTIVE",
      space: a.space,
      sessionId,
      partnerId: a.partnerId,
      ...(a.partnerNode !== undefined ? { partnerNode: a.partnerNode } : {}),
      ...(a.node !== undefined ? { node: a.node } : {}),
    };
    const read = await w.engine.send("a", "  hello  ");
    const copied = await w.engine.send("a", "  hello  ", talk);
    const strip = (o: typeof read) =>
      o.out.map((x) => (x.event === "message" ? { ...x, payload: { ...x.payload, id: "" } } : x));
    expect(strip(copied)).toEqual(strip(read));
    expect(copied.out).toHaveLength(2);
    // The same checks apply to the text on either path.
    expect(await w.engine.send("a", "   ", talk)).toMatchObject({
      ok: false,
      error: "message_empty",
    });
    expect(await w.engine.send("a", "x".repeat(MENTI.maxMessageLength + 1), talk)).toMatchObject({
      ok: false,
      error: "message_too_long",
    });
  });
});

describe("exit on the node's copy", () => {
  it("closes the session as an exit that reads the store does", async () => {
    const read = await activePair();
    const copied = await activePair();
    const byRead = await read.w.engine.exit("a");
    const bySeat = await copied.w.engine.exit("a", {
      state: "ACTIVE",
      space: "menti",
      sessionId: copied.sessionId,
    });
    expect(bySeat).toEqual(byRead);
    expect(copied.w.user("b")?.state).toBe("ENDED");
  });

  it("a seat in a session that already closed: the store answers (nothing closes twice)", async () => {
    const { w, sessionId } = await activePair();
    await w.exit("b");
    const late = await w.engine.exit("a", { state: "ACTIVE", space: "menti", sessionId });
    expect(late.ok).toBe(true);
    expect(late.observed).toEqual([]);
    expect(w.user("a")?.state).toBe("ENDED");
  });
});
