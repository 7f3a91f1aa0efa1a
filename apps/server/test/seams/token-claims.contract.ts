/**
 * What every TokenClaims (src/claims.ts) must do: one token, one connection holding it; later
 * connections with the token wait in order and the oldest takes over when the holder goes,
 * whichever node each is on. The cluster implementation (cluster/redis-claims.ts) holds claims
 * across nodes and passes the same suite.
 */
import { describe, expect, it } from "vitest";
import type { ClaimRef, TokenClaims } from "../../src/claims";

/**
 * Two nodes' views of one set of claims (the same object in one process). Connections named
 * `n1:…` are on node n1, `n2:…` on n2; each node adds and removes its own.
 */
export type TokenClaimsFactory = () => Promise<readonly [TokenClaims, TokenClaims]>;

export function tokenClaimsContract(name: string, make: TokenClaimsFactory): void {
  const tab = (id: string, node = "n1"): ClaimRef => ({ id, node });

  describe(`TokenClaims contract: ${name}`, () => {
    it("the first connection holds the token; later ones wait, on any node, holder first in all()", async () => {
      const [here, there] = await make();
      const [a, b, c] = [tab("a"), tab("b", "n2"), tab("c")];
      expect(await here.claim("t", a)).toBe(true);
      expect(await there.claim("t", b)).toBe(false);
      expect(await here.claim("t", c)).toBe(false);
      expect(await there.holds("t", a)).toBe(true);
      expect(await here.holds("t", b)).toBe(false);
      expect(await there.all("t")).toEqual([a, b, c]);
      // Claiming again changes nothing.
      expect(await here.claim("t", a)).toBe(true);
      expect(await there.claim("t", b)).toBe(false);
      expect(await here.all("t")).toEqual([a, b, c]);
    });

    it("when the holder goes the oldest waiter takes over, across nodes; a waiter going changes no holder", async () => {
      const [here, there] = await make();
      const [a, b, c] = [tab("a"), tab("b"), tab("c", "n2")];
      await here.claim("t", a);
      await here.claim("t", b);
      await there.claim("t", c);
      expect(await here.release("t", b)).toBeUndefined();
      expect(await here.release("t", a)).toEqual(c);
      expect(await here.holds("t", c)).toBe(true);
      expect(await there.release("t", c)).toBeUndefined();
      expect(await here.all("t")).toEqual([]);
      // A token nobody holds can be claimed afresh.
      expect(await there.claim("t", b)).toBe(true);
    });

    it("tokens are independent, and releasing what was never claimed is harmless", async () => {
      const [here] = await make();
      const [a, b] = [tab("a"), tab("b")];
      expect(await here.claim("t1", a)).toBe(true);
      expect(await here.claim("t2", b)).toBe(true);
      expect(await here.release("t3", a)).toBeUndefined();
      expect(await here.release("t2", a)).toBeUndefined();
      expect(await here.holds("t2", b)).toBe(true);
      expect(await here.all("t1")).toEqual([a]);
    });

    it("a node's connections released at once (the node died): the next holders on other nodes are named", async () => {
      const [here, there] = await make();
      await here.claim("t1", tab("a1"));
      await here.claim("t1", tab("a2"));
      await there.claim("t1", tab("b1", "n2"));
      await there.claim("t2", tab("b2", "n2"));
      await here.claim("t2", tab("a3"));
      await here.claim("t3", tab("a4"));
      const handed = await there.releaseNode("n1");
      expect(handed).toEqual([{ token: "t1", next: tab("b1", "n2") }]);
      expect(await there.all("t1")).toEqual([tab("b1", "n2")]);
      expect(await there.all("t2")).toEqual([tab("b2", "n2")]);
      expect(await there.all("t3")).toEqual([]);
      expect(await there.releaseNode("n1")).toEqual([]);
    });

    it("holds nothing once every connection of 2,000 tokens is gone", async () => {
      const [here, there] = await make();
      const tabs = Array.from(
        { length: 2_000 },
        (_, i) => [tab(`x${i}`), tab(`y${i}`, "n2")] as const,
      );
      await Promise.all(
        tabs.map(async ([x, y], i) => {
          await here.claim(`t${i}`, x);
          await there.claim(`t${i}`, y);
        }),
      );
      await Promise.all(
        tabs.map(async ([x, y], i) => {
          await here.release(`t${i}`, x);
          await there.release(`t${i}`, y);
        }),
      );
      for (let i = 0; i < 2_000; i += 97) expect(await here.all(`t${i}`)).toEqual([]);
      expect(await here.releaseNode("n1")).toEqual([]);
      expect(await here.releaseNode("n2")).toEqual([]);
    });
  });
}
