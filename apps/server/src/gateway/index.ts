/**
 * The realtime gateway: Socket.IO in front of the engine, and the only authority. It validates
 * every incoming event against the shared schemas, runs each socket's events strictly in order,
 * hands them to the engine, and carries out what the engine returns: deliveries and deadlines.
 * It holds no conversation state of its own beyond socket ↔ user bookkeeping.
 *
 * Its parts (issue 17 is taking the rest of this file apart the same way):
 * - `types.ts`: what app.ts hands in (options, safety services, caps) and `Conn`;
 * - `admission.ts`: an event's state, the join's own checks, rate limits, then the database;
 * - `reports.ts`: report buffers and the report a `reported` close files;
 * - `trust.ts`: trust raised after a long, unreported talk between two addresses;
 * - this file: connections, delivery, presence, deadlines, bans and shutdown.
 *
 * Safety (SPEC §6) sits here, around the engine: the token from the httpOnly cookie (never sent
 * in any event), one connection per token (claims.ts), bans, rate limits, trust tiers and
 * "never with someone I reported" read from the database at each join, report buffers and filing
 * reports. Spaces whose policy has `identity: "none"` (menti) never look at any of it except rate
 * limits, which key on the connection and the IP hash.
 *
 * Limits named here: packets over LIMITS.maxPacketBytes close the connection (Socket.IO's
 * maxHttpBufferSize); more than ABUSE_LIMIT malformed or unknown events within ABUSE_WINDOW_MS
 * disconnect the socket as abusive; anything less is answered with `rejected` and changes nothing.
 */
import type { Server as HttpServer, IncomingMessage } from "node:http";
import {
  type Deadline,
  type Engine,
  LatestViews,
  type Observation,
  type Outcome,
  type SpacePolicy,
} from "@duet/engine";
import type { NewReport } from "@duet/persistence";
import {
  type Ack,
  type ClientEventName,
  type ClientPayload,
  type ClientToServerEvents,
  clientEventSchemas,
  ERRORS,
  type ErrorCode,
  HandshakeAuth,
  type IdentityView,
  LIMITS,
  type Presence,
  type ServerToClientEvents,
  type SpaceId,
  type StateView,
} from "@duet/protocol";
import { Server } from "socket.io";
import { LATE_LIMIT, Strikes } from "../abuse";
import { Claims } from "../claims";
import {
  ConnectionCaps,
  CountMap,
  effectiveMaxConnections,
  guardNewConnections,
  openFileLimit,
} from "../connection-caps";
import type { DirectEmit } from "../direct-emit";
import { PeriodicLog } from "../periodic-log";
import { PresenceTracker } from "../presence";
import { serialQueue } from "../serial";
import { transportOptimisations } from "../transport-status";
import { createAdmission } from "./admission";
import { createReportBuffers } from "./reports";
import { createLongTalkTrust } from "./trust";
import type { Conn, DuetSocket, Gateway, GatewayCaps, GatewayOptions } from "./types";

export type {
  Gateway,
  GatewayCaps,
  GatewayOptions,
  SafetyServices,
  SocketLimit,
} from "./types";

/** SPEC §2.6: a silently lost connection is noticed within 15 s (config.ts enforces the sum). */
const SILENT_LOSS_DETECTED_MS = 15_000;

const roomOf = (userId: string): string => `u:${userId}`;

/** Socket.IO's own emit, for a socket whose shape direct-emit.ts does not recognize. */
const fallbackEmit =
  (socket: DuetSocket): DirectEmit =>
  (event, payload) =>
    (socket as unknown as { emit(event: string, payload: unknown): boolean }).emit(event, payload);

/**
 * The sockets that get presence broadcasts: everyone not in a conversation. Presence is shown on
 * the landing and entry screens, never in a room, and sending each change to every socket cost
 * N frames every few seconds (a third of the frames in the 5,000-user burst benchmark).
 */
const PRESENCE_ROOM = "presence";

