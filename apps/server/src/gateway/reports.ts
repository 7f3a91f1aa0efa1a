/**
 * Report buffers (SPEC §5, §6): the text of an open conversation, kept in memory only in spaces
 * whose policy keeps one and only until the conversation closes; a report takes it, any other
 * close drops it, so nothing said in an unreported conversation outlives it. The report itself is
 * assembled here from the close the engine observed: the server, not the client, knows who was
 * reported.
 */
import { type Observation, type SpacePolicy, TRUST } from "@duet/engine";
import type { NewReport } from "@duet/persistence";
import type { ChatMessage, ClientPayload, SpaceId } from "@duet/protocol";
import { type BufferedLine, TranscriptBuffers } from "../transcripts";

export type Closed = Extract<Observation, { kind: "closed" }>;

export interface ReportBuffers {
  /** A match: its conversation is buffered if its space keeps reports' text. */
  matched(sessionId: string, space: SpaceId): void;
  /**
   * A message delivered to `to`: the sender's own copy is the one line kept. `space`, when the
   * recipient's node knows it (its last view), spares a remote store a call for a space that keeps
   * no text.
   */
  delivered(to: string, message: ChatMessage, space?: SpaceId): void;
  /**
   * A close: whatever is still buffered (an unreported conversation's text) is dropped. `space`
   * spares a remote store a call for a space that keeps no text.
   */
  closed(sessionId: string, space?: SpaceId): void;
  /**
   * The report a `reported` close files, taking the buffer (call before `closed`). A promise
   * where the buffer is remote (a cluster's, in Redis).
   */
  reportOf(ob: Closed, request: ClientPayload<"report">): NewReport | Promise<NewReport>;
  /** What is held: open conversations being buffered, and the text kept (tests, health). */
  size(): { open: number; bytes: number } | Promise<{ open: number; bytes: number }>;
}

export function createReportBuffers(policies: ReadonlyMap<SpaceId, SpacePolicy>): ReportBuffers {
  const transcripts = new TranscriptBuffers();
  /** Open sessions of spaces that keep a report buffer: session id → space. */
  const buffered = new Map<string, SpaceId>();

  return {
    matched(sessionId, space) {
      if (policies.get(space)?.reportBuffer) buffered.set(sessionId, space);
    },
    delivered(to, message) {
      if (message.from !== "you") return;
      const space = buffered.get(message.sessionId);
      const keep = space ? policies.get(space)?.reportBuffer : null;
      if (keep)
        transcripts.append(message.sessionId, keep, {
          from: to,
          text: message.text,
          at: message.at,
        });
    },
    size: () => ({ open: buffered.size, bytes: transcripts.size().bytes }),
    closed(sessionId) {
      buffered.delete(sessionId);
      transcripts.drop(sessionId);
    },
    reportOf(ob, request) {
      return assembleReport(policies, ob, request, transcripts.take(ob.sessionId));
    },
  };
}

/** The report a `reported` close files, from the lines its buffer held (oldest first). */
export function assembleReport(
  policies: ReadonlyMap<SpaceId, SpacePolicy>,
  ob: Closed,
  request: ClientPayload<"report">,
  lines: readonly BufferedLine[],
): NewReport {
  const policy = policies.get(ob.space);
  const identified = policy?.identity === "token";
  const reporter = ob.participants.find((p) => p.userId === ob.by);
  const reported = ob.participants.find((p) => p.userId !== ob.by);
  return {
    space: ob.space,
    at: Date.now(),
    reason: request.reason,
    note: identified && request.note?.trim() ? request.note.trim() : null,
    reporter: identified && reporter ? reporter.person : null,
    reported: identified && reported ? reported.person : null,
    transcript: policy?.reportBuffer
      ? lines.map((l) => ({
          from: l.from === ob.by ? ("reporter" as const) : ("reported" as const),
          text: l.text,
          at: l.at,
        }))
      : null,
    trustPenalty: identified && policy?.pairing.trustTiers ? TRUST.reportPenalty : 0,
    trustBounds: { min: TRUST.min, max: TRUST.max },
  };
}
