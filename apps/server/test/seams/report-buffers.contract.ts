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

export type ReportBuffersFactory = (
  policies: ReadonlyMap<SpaceId, SpacePolicy>,
) => Promise<ReportBuffers>;

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

/** A conversation between alice and bob: each line reaches the sender as "you", the other as "partner". */
async function talk(buffers: ReportBuffers, sessionId: string): Promise<void> {
  buffers.delivered("alice", line(sessionId, "you", "hi bob", 1));
  buffers.delivered("bob", line(sessionId, "partner", "hi bob", 1));
  buffers.delivered("bob", line(sessionId, "you", "hey alice", 2));
  buffers.delivered("alice", line(sessionId, "partner", "hey alice", 2));
}

export function reportBuffersContract(name: string, make: ReportBuffersFactory): void {
  describe(`ReportBuffers contract: ${name}`, () => {
    it("a report in a space that keeps text carries both sides' lines, once, and then nothing is held", async () => {
      const buffers = await make(POLICIES);
      buffers.matched("s1", "stimchat");
      await talk(buffers, "s1");
      expect(buffers.size().bytes).toBeGreaterThan(0);
      const report = buffers.reportOf(closedBy("stimchat", "s1", "bob"), { reason: "harassment" });
      expect(report.transcript).toEqual([
        { from: "reported", text: "hi bob", at: 1 },
        { from: "reporter", text: "hey alice", at: 2 },
      ]);
      expect(report.reporter).toBe("token-b");
      expect(report.reported).toBe("token-a");
      buffers.closed("s1");
      expect(buffers.size()).toEqual({ open: 0, bytes: 0 });
    });

    it("an unreported close drops the text at once", async () => {
      const buffers = await make(POLICIES);
      buffers.matched("s2", "dormparty");
      await talk(buffers, "s2");
      buffers.closed("s2");
      expect(buffers.size()).toEqual({ open: 0, bytes: 0 });
      // A late delivery of that session's line keeps nothing either.
      buffers.delivered("alice", line("s2", "you", "still there?", 3));
      expect(buffers.size()).toEqual({ open: 0, bytes: 0 });
    });

    it("a space that keeps no text (menti) buffers nothing, and its report names nobody", async () => {
      const buffers = await make(POLICIES);
      buffers.matched("s3", "menti");
      await talk(buffers, "s3");
      expect(buffers.size()).toEqual({ open: 0, bytes: 0 });
      const report = buffers.reportOf(closedBy("menti", "s3", "alice"), {
        reason: "other",
        note: "they were unkind",
      });
      expect(report.transcript).toBeNull();
      expect(report.reporter).toBeNull();
      expect(report.reported).toBeNull();
      expect(report.note).toBeNull();
    });

    it("keeps at most the policy's messages, the newest", async () => {
      const buffers = await make(POLICIES);
      const max = PRESETS.stimchat.reportBuffer?.maxMessages ?? 0;
      buffers.matched("s4", "stimchat");
      for (let i = 0; i < max + 25; i++) buffers.delivered("alice", line("s4", "you", `m${i}`, i));
      const report = buffers.reportOf(closedBy("stimchat", "s4", "bob"), { reason: "spam" });
      expect(report.transcript).toHaveLength(max);
      expect(report.transcript?.[0]?.text).toBe("m25");
      buffers.closed("s4");
      expect(buffers.size()).toEqual({ open: 0, bytes: 0 });
    });

    it("sessions are independent: closing one leaves another's text", async () => {
      const buffers = await make(POLICIES);
      buffers.matched("a", "stimchat");
      buffers.matched("b", "stimchat");
      await talk(buffers, "a");
      await talk(buffers, "b");
      buffers.closed("a");
      expect(buffers.size().open).toBe(1);
      const report = buffers.reportOf(closedBy("stimchat", "b", "alice"), { reason: "spam" });
      expect(report.transcript).toHaveLength(2);
    });
  });
}
