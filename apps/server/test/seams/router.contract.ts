/**
 * What every Router (src/gateway/router.ts) must do: an event is delivered once, on the node its
 * `node` names (the sender's own when absent), in the order routed; nothing reaches a detached
 * node. `settle()` waits for delivery (at once in one process; a round trip over Redis).
 */
import type { Outgoing } from "@duet/engine";
import { describe, expect, it } from "vitest";
import type { Routed, Router } from "../../src/gateway/router";

export interface RouterHarness {
  /** Routers of two nodes of one cluster (one process has only one node: `nodes[1]` absent). */
  readonly nodes: readonly [Router, Router?];
  settle(): Promise<void>;
}

const message = (to: string, node: string | undefined, text: string): Outgoing => ({
  to,
  ...(node !== undefined ? { node } : {}),
  event: "message",
  payload: { sessionId: "s", id: text, text, from: "partner", at: 0 },
});

export function routerContract(name: string, make: () => Promise<RouterHarness>): void {
  describe(`Router contract: ${name}`, () => {
    it("delivers on the recipient's node, once each, in the order routed", async () => {
      const h = await make();
      const [here, there] = h.nodes;
      const got: Record<string, string[]> = { here: [], there: [] };
      const text = (o: Routed) => (o.event === "message" ? o.payload.text : o.event);
      here.attach((o) => got.here?.push(text(o)));
      there?.attach((o) => got.there?.push(text(o)));
      here.route(message("u1", here.node, "1"));
      here.route(message("u1", undefined, "2"));
      if (there) {
        here.route(message("u2", there.node, "3"));
        there.route(message("u1", here.node, "4"));
        here.route(message("u2", there.node, "5"));
      }
      await h.settle();
      expect(got.here).toEqual(there ? ["1", "2", "4"] : ["1", "2"]);
      expect(got.there).toEqual(there ? ["3", "5"] : []);
    });

    it("nothing reaches a detached node", async () => {
      const h = await make();
      const [here] = h.nodes;
      const got: Routed[] = [];
      const detach = here.attach((o) => got.push(o));
      detach();
      here.route(message("u1", here.node, "late"));
      await h.settle();
      expect(got).toEqual([]);
    });
  });
}
