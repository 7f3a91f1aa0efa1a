/**
 * The Router seam: an engine event goes to its recipient's node, and is delivered there
 * (delivery.ts), so a node only ever edits its own sockets' bookkeeping (the ownership rule,
 * docs/architecture.md). The engine names the node in each event (`Outgoing.node`, from the
 * recipient's user record, which its gateway filled in at connect).
 *
 * `LocalRouter` is one process: every recipient is here. A cluster's router (issue 18: a Redis
 * channel per node) hands an event for another node to that node; test/cluster/memory-cluster.ts
 * is one in memory, and test/seams/router.contract.ts is what every router must do.
 */
import type { Outgoing } from "@duet/engine";
import type { MediaSetup } from "@duet/protocol";

/**
 * What a router carries: the engine's events, and the two the gateway adds: a participant's media
 * setup (its negotiation role and ICE servers, made where the pair completed), and a token's
 * hand-over (the connection now holds its token: claims.ts; made where the holder went).
 */
export type Routed =
  | Outgoing
  | {
      readonly to: string;
      readonly node?: string;
      readonly event: "media";
      readonly payload: MediaSetup;
    }
  | {
      readonly to: string;
      readonly node?: string;
      readonly event: "identity";
      readonly payload: { readonly status: "ok" };
    };

export interface Router {
  /** This node's id, written into its users' records at connect. */
  readonly node: string;
  /** Delivers `o` on its recipient's node (this one when `o.node` is this node or absent). */
  route(o: Routed): void;
  /** Sets how this node delivers what is routed to it; returns the detach (shutdown). */
  attach(deliver: (o: Routed) => void): () => void;
}

export class LocalRouter implements Router {
  private deliver: ((o: Routed) => void) | undefined;

  constructor(readonly node: string) {}

  route(o: Routed): void {
    this.deliver?.(o);
  }

  attach(deliver: (o: Routed) => void): () => void {
    this.deliver = deliver;
    return () => {
      if (this.deliver === deliver) this.deliver = undefined;
    };
  }
}
