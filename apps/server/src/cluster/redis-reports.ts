/**
 * Report buffers in Redis (cluster mode): the two sides of a conversation may be on two nodes,
 * and each node appends its own user's lines, so the buffer is one Redis list per session that
 * both append to and a report takes whole, on whichever node the report arrives.
 *
 * Keys (prefix P): P.."rb:"..session a hash (marker) with the space's limits and the bytes held,
 * present while the session is open in a space that keeps text; P.."rb:"..session..":lines" the
 * lines, oldest first (JSON). A line is appended only while the marker exists, so a late line
 * after a close keeps nothing. Both keys expire `idleTtlMs` after the last line, so a buffer whose
 * close was never seen (every node of the pair died before the reaper ran) does not stay.
 * P.."rb:open" a set of the sessions buffered (for size()).
 *
 * This is the only place Redis holds message text (docs/operations.md, "Cluster mode").
 */
import type { SpacePolicy } from "@duet/engine";
import type { NewReport } from "@duet/persistence";
import type { SpaceId } from "@duet/protocol";
import type { Redis } from "ioredis";
import { assembleReport, type ReportBuffers } from "../gateway/reports";
import { type BufferedLine, truncateBytes } from "../transcripts";
import { evalScript } from "./eval-script";

/** KEYS: marker, lines, open set. ARGV: session id, maxMessages, maxBytes, ttl. */
const MATCHED = `
redis.call("HSET", KEYS[1], "maxMessages", ARGV[2], "maxBytes", ARGV[3], "bytes", 0)
redis.call("PEXPIRE", KEYS[1], ARGV[4])
redis.call("SADD", KEYS[3], ARGV[1])
return 1`;

/**
 * Appends a line if the session is buffered, dropping the oldest beyond its limits.
 * KEYS: marker, lines. ARGV: line JSON, its text's bytes, ttl.
 */
const APPEND = `
local limits = redis.call("HMGET", KEYS[1], "maxMessages", "maxBytes")
if not limits[1] then return 0 end
local max_messages, max_bytes = tonumber(limits[1]), tonumber(limits[2])
local bytes = redis.call("HINCRBY", KEYS[1], "bytes", ARGV[2])
local n = redis.call("RPUSH", KEYS[2], ARGV[1])
while n > 0 and (n > max_messages or bytes > max_bytes) do
  local gone = redis.call("LPOP", KEYS[2])
  n = n - 1
  bytes = redis.call("HINCRBY", KEYS[1], "bytes", -tonumber(cjson.decode(gone).b))
end
redis.call("PEXPIRE", KEYS[1], ARGV[3])
redis.call("PEXPIRE", KEYS[2], ARGV[3])
return 1`;

/** Takes the lines and forgets the session. KEYS: marker, lines, open set. ARGV: session id. */
const TAKE = `
local lines = redis.call("LRANGE", KEYS[2], 0, -1)
redis.call("DEL", KEYS[1], KEYS[2])
redis.call("SREM", KEYS[3], ARGV[1])
return lines`;

/** Sessions buffered and the bytes they hold. KEYS: open set. ARGV: prefix. */
const SIZE = `
local ids = redis.call("SMEMBERS", KEYS[1])
local open, bytes = 0, 0
for i = 1, #ids do
  local b = redis.call("HGET", ARGV[1] .. "rb:" .. ids[i], "bytes")
  if b then
    open = open + 1
    bytes = bytes + tonumber(b)
  else
    redis.call("SREM", KEYS[1], ids[i])
  end
end
return { open, bytes }`;

/** A conversation is rarely idle this long; its buffer then goes by itself (12 hours). */
const DEFAULT_IDLE_TTL_MS = 12 * 60 * 60_000;

interface StoredLine {
  /** from (user id), text, at, and b: the text's UTF-8 bytes. */
  readonly f: string;
  readonly t: string;
  readonly a: number;
  readonly b: number;
}

export class RedisReportBuffers implements ReportBuffers {
  private readonly open: string;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly policies: ReadonlyMap<SpaceId, SpacePolicy>,
    private readonly onError: (err: unknown) => void = () => {},
    private readonly idleTtlMs = DEFAULT_IDLE_TTL_MS,
  ) {
    this.open = `${prefix}rb:open`;
  }

  private keys(sessionId: string): [string, string] {
    const marker = `${this.prefix}rb:${sessionId}`;
    return [marker, `${marker}:lines`];
  }

  matched(sessionId: string, space: SpaceId): void {
    const keep = this.policies.get(space)?.reportBuffer;
    if (!keep) return;
    evalScript(
      this.redis,
      MATCHED,
      3,
      ...this.keys(sessionId),
      this.open,
      sessionId,
      keep.maxMessages,
      keep.maxBytes,
      this.idleTtlMs,
    ).catch(this.onError);
  }

  delivered(
    to: string,
    message: { sessionId: string; from: string; text: string; at: number },
    space?: SpaceId,
  ) {
    if (message.from !== "you") return;
    // A space that keeps no text (menti): nothing to send.
    if (space !== undefined && !this.policies.get(space)?.reportBuffer) return;
    // Cut to the largest budget of any space here; the script enforces the session's own.
    let text = message.text;
    const max = Math.max(
      0,
      ...[...this.policies.values()].map((p) => p.reportBuffer?.maxBytes ?? 0),
    );
    if (Buffer.byteLength(text, "utf8") > max) text = truncateBytes(text, max);
    const b = Buffer.byteLength(text, "utf8");
    const line: StoredLine = { f: to, t: text, a: message.at, b };
    evalScript(
      this.redis,
      APPEND,
      2,
      ...this.keys(message.sessionId),
      JSON.stringify(line),
      b,
      this.idleTtlMs,
    ).catch(this.onError);
  }

  closed(sessionId: string, space?: SpaceId): void {
    // A space that keeps no text (menti) never had a buffer: nothing to delete.
    if (space !== undefined && !this.policies.get(space)?.reportBuffer) return;
    this.redis
      .multi()
      .del(...this.keys(sessionId))
      .srem(this.open, sessionId)
      .exec()
      .catch(this.onError);
  }

  async reportOf(
    ob: Parameters<ReportBuffers["reportOf"]>[0],
    request: Parameters<ReportBuffers["reportOf"]>[1],
  ): Promise<NewReport> {
    const raw = (await evalScript(
      this.redis,
      TAKE,
      3,
      ...this.keys(ob.sessionId),
      this.open,
      ob.sessionId,
    )) as string[];
    const lines: BufferedLine[] = raw.map((r) => {
      const l = JSON.parse(r) as StoredLine;
      return { from: l.f, text: l.t, at: l.a };
    });
    return assembleReport(this.policies, ob, request, lines);
  }

  async size(): Promise<{ open: number; bytes: number }> {
    const [open, bytes] = (await evalScript(this.redis, SIZE, 1, this.open, this.prefix)) as [
      number,
      number,
    ];
    return { open, bytes };
  }
}
