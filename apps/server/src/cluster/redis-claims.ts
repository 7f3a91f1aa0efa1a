/**
 * Token claims in Redis (cluster mode): one token, one connection across every node. A token's
 * claimants are a Redis list of `node\tid` refs, holder first; each node also keeps the set of
 * `token\tid` it claimed (for releasing a dead node's at once). Every operation is one script.
 *
 * Keys (prefix P): P.."claim:"..token (list), P.."claims:"..node (set).
 */
import type { Redis } from "ioredis";
import type { ClaimRef, TokenClaims } from "../claims";
import { evalScript } from "./eval-script";

const SEP = "\t";
const refOf = (raw: string): ClaimRef => {
  const at = raw.indexOf(SEP);
  return { node: raw.slice(0, at), id: raw.slice(at + 1) };
};
const rawOf = (c: ClaimRef): string => `${c.node}${SEP}${c.id}`;

/** KEYS: list, node set. ARGV: ref, token\tid. Returns 1 if the ref holds. */
const CLAIM = `
if not redis.call("LPOS", KEYS[1], ARGV[1]) then
  redis.call("RPUSH", KEYS[1], ARGV[1])
  redis.call("SADD", KEYS[2], ARGV[2])
end
if redis.call("LINDEX", KEYS[1], 0) == ARGV[1] then return 1 end
return 0`;

/** KEYS: list, node set. ARGV: ref, token\tid. Returns the new holder's ref, or nil. */
const RELEASE = `
redis.call("SREM", KEYS[2], ARGV[2])
local was = redis.call("LINDEX", KEYS[1], 0) == ARGV[1]
if redis.call("LREM", KEYS[1], 0, ARGV[1]) == 0 or not was then return nil end
local next = redis.call("LINDEX", KEYS[1], 0)
if not next then return nil end
return next`;

/**
 * Releases every claim of one node. KEYS: node set. ARGV: prefix, node. Returns a flat list of
 * token, new holder ref, for each token whose holder changed.
 */
const RELEASE_NODE = `
local members = redis.call("SMEMBERS", KEYS[1])
local out = {}
local seen = {}
for i = 1, #members do
  local tab = string.find(members[i], "\\t", 1, true)
  local token = string.sub(members[i], 1, tab - 1)
  local id = string.sub(members[i], tab + 1)
  local list = ARGV[1] .. "claim:" .. token
  if seen[token] == nil then seen[token] = redis.call("LINDEX", list, 0) or false end
  redis.call("LREM", list, 0, ARGV[2] .. "\\t" .. id)
end
redis.call("DEL", KEYS[1])
for token, before in pairs(seen) do
  local after = redis.call("LINDEX", ARGV[1] .. "claim:" .. token, 0)
  if after and after ~= before then
    out[#out + 1] = token
    out[#out + 1] = after
  end
end
return out`;

export class RedisTokenClaims implements TokenClaims {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private keys(token: string, node: string): [string, string] {
    return [`${this.prefix}claim:${token}`, `${this.prefix}claims:${node}`];
  }

  async claim(token: string, conn: ClaimRef): Promise<boolean> {
    const held = await evalScript(
      this.redis,
      CLAIM,
      2,
      ...this.keys(token, conn.node),
      rawOf(conn),
      `${token}${SEP}${conn.id}`,
    );
    return held === 1;
  }

  async release(token: string, conn: ClaimRef): Promise<ClaimRef | undefined> {
    const next = (await evalScript(
      this.redis,
      RELEASE,
      2,
      ...this.keys(token, conn.node),
      rawOf(conn),
      `${token}${SEP}${conn.id}`,
    )) as string | null;
    return next === null ? undefined : refOf(next);
  }

  async holds(token: string, conn: ClaimRef): Promise<boolean> {
    return (await this.redis.lindex(`${this.prefix}claim:${token}`, 0)) === rawOf(conn);
  }

  async all(token: string): Promise<readonly ClaimRef[]> {
    return (await this.redis.lrange(`${this.prefix}claim:${token}`, 0, -1)).map(refOf);
  }

  async releaseNode(node: string): Promise<Array<{ token: string; next: ClaimRef }>> {
    const flat = (await evalScript(
      this.redis,
      RELEASE_NODE,
      1,
      `${this.prefix}claims:${node}`,
      this.prefix,
      node,
    )) as string[];
    const out: Array<{ token: string; next: ClaimRef }> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      out.push({ token: flat[i] as string, next: refOf(flat[i + 1] as string) });
    }
    return out;
  }
}
