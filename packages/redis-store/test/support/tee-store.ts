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

/**
 * JSON with every object's keys sorted (the stores build records in different key orders), and
 * every `version` moved back by `offset`: RedisStore's versions start at its clock (lua/includes/
 * records.lua), MemoryStore's at 1, and both add one per change, so one store's version minus
 * the other's is the same number throughout.
 */
export function canonical(v: unknown, offset = 0): string {
  return JSON.stringify(v === undefined ? "undefined" : v, (k, value: unknown) => {
    if (k === "version" && typeof value === "number") return value - offset;
    if (!value || typeof value !== "object" || Array.isArray(value)) return value;
    const o = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((key) => [key, o[key]]),
    );
  });
}

/** The first `version` found in a value (depth first), if any. */
export function firstVersion(v: unknown): number | undefined {
  if (!v || typeof v !== "object") return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.version === "number") return o.version;
  for (const x of Object.values(o)) {
    const found = firstVersion(x);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The version offset between two stores, found the first time both answers carry one. */
export class VersionOffset {
  private offset: number | undefined;

  of(mine: unknown, theirs: unknown): number {
    if (this.offset === undefined) {
      const m = firstVersion(mine);
      const r = firstVersion(theirs);
      if (m !== undefined && r !== undefined) this.offset = r - m;
    }
    return this.offset ?? 0;
  }
}

export class StoresDiffer extends Error {}

export function teeStore(memory: MemoryStore, redis: RedisStore): Store {
  const versions = new VersionOffset();
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
        const pr = canonical(r, versions.of(m, r));
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
