/**
 * The presence figures themselves: rounded counts, and a wait estimate that is a rounded median
 * of this node's recent waits.
 */
import type { Observation } from "@duet/engine";
import { describe, expect, it } from "vitest";
import { ESTIMATE_STEP_MS, onlyIntent, PresenceTracker, roundHere } from "../src/presence";

const matched = (waitedMs: [number, number]): Observation => ({
  kind: "matched",
  space: "menti",
  sessionId: "s",
  participants: ["a", "b"],
  waitedMs,
});

describe("presence figures", () => {
  it("counts: 'a few' under 5 (0 included), then rounded ever more coarsely", () => {
    expect([0, 4, 5, 12, 19, 20, 94, 100, 124, 126].map(roundHere)).toEqual([
      "a few",
      "a few",
      "5",
      "10",
      "20",
      "20",
      "90",
      "100",
      "100",
      "150",
    ]);
  });

  it("the estimate is the median of recent waits, rounded to the step", () => {
    let now = 0;
    const t = new PresenceTracker(["menti"], () => now);
    expect(t.estimate("menti")).toBeUndefined();
    t.observe([matched([12_345, 1]), matched([40_000, 7_600])]);
    // Sorted 1, 7,600, 12,345, 40,000: the upper median 12,345 → 10,000.
    expect(t.estimate("menti")).toBe(10_000);
    expect(ESTIMATE_STEP_MS).toBe(5_000);
    // A few milliseconds' difference changes nothing anyone could see or learn.
    t.observe([matched([13_001, 13_002])]);
    expect(t.estimate("menti")).toBe(15_000);
    // Ten minutes later those waits no longer count.
    now = 10 * 60_000 + 1;
    expect(t.estimate("menti")).toBeUndefined();
  });

  it("only the last 50 waits inform the estimate", () => {
    const t = new PresenceTracker(["menti"], () => 0);
    for (let i = 0; i < 30; i++) t.observe([matched([300_000, 300_000])]);
    expect(t.estimate("menti")).toBe(300_000);
    for (let i = 0; i < 24; i++) t.observe([matched([10_000, 10_000])]);
    // 48 short waits and 2 long ones kept: the median is short.
    expect(t.estimate("menti")).toBe(10_000);
    for (let i = 0; i < 26; i++) t.observe([matched([20_000, 20_000])]);
    // 52 newer waits of 20 s: the 50 kept are all of them.
    expect(t.estimate("menti")).toBe(20_000);
  });

  it("snapshot: every space, the estimate only where there is one", () => {
    const t = new PresenceTracker(["menti", "stimchat"], () => 0);
    t.observe([matched([2_400, 2_600])]);
    // Ended people are not "here"; a space missing from the census has nobody.
    expect(t.snapshot({ menti: { waiting: 3, matched: 2, active: 2, ended: 9 } })).toEqual({
      spaces: [
        { id: "menti", here: "5", estimatedWaitMs: 5_000 },
        { id: "stimchat", here: "a few" },
      ],
    });
  });

  it("onlyIntentWaiting: two or more waiting, all with one intent that nobody waiting can meet", () => {
    const census = (waitingByIntent: Record<string, number> | undefined) => ({
      waiting: 0,
      matched: 0,
      active: 0,
      ended: 0,
      ...(waitingByIntent ? { waitingByIntent } : {}),
    });
    expect(onlyIntent(census(undefined))).toBeUndefined();
    // One person alone is not told about themselves.
    expect(onlyIntent(census({ talk: 1 }))).toBeUndefined();
    expect(onlyIntent(census({ talk: 2 }))).toBe("talk");
    expect(onlyIntent(census({ listen: 7 }))).toBe("listen");
    // Anyone of a meeting intent waiting (a moment before the matcher pairs them): not said.
    expect(onlyIntent(census({ talk: 3, listen: 1 }))).toBeUndefined();
    expect(onlyIntent(census({ talk: 3, both: 1 }))).toBeUndefined();
    const t = new PresenceTracker(["menti"], () => 0);
    expect(
      t.snapshot({ menti: { ...census({ talk: 2 }), waiting: 2 } }).spaces[0]?.onlyIntentWaiting,
    ).toBe("talk");
  });
});
