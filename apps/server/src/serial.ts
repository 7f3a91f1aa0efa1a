/**
 * One connection's events, strictly in order: each task starts after the previous one settled.
 *
 * A task that arrives while none is running starts at once, in the caller's turn; only a task
 * that arrives behind a running one waits in the queue. A promise chain (`chain =
 * chain.then(task)`) gives the same order, but starts even an idle connection's task a microtask
 * later and costs two promises per event: measurable when every chat message is an event
 * (BENCHMARKS.md, churn). A task that fails (or throws) is reported to `onError`; the tasks
 * behind it still run.
 */
export type Task = () => Promise<void>;

export function serialQueue(onError: (err: unknown) => void): (task: Task) => void {
  const waiting: Task[] = [];
  let running = false;

  const settled = (): void => {
    const next = waiting.shift();
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

  return (task) => {
    if (running) waiting.push(task);
    else start(task);
  };
}
