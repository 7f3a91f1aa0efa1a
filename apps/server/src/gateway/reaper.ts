/**
 * Reaping a dead node (cluster mode; node liveness decides who is dead and who reaps:
 * cluster/node-liveness.ts). Its users are disconnected through this node's engine, exactly as
 * if their sockets had closed: each open session closes with `disconnected`, and the partner —
 * on whatever node — is told through the router; a waiting user leaves its queue; the census
 * follows from the store. Then its token claims are released (the next tab, on a live node, takes
 * over) and what else it left in Redis is deleted (its inbox).
 *
 * Bounded: users in batches of REAP_BATCH at a time; the list is read again until it is empty
 * (nobody joins a dead node, so this ends).
 */
import type { Engine } from "@duet/engine";
import type { ClaimRef, TokenClaims } from "../claims";
import type { Outcomes } from "./outcomes";
import type { ClusterMembership } from "./types";

const REAP_BATCH = 200;
const MAX_ROUNDS = 1_000;

export function createReaper(deps: {
  engine: Engine;
  outcomes: Outcomes;
  claims: TokenClaims;
  membership: ClusterMembership;
  handOver(next: ClaimRef): void;
}): (node: string) => Promise<{ users: number }> {
  const { engine, outcomes, claims, membership } = deps;
  return async (node) => {
    let users = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const ids = (await membership.usersOn(node)).slice(0, REAP_BATCH);
      if (ids.length === 0) break;
      const results = await Promise.all(ids.map((id) => engine.disconnect(id)));
      for (const outcome of results) outcomes.apply(outcome);
      users += ids.length;
    }
    for (const { next } of await claims.releaseNode(node)) deps.handOver(next);
    await membership.forget(node);
    return { users };
  };
}
