import { describe, expect, it } from "vitest";
import type { Usage } from "./ipc";
import { perMatch, storeCallsDelta } from "./scenarios";

const usage = (storeCalls?: Record<string, number>): Usage => ({
  rss: 0,
  heapUsed: 0,
  external: 0,
  cpu: { user: 0, system: 0 },
  wallMs: 0,
  connections: 0,
  ...(storeCalls ? { storeCalls } : {}),
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
