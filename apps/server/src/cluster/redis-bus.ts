/**
 * ClusterBus over Redis pub/sub (cluster mode): a ban or unban published on one node reaches the
 * subscribers of every node, this one included, over one channel per deployment. Pub/sub keeps
 * nothing: a node that is down when a ban is published misses it, and needs nothing else — a
 * banned token's next connection is checked against the database (connection.ts).
 *
 * Order: messages from one node arrive in the order that node published them (one connection);
 * two nodes' messages may interleave either way. A ban and its unban come from one moderator's
 * requests, which one node answers in turn.
 */
import type { Redis } from "ioredis";
import type { ClusterBus, ClusterMessage } from "../gateway/cluster-bus";

export class RedisClusterBus implements ClusterBus {
  private readonly handlers = new Set<(message: ClusterMessage) => void>();
  private readonly channel: string;
  private subscribed: Promise<unknown> | undefined;

  /**
   * `publisher` is the node's command connection; `subscriber` a connection of its own (a
   * subscribed Redis connection can run no other command), which this bus owns and closes.
   */
  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    prefix: string,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.channel = `${prefix}bus`;
    subscriber.on("message", (channel: string, raw: string) => {
      if (channel !== this.channel) return;
      let message: ClusterMessage;
      try {
        message = JSON.parse(raw) as ClusterMessage;
      } catch (err) {
        this.onError(err);
        return;
      }
      for (const handler of [...this.handlers]) {
        try {
          handler(message);
        } catch (err) {
          this.onError(err);
        }
      }
    });
  }

  /** Subscribes the channel; resolves once Redis confirmed it (messages from then on arrive). */
  ready(): Promise<unknown> {
    this.subscribed ??= this.subscriber.subscribe(this.channel);
    return this.subscribed;
  }

  publish(message: ClusterMessage): void {
    this.publisher.publish(this.channel, JSON.stringify(message)).catch(this.onError);
  }

  subscribe(handler: (message: ClusterMessage) => void): () => void {
    const own = (message: ClusterMessage): void => handler(message);
    this.handlers.add(own);
    void this.ready()?.then(undefined, this.onError);
    return () => {
      this.handlers.delete(own);
    };
  }

  close(): void {
    this.handlers.clear();
    this.subscriber.disconnect();
  }
}
