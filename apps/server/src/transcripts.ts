/**
 * Report buffers (SPEC §5, §6): the recent messages of each open session, in memory only, only for
 * spaces whose policy keeps one, so that a report can carry what was said. Bounded per session by
 * message count and by bytes (UTF-8): the oldest lines go first. A buffer is dropped the moment
 * its session closes unreported (the gateway calls `drop` on every close); a report `take`s it.
 *
 * Limits: a buffer lives on the node that relays the session's messages (with several nodes each
 * node keeps the lines it relayed; a report on one node sees that node's lines). Never written to
 * disk or logs.
 */
import type { SessionId, UserId } from "@duet/engine";

export interface BufferLimits {
  readonly maxMessages: number;
  readonly maxBytes: number;
}

export interface BufferedLine {
  readonly from: UserId;
  readonly text: string;
  readonly at: number;
}

interface Buffer {
  readonly limits: BufferLimits;
  readonly lines: BufferedLine[];
  bytes: number;
}

const bytesOf = (text: string): number => globalThis.Buffer.byteLength(text, "utf8");

export class TranscriptBuffers {
  private readonly buffers = new Map<SessionId, Buffer>();

  /** Adds a relayed message to its session's buffer, evicting the oldest lines beyond limits. */
  append(sessionId: SessionId, limits: BufferLimits, line: BufferedLine): void {
    let buffer = this.buffers.get(sessionId);
    if (!buffer) {
      buffer = { limits, lines: [], bytes: 0 };
      this.buffers.set(sessionId, buffer);
    }
    const size = bytesOf(line.text);
    // A single line larger than the whole budget is cut to fit rather than kept whole.
    const kept =
      size > limits.maxBytes ? { ...line, text: truncateBytes(line.text, limits.maxBytes) } : line;
    buffer.lines.push(kept);
    buffer.bytes += bytesOf(kept.text);
    while (
      buffer.lines.length > 0 &&
      (buffer.lines.length > limits.maxMessages || buffer.bytes > limits.maxBytes)
    ) {
      const gone = buffer.lines.shift() as BufferedLine;
      buffer.bytes -= bytesOf(gone.text);
    }
  }

  /** The session's lines, oldest first, and the buffer is gone. Empty when there were none. */
  take(sessionId: SessionId): BufferedLine[] {
    const lines = this.buffers.get(sessionId)?.lines ?? [];
    this.buffers.delete(sessionId);
    return lines;
  }

  /** Forgets the session's lines (it closed unreported). */
  drop(sessionId: SessionId): void {
    this.buffers.delete(sessionId);
  }

  /** Sessions with a buffer, and the bytes held in all of them (health and tests). */
  size(): { sessions: number; bytes: number } {
    let bytes = 0;
    for (const b of this.buffers.values()) bytes += b.bytes;
    return { sessions: this.buffers.size, bytes };
  }
}

/** The longest prefix of `text` of at most `max` UTF-8 bytes, never splitting a character. */
export function truncateBytes(text: string, max: number): string {
  let out = "";
  let used = 0;
  for (const ch of text) {
    const n = bytesOf(ch);
    if (used + n > max) break;
    out += ch;
    used += n;
  }
  return out;
}
