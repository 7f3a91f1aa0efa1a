/**
 * The Router over Redis (cluster mode): each node reads its own inbox, a Redis Stream
 * (`{prefix}:inbox:<node>`), with blocking reads on a connection of its own; an event for a user
 * on another node is appended to that node's inbox, and one for a user here is delivered at once,
 * without Redis (the fast path: a conversation between two people on one node never waits for a
 * round trip).
 *
 * Chat text crosses Redis here, so nothing is kept: each batch read is deleted from the stream
 * (XDEL) as soon as it is delivered, and an inbox is capped (MAXLEN ~) in case its node stopped
 * reading; the reaper deletes a dead node's inbox (node-liveness.ts).
 *
 * Order: events from one node to another arrive in the order routed (one stream, one writer
 * connection); events from different nodes to one user may interleave, as over any network —
 * state views carry versions, so an older view is never shown after a newer one.
 */
import type { Redis } from "ioredis";
import type { Routed, Router } from "../gateway/router";

/** An inbox kept at about this many events if its node stops reading (then reaped). */
const INBOX_CAP = 10_000;
const READ_COUNT = 512;
const BLOCK_MS = 1_000;

export interface RedisRouterStats {
  /** Events sent to another node's inbox. */
  sent: number;
  /** Events read from this node's inbox. */
  received: number;
  /** Events delivered here without Redis. */
  local: number;
  /** Failed appends or reads (Redis unreachable). */
  errors: number;
}

export const inboxKey = (prefix: string, node: string): string => `${prefix}inbox:${node}`;

export class RedisRouter implements Router {
  private deliver: ((o: Routed) => void) | undefined;
  private reading = false;
  private readonly inbox: string;
  readonly stats: RedisRouterStats = { sent: 0, received: 0, local: 0, errors: 0 };

  /**
   * `redis` sends (the node's command connection); `reader` is this router's own, for blocking
   * reads, closed on detach.
   */
  constructor(
    readonly node: string,
    private readonly redis: Redis,
    private readonly reader: Redis,
    private readonly prefix: string,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.inbox = inboxKey(prefix, node);
  }

  route(o: Routed): void {
    const target = o.node ?? this.node;
    if (target === this.node) {
      this.stats.local += 1;
      this.deliver?.(o);
      return;
    }
    this.stats.sent += 1;
    this.redis
      .xadd(inboxKey(this.prefix, target), "MAXLEN", "~", INBOX_CAP, "*", "e", JSON.stringify(o))
      .catch((err: unknown) => {
        this.stats.errors += 1;
        this.onError(err);
      });
  }

  attach(deliver: (o: Routed) => void): () => void {
    this.deliver = deliver;
    if (!this.reading) {
      this.reading = true;
      void this.readLoop();
    }
    return () => {
      if (this.deliver !== deliver) return;
      this.deliver = undefined;
      this.reading = false;
      // A blocking read in flight ends with the connection.
      this.reader.disconnect();
    };
  }

  /** Reads the inbox until detached: from its start (a node's id is new with each process). */
  private async readLoop(): Promise<void> {
    let last = "0-0";
    while (this.reading) {
      let reply: [string, [string, string[]][]][] | null;
      try {
        reply = (await this.reader.xread(
          "COUNT",
          READ_COUNT,
          "BLOCK",
          BLOCK_MS,
          "STREAMS",
          this.inbox,
          last,
        )) as [string, [string, string[]][]][] | null;
      } catch (err) {
        if (!this.reading) return;
        this.stats.errors += 1;
        this.onError(err);
        // Redis unreachable: try again shortly (ioredis reconnects on its own).
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      const entries = reply?.[0]?.[1];
      if (!entries || entries.length === 0) continue;
      const ids: string[] = [];
      for (const [id, fields] of entries) {
        ids.push(id);
        last = id;
        const raw = fields[1];
        if (raw === undefined) continue;
        this.stats.received += 1;
        try {
          this.deliver?.(JSON.parse(raw) as Routed);
        } catch (err) {
          this.onError(err);
        }
      }
      // Delivered: nothing of it stays in Redis.
      this.redis.xdel(this.inbox, ...ids).catch(this.onError);
    }
  }
}
