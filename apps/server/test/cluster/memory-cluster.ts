/**
 * A cluster in memory (tests): routers for several gateways in one process, each handing an
 * event for another node to that node's delivery, as a cluster's router does over Redis
 * (issue 18). An event for a node that is not (or no longer) attached is dropped and counted:
 * in a real cluster that node is dead, and dead-node recovery ends its sessions.
 */
import type { Routed, Router } from "../../src/gateway/router";

export class MemoryCluster {
  private readonly nodes = new Map<string, (o: Routed) => void>();
  /** Events routed to a node that was not attached. */
  dropped = 0;
  /** Events that crossed from one node to another. */
  crossed = 0;

  router(node: string): Router {
    return {
      node,
      route: (o) => {
        const target = o.node ?? node;
        const deliver = this.nodes.get(target);
        if (!deliver) {
          this.dropped += 1;
          return;
        }
        if (target !== node) this.crossed += 1;
        deliver(o);
      },
      attach: (deliver) => {
        this.nodes.set(node, deliver);
        return () => {
          if (this.nodes.get(node) === deliver) this.nodes.delete(node);
        };
      },
    };
  }
}
