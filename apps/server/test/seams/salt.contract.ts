/**
 * What every SaltSource (src/limits.ts) must do: one salt for everyone until it rotates, then a
 * new one that shares nothing with the old (the same address then hashes differently and
 * nothing links the two). In a cluster every node must see the same salt at the same time.
 */
import { describe, expect, it } from "vitest";
import type { SaltSource } from "../../src/limits";

export function saltContract(
  name: string,
  make: (start: number, rotationMs: number) => Promise<[SaltSource, SaltSource]>,
): void {
  describe(`SaltSource contract: ${name}`, () => {
    it("32 random bytes, the same on every node until the rotation, then new ones", async () => {
      const start = 1_000_000;
      const [here, there] = await make(start, 10_000);
      const first = here.current(start);
      expect(first).toHaveLength(32);
      expect(here.current(start + 9_999).equals(first)).toBe(true);
      expect(there.current(start + 5_000).equals(first)).toBe(true);
      const second = here.current(start + 10_000);
      expect(second.equals(first)).toBe(false);
      expect(there.current(start + 10_001).equals(second)).toBe(true);
    });

    it("two deployments never share a salt", async () => {
      const [a] = await make(0, 10_000);
      const [b] = await make(0, 10_000);
      expect(a.current(1).equals(b.current(1))).toBe(false);
    });
  });
}
