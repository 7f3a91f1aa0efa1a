import { describe, expect, it } from "vitest";
import { nextShownVersion } from "../lib/view-version";

describe("which state views a client shows", () => {
  it("shows a newer or equal version, drops an older one, and shows a view without one", () => {
    expect(nextShownVersion(5, -1)).toBe(5);
    expect(nextShownVersion(7, 5)).toBe(7);
    expect(nextShownVersion(7, 7)).toBe(7);
    expect(nextShownVersion(6, 7)).toBeNull();
    expect(nextShownVersion(undefined, 7)).toBe(7);
  });

  it("out of order: of views arriving 3, 5, 4, 6 the client shows 3, 5, 6", () => {
    let shown = -1;
    const seen: number[] = [];
    for (const v of [3, 5, 4, 6]) {
      const next = nextShownVersion(v, shown);
      if (next === null) continue;
      shown = next;
      seen.push(v);
    }
    expect(seen).toEqual([3, 5, 6]);
  });
});
