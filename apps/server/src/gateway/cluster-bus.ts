/**
 * The ClusterBus seam: news every node must act on, whichever node learned it. Today that is a
 * moderator's ban and unban (the admin API runs on one node; the banned person's sockets may be
 * on any). Every gateway subscribes once and applies each message to its own connections.
 *
 * `LocalClusterBus` is one process's bus: it hands each message to every subscriber in this
 * process, at once and in publish order (with one gateway, exactly today's direct call). The
 * cluster implementation (issue 18) carries the same messages over Redis pub/sub;
 * test/seams/cluster-bus.contract.ts is what both must do.
 */
export type ClusterMessage =
  | { readonly kind: "banned"; readonly token: string; readonly until: number | null }
  | { readonly kind: "unbanned"; readonly token: string };

export interface ClusterBus {
  /** Sends `message` to every subscriber on every node, this one included. */
  publish(message: ClusterMessage): void;
  /** Calls `handler` with every message published from now on; returns the unsubscribe. */
  subscribe(handler: (message: ClusterMessage) => void): () => void;
}

export class LocalClusterBus implements ClusterBus {
  private readonly handlers = new Set<(message: ClusterMessage) => void>();

  constructor(private readonly onError: (err: unknown) => void = () => {}) {}

  publish(message: ClusterMessage): void {
    for (const handler of [...this.handlers]) {
      // One subscriber's failure is its own: the others still hear the news.
      try {
        handler(message);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  subscribe(handler: (message: ClusterMessage) => void): () => void {
    // A wrapper per subscription, so the same function subscribed twice is two subscriptions.
    const own = (message: ClusterMessage): void => handler(message);
    this.handlers.add(own);
    return () => {
      this.handlers.delete(own);
    };
  }
}
