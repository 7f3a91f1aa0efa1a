/**
 * When a connection's refused events become abuse (issue 15).
 *
 * Every event the gateway refuses is a strike, in one of two budgets:
 * - malformed or unknown events and events over a rate limit (or beyond the per-connection
 *   queue): more than ABUSE_LIMIT within ABUSE_WINDOW_MS end the connection. A well-behaved
 *   client sends none of these, or stops when told to slow down;
 * - events refused for the state they arrived in (a click that crossed the partner leaving, the
 *   last trickle of video candidates after a Skip re-queued the pair, a "typing" after the end):
 *   these happen to honest clients in small bursts, so their budget is LATE_LIMIT, ten times
 *   larger; a flood of them still ends the connection.
 * A flood is refused at every event, so it is cut off within its first few dozen (or few hundred)
 * events whatever it sends, and its refusals cost the server one small answer each until then.
 *
 * The last `limit + 1` strike times sit in a ring: one slot written per strike, no array that
 * grows or is filtered per event.
 */
export const ABUSE_LIMIT = 20;
export const ABUSE_WINDOW_MS = 10_000;
/** Refusals for the state an event arrived in, per ABUSE_WINDOW_MS (see the header). */
export const LATE_LIMIT = 200;

export class Strikes {
  private readonly times: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(
    limit = ABUSE_LIMIT,
    private readonly windowMs = ABUSE_WINDOW_MS,
  ) {
    this.times = new Float64Array(limit + 1);
  }

  /** Records a strike at `now`; true when it makes more than `limit` within the window. */
  strike(now: number): boolean {
    this.times[this.next] = now;
    this.next = (this.next + 1) % this.times.length;
    if (this.filled < this.times.length) this.filled += 1;
    if (this.filled < this.times.length) return false;
    // The ring is full: the slot to be written next holds the oldest of the last limit + 1.
    const oldest = this.times[this.next] as number;
    return now - oldest < this.windowMs;
  }
}
