/**
 * What every ReportBuffers (src/gateway/reports.ts) must do, wherever the text is held: in this
 * process (createReportBuffers) or, in a cluster, in a store every node appends to (issue 18).
 * SPEC §5/§6: only spaces that keep reports' text buffer it; a report takes the buffer; any other
 * close drops it, so nothing said in an unreported conversation outlives it.
 */
import { PRESETS, type SpacePolicy } from "@duet/engine";
import type { ChatMessage, SpaceId } from "@duet/protocol";
import { describe, expect, it } from "vitest";
import type { ReportBuffers } from "../../src/gateway/reports";

/**
 * Two nodes' views of one set of buffers (the same object in one process): alice's lines are
 * delivered on `here`, bob's on `there`, as when the two are on different nodes. `settle` waits
 * until what was sent has been applied (at once in one process; over Redis, a round trip).
 */
export interface ReportBuffersHarness {
  readonly here: ReportBuffers;
  readonly there: ReportBuffers;
  settle(): Promise<void>;
}

export type ReportBuffersFactory = (
  policies: ReadonlyMap<SpaceId, SpacePolicy>,
) => Promise<ReportBuffersHarness>;

const POLICIES = new Map<SpaceId, SpacePolicy>(Object.values(PRESETS).map((p) => [p.id, p]));

const line = (
  sessionId: string,
  from: "you" | "partner",
  text: string,
  at: number,
): ChatMessage => ({
  sessionId,
  id: `${at}`,
  from,
  text,
  at,
});

const closedBy = (space: SpaceId, sessionId: string, by: string | null) =>
  ({
    kind: "closed",
    space,
    sessionId,
    reason: by ? "reported" : "left",
    by,
    participants: [
      { userId: "alice", person: "token-a" },
      { userId: "bob", person: "token-b" },
    ],
    activeMs: 1000,
  }) as const;

/**
 * A conversation between alice (on `here`) and bob (on `there`): each line reaches the sender as
 * "you", the other as "partner", each on their own node.
 */
async function talk(h: ReportBuffersHarness, sessionId: string): Promise<void> {
  h.here.delivered("alice", line(sessionId, "you", "hi bob", 1));
  h.there.delivered("bob", line(sessionId, "partner", "hi bob", 1));
  await h.settle();
  h.there.delivered("bob", line(sessionId, "you", "hey alice", 2));
  h.here.delivered("alice", line(sessionId, "partner", "hey alice", 2));
  await h.settle();
}

export function reportBuffersContract(name: string, make: ReportBuffersFactory): void {
  describe(`ReportBuffers contract: ${name}`, () => {
    it("a report in a space that keeps text carries both sides' lines, once, and then nothing is held", async () => {
      const h = await make(POLICIES);
      const buffers = h.here;
      buffers.matched("s1", "stimchat");
      await h.settle();
      await talk(h, "s1");
      expect((await buffers.size()).bytes).toBeGreaterThan(0);
      const report = await buffers.reportOf(closedBy("stimchat", "s1", "bob"), {
        reason: "harassment",
      });
      expect(report.transcript).toEqual([
        { from: "reported", text: "hi bob", at: 1 },
        { from: "reporter", text: "hey alice", at: 2 },
      ]);
      expect(report.reporter).toBe("token-b");
      expect(report.reported).toBe("token-a");
      buffers.closed("s1");
      await h.settle();
      expect(await buffers.size()).toEqual({ open: 0, bytes: 0 });
    });

    it("an unreported close drops the text at once", async () => {
      const h = await make(POLICIES);
      const buffers = h.here;
      buffers.matched("s2", "dormparty");
      await h.settle();
      await talk(h, "s2");
      buffers.closed("s2");
      await h.settle();
      expect(await buffers.size()).toEqual({ open: 0, bytes: 0 });
      // A late delivery of that session's line keeps nothing either.
      h.there.delivered("alice", line("s2", "you", "still there?", 3));
      await h.settle();
      expect(await buffers.size()).toEqual({ open: 0, bytes: 0 });
    });

    it("a space that keeps no text (menti) buffers nothing, and its report names nobody", async () => {
      const h = await make(POLICIES);
      const buffers = h.here;
      buffers.matched("s3", "menti");
      await h.settle();
      await talk(h, "s3");
      expect(await buffers.size()).toEqual({ open: 0, bytes: 0 });
      const report = await buffers.reportOf(closedBy("menti", "s3", "alice"), {
        reason: "other",
        note: "they were unkind",
      });
      expect(report.transcript).toBeNull();
      expect(report.reporter).toBeNull();
      expect(report.reported).toBeNull();
      expect(report.note).toBeNull();
    });

    it("keeps at most the policy's messages, the newest", async () => {
      const h = await make(POLICIES);
      const buffers = h.here;
      const max = PRESETS.stimchat.reportBuffer?.maxMessages ?? 0;
      buffers.matched("s4", "stimchat");
      await h.settle();
      for (let i = 0; i < max + 25; i++) buffers.delivered("alice", line("s4", "you", `m${i}`, i));
      await h.settle();
      const report = await buffers.reportOf(closedBy("stimchat", "s4", "bob"), { reason: "spam" });
      expect(report.transcript).toHaveLength(max);
      expect(report.transcript?.[0]?.text).toBe("m25");
      buffers.closed("s4");
      await h.settle();
      expect(await buffers.size()).toEqual({ open: 0, bytes: 0 });
    });

    it("sessions are independent: closing one leaves another's text", async () => {
      const h = await make(POLICIES);
      const buffers = h.here;
      buffers.matched("a", "stimchat");
      buffers.matched("b", "stimchat");
      await h.settle();
      await talk(h, "a");
      await talk(h, "b");
      h.there.closed("a");
      await h.settle();
      expect((await buffers.size()).open).toBe(1);
      const report = await buffers.reportOf(closedBy("stimchat", "b", "alice"), { reason: "spam" });
      expect(report.transcript).toHaveLength(2);
    });
  });
}
