/**
 * `redis.eval` for the cluster seams' scripts, sent as EVALSHA: the script's text goes over the
 * wire (and is hashed by Redis) only the first time, or again after a Redis that restarted
 * answers NOSCRIPT. Each script is a constant string, so its SHA-1 is computed once.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

const shas = new Map<string, string>();

export async function evalScript(
  redis: Redis,
  lua: string,
  numKeys: number,
  ...args: (string | number)[]
): Promise<unknown> {
  let sha = shas.get(lua);
  if (sha === undefined) {
    sha = createHash("sha1").update(lua).digest("hex");
    shas.set(lua, sha);
  }
  try {
    return await redis.evalsha(sha, numKeys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
    return redis.eval(lua, numKeys, ...args);
  }
}
