/**
 * The gateway's types: what app.ts hands it (options, safety services, caps), what it hands back
 * (`Gateway`), and one connection as the gateway's parts see it (`Conn`).
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Engine, Store } from "@duet/engine";
import type { SafetyRepo } from "@duet/persistence";
import type {
  ClientToServerEvents,
  CrisisResource,
  IceServer,
  IdentityView,
  ProtocolVersion,
  ServerToClientEvents,
  SpaceId,
  UserState,
} from "@duet/protocol";
import type { Server, Socket } from "socket.io";
import type { Strikes } from "../abuse";
import type { TokenClaims } from "../claims";
import type { DirectEmit } from "../direct-emit";
import type { LimitResult } from "../http";
import type { Logger } from "../logger";
import type { Scheduler } from "../scheduler";
import type { SerialQueue } from "../serial";
import type { OptimisationFlags } from "../transport-status";
import type { ClusterBus } from "./cluster-bus";
import type { DeadlineQueue } from "./deadlines";
import type { Held } from "./protocol-version";
import type { ReportBuffers } from "./reports";
import type { Router } from "./router";

/** The rate limits the gateway applies to socket events (see limits.ts for their sizes). */
export type SocketLimit = "connect" | "join" | "message" | "typing" | "report" | "signal";

/** What the gateway needs for SPEC §6, provided by app.ts (identity/, limits.ts, persistence). */
export interface SafetyServices {
  repo: SafetyRepo;
  /** The token id in a Cookie header if it holds a valid, unexpired, untampered token. */
  tokenFromCookie(cookieHeader: string | undefined): string | undefined;
  /** A salted, rotating hash of the client's IP, held in memory only. */
  ipHash(address: string, headers: IncomingHttpHeaders): string;
  /** Synchronous with in-process counters (the default); a promise when they are remote. */
  limit(
    name: SocketLimit,
    keys: { person: string; ipHash: string },
  ): LimitResult | Promise<LimitResult>;
  /** An unreported conversation at least this long raises both tokens' trust. */
  trustLongChatMs: number;
  /**
   * ICE servers for a new video session (STUN, and TURN with per-session credentials) and the
   * transport policy ("relay": TURN only).
   */
  media?(): { iceServers: IceServer[]; iceTransportPolicy: "all" | "relay" };
  /** The transport policy `media()` hands out, announced in `welcome` for the entry screen. */
  iceTransportPolicy?: "all" | "relay";
  /** Health figures (aggregates only). */
  onMatched?(space: SpaceId, waitedMs: readonly number[]): void;
  onReported?(space: SpaceId): void;
}

/** Caps on connections and queue entries (connection-caps.ts; config.ts has the defaults). */
export interface GatewayCaps {
  /** Open connections of this process; lowered to fit its open-file limit. */
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** People from one address waiting in one space at once (this node). */
  maxWaitingPerAddress: number;
}

export interface GatewayOptions {
  engine: Engine;
  /** Read for aggregate figures only (presence). */
  store: Pick<Store, "census">;
  /** How often presence is recomputed (ms); default 3000. */
  presenceEveryMs?: number;
  /** Presence goes out to this many sockets per event-loop turn; default 256. */
  presenceSlice?: number;
  scheduler: Scheduler;
  logger: Logger;
  /** Fresh random ids (≥ 128 bits) for connections and for browsers that sent none. */
  newId: () => string;
  allowedOrigins: readonly string[];
  heartbeat: { intervalMs: number; timeoutMs: number };
  crisisResources: readonly CrisisResource[];
  /** How long to let "the server is restarting" reach clients before sockets close. */
  shutdownGraceMs: number;
  safety: SafetyServices;
  caps: GatewayCaps;
  /** Cluster mode: this node was declared dead while running (it then shuts down). */
  onReaped?: () => void;
  /**
   * The seams that hold state a cluster must share (docs/architecture.md, "The gateway"). Each
   * defaults to this process's own implementation; tests, and cluster mode, hand in others.
   */
  seams?: GatewaySeams;
}

export interface GatewaySeams {
  /** News for every node (bans): cluster-bus.ts. Gateways sharing one all act on any ban. */
  bus?: ClusterBus;
  /** One connection per token: claims.ts. */
  claims?: TokenClaims;
  /** The text of open conversations, for reports: reports.ts. */
  reports?: ReportBuffers;
  /** The engine's deadlines: deadlines.ts. */
  deadlines?: DeadlineQueue;
  /** Engine events to their recipient's node: router.ts. Its `node` is this gateway's id. */
  router?: Router;
  /** Cluster mode: this node's heartbeat, and reaping dead nodes (reaper.ts). */
  membership?: ClusterMembership;
}