export function createGateway(httpServer: HttpServer, options: GatewayOptions): Gateway {
  const { engine, scheduler, logger, store, safety } = options;
  const policies = new Map<SpaceId, SpacePolicy>(engine.spaces().map((p) => [p.id, p]));
  const conns = new Map<string, Conn>(); // by user id
  const claims = new Claims<Conn>();
  const reports = createReportBuffers(policies);
  let shuttingDown: Promise<void> | undefined;
  const rejectedCounts: Record<string, number> = {};
  let abusiveDisconnects = 0;
  /** socket id → user id, for the sockets on this node. */
  const users = new Map<string, string>();
  /**
   * Users on this node in a conversation (MATCHED/ACTIVE), out of the presence room, each with
   * the presence version it had last been sent when it left.
   */
  const talking = new Map<string, number>();
  const presence = new PresenceTracker(engine.spaces().map((p) => p.id));
  /** Views computed concurrently may finish in either order; only the newest reaches a screen. */
  const latest = new LatestViews();
  let lastPresence: Presence | undefined;
  let lastPresenceJson = "";
  /** Counts the changes of `lastPresence`: 0 before the first. */
  let presenceVersion = 0;
  /** Presence goes to everyone when it changed, at most every `presenceEveryMs`. */
  const presenceTimer = setInterval(() => {
    store
      .census()
      .then((census) => {
        const next = presence.snapshot(census);
        const json = JSON.stringify(next);
        if (json !== lastPresenceJson) {
          lastPresence = next;
          lastPresenceJson = json;
          presenceVersion += 1;
          broadcastPresence(next);
        }
      })
      .catch((err: unknown) => logger.error({ err }, "presence failed"));
  }, options.presenceEveryMs ?? 3000);
  presenceTimer.unref();
  /**
   * Sends presence to this node's sockets in the presence room, a slice per event-loop turn.
   * In one go it was one write per socket in a single turn: with 5,000 people between
   * conversations, a 100+ ms stall every few seconds that every chat message and partner notice
   * of that moment waited out (the 10,000-user notice benchmark). Local only: every node runs this
   * timer over the shared census and tells its own sockets. A newer broadcast supersedes the rest
   * of an older one (its sockets get the newer figures instead); anyone who enters the room
   * meanwhile got the latest figures on entering.
   */
  const presenceSlice = Math.max(1, options.presenceSlice ?? 256);
  let presenceRound = 0;
  const broadcastPresence = (next: Presence): void => {
    const round = ++presenceRound;
    const members = [...(io.of("/").adapter.rooms.get(PRESENCE_ROOM) ?? [])];
    const sendSlice = (from: number): void => {
      if (round !== presenceRound || from >= members.length) return;
      io.local.to(members.slice(from, from + presenceSlice)).emit("presence", next);
      setImmediate(sendSlice, from + presenceSlice);
    };
    sendSlice(0);
  };

  const io = new Server<ClientToServerEvents, ServerToClientEvents>(httpServer, {
    maxHttpBufferSize: LIMITS.maxPacketBytes,
    pingInterval: options.heartbeat.intervalMs,
    pingTimeout: options.heartbeat.timeoutMs,
    // Never carry a reconnecting socket back into its old state (SPEC §2.6): recovery stays off.
    connectionStateRecovery: undefined,
    serveClient: false,
    allowRequest: (req, callback) => {
      if (shuttingDown) return callback("server is restarting", false);
      callback(null, originAllowed(req, options.allowedOrigins));
    },
  });

  // One TCP write per connection per tick (write-batching.ts), heartbeats out of step
  // (ping-spread.ts), direct emits (direct-emit.ts): each logs whether it is active once here and
  // again if it switches off, and is in stats() (transport-status.ts).
  const transport = transportOptimisations(io, logger, {
    ...options.heartbeat,
    maxDetectMs: SILENT_LOSS_DETECTED_MS,
  });
  io.engine.on("connection", (conn: unknown) => transport.connection(conn));

  // Caps on open connections (connection-caps.ts): a refused one is answered 429/503 before
  // Engine.IO sees it. Each request's address key is computed once, for the guard and the socket.
  const fileLimit = openFileLimit();
  const caps: GatewayCaps = {
    ...options.caps,
    maxConnections: effectiveMaxConnections(options.caps.maxConnections, fileLimit),
  };
  if (caps.maxConnections < options.caps.maxConnections) {
    logger.warn(
      { configured: options.caps.maxConnections, effective: caps.maxConnections, fileLimit },
      "MAX_CONNECTIONS lowered to leave open files for health checks and the web app",
    );
  }
  const connectionCaps = new ConnectionCaps({
    perAddress: caps.maxConnectionsPerAddress,
    total: caps.maxConnections,
    rate: (key) => safety.limit("connect", { person: "", ipHash: key }),
  });
  const addressKeys = new WeakMap<IncomingMessage, string>();
  const addressKey = (req: IncomingMessage): string => {
    let key = addressKeys.get(req);
    if (key === undefined) {
      key = safety.ipHash(req.socket?.remoteAddress ?? "unknown", req.headers);
      addressKeys.set(req, key);
    }
    return key;
  };
  guardNewConnections(httpServer, {
    path: `${io.path()}/`,
    // While shutting down, Engine.IO's allowRequest refuses with its own words.
    decide: (req) => (shuttingDown ? undefined : connectionCaps.check(addressKey(req))),
    log: new PeriodicLog(logger, "connections refused"),
  });
  io.engine.on("connection", (conn: EngineConnection) => {
    const key = addressKey(conn.request);
    connectionCaps.opened(key);
    conn.once("close", () => connectionCaps.closed(key));
  });
  /** People waiting per space and address key (`space|key`), on this node (the waiting cap). */
  const waitingByAddress = new CountMap();
  const abuseLog = new PeriodicLog(
    logger,
    "connections closed for sending too many refused events",
  );
  const longTalks = createLongTalkTrust({
    policies,
    repo: safety.repo,
    longChatMs: safety.trustLongChatMs,
    logger,
  });

  /** Keeps a local connection's screen state and its place in the waiting cap up to date. */
  const track = (conn: Conn, view: StateView): void => {
    conn.state = view.state;
    const key = view.state === "WAITING" ? `${view.space}|${conn.ipHash}` : undefined;
    if (key === conn.waitingKey) return;
    if (conn.waitingKey !== undefined) waitingByAddress.remove(conn.waitingKey);
    if (key !== undefined) waitingByAddress.add(key);
    conn.waitingKey = key;
  };

  /**
   * Emits to a user: straight to its socket when it is on this node (no room lookup, no
   * broadcast's frame copy, no Socket.IO packet: direct-emit.ts; all of them showed in the relay
   * and churn profiles), else to its room, which is where a cluster adapter would find it on
   * another node.
   */
  const emitTo = <E extends keyof ServerToClientEvents>(
    userId: string,
    event: E,
    payload: Parameters<ServerToClientEvents[E]>[0],
  ): void => {
    const local = conns.get(userId);
    if (local) local.emit(event, payload);
    else io.to(roomOf(userId)).emit(event, ...([payload] as Parameters<ServerToClientEvents[E]>));
  };
  const presenceRoom = (userId: string, inside: boolean): void => {
    const local = conns.get(userId)?.socket;
    if (local) void (inside ? local.join(PRESENCE_ROOM) : local.leave(PRESENCE_ROOM));
    else if (inside) io.in(roomOf(userId)).socketsJoin(PRESENCE_ROOM);
    else io.in(roomOf(userId)).socketsLeave(PRESENCE_ROOM);
  };

  /**
   * The pending join deadline of each session not yet ACTIVE, to cancel once it can no longer do
   * anything (the session went ACTIVE or closed). Left to fire, they were no-ops, but a burst of
   * matches made them all fire together 15 s later: at 10,000 users, 5,000 engine calls in one
   * timer callback, a stall the load benchmark saw (BENCHMARKS.md).
   */
  const joinDeadlines = new Map<string, () => void>();
  const settled = (sessionId: string): void => {
    const cancel = joinDeadlines.get(sessionId);
    if (!cancel) return;
    joinDeadlines.delete(sessionId);
    cancel();
  };

  /** Carries out an engine outcome: deliveries now, deadlines later. */
  const apply = (outcome: Outcome): void => {
    for (const o of outcome.out) {
      if (!latest.accept(o)) continue;
      if (o.event === "state") {
        emitTo(o.to, "state", o.payload);
        const local = conns.get(o.to);
        if (local) track(local, o.payload);
        if (o.payload.state === "ACTIVE") settled(o.payload.sessionId);
        const inConversation = o.payload.state === "MATCHED" || o.payload.state === "ACTIVE";
        const leftAt = talking.get(o.to);
        if (inConversation && leftAt === undefined) {
          talking.set(o.to, presenceVersion);
          presenceRoom(o.to, false);
        } else if (!inConversation && leftAt !== undefined) {
          talking.delete(o.to);
          // Back where presence shows: the latest figures at once if they changed meanwhile
          // (clients keep the last figures they got; a short chat rarely outlives them, and
          // under churn this was two packets per conversation), then every change.
          if (lastPresence && leftAt !== presenceVersion) emitTo(o.to, "presence", lastPresence);
          presenceRoom(o.to, true);
        }
      } else if (o.event === "message") {
        emitTo(o.to, "message", o.payload);
        reports.delivered(o.to, o.payload);
      } else if (o.event === "signal") emitTo(o.to, "signal", o.payload);
      else if (o.event === "care") emitTo(o.to, "care", o.payload);
      else emitTo(o.to, "typing", o.payload);
    }
    if (outcome.observed.length > 0) {
      presence.observe(outcome.observed);
      for (const ob of outcome.observed) observe(ob);
    }
    for (const d of outcome.deadlines) {
      if (d.kind !== "join_timeout") {
        scheduler.schedule(d.at, () => fire(d));
        continue;
      }
      const sessionId = d.sessionId;
      const cancel = scheduler.schedule(d.at, () => {
        joinDeadlines.delete(sessionId);
        fire(d);
      });
      joinDeadlines.set(sessionId, cancel);
    }
  };

  /** Bookkeeping for matches and closes: report buffers, trust after long talks, health. */
  const observe = (ob: Observation): void => {
    if (ob.kind === "matched") {
      reports.matched(ob.sessionId, ob.space);
      longTalks.matched(ob, (u) => conns.get(u)?.ipHash);
      safety.onMatched?.(ob.space, ob.waitedMs);
      return;
    }
    if (ob.kind === "media") {
      // Both asked for media (not merely matched): only now do they get ICE servers and TURN
      // credentials, and only now are their signals relayed (engine). One setup for both.
      // Perfect negotiation: the one who waited longer is impolite, the newcomer polite.
      const setup = safety.media?.() ?? { iceServers: [], iceTransportPolicy: "all" };
      ob.participants.forEach((userId, i) => {
        emitTo(userId, "media", {
          sessionId: ob.sessionId,
          polite: i === 1,
          ...setup,
        });
      });
      return;
    }
    settled(ob.sessionId);
    // A report took the buffer before its outcome was applied (see the event handler); any
    // other close drops it here.
    reports.closed(ob.sessionId);
    longTalks.closed(ob);
  };

  const admit = createAdmission({
    policies,
    safety,
    maxWaitingPerAddress: caps.maxWaitingPerAddress,
    waitingByAddress,
  });

  const setIdentity = (conn: Conn, view: IdentityView): void => {
    conn.identity = view;
    conn.socket.emit("identity", view);
  };

  /** Takes a banned connection out of any search or conversation (the partner sees "left"). */
  const leaveEverything = (conn: Conn): void => {
    conn.queue.offer(async () => {
      const cancelled = await engine.cancel(conn.userId);
      apply(cancelled);
      apply(await engine.exit(conn.userId));
    }, true);
  };

  const fire = (deadline: Deadline): void => {
    engine.onDeadline(deadline).then(apply, (err: unknown) => {
      logger.error({ err, kind: deadline.kind }, "deadline failed");
    });
  };

  io.on("connection", (socket: DuetSocket) => {
    const userId = options.newId();
    const auth = HandshakeAuth.safeParse(socket.handshake.auth ?? {});
    const browserId = (auth.success && auth.data.browserId) || options.newId();
    users.set(socket.id, userId);
    void socket.join([roomOf(userId), PRESENCE_ROOM]);
    const token = safety.tokenFromCookie(socket.handshake.headers.cookie);

    const conn: Conn = {
      socket,
      emit: transport.emitter(socket) ?? fallbackEmit(socket),
      userId,
      ...(token ? { token } : {}),
      ipHash: addressKey(socket.request),
      identity: { status: token ? "ok" : "none" },
      state: "IDLE",
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

    const reject = (
      event: string,
      code: ErrorCode,
      ack: ((a: Ack) => void) | undefined,
      retryAfterMs?: number,
    ): void => {
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
      conn.emit("notice", {
        kind: "too_many_refused",
        message: NOTICE_TOO_MANY_REFUSED,
      });
      socket.disconnect(true);
    };

    socket.emit("welcome", {
      spaces: engine.spaces().map((p) => ({
        id: p.id,
        ...(p.intents ? { intents: [...p.intents] } : {}),
        ...(p.pairing.topics ? { topics: [...p.pairing.topics.list] } : {}),
        ...(p.controls.length > 0 ? { controls: [...p.controls] } : {}),
        ...(p.searchTimeoutMs !== null ? { searchTimeoutMs: p.searchTimeoutMs } : {}),
        ...(p.typingIndicator ? { typingIndicator: true } : {}),
        ...(p.careOffer ? { careOffer: true } : {}),
        ...(p.media === "video"
          ? { iceTransportPolicy: safety.iceTransportPolicy ?? ("all" as const) }
          : {}),
      })),
      limits: { maxMessageLength: LIMITS.maxMessageLength },
      crisisResources: [...options.crisisResources],
    });
    conn.queue.offer(async () => {
      if (token) {
        const ban = await safety.repo.activeBan(token, Date.now());
        const holds = claims.claim(token, conn);
        conn.identity = ban
          ? { status: "banned", bannedUntil: ban.until }
          : { status: holds ? "ok" : "elsewhere" };
      }
      socket.emit("identity", conn.identity);
      apply(await engine.connect(userId, browserId, token));
    }, true);
    if (lastPresence) socket.emit("presence", lastPresence);

    socket.onAny((event: string, ...args: unknown[]) => {
      // Packets already read before an abusive disconnect are dropped, not answered.
      if (socket.disconnected) return;
      const last = args[args.length - 1];
      const ack = typeof last === "function" ? (last as (a: Ack) => void) : undefined;
      const payloadArgs = ack ? args.slice(0, -1) : args;
      if (!Object.hasOwn(clientEventSchemas, event)) {
        reject(event, "unknown_event", ack);
        return;
      }
      const name = event as ClientEventName;
      const parsed = clientEventSchemas[name].safeParse(payloadArgs[0] ?? {});
      if (!parsed.success || payloadArgs.length > 1) {
        reject(name, "invalid_payload", ack);
        return;
      }
      const queued = conn.queue.offer(async () => {
        if (shuttingDown) return reject(name, "server_shutting_down", ack);
        let outcome: Outcome;
        let report: NewReport | undefined;
        try {
          const admitting = admit(conn, name, parsed.data);
          const admitted = admitting instanceof Promise ? await admitting : admitting;
          if ("error" in admitted) return reject(name, admitted.error, ack, admitted.retryAfterMs);
          outcome =
            name === "join"
              ? await engine.join(userId, parsed.data as ClientPayload<"join">, admitted.context)
              : await handlers[name](engine, userId, parsed.data);
          if (name === "report" && outcome.ok) {
            const closed = outcome.observed.find(
              (o) => o.kind === "closed" && o.reason === "reported" && o.by === userId,
            );
            if (closed?.kind === "closed") {
              report = reports.reportOf(closed, parsed.data as ClientPayload<"report">);
            }
          }
        } catch (err) {
          logger.error({ err, event: name }, "engine command failed");
          return reject(name, "internal", ack);
        }
        apply(outcome);
        if (!outcome.ok) return reject(name, outcome.error, ack);
        if (report) {
          try {
            await safety.repo.addReport(report);
            safety.onReported?.(report.space);
            logger.info({ space: report.space, reason: report.reason }, "report filed");
          } catch (err) {
            // The conversation has ended for both either way; the reporter is told it was not saved.
            logger.error({ err }, "storing a report failed");
            return reject(name, "internal", ack);
          }
        }
        ack?.({ ok: true });
      });
      // More events waiting than a client ever needs: refused cheaply, and it counts as abuse.
      if (!queued) reject(name, "rate_limited", ack, BUSY_RETRY_MS);
    });

    socket.on("disconnect", (reason) => {
      logger.debug({ reason }, "socket disconnected");
      users.delete(socket.id);
      conns.delete(userId);
      if (conn.waitingKey !== undefined) waitingByAddress.remove(conn.waitingKey);
      conn.waitingKey = undefined;
      if (token) {
        const next = claims.release(token, conn);
        // The oldest other tab takes over (unless it is banned, which it then already shows).
        if (next && next.identity.status === "elsewhere") setIdentity(next, { status: "ok" });
      }
      conn.queue.offer(async () => {
        apply(await engine.disconnect(userId));
        latest.forget(userId);
        // After the last deliveries of this user (they may have been views in a session).
        talking.delete(userId);
      }, true);
    });
  });

  return {
    io,
    connections: () => users.size,
    stats: () => ({
      rejected: { ...rejectedCounts },
      abusiveDisconnects,
      optimisations: transport.flags(),
    }),
    caps,
    banned(token, until) {
      for (const conn of claims.all(token)) {
        setIdentity(conn, { status: "banned", bannedUntil: until });
        leaveEverything(conn);
      }
    },
    unbanned(token) {
      for (const conn of claims.all(token)) {
        if (conn.identity.status !== "banned") continue;
        setIdentity(conn, { status: claims.holds(token, conn) ? "ok" : "elsewhere" });
      }
    },
    shutdown() {
      shuttingDown ??= (async () => {
        io.emit("notice", {
          kind: "server_restarting",
          message: "The server is restarting. Please come back in a moment.",
        });
        const outcomes = await Promise.all(
          [...users.values()].map((u) => engine.shutdownUser(u).catch(() => undefined)),
        );
        for (const o of outcomes) if (o) apply({ ...o, deadlines: [] });
        scheduler.cancelAll();
        clearInterval(presenceTimer);
        await new Promise((r) => setTimeout(r, options.shutdownGraceMs));
        await new Promise<void>((resolve) => io.close(() => resolve()));
      })();
      return shuttingDown;
    },
  };
}

/** What admission says about an event: refused with a code, or let through (with a join's context). */
/** Refusals that a well-behaved client never causes (abuse.ts: the strict budget). */
const STRICT_STRIKES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "invalid_payload",
  "unknown_event",
  "rate_limited",
]);

