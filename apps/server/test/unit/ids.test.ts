import { describe, expect, it } from "vitest";
import { cryptoIds, randomId } from "../../src/ids";

describe("ids from the random pool", () => {
  it("have the documented shapes, and never repeat across many pool refills", () => {
    const seen = new Set<string>();
    // 3,000 × (16 + 8) bytes ≈ 17 pool refills of 4 KiB.
    for (let i = 0; i < 3_000; i += 1) {
      const id = randomId();
      const message = cryptoIds.messageId();
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(message).toMatch(/^[A-Za-z0-9_-]{11}$/);
      expect(seen.has(id) || seen.has(message)).toBe(false);
      seen.add(id);
      seen.add(message);
    }
    expect(seen.size).toBe(6_000);
  });
});
