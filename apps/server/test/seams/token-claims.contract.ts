/**
 * What every TokenClaims (src/claims.ts) must do: one token, one connection holding it; later
 * connections with the token wait in order and the oldest takes over when the holder goes. The
 * cluster implementation (issue 18) holds claims across nodes and passes the same suite.
 */
import { describe, expect, it } from "vitest";
import type { TokenClaims } from "../../src/claims";

interface Tab {
  readonly name: string;
}

export function tokenClaimsContract(name: string, make: () => Promise<TokenClaims<Tab>>): void {
  const tab = (n: string): Tab => ({ name: n });

  describe(`TokenClaims contract: ${name}`, () => {
    it("the first connection holds the token; later ones wait, holder first in all()", async () => {
      const claims = await make();
      const [a, b, c] = [tab("a"), tab("b"), tab("c")];
      expect(claims.claim("t", a)).toBe(true);
      expect(claims.claim("t", b)).toBe(false);
      expect(claims.claim("t", c)).toBe(false);
      expect(claims.holds("t", a)).toBe(true);
      expect(claims.holds("t", b)).toBe(false);
      expect(claims.all("t")).toEqual([a, b, c]);
      // Claiming again changes nothing.
      expect(claims.claim("t", a)).toBe(true);
      expect(claims.claim("t", b)).toBe(false);
      expect(claims.all("t")).toEqual([a, b, c]);
    });

    it("when the holder goes the oldest waiter takes over; a waiter going changes no holder", async () => {
      const claims = await make();
      const [a, b, c] = [tab("a"), tab("b"), tab("c")];
      claims.claim("t", a);
      claims.claim("t", b);
      claims.claim("t", c);
      expect(claims.release("t", b)).toBeUndefined();
      expect(claims.release("t", a)).toBe(c);
      expect(claims.holds("t", c)).toBe(true);
      expect(claims.release("t", c)).toBeUndefined();
      expect(claims.all("t")).toEqual([]);
      // A token nobody holds can be claimed afresh.
      expect(claims.claim("t", b)).toBe(true);
    });

    it("tokens are independent, and releasing what was never claimed is harmless", async () => {
      const claims = await make();
      const [a, b] = [tab("a"), tab("b")];
      expect(claims.claim("t1", a)).toBe(true);
      expect(claims.claim("t2", b)).toBe(true);
      expect(claims.release("t3", a)).toBeUndefined();
      expect(claims.release("t2", a)).toBeUndefined();
      expect(claims.holds("t2", b)).toBe(true);
      expect(claims.all("t1")).toEqual([a]);
    });

    it("holds nothing once every connection of 10,000 tokens is gone", async () => {
      const claims = await make();
      const tabs = Array.from({ length: 10_000 }, (_, i) => [tab(`x${i}`), tab(`y${i}`)] as const);
      tabs.forEach(([x, y], i) => {
        claims.claim(`t${i}`, x);
        claims.claim(`t${i}`, y);
      });
      tabs.forEach(([x, y], i) => {
        claims.release(`t${i}`, x);
        claims.release(`t${i}`, y);
      });
      for (let i = 0; i < 10_000; i += 997) expect(claims.all(`t${i}`)).toEqual([]);
    });
  });
}
