/**
 * Request/reply over a child process's IPC channel, with a deadline on every request, and the
 * message shapes the coordinator, the server child and the generators exchange.
 */
import type { ChildProcess } from "node:child_process";
import type { HistogramData } from "./histogram";

/**
 * `duet-redis`: Duet in cluster mode (REDIS_URL), one node, over a throwaway redis-server.
 * `duet-cluster`: K such nodes (`--nodes`), each its own process, over ONE shared throwaway
 * redis-server; every client is given a node by `nodeOf`.
 */
export type TargetName = "duet" | "duet-redis" | "duet-cluster" | "socketio" | "ws";

export const TARGETS: readonly TargetName[] = [
  "duet",
  "duet-redis",
  "duet-cluster",
  "socketio",
  "ws",
];

/** Duet's server (whatever its store), as opposed to the reference relays. */
export const isDuetTarget = (t: TargetName | undefined): boolean =>
  t === "duet" || t === "duet-redis" || t === "duet-cluster";

/**
 * The node (index into the setup's `urls`) a client talks to, from its global index: each block
 * of K consecutive clients (indices bK … bK+K−1) goes to the K nodes, one each, in an order
 * shuffled per block by a fixed hash of b. So it is deterministic; node counts differ by at most
 * one for any N; clients next to each other in index order (which join, and so are matched,
 * close together) are mostly on different nodes; and a node is independent of what follows the
 * index modulo a small number: menti's intent (index mod 4) and the topic (index mod 3). Plain
 * `index % K` is not: with 2 nodes every talker would be on node 0 and every listener on node 1,
 * which no load balancer does. The burst result counts the pairs that came out cross-node.
 */
