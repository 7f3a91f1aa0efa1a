/**
 * A Store that runs every operation on two stores at once — MemoryStore (the model's picture,
 * which the model test inspects synchronously) and RedisStore (whose answers are returned) — and
 * fails the test the moment their answers differ. The calls reach both in the same order: the
 * MemoryStore body runs at call time, and the Redis script is queued on its connection at call
 * time (the scripts must be loaded first: RedisStore.loadScripts).
 *
 * So the engine runs on RedisStore, and every check the model makes of MemoryStore's records is a
 * check of Redis's, as long as no answer differed.
 */
import type { MemoryStore, Store } from "@duet/engine";
import type { RedisStore } from "../../src";

/** JSON with every object's keys sorted (the stores build records in different key orders). */
export function canonical(v: unknown): string {
  return JSON.stringify(v === undefined ? "undefined" : v, (_k, value: unknown) => {
    if (!value || typeof value !== "object" || Array.isArray(value)) return value;
    const o = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, o[k]]),
    );
  });
}

export class StoresDiffer extends Error {}

export function teeStore(memory: MemoryStore, redis: RedisStore): Store {
  return new Proxy<Store>(memory, {
    get(target, prop) {
      const mine: unknown = Reflect.get(target, prop, target);
      const theirs: unknown = Reflect.get(redis, prop, redis);
      if (typeof mine !== "function" || typeof theirs !== "function") return mine;
      return async (...args: unknown[]) => {
        const a = (mine as (...x: unknown[]) => Promise<unknown>).apply(target, args);
        const b = (theirs as (...x: unknown[]) => Promise<unknown>).apply(redis, args);
        const [m, r] = await Promise.all([a, b]);
        const pm = canonical(m);
        const pr = canonical(r);
        if (pm !== pr) {
          throw new StoresDiffer(
            `${String(prop)}(${JSON.stringify(args)}): MemoryStore ${pm} but RedisStore ${pr}`,
          );
        }
        return r;
      };
    },
  });
}
