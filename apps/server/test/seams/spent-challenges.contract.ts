/**
 * What every SpentChallengeStore (src/identity/pow.ts) must do: a verified proof-of-work
 * challenge can be spent once until it expires, whichever node sees it again (issue 18 keeps
 * them in Redis). Expired entries do not block a key.
 */
import { describe, expect, it } from "vitest";
import type { SpentChallengeStore } from "../../src/identity/pow";

export function spentChallengesContract(
  name: string,
  make: () => Promise<[SpentChallengeStore, SpentChallengeStore]>,
): void {
  describe(`SpentChallengeStore contract: ${name}`, () => {
    it("a challenge is spent once, on any node, until it expires", async () => {
      const [here, there] = await make();
      const now = 1_000_000;
      expect(await here.add("sig-1", now + 60_000, now)).toBe(true);
      expect(await here.add("sig-1", now + 60_000, now + 1)).toBe(false);
      expect(await there.add("sig-1", now + 60_000, now + 2)).toBe(false);
      expect(await there.add("sig-2", now + 60_000, now + 3)).toBe(true);
      expect(await here.add("sig-2", now + 60_000, now + 4)).toBe(false);
    });

    it("once expired, the same key can be recorded again (its challenge no longer verifies anyway)", async () => {
      const [here] = await make();
      const now = 2_000_000;
      expect(await here.add("sig", now + 1_000, now)).toBe(true);
      expect(await here.add("sig", now + 1_000, now + 999)).toBe(false);
      expect(await here.add("sig", now + 5_000, now + 1_000)).toBe(true);
    });

    it("many concurrent spends of one key: exactly one wins", async () => {
      const [here, there] = await make();
      const now = 3_000_000;
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          Promise.resolve((i % 2 ? here : there).add("race", now + 60_000, now)),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
}