/**
 * A node's place in a cluster (cluster/node-liveness.ts and the store): it heartbeats, and when
 * it holds the reaper lease it is handed dead nodes to reap.
 */
export interface ClusterMembership {
  start(hooks: {
    reap(node: string): Promise<void>;
    /** This node was declared dead while it still ran: it must stop serving. */
    reaped(): void;
    onError(err: unknown): void;
  }): Promise<void>;
  /** Graceful leave, after draining. */
  stop(): Promise<void>;
  /** The users whose socket was on `node` (the store's node index). */
  usersOn(node: string): Promise<readonly string[]>;
  /** Deletes what else a dead node left behind (its inbox). */
  forget(node: string): Promise<void>;
}

export interface Gateway {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents>;
  /** Connected sockets on this node. */
  connections(): number;
  /** Counters for health and tests; aggregates only. */
  stats(): {
    rejected: Record<string, number>;
    abusiveDisconnects: number;
    /** Which transport optimisations are active (transport-status.ts). */
    optimisations: OptimisationFlags;
  };
  /** The connection caps in force (maxConnections after fitting the open-file limit). */
  readonly caps: GatewayCaps;
  /**
   * A moderator banned this token: its connections, on every node of the bus, see the banned
   * screen and leave any chat.
   */
  banned(token: string, until: number | null): void;
  /** A moderator lifted this token's ban. */
  unbanned(token: string): void;
  /** This node's id (its router's; written into its users' records). */
  readonly node: string;
  /**
   * Cluster mode, after the shared store was out of reach or restarted: every connection here is
   * re-read from it (connection.ts `resyncAll`).
   */
  resync(): Promise<{ connections: number; reset: number }>;
  /** Cluster mode: resolves once this node has joined (its first heartbeat is in). */
  readonly joined: Promise<void>;
  /**
   * Graceful shutdown: refuse new connections and events, tell everyone "the server is
   * restarting", close every open session with `server_shutdown` (partners are told), wait the
   * grace period, then close all sockets. Idempotent.
   */
  shutdown(): Promise<void>;
}

export type DuetSocket = Socket<ClientToServerEvents, ServerToClientEvents>;
export type DuetServer = Server<ClientToServerEvents, ServerToClientEvents>;

/** One connection on this node, as the safety layer sees it. */
export interface Conn {
  readonly socket: DuetSocket;
  readonly userId: string;
  readonly browserId: string;
  /** The valid token the handshake carried, if any. */
  readonly token?: string;
  readonly ipHash: string;
  identity: IdentityView;
  /**
   * The state this connection's screen was last sent (updated as views are delivered): the
   * cheap first check of an event, before any limit is charged or the store is touched. It can
   * only lag the store by an outcome in flight; the engine still decides.
   */
  state: UserState;
  /** The space and session of the last view that had them (to end a conversation a lost store forgot). */
  session: { space: SpaceId; sessionId: string } | undefined;
  /**
   * MATCHED/ACTIVE: the partner the last view came with (engine Outgoing `partner`), so that a
   * chat message is relayed on this node's copy without a store read (engine `send`, `Talk`).
   */
  partner: { id: string; node?: string } | undefined;
  /** While WAITING: the key it counts under in `waitingByAddress`. */
  waitingKey: string | undefined;
  /** Refused events, toward the abuse disconnect (abuse.ts): malformed or over a limit… */
  readonly strikes: Strikes;
  /** …and refused for the state they arrived in (a larger budget). */
  readonly lateStrikes: Strikes;
  /** Emits one event to this socket (direct-emit.ts; `socket.emit` when that is unavailable). */
  readonly emit: DirectEmit;
  /** The protocol version its handshake asked for (protocol-version.ts). */
  readonly protocol: ProtocolVersion;
  /**
   * Protocol 2, while the outcome of one of its own events that asked for an ack is applied:
   * what is delivered to it, held for that ack (protocol-version.ts); otherwise undefined.
   */
  held: Held[] | undefined;
  /** This socket's events, in order, bounded (serial.ts). */
  readonly queue: SerialQueue;
}
