import { describe, expect, it } from "vitest";
import type { Usage } from "./ipc";
import { pairSpread, writesText } from "./report";
import type { RunRecord } from "./run";
import { perMatch, storeCallsDelta, writesDelta } from "./scenarios";

const usage = (storeCalls?: Record<string, number>, writes?: Record<string, number>): Usage => ({
  rss: 0,
  heapUsed: 0,
  external: 0,
  cpu: { user: 0, system: 0 },
  wallMs: 0,
  connections: 0,
  ...(storeCalls ? { storeCalls } : {}),
  ...(writes ? { writes } : {}),
});

describe("store calls per match (bench figures)", () => {
  it("sums each operation's growth over the nodes; a relay (no counts) gives none", () => {
    const before = [usage({ enqueue: 10, peek: 4 }), usage({ enqueue: 1 })];
    const after = [usage({ enqueue: 14, peek: 6, getUser: 2 }), usage({ enqueue: 3, peek: 1 })];
    expect(storeCallsDelta(before, after)).toEqual({ enqueue: 6, peek: 3, getUser: 2 });
    expect(storeCallsDelta([usage()], [usage()])).toBeUndefined();
  });

  it("divides by the matches, in all and by operation; nothing without matches", () => {
    expect(perMatch({ enqueue: 6, peek: 3 }, 3)).toEqual({
      total: 3,
      byOp: { enqueue: 2, peek: 1 },
    });
    expect(perMatch({ enqueue: 6 }, 0)).toBeUndefined();
    expect(perMatch(undefined, 5)).toBeUndefined();
  });
});

describe("socket writes per match (bench figures)", () => {
  it("sums each kind's growth over the nodes; zeros when counted and idle; none when not counted", () => {
    const before = [
      usage(undefined, { clients: 100, services: 7 }),
      usage(undefined, { clients: 5, services: 0 }),
    ];
    const after = [
      usage(undefined, { clients: 130, services: 19 }),
      usage(undefined, { clients: 15, services: 0 }),
    ];
    expect(writesDelta(before, after)).toEqual({ clients: 40, services: 12 });
    expect(writesDelta(after, after)).toEqual({});
    expect(writesDelta([usage()], [usage()])).toBeUndefined();
  });

  it("reads as writes to clients with packets per write, and writes to services when any", () => {
    // Three runs: medians 9 and 6; 9 packets from the server per match in one write each.
    const per = [
      { clients: 9, services: 6 },
      { clients: 8, services: 7 },
      { clients: 10, services: 6 },
    ];
    expect(writesText(per, 9)).toBe(
      "socket writes 9.00 to clients (1.00 packets each), 6.00 to services",
    );
    expect(writesText([{ clients: 6.3 }], 9)).toBe(
      "socket writes 6.30 to clients (1.43 packets each)",
    );
    expect(writesText([{ clients: 1.5, services: 0 }])).toBe("socket writes 1.50 to clients");
    expect(writesText([])).toBe("");
  });
});

describe("ratios repetition by repetition (bench figures)", () => {
  const run = (target: "duet" | "duet-redis", rep: number, matchesPerSec: number): RunRecord => ({
    n: 1000,
    scenario: "churn",
    target,
    rep,
    result: { matchesPerSec },
  });
  const rate = (r: unknown) => (r as { matchesPerSec: number }).matchesPerSec;

  it("pairs each repetition's two targets and gives the median and range of their ratios", () => {
    const runs = [
      run("duet", 0, 2000),
      run("duet-redis", 0, 1000), // 0.50
      run("duet", 1, 1000),
      run("duet-redis", 1, 800), // 0.80
      run("duet", 2, 2000),
      run("duet-redis", 2, 1200), // 0.60
      run("duet", 3, 1500), // no partner in this repetition: left out
    ];
    expect(pairSpread(runs, "churn", "duet-redis", "duet", rate)).toBe(
      "; by repetition 0.60 (0.50–0.80, 3 pairs)",
    );
  });

  it("says nothing with fewer than two pairs", () => {
    const runs = [run("duet", 0, 2000), run("duet-redis", 0, 1000), run("duet", 1, 1000)];
    expect(pairSpread(runs, "churn", "duet-redis", "duet", rate)).toBe("");
  });
});
