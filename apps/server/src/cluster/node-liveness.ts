/**
 * Node liveness (cluster mode): each node heartbeats into Redis every `heartbeatMs`; a node
 * silent for longer than `deadAfterMs` is dead, and whichever live node holds the reaper lease
 * reaps it: its users are disconnected through the engine (their partners are told, with the
 * usual reason), their waiting entries removed, its token claims released (the next tab on another
 * node takes over), its inbox deleted; the census follows from the store. The gateway does the
 * reaping (gateway/reaper.ts); this module decides who is dead and who reaps.
 *
 * Time is Redis's own (TIME inside the scripts), so the nodes' clocks do not matter here.
 *
 * Keys (prefix P): P.."nodes" a sorted set, node → last heartbeat (ms, Redis time);
 * P.."reaper" the lease (a node id, with an expiry); P.."reaped:"..node set once a node was
 * reaped, for an hour: a node that was only paused (a long GC, a network split) finds it at its
 * next heartbeat and must stop serving, since its users are gone from the store (`onReaped`).
 *
 * Bounds: a partner hears of a crash within deadAfterMs + heartbeatMs + the reaping itself (6 +
 * 2 s by default, inside SPEC's 15 s). A node reaps only once its own heartbeats have got through
 * for deadAfterMs (so not in its first seconds, nor right after an outage: see healthySince). A node with a heartbeat more than deadAfterMs late (event
 * loop blocked that long) is reaped while alive: keep deadAfterMs well above the longest stall.
 */
import type { Redis } from "ioredis";
import { evalScript } from "./eval-script";

/** KEYS: nodes, reaped marker. ARGV: node. Returns 0, or 1 if this node was reaped. */
const BEAT = `
if redis.call("EXISTS", KEYS[2]) == 1 then return 1 end
local t = redis.call("TIME")
redis.call("ZADD", KEYS[1], t[1] * 1000 + math.floor(t[2] / 1000), ARGV[1])
return 0`;

/**
 * Takes or keeps the reaper lease, and if held, claims the dead nodes: removed from the set and
 * marked reaped, so no other reaper takes them. KEYS: nodes, lease. ARGV: node, lease ms, dead
 * after ms, prefix. Returns the dead nodes this node must reap.
 */
const REAP = `
local holder = redis.call("GET", KEYS[2])
if holder and holder ~= ARGV[1] then return {} end
redis.call("SET", KEYS[2], ARGV[1], "PX", ARGV[2])
local t = redis.call("TIME")
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local dead = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", now - tonumber(ARGV[3]))
for i = 1, #dead do
  redis.call("ZREM", KEYS[1], dead[i])
  redis.call("SET", ARGV[4] .. "reaped:" .. dead[i], "1", "PX", 3600000)
end
return dead`;

/** A graceful leave. KEYS: nodes, lease. ARGV: node. */
const LEAVE = `
redis.call("ZREM", KEYS[1], ARGV[1])
if redis.call("GET", KEYS[2]) == ARGV[1] then redis.call("DEL", KEYS[2]) end
return 1`;

export interface LivenessOptions {
  readonly heartbeatMs?: number;
  readonly deadAfterMs?: number;
}

export interface LivenessHooks {
  /** Reaps one dead node (the gateway: its users, claims, inbox). Retried if it throws. */
  reap(node: string): Promise<void>;
  /** This node was reaped while it still ran: it must stop serving (its users are gone). */
  reaped(): void;
  onError(err: unknown): void;
}

export class NodeLiveness {
  readonly heartbeatMs: number;
  readonly deadAfterMs: number;
  private timer: NodeJS.Timeout | undefined;
  private hooks: LivenessHooks | undefined;
  private busy = false;
  /**
   * Since when this node's heartbeats have been getting through (its clock); undefined after a
   * failed one. A node reaps only after deadAfterMs of good heartbeats: after an outage of Redis
   * (or of this node's link to it) every other node's last beat looks old, and they must have had
   * time to beat again before any of them is judged.
   */
  private healthySince: number | undefined;
  /** How many dead nodes this node reaped (a count: a list would only grow over days). */
  reaped = 0;
  /** Failed reaps still to retry. */
  private readonly retry = new Set<string>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly node: string,
    options: LivenessOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 2_000;
    this.deadAfterMs = options.deadAfterMs ?? 6_000;
  }

  private get keys(): { nodes: string; lease: string; reaped: string } {
    return {
      nodes: `${this.prefix}nodes`,
      lease: `${this.prefix}reaper`,
      reaped: `${this.prefix}reaped:${this.node}`,
    };
  }

  /** Beats at once (so the node counts as live before it serves), then every heartbeatMs. */
  async start(hooks: LivenessHooks): Promise<void> {
    this.hooks = hooks;
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.heartbeatMs);
    this.timer.unref?.();
  }

  /** One heartbeat and, with the lease, one reaping round (tests call it directly). */
  async tick(): Promise<void> {
    const hooks = this.hooks;
    if (!hooks || this.busy) return;
    this.busy = true;
    try {
      const { nodes, lease, reaped } = this.keys;
      if ((await evalScript(this.redis, BEAT, 2, nodes, reaped, this.node)) === 1) {
        this.stopTimer();
        hooks.reaped();
        return;
      }
      this.healthySince ??= Date.now();
      if (Date.now() - this.healthySince < this.deadAfterMs) return;
      const dead = (await evalScript(
        this.redis,
        REAP,
        2,
        nodes,
        lease,
        this.node,
        this.heartbeatMs * 3,
        this.deadAfterMs,
        this.prefix,
      )) as string[];
      for (const node of [...this.retry, ...dead]) {
        try {
          await hooks.reap(node);
          this.retry.delete(node);
          this.reaped += 1;
        } catch (err) {
          this.retry.add(node);
          hooks.onError(err);
        }
      }
    } catch (err) {
      this.healthySince = undefined;
      hooks.onError(err);
    } finally {
      this.busy = false;
    }
  }

  /** The live nodes, as Redis sees them now. */
  async liveNodes(): Promise<string[]> {
    return this.redis.zrange(this.keys.nodes, 0, -1);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Graceful leave (after draining): no longer counted, and not reaped later. */
  async stop(): Promise<void> {
    this.stopTimer();
    this.hooks = undefined;
    const { nodes, lease } = this.keys;
    await evalScript(this.redis, LEAVE, 2, nodes, lease, this.node);
  }

  /** Stops beating without leaving (tests: a node that froze or died). */
  halt(): void {
    this.stopTimer();
    this.hooks = undefined;
  }
}
