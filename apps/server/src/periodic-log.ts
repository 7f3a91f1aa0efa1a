/**
 * One log line per period for events that can come by the thousand (refused connections, abusive
 * disconnects): the first occurrence is logged at once, later ones in the same period are only
 * counted, and one summary line with the count follows when the period ends. A flood therefore
 * writes two lines a minute, not one per socket, and an operator still sees it begin at once.
 *
 * Holds a counter per key and at most one unref'd timer at a time (armed only while something
 * is counted), so it costs nothing when quiet and never keeps the process alive.
 */
import type { Logger } from "./logger";

export class PeriodicLog {
  private readonly counts = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly message: string,
    private readonly periodMs = 60_000,
  ) {}

  /** Notes one occurrence for `key` (a reason, a limit name: never an address or a token). */
  note(key: string): void {
    const seen = this.counts.get(key);
    if (seen === undefined) {
      // The first of its period: said at once.
      this.counts.set(key, 0);
      this.logger.warn({ reason: key, count: 1 }, this.message);
    } else {
      this.counts.set(key, seen + 1);
    }
    this.timer ??= setTimeout(() => this.flush(), this.periodMs).unref();
  }

  /** Logs what was counted since each key's first line and starts a new period. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const [key, more] of this.counts) {
      if (more > 0) {
        this.logger.warn({ reason: key, count: more, periodMs: this.periodMs }, this.message);
      }
    }
    this.counts.clear();
  }
}
