/**
 * One token, one connection (SPEC §6): the first connection that presents a token holds it; later
 * ones with the same token wait behind it ("Duet is already open in another tab") and the oldest
 * waiter takes over when the holder closes — so a reload whose new socket arrives a moment before
 * the old one is gone recovers by itself instead of showing the other-tab screen for good.
 *
 * Per node: with several nodes each keeps its own claims (a second tab on another node is not
 * refused; the Redis store will hold them cluster-wide — noted as a limit in docs/architecture.md).
 */
export interface TokenClaims<C> {
  /** Adds a connection for `token`; true when it holds the token, false when it must wait. */
  claim(token: string, conn: C): boolean;
  /** Removes a connection. Returns the connection that now holds the token, if it changed. */
  release(token: string, conn: C): C | undefined;
  holds(token: string, conn: C): boolean;
  /** Every connection presenting `token`, holder first. */
  all(token: string): readonly C[];
}

/**
 * The TokenClaims of one process (the seam's local implementation; contract:
 * test/seams/token-claims.contract.ts).
 */
export class Claims<C> implements TokenClaims<C> {
  private readonly byToken = new Map<string, C[]>();

  /** Adds a connection for `token`; true when it holds the token, false when it must wait. */
  claim(token: string, conn: C): boolean {
    const list = this.byToken.get(token);
    if (!list) {
      this.byToken.set(token, [conn]);
      return true;
    }
    if (!list.includes(conn)) list.push(conn);
    return list[0] === conn;
  }

  /** Removes a connection. Returns the connection that now holds the token, if it changed. */
  release(token: string, conn: C): C | undefined {
    const list = this.byToken.get(token);
    if (!list) return undefined;
    const wasHolder = list[0] === conn;
    const rest = list.filter((c) => c !== conn);
    if (rest.length === 0) this.byToken.delete(token);
    else this.byToken.set(token, rest);
    return wasHolder ? rest[0] : undefined;
  }

  holds(token: string, conn: C): boolean {
    return this.byToken.get(token)?.[0] === conn;
  }

  /** Every connection presenting `token`, holder first. */
  all(token: string): readonly C[] {
    return this.byToken.get(token) ?? [];
  }
}
