/**
 * Runs the engine's deadlines on real timers. The engine only says "call me at time T"; this is
 * the one place that owns timers, so tests can swap in a manual scheduler and drive time.
 */
export interface Scheduler {
  /**
   * Runs `task` at clock time `at` (ms), or as soon as possible if that has passed. Returns a
   * function that cancels it (a no-op once it ran).
   */
  schedule(at: number, task: () => void): () => void;
  /** Cancels everything pending (shutdown). */
  cancelAll(): void;
  /** Tasks not yet run. */
  size(): number;
}

export class TimerScheduler implements Scheduler {
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(private readonly now: () => number = Date.now) {}

  schedule(at: number, task: () => void): () => void {
    const handle = setTimeout(
      () => {
        this.pending.delete(handle);
        task();
      },
      Math.max(0, at - this.now()),
    );
    this.pending.add(handle);
    return () => {
      if (this.pending.delete(handle)) clearTimeout(handle);
    };
  }

  cancelAll(): void {
    for (const h of this.pending) clearTimeout(h);
    this.pending.clear();
  }

  size(): number {
    return this.pending.size;
  }
}
