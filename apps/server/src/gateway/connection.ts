/**
 * A socket's life on this node: the handshake (a fresh user id, the browser id, the token from
 * the httpOnly cookie), `welcome`, the pass (ban check and the token's claim: one connection per
 * token, claims.ts), presence, every event in order (events.ts), refusals counted toward the
 * abuse disconnect, and the disconnect (claim released, the next tab takes over, the engine
 * told). Bans reach the live connections of a token from here too.
 */
import type { Engine, LatestViews } from "@duet/engine";
import {
  ERRORS,
  type ErrorCode,
  HandshakeAuth,
  type IdentityView,
  type Welcome,
} from "@duet/protocol";
import { LATE_LIMIT, Strikes } from "../abuse";
import type { ClaimRef, TokenClaims } from "../claims";
import type { CountMap } from "../connection-caps";
import type { DirectEmit } from "../direct-emit";
import type { Logger } from "../logger";
import { PeriodicLog } from "../periodic-log";
import { serialQueue } from "../serial";
import type { Reject } from "./events";
import type { Outcomes } from "./outcomes";
import type { PresenceFeed } from "./presence-feed";
import { protocolOf } from "./protocol-version";
import type { Routed } from "./router";
import { PRESENCE_ROOM, roomOf } from "./sockets";
import type { Conn, DuetServer, DuetSocket, GatewayOptions } from "./types";

/** Refusals that a well-behaved client never causes (abuse.ts: the strict budget). */
const STRICT_STRIKES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "invalid_payload",
  "unknown_event",
  "rate_limited",
]);

/** What a connection closed for abuse is told before it closes. */
const NOTICE_TOO_MANY_REFUSED =
  "This connection sent too many requests that could not be accepted, so it was closed. Reload the page to start again.";

/** Connections re-read from the store at once, after an outage (resyncAll). */
const RESYNC_BATCH = 200;

/** What a connection is told when the server could not reach its shared state for it. */
const NOTICE_INTERRUPTED =
  "Duet lost touch with its servers for a moment. If you were searching or talking, that has ended — please start again.";

/** Socket.IO's own emit, for a socket whose shape direct-emit.ts does not recognize. */
const fallbackEmit =
  (socket: DuetSocket): DirectEmit =>
  (event, payload) =>
    (socket as unknown as { emit(event: string, payload: unknown): boolean }).emit(event, payload);

export interface Connections {
  /** Connected sockets on this node. */
  count(): number;
  /** The users of this node's sockets. */
  userIds(): IterableIterator<string>;
  stats(): { rejected: Record<string, number>; abusiveDisconnects: number };
  /** A moderator banned this token: its connections here see the banned screen and leave. */
  banned(token: string, until: number | null): void;
  unbanned(token: string): void;
  /** Shutdown: every connection here gives up its token claim and its waiting place. */
  release(): Promise<void>;
  /**
   * This node's connection `userId` now holds its token (the holder, maybe on another node, went):
   * it leaves the "open in another tab" screen, unless it is banned.
   */
  tookOver(userId: string): void;
  /** A token's new holder (maybe on another node) is told it holds it now. */
  handOver(next: ClaimRef): void;
  /**
   * Cluster mode, after Redis was out of reach or restarted: every connection here is brought
   * back in line with the shared store (its token claimed again, its state re-read or, if the
   * store lost it, ended cleanly: engine.resync), in batches. Resolves when all are done.
   */
  resyncAll(): Promise<{ connections: number; reset: number }>;
}

