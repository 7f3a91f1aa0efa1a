/**
 * One token, one connection (SPEC §6): the first connection that presents a token holds it; later
 * ones with the same token wait behind it ("Duet is already open in another tab") and the oldest
 * waiter takes over when the holder closes — so a reload whose new socket arrives a moment before
 * the old one is gone recovers by itself instead of showing the other-tab screen for good.
 *
 * Connections are named by reference (user id and node), not held as objects: in a cluster the
 * claims are shared (cluster/redis-claims.ts) and the next holder may be on another node, which is
 * then told through the router (the gateway's `identity` event). `Claims` is one process's.
 * test/seams/token-claims.contract.ts is what every implementation must do.
 */

/** A connection as claims know it. */
export interface ClaimRef {
  /** The connection's user id (unique across the cluster). */
  readonly id: string;
  /** The node its socket is on. */
  readonly node: string;
}

export interface TokenClaims {
  /** Adds a connection for `token`; true when it holds the token, false when it must wait. */
  claim(token: string, conn: ClaimRef): boolean | Promise<boolean>;
  /** Removes a connection. Returns the connection that now holds the token, if it changed. */
  release(token: string, conn: ClaimRef): ClaimRef | undefined | Promise<ClaimRef | undefined>;
  holds(token: string, conn: ClaimRef): boolean | Promise<boolean>;
  /** Every connection presenting `token`, holder first. */
  all(token: string): readonly ClaimRef[] | Promise<readonly ClaimRef[]>;
  /**
   * Removes every connection of `node` (a node that died), from every token. Returns, per token
   * whose holder changed, the new holder.
   */
  releaseNode(
    node: string,
  ):
    | ReadonlyArray<{ token: string; next: ClaimRef }>
    | Promise<ReadonlyArray<{ token: string; next: ClaimRef }>>;
}

const same = (a: ClaimRef, b: ClaimRef): boolean => a.id === b.id && a.node === b.node;

export class Claims implements TokenClaims {
  private readonly byToken = new Map<string, ClaimRef[]>();

  claim(token: string, conn: ClaimRef): boolean {
    const list = this.byToken.get(token);
    if (!list) {
      this.byToken.set(token, [conn]);
      return true;
    }
    if (!list.some((c) => same(c, conn))) list.push(conn);
    return list[0] !== undefined && same(list[0], conn);
  }

  release(token: string, conn: ClaimRef): ClaimRef | undefined {
    const list = this.byToken.get(token);
    if (!list) return undefined;
    const wasHolder = list[0] !== undefined && same(list[0], conn);
    const rest = list.filter((c) => !same(c, conn));
    if (rest.length === 0) this.byToken.delete(token);
    else this.byToken.set(token, rest);
    return wasHolder ? rest[0] : undefined;
  }

  holds(token: string, conn: ClaimRef): boolean {
    const first = this.byToken.get(token)?.[0];
    return first !== undefined && same(first, conn);
  }

  all(token: string): readonly ClaimRef[] {
    return this.byToken.get(token) ?? [];
  }

  releaseNode(node: string): Array<{ token: string; next: ClaimRef }> {
    const out: Array<{ token: string; next: ClaimRef }> = [];
    for (const [token, list] of [...this.byToken]) {
      if (!list.some((c) => c.node === node)) continue;
      const rest = list.filter((c) => c.node !== node);
      const before = list[0];
      const after = rest[0];
      if (rest.length === 0) this.byToken.delete(token);
      else this.byToken.set(token, rest);
      if (after && before && !same(before, after)) out.push({ token, next: after });
    }
    return out;
  }
}
