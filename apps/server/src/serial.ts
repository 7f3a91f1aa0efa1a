/**
 * One connection's events, strictly in order: each task starts after the previous one settled.
 *
 * A task that arrives while none is running starts at once, in the caller's turn; only a task
 * that arrives behind a running one waits in the queue. A promise chain (`chain =
 * chain.then(task)`) gives the same order, but starts even an idle connection's task a microtask
 * later and costs two promises per event: measurable when every chat message is an event
 * (BENCHMARKS.md, churn). A task that fails (or throws) is reported to `onError`; the tasks
 * behind it still run.
 *
 * Bounded: a client's events may wait here at most `maxWaiting` deep. Beyond that `offer`
 * refuses the task (returns false) and the caller answers the event cheaply: one socket that
 * sends faster than its events can be handled (a join flood waiting on the database) must not
 * grow an unbounded queue in the server's memory. The server's own tasks (`force`: the
 * connection's setup, its disconnect, a ban) are never refused, so they may go past the bound;
 * there are at most a handful per connection. The queue is a ring of slots with a head index,
 * so adding and taking are O(1) (`Array#shift` is O(n) once an array grows past V8's fast case).
 */
export type Task = () => Promise<void>;

export interface SerialQueue {
  /**
   * Runs `task` after the ones before it. Returns false, and does not run it, when `maxWaiting`
   * tasks already wait (unless `force`).
   */
  offer(task: Task, force?: boolean): boolean;
  /** Tasks waiting behind the running one. */
  waiting(): number;
}

/**
 * Events one connection may have waiting behind a running one (see the header). Events that
 * arrive in one read queue behind each other even when each is handled at once (a task holds the
 * queue until its promise settles, a microtask later), and an honest client sends bursts: a video
 * call's offer and its few dozen ICE candidates. 64 leaves room for those; a flood fills it within
 * one read.
 */
export const MAX_WAITING_EVENTS = 64;

export function serialQueue(
  onError: (err: unknown) => void,
  maxWaiting = MAX_WAITING_EVENTS,
): SerialQueue {
  // A ring that grows (doubling) only when forced tasks go past its size.
  let slots: (Task | undefined)[] = new Array(Math.max(2, maxWaiting));
  let head = 0;
  let count = 0;
  let running = false;

  const push = (task: Task): void => {
    if (count === slots.length) {
      const grown: (Task | undefined)[] = new Array(slots.length * 2);
      for (let i = 0; i < count; i++) grown[i] = slots[(head + i) % slots.length];
      slots = grown;
      head = 0;
    }
    slots[(head + count) % slots.length] = task;
    count += 1;
  };
  const take = (): Task | undefined => {
    if (count === 0) return undefined;
    const task = slots[head];
    slots[head] = undefined;
    head = (head + 1) % slots.length;
    count -= 1;
    return task;
  };

  const settled = (): void => {
    const next = take();
    if (next) start(next);
    else running = false;
  };
  const failed = (err: unknown): void => {
    onError(err);
    settled();
  };
  const start = (task: Task): void => {
    running = true;
    let done: Promise<void>;
    try {
      done = task();
    } catch (err) {
      // Only a non-async task can throw here; an async one rejects instead.
      done = Promise.reject(err);
    }
    done.then(settled, failed);
  };

  return {
    offer(task, force = false) {
      if (!running) {
        start(task);
        return true;
      }
      if (count >= maxWaiting && !force) return false;
      push(task);
      return true;
    },
    waiting: () => count,
  };
}