/** What a connection closed for abuse is told before it closes. */
const NOTICE_TOO_MANY_REFUSED =
  "This connection sent too many requests that could not be accepted, so it was closed. Reload the page to start again.";

/** How long a client is asked to wait when its queue of events is full (serial.ts). */
const BUSY_RETRY_MS = 1000;

/** The parts of an Engine.IO connection the connection caps use. */
interface EngineConnection {
  readonly request: IncomingMessage;
  once(event: "close", listener: () => void): unknown;
}

type Handler = (engine: Engine, userId: string, payload: unknown) => Promise<Outcome>;

/**
 * Each client event's engine command. A payload reaches its handler only after the schema of the
 * same name accepted it, which is what makes each cast below sound.
 */
const handlers: Record<ClientEventName, Handler> = {
  // The gateway calls engine.join itself, with the JoinContext from the database (see admit).
  join: (e, u, p) => e.join(u, p as ClientPayload<"join">),
  cancel: (e, u) => e.cancel(u),
  enter: (e, u, p) => e.enter(u, (p as ClientPayload<"enter">).sessionId),
  media: (e, u, p) => e.media(u, (p as ClientPayload<"media">).sessionId),
  send: (e, u, p) => e.send(u, (p as ClientPayload<"send">).text),
  exit: (e, u) => e.exit(u),
  home: (e, u) => e.home(u),
  skip: (e, u) => e.skip(u),
  end: (e, u) => e.end(u),
  typing: (e, u) => e.typing(u),
  widen: (e, u) => e.widen(u),
  care: (e, u) => e.care(u),
  report: (e, u) => e.report(u),
  signal: (e, u, p) => e.signal(u, p as ClientPayload<"signal">),
};

/**
 * Browsers always send Origin on a WebSocket or XHR; it must be this server's own origin or one
 * configured. Requests without Origin come from non-browser clients, which an origin check cannot
 * constrain anyway (it exists against cross-site pages riding a visitor's browser), so they pass.
 */
export function originAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  if (host === req.headers.host) return true;
  return allowed.includes(origin);
}
