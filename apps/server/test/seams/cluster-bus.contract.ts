/**
 * What every ClusterBus (src/gateway/cluster-bus.ts) must do: each message reaches every
 * subscriber once, in the order its node published them, the publisher's own subscribers
 * included; nothing after unsubscribing. `settle()` waits until published messages have arrived (at once in one
 * process; over Redis, a round trip).
 */
import { describe, expect, it } from "vitest";
import type { ClusterBus, ClusterMessage } from "../../src/gateway/cluster-bus";

export interface ClusterBusHarness {
  /** Two nodes' views of one bus (the same object in one process). */
  readonly nodes: readonly [ClusterBus, ClusterBus];
  settle(): Promise<void>;
}

export function clusterBusContract(name: string, make: () => Promise<ClusterBusHarness>): void {
  describe(`ClusterBus contract: ${name}`, () => {
    it("every subscriber on every node gets each message once, in each node's publish order", async () => {
      const h = await make();
      const seen: [string[], string[]] = [[], []];
      h.nodes.forEach((bus, i) => {
        bus.subscribe((m) => seen[i]?.push(`${m.kind}:${m.token}`));
      });
      h.nodes[0].publish({ kind: "banned", token: "t1", until: null });
      h.nodes[0].publish({ kind: "unbanned", token: "t1" });
      h.nodes[1].publish({ kind: "banned", token: "t3", until: 5 });
      h.nodes[0].publish({ kind: "banned", token: "t2", until: 123 });
      await h.settle();
      // Two nodes' messages may interleave either way (over Redis, two connections); one node's
      // arrive as it sent them (a ban, then its unban).
      for (const got of seen) {
        expect([...got].sort()).toEqual(["banned:t1", "banned:t2", "banned:t3", "unbanned:t1"]);
        expect(got.filter((m) => m.endsWith("t1") || m.endsWith("t2"))).toEqual([
          "banned:t1",
          "unbanned:t1",
          "banned:t2",
        ]);
      }
    });

    it("carries the message whole", async () => {
      const h = await make();
      const got: ClusterMessage[] = [];
      h.nodes[1].subscribe((m) => got.push(m));
      h.nodes[0].publish({ kind: "banned", token: "t", until: 1_800_000_000_000 });
      await h.settle();
      expect(got).toEqual([{ kind: "banned", token: "t", until: 1_800_000_000_000 }]);
    });

    it("an unsubscribed handler hears nothing more; the others still do", async () => {
      const h = await make();
      const a: string[] = [];
      const b: string[] = [];
      const stopA = h.nodes[0].subscribe((m) => a.push(m.token));
      h.nodes[1].subscribe((m) => b.push(m.token));
      h.nodes[0].publish({ kind: "unbanned", token: "1" });
      await h.settle();
      stopA();
      stopA();
      h.nodes[1].publish({ kind: "unbanned", token: "2" });
      await h.settle();
      expect(a).toEqual(["1"]);
      expect(b).toEqual(["1", "2"]);
    });

    it("a subscriber that throws does not keep the message from the others", async () => {
      const h = await make();
      const got: string[] = [];
      h.nodes[0].subscribe(() => {
        throw new Error("a broken subscriber");
      });
      h.nodes[1].subscribe((m) => got.push(m.token));
      h.nodes[0].publish({ kind: "unbanned", token: "x" });
      await h.settle();
      expect(got).toEqual(["x"]);
    });
  });
}