export function acceptConnections(deps: {
  io: DuetServer;
  engine: Engine;
  options: Pick<GatewayOptions, "newId" | "safety" | "crisisResources">;
  conns: Map<string, Conn>;
  claims: TokenClaims;
  /** Tells another node's connection it took over its token (router.ts). */
  route(o: Routed): void;
  /** True once shutdown has drained this node's users from the store. */
  draining(): boolean;
  latest: LatestViews;
  presence: PresenceFeed;
  outcomes: Outcomes;
  waitingByAddress: CountMap;
  /** The salted hash of a request's address (computed once per request: address-guard.ts). */
  addressKey(socket: DuetSocket): string;
  /** This node's id (router.ts): the engine writes it into each user record. */
  node: string;
  emitter(socket: DuetSocket): DirectEmit | undefined;
  /** What every socket is told first: the spaces, limits and crisis resources (welcome.ts). */
  welcome: Welcome;
  onEvent(conn: Conn, event: string, args: unknown[], reject: Reject): void;
  logger: Logger;
}): Connections {
  const { io, engine, conns, claims, latest, presence, outcomes, waitingByAddress, logger } = deps;
  const { safety } = deps.options;
  /** socket id → user id, for the sockets on this node. */
  const users = new Map<string, string>();
  const rejectedCounts: Record<string, number> = {};
  let abusiveDisconnects = 0;
  const abuseLog = new PeriodicLog(
    logger,
    "connections closed for sending too many refused events",
  );

  const setIdentity = (conn: Conn, view: IdentityView): void => {
    conn.identity = view;
    conn.socket.emit("identity", view);
  };

  const refOf = (userId: string): ClaimRef => ({ id: userId, node: deps.node });

  const tookOver = (userId: string): void => {
    const conn = conns.get(userId);
    if (conn && conn.identity.status === "elsewhere") setIdentity(conn, { status: "ok" });
  };

  /** The token's new holder is told, here or on its own node (through the router). */
  const handOver = (next: ClaimRef | undefined): void => {
    if (!next) return;
    if (next.node === deps.node) tookOver(next.id);
    else deps.route({ to: next.id, node: next.node, event: "identity", payload: { status: "ok" } });
  };

  const releaseClaim = async (token: string, userId: string): Promise<void> => {
    try {
      handOver(await claims.release(token, refOf(userId)));
    } catch (err) {
      logger.error({ err }, "releasing a token claim failed");
    }
  };

  /** One connection re-read from the store; true when its state had been lost. */
  const resync = async (conn: Conn): Promise<boolean> => {
    if (conn.socket.disconnected) return false;
    if (conn.token && conn.identity.status !== "banned") {
      const holds = await claims.claim(conn.token, refOf(conn.userId));
      const status = holds ? "ok" : "elsewhere";
      if (conn.identity.status !== status) setIdentity(conn, { status });
    }
    const before = conn.state;
    const outcome = await engine.resync(
      {
        userId: conn.userId,
        browserId: conn.browserId,
        ...(conn.token ? { person: conn.token } : {}),
        node: deps.node,
      },
      { state: conn.state, ...(conn.session ?? {}) },
    );
    const view = outcome.out.find((o) => o.event === "state" && o.to === conn.userId);
    const now = view?.event === "state" ? view.payload : undefined;
    // Lost: a conversation the store forgot (ended by the server) or a search it forgot (idle).
    const lost =
      (now?.state === "ENDED" && now.reason === "server_shutdown" && before !== "ENDED") ||
      (now?.state === "IDLE" && before === "WAITING");
    if (lost) conn.emit("notice", { kind: "interrupted", message: NOTICE_INTERRUPTED });
    outcomes.apply(outcome);
    return lost;
  };

  /** Takes a banned connection out of any search or conversation (the partner sees "left"). */
  const leaveEverything = (conn: Conn): void => {
    conn.queue.offer(async () => {
      outcomes.apply(await engine.cancel(conn.userId));
      outcomes.apply(await engine.exit(conn.userId));
    }, true);
  };

  io.on("connection", (socket: DuetSocket) => {
    const userId = deps.options.newId();
    const auth = HandshakeAuth.safeParse(socket.handshake.auth ?? {});
    const browserId = (auth.success && auth.data.browserId) || deps.options.newId();
    users.set(socket.id, userId);
    void socket.join([roomOf(userId), PRESENCE_ROOM]);
    const token = safety.tokenFromCookie(socket.handshake.headers.cookie);

    const conn: Conn = {
      socket,
      emit: deps.emitter(socket) ?? fallbackEmit(socket),
      // Any other value was refused at the handshake (refuseUnknownProtocols).
      protocol: protocolOf(socket.handshake.auth) ?? 1,
      held: undefined,
      userId,
      browserId,
      ...(token ? { token } : {}),
      ipHash: deps.addressKey(socket),
      identity: { status: token ? "ok" : "none" },
      state: "IDLE",
      session: undefined,
      partner: undefined,
      waitingKey: undefined,
      strikes: new Strikes(),
      lateStrikes: new Strikes(LATE_LIMIT),
      // Every event of this socket runs after the previous one finished: a join and a disconnect
      // in the same tick are applied in the order they arrived, never interleaved (serial.ts).
      queue: serialQueue((err: unknown) => {
        logger.error({ err }, "socket task failed");
      }),
    };
    conns.set(userId, conn);

    const reject: Reject = (event, code, ack, retryAfterMs) => {
      rejectedCounts[code] = (rejectedCounts[code] ?? 0) + 1;
      const message = ERRORS[code];
      const after = retryAfterMs !== undefined ? { retryAfterMs: Math.ceil(retryAfterMs) } : {};
      // One answer per refused event: the ack when the client asked for one, else `rejected`.
      if (ack) ack({ ok: false, code, message, ...after });
      else conn.emit("rejected", { event, code, message, ...after });
      // Our own failures are not the client's doing.
      if (code === "internal" || code === "server_shutting_down") return;
      const strikes = STRICT_STRIKES.has(code) ? conn.strikes : conn.lateStrikes;
      if (!strikes.strike(Date.now()) || socket.disconnected) return;
      abusiveDisconnects += 1;
      abuseLog.note(code);
      conn.emit("notice", { kind: "too_many_refused", message: NOTICE_TOO_MANY_REFUSED });
      socket.disconnect(true);
    };

    socket.emit("welcome", deps.welcome);
    conn.queue.offer(async () => {
      try {
        if (token) {
          const ban = await safety.repo.activeBan(token, Date.now());
          const holds = await claims.claim(token, refOf(userId));
          conn.identity = ban
            ? { status: "banned", bannedUntil: ban.until }
            : { status: holds ? "ok" : "elsewhere" };
        }
        socket.emit("identity", conn.identity);
        outcomes.apply(await engine.connect(userId, browserId, token, deps.node));
      } catch (err) {
        // The database or the shared store is out of reach: a screen with no state would wait
        // for ever, so the connection is closed with a word, and the client tries again.
        logger.error({ err }, "a connection could not be set up");
        conn.emit("notice", { kind: "interrupted", message: NOTICE_INTERRUPTED });
        socket.disconnect(true);
      }
    }, true);
    const figures = presence.latest();
    if (figures) socket.emit("presence", figures);

    socket.onAny((event: string, ...args: unknown[]) => {
      // Packets already read before an abusive disconnect are dropped, not answered.
      if (socket.disconnected) return;
      deps.onEvent(conn, event, args, reject);
    });

    socket.on("disconnect", (reason) => {
      logger.debug({ reason }, "socket disconnected");
      users.delete(socket.id);
      conns.delete(userId);
      if (conn.waitingKey !== undefined) waitingByAddress.remove(conn.waitingKey);
      conn.waitingKey = undefined;
      // The oldest other tab takes over (unless it is banned, which it then already shows).
      if (token) void releaseClaim(token, userId);
      conn.queue.offer(async () => {
        // A drain took every user of this node out of the store already (gateway shutdown); its
        // shared store may be closing by now.
        if (!deps.draining()) outcomes.apply(await engine.disconnect(userId));
        latest.forget(userId);
        // After the last deliveries of this user (they may have been views in a session).
        presence.forget(userId);
      }, true);
    });
  });

  return {
    count: () => users.size,
    userIds: () => users.values(),
    stats: () => ({ rejected: { ...rejectedCounts }, abusiveDisconnects }),
    banned(token, until) {
      for (const conn of conns.values()) {
        if (conn.token !== token) continue;
        setIdentity(conn, { status: "banned", bannedUntil: until });
        leaveEverything(conn);
      }
    },
    async release() {
      const releases: Promise<void>[] = [];
      for (const conn of conns.values()) {
        // A tab on another node takes over, as it would when this tab closed.
        if (conn.token !== undefined) releases.push(releaseClaim(conn.token, conn.userId));
        if (conn.waitingKey !== undefined) waitingByAddress.remove(conn.waitingKey);
        conn.waitingKey = undefined;
      }
      await Promise.all(releases);
    },
    unbanned(token) {
      for (const conn of conns.values()) {
        if (conn.token !== token || conn.identity.status !== "banned") continue;
        Promise.resolve(claims.holds(token, refOf(conn.userId))).then(
          (holds) => setIdentity(conn, { status: holds ? "ok" : "elsewhere" }),
          (err: unknown) => logger.error({ err }, "reading a token claim failed"),
        );
      }
    },
    tookOver,
    handOver,
    async resyncAll() {
      let reset = 0;
      const all = [...conns.values()];
      for (let i = 0; i < all.length; i += RESYNC_BATCH) {
        await Promise.all(
          all.slice(i, i + RESYNC_BATCH).map(
            (conn) =>
              new Promise<void>((done) => {
                const queued = conn.queue.offer(async () => {
                  try {
                    if (await resync(conn)) reset += 1;
                  } finally {
                    done();
                  }
                }, true);
                if (!queued) done();
              }),
          ),
        );
      }
      return { connections: all.length, reset };
    },
  };
}
