/**
 * One task at a time per key, in this process (the engine's `matchLock` in cluster mode): tasks
 * for one key run in the order they came, each after the previous settled; different keys do not
 * wait for each other. Nothing is kept for a key with no task queued.
 */
export type KeyedLock = (<T>(key: string, run: () => Promise<T>) => Promise<T>) & {
  /** Keys with a task queued or running (tests, health). */
  keys(): number;
};

export function keyedLock(): KeyedLock {
  const tails = new Map<string, Promise<unknown>>();
  const lock = <T>(key: string, run: () => Promise<T>): Promise<T> => {
    const before = tails.get(key) ?? Promise.resolve();
    const mine = before.then(run, run);
    const tail = mine.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return mine;
  };
  return Object.assign(lock, { keys: () => tails.size });
}
