/**
 * The store's Lua scripts (lua/*.lua): each one is a whole store operation, run by Redis as one
 * atomic step. A script's text is includes/records.lua followed by its own file, so the helpers it
 * shares with the others travel inside it (Redis scripts cannot load one another).
 *
 * Scripts are run with EVALSHA; a server that does not know a script yet (a fresh or restarted
 * Redis, or a failover to a replica that never saw it) answers NOSCRIPT, and the call is sent
 * again with the whole text as EVAL, which also loads it. That is the same thing ioredis's
 * `defineCommand` does; it is written out here so that the calls stay typed.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Redis } from "ioredis";

const LUA_DIR = path.resolve(import.meta.dirname, "../lua");

export const SCRIPT_NAMES = [
  "add_user",
  "enqueue",
  "open_search",
  "leave_queue",
  "peek",
  "create_session",
  "enter_session",
  "request_media",
  "close_session",
  "return_home",
  "remove_user",
  "enqueue_many",
  "create_sessions",
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

/**
 * Scripts that run other scripts' text as functions (one call for a whole match round): each
 * named script's file is put in front of the batch script's own, wrapped as
 * `local function <fn>(ARGV) … end`. The wrapped text is unchanged: inside the function its
 * `ARGV` is the argument the batch script passes, and its `return` answers that one call.
 */
const WRAPPED: Partial<Record<ScriptName, readonly (readonly [ScriptName, string])[]>> = {
  enqueue_many: [
    ["enqueue", "enqueue_one"],
    ["peek", "peek_one"],
  ],
  create_sessions: [["create_session", "create_one"]],
};

export interface LoadedScript {
  readonly name: ScriptName;
  readonly lua: string;
  readonly sha: string;
}

let loaded: ReadonlyMap<ScriptName, LoadedScript> | undefined;

/** Every script's full text and SHA-1, read once per process. */
export function storeScripts(): ReadonlyMap<ScriptName, LoadedScript> {
  if (loaded) return loaded;
  const records = readFileSync(path.join(LUA_DIR, "includes/records.lua"), "utf8");
  const map = new Map<ScriptName, LoadedScript>();
  for (const name of SCRIPT_NAMES) {
    const own = readFileSync(path.join(LUA_DIR, `${name}.lua`), "utf8");
    const wrapped = (WRAPPED[name] ?? []).map(([inner, fn]) => {
      const text = readFileSync(path.join(LUA_DIR, `${inner}.lua`), "utf8");
      return `local function ${fn}(ARGV)\n${text}\nend\n`;
    });
    // The script's own header comes first, so a SCRIPT's text reads as what it is.
    const lua = `-- duet store script: ${name}\n${records}\n${wrapped.join("")}${own}`;
    map.set(name, { name, lua, sha: createHash("sha1").update(lua).digest("hex") });
  }
  loaded = map;
  return map;
}

export type ScriptReply = string | null | ScriptReply[];

/**
 * Runs a loaded script: EVALSHA, and EVAL once if the server does not know it (NOSCRIPT).
 * `keys` are the script's KEYS; `args` its ARGV.
 */
export async function runScript(
  redis: Redis,
  script: LoadedScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<ScriptReply> {
  try {
    return (await redis.evalsha(script.sha, keys.length, ...keys, ...args)) as ScriptReply;
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
    return (await redis.eval(script.lua, keys.length, ...keys, ...args)) as ScriptReply;
  }
}