export function nodeOf(clientIndex: number, nodes: number): number {
  if (nodes <= 1) return 0;
  const block = Math.floor(clientIndex / nodes);
  const order = Array.from({ length: nodes }, (_, i) => i);
  // Fisher–Yates with an integer hash of (block, step) as its randomness.
  for (let i = nodes - 1; i > 0; i--) {
    let h = Math.imul(block + 1, 0x9e3779b1) ^ Math.imul(i, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
    h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
    h ^= h >>> 16;
    const j = (h >>> 0) % (i + 1);
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  return order[clientIndex % nodes] as number;
}

/**
 * What a generator's clients do in Duet (ignored by the references, where everyone pairs):
 * - menti: intents mixed talk/listen/both/both by client index;
 * - stimchat: no topics; stimchat-topics: one of the first three topics by index;
 * - dormparty: skip/end (and a fake offer/answer over `signal`), no media.
 */
export type SpaceMode = "menti" | "stimchat" | "stimchat-topics" | "dormparty";

export interface CpuTime {
  /** microseconds */
  user: number;
  system: number;
}

export interface Usage {
  rss: number;
  heapUsed: number;
  external: number;
  cpu: CpuTime;
  /** process.uptime() in ms, for CPU %. */
  wallMs: number;
  connections: number;
  /** Duet: the engine's store calls so far, by operation (bench/load/duet-server.ts). */
  storeCalls?: Record<string, number>;
  /** Every target: the process's socket writes so far, to clients and services (socket-writes.ts). */
  writes?: Record<string, number>;
  /** GC pauses so far: their total (ms). */
  gcMs?: number;
  /** Since the previous `usage`: the longest GC pause and the event loop's longest delay (ms). */
  gcMaxMs?: number;
  loopMaxMs?: number;
}

// ---- generator commands ----------------------------------------------------------------------

export interface SetupCmd {
  cmd: "setup";
  target: TargetName;
  /** The target's URLs: one node, or duet-cluster's K; a client uses `urls[nodeOf(index, K)]`. */
  urls: string[];
  client: "lean" | "stock";
  space: SpaceMode;
  /** This generator's number; client ids are `${gen}:${i}`. */
  gen: number;
}
export interface ConnectCmd {
  cmd: "connect";
  count: number;
  /** Global index of this generator's first client (intents/topics follow the global index). */
  firstIndex: number;
  concurrency: number;
  timeoutMs: number;
}
export interface ConnectResult {
  connected: number;
  failed: number;
  errors: string[];
  ms: number;
}
export interface JoinCmd {
  cmd: "join";
  /** Waits until every client here is ready (paired, and in Duet ACTIVE) or nothing changed for quietMs. */
  quietMs: number;
  deadlineMs: number;
}
export interface MatchRecord {
  client: string;
  sessionId: string;
  /** The node the client talks to (always 0 but for duet-cluster). */
  node: number;
}
export interface JoinResult {
  /** join sent → MATCHED (Duet) / matched (references) */
  joinToMatched: HistogramData;
  /** join sent → ACTIVE (Duet: both entered); same as matched for the references */
  joinToReady: HistogramData;
  matches: MatchRecord[];
  ready: number;
  /** Clients matched into a second session while still in the first. */
  doubleMatched: number;
  /** Still waiting at the end, with what decides compatibility. */
  waiting: { client: string; intent?: string; topic?: string }[];
  rejected: Record<string, number>;
  firstJoinAt: number;
  lastMatchAt: number;
}
export interface RelayStepCmd {
  cmd: "relayStep";
  step: number;
  /** Messages per second this generator sends (its share of the total). */
  rate: number;
  durationMs: number;
  drainMs: number;
}
export interface RelayStepResult {
  sent: number;
  received: number;
  latency: HistogramData;
  /** How far behind the open-loop schedule the sender fell at its worst (ms). */
  maxLagMs: number;
  /** Application packets during the step and its drain (lean-client.ts `wirePackets`). */
  packetsIn: number;
  packetsOut: number;
}
export interface ChurnCmd {
  cmd: "churn";
  durationMs: number;
}
export interface ChurnResult {
  /** MATCHED/matched events seen by this generator's clients during the window (2 per pair). */
  matchedEvents: number;
  messages: number;
  rejected: Record<string, number>;
  stuck: number;
  /** Application packets over the window (lean-client.ts `wirePackets`): server → client, back. */
  packetsIn: number;
  packetsOut: number;
}
export interface CloseCmd {
  cmd: "closeClients";
  clients: string[];
  perSecond: number;
}
export interface CloseResult {
  /** sessionId → the time the clean close was started (epoch ms, high resolution). */
  closedAt: Record<string, number>;
}
export interface NoticesResult {
  /** sessionId → when the partner saw the session end. */
  endedAt: Record<string, number>;
}

export type GeneratorCmd =
  | SetupCmd
  | ConnectCmd
  | JoinCmd
  | RelayStepCmd
  | ChurnCmd
  | CloseCmd
  | { cmd: "notices" }
  | { cmd: "closeAll" }
  | { cmd: "usage" };

// ---- server child commands -------------------------------------------------------------------

export type ServerCmd =
  | { cmd: "usage" }
  | { cmd: "gc" }
  | { cmd: "profileStart" }
  | { cmd: "profileStop"; file: string }
  | { cmd: "exit" };

// ---- request / reply -------------------------------------------------------------------------

interface Request {
  id: number;
  body: unknown;
}
type Reply =
  | { id: number; ok: true; result: unknown; cpu: CpuTime }
  | { id: number; ok: false; error: string };

/** The coordinator's side of a child: `request` with a deadline; `failed` if the child dies. */
export class Channel {
  private next = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  /** The child's CPU time as of its last reply. */
  lastCpu: CpuTime = { user: 0, system: 0 };

  constructor(
    readonly child: ChildProcess,
    readonly name: string,
  ) {
    child.on("message", (raw) => {
      const msg = raw as Reply;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) {
        this.lastCpu = msg.cpu;
        p.resolve(msg.result);
      } else p.reject(new Error(`${name}: ${msg.error}`));
    });
    child.on("exit", (code, signal) => {
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error(`${name} exited (${code ?? signal}) during request ${id}`));
      }
      this.pending.clear();
    });
  }

  request<T>(body: unknown, timeoutMs: number): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new Error(
            `${this.name}: no reply to ${JSON.stringify(body).slice(0, 60)} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.child.send({ id, body } satisfies Request);
    });
  }
}

/** The child's side: answers each request with `handle`'s result and its own CPU time. */
export function serve(handle: (body: unknown) => Promise<unknown>): void {
  process.on("message", (raw) => {
    const { id, body } = raw as Request;
    handle(body).then(
      (result) => process.send?.({ id, ok: true, result, cpu: process.cpuUsage() } satisfies Reply),
      (err: unknown) =>
        process.send?.({
          id,
          ok: false,
          error: err instanceof Error ? (err.stack ?? err.message) : String(err),
        } satisfies Reply),
    );
  });
  // The coordinator went away: never outlive it.
  process.on("disconnect", () => process.exit(0));
}

/** High-resolution wall time (epoch ms), comparable across the processes of one machine. */
export const now = (): number => performance.timeOrigin + performance.now();
