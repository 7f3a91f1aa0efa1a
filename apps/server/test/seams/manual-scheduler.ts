/**
 * A Scheduler driven by hand (tests): nothing runs until `advance` moves its clock past a task's
 * time. Tasks due at the same time run in the order they were scheduled.
 */
import type { Scheduler } from "../../src/scheduler";

export class ManualScheduler implements Scheduler {
  private nowMs = 0;
  private seq = 0;
  private readonly tasks = new Map<number, { at: number; task: () => void }>();

  now(): number {
    return this.nowMs;
  }

  schedule(at: number, task: () => void): () => void {
    const id = this.seq++;
    this.tasks.set(id, { at, task });
    return () => {
      this.tasks.delete(id);
    };
  }

  cancelAll(): void {
    this.tasks.clear();
  }

  size(): number {
    return this.tasks.size;
  }

  /** Moves the clock forward by `ms`, running every task that falls due, in time order. */
  advance(ms: number): void {
    const until = this.nowMs + ms;
    for (;;) {
      let next: [number, { at: number; task: () => void }] | undefined;
      for (const entry of this.tasks) {
        if (entry[1].at > until) continue;
        if (!next || entry[1].at < next[1].at) next = entry;
      }
      if (!next) break;
      this.tasks.delete(next[0]);
      this.nowMs = Math.max(this.nowMs, next[1].at);
      next[1].task();
    }
    this.nowMs = until;
  }
}
