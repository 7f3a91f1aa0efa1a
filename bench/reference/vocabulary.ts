/**
 * The reference relays' event vocabulary: the smallest set the load generator needs, named after
 * Duet's so one generator drives all three targets. No validation anywhere (that is the point of
 * a floor):
 *
 * client → server   `join` {}            queue FIFO; the first two waiting are paired
 *                   `send` {text}        forwarded to the partner as `message` {text}
 *                   `leave` {}           unpair; the partner gets `ended`
 * server → client   `matched` {sessionId}  sent to both members of a new pair
 *                   `message` {text}
 *                   `ended` {sessionId}  the partner left or closed
 *
 * Unlike Duet, a reference relay does not echo the sender's own copy of a message, has no states,
 * rooms, rate limits, spaces or intents: everyone pairs with everyone.
 */
export interface Member {
  partner: Member | null;
  sessionId: string | null;
  waiting: boolean;
  deliver(event: string, payload: unknown): void;
}

/** FIFO pairing shared by both relays. O(1) per join; departed members are skipped lazily. */
export class Pairing {
  private queue: Member[] = [];
  private head = 0;
  private sessions = 0;

  join(m: Member): void {
    if (m.partner || m.waiting) return;
    while (this.head < this.queue.length) {
      const other = this.queue[this.head] as Member;
      this.head += 1;
      if (!other.waiting) continue;
      other.waiting = false;
      this.sessions += 1;
      const sessionId = `s${this.sessions}`;
      m.partner = other;
      other.partner = m;
      m.sessionId = sessionId;
      other.sessionId = sessionId;
      other.deliver("matched", { sessionId });
      m.deliver("matched", { sessionId });
      this.compact();
      return;
    }
    m.waiting = true;
    this.queue.push(m);
    this.compact();
  }

  /** `leave` or a close: unpair and tell the partner; leave the queue. */
  leave(m: Member): void {
    m.waiting = false;
    const p = m.partner;
    if (!p) return;
    const sessionId = m.sessionId;
    m.partner = null;
    p.partner = null;
    m.sessionId = null;
    p.sessionId = null;
    p.deliver("ended", { sessionId });
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
