/**
 * The realtime gateway: Socket.IO in front of the engine, and the only authority. It validates
 * every incoming event against the shared schemas, runs each socket's events strictly in order,
 * hands them to the engine, and carries out what the engine returns: deliveries and deadlines.
 * It holds no conversation state of its own beyond socket ↔ user bookkeeping.
 *
 * Limits named here: packets over LIMITS.maxPacketBytes close the connection (Socket.IO's
 * maxHttpBufferSize); more than ABUSE_LIMIT malformed or unknown events within ABUSE_WINDOW_MS
 * disconnect the socket as abusive; anything less is answered with `rejected` and changes nothing.
 */
import type { Server as HttpServer, IncomingMessage } from "node:http";
import { type Deadline, type Engine, LatestViews, type Outcome, type Store } from "@duet/engine";
import {
  type Ack,
  type ClientEventName,
  type ClientPayload,
  type ClientToServerEvents,
  type CrisisResource,
  clientEventSchemas,
  ERRORS,
  type ErrorCode,
  HandshakeAuth,
  LIMITS,
  type Presence,
  type ServerToClientEvents,
} from "@duet/protocol";
import { Server, type Socket } from "socket.io";
import type { Logger } from "./logger";
import { PresenceTracker } from "./presence";
import type { Scheduler } from "./scheduler";

const ABUSE_LIMIT = 20;
const ABUSE_WINDOW_MS = 10_000;

export interface GatewayOptions {
  engine: Engine;
  /** Read for aggregate figures only (presence). */
  store: Pick<Store, "census">;
  /** How often presence is recomputed (ms); default 3000. */
  presenceEveryMs?: number;
  scheduler: Scheduler;
  logger: Logger;
  /** Fresh random ids (≥ 128 bits) for connections and for browsers that sent none. */
  newId: () => string;
  allowedOrigins: readonly string[];
  heartbeat: { intervalMs: number; timeoutMs: number };
  crisisResources: readonly CrisisResource[];
  /** How long to let "the server is restarting" reach clients before sockets close. */
  shutdownGraceMs: number;
}

export interface Gateway {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents>;
  /** Connected sockets on this node. */
  connections(): number;
  /** Counters for health and tests; aggregates only. */
  stats(): { rejected: Record<string, number>; abusiveDisconnects: number };
  /**
   * Graceful shutdown: refuse new connections and events, tell everyone "the server is
   * restarting", close every open session with `server_shutdown` (partners are told), wait the
   * grace period, then close all sockets. Idempotent.
   */
  shutdown(): Promise<void>;
}

type DuetSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

const roomOf = (userId: string): string => `u:${userId}`;

export function createGateway(httpServer: HttpServer, options: GatewayOptions): Gateway {
  const { engine, scheduler, logger, store } = options;
  let shuttingDown: Promise<void> | undefined;
  const rejectedCounts: Record<string, number> = {};
  let abusiveDisconnects = 0;
  /** socket id → user id, for the sockets on this node. */
  const users = new Map<string, string>();
  const presence = new PresenceTracker(engine.spaces().map((p) => p.id));
  /** Views computed concurrently may finish in either order; only the newest reaches a screen. */
  const latest = new LatestViews();
  let lastPresence: Presence | undefined;
  let lastPresenceJson = "";
  /** Presence goes to everyone when it changed, at most every `presenceEveryMs`. */
  const presenceTimer = setInterval(() => {
    store
      .census()
      .then((census) => {
        const next = presence.snapshot(census);
        const json = JSON.stringify(next);
        lastPresence = next;
        if (json !== lastPresenceJson) {
          lastPresenceJson = json;
          io.emit("presence", next);
        }
      })
      .catch((err: unknown) => logger.error({ err }, "presence failed"));
  }, options.presenceEveryMs ?? 3000);
  presenceTimer.unref();

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

  /** Carries out an engine outcome: deliveries now, deadlines later. */
  const apply = (outcome: Outcome): void => {
    for (const o of outcome.out) {
      if (!latest.accept(o)) continue;
      if (o.event === "state") io.to(roomOf(o.to)).emit("state", o.payload);
      else if (o.event === "message") io.to(roomOf(o.to)).emit("message", o.payload);
      else io.to(roomOf(o.to)).emit("typing", o.payload);
    }
    if (outcome.observed.length > 0) presence.observe(outcome.observed);
    for (const d of outcome.deadlines) scheduler.schedule(d.at, () => fire(d));
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
    void socket.join(roomOf(userId));
    let strikes: number[] = [];

    // Every event of this socket runs after the previous one finished: a join and a disconnect in
    // the same tick are applied in the order they arrived, never interleaved.
    let chain: Promise<void> = Promise.resolve();
    const serially = (task: () => Promise<void>): void => {
      chain = chain.then(task).catch((err: unknown) => {
        logger.error({ err }, "socket task failed");
      });
    };

    const reject = (event: string, code: ErrorCode, ack: ((a: Ack) => void) | undefined): void => {
      rejectedCounts[code] = (rejectedCounts[code] ?? 0) + 1;
      const message = ERRORS[code];
      ack?.({ ok: false, code, message });
      socket.emit("rejected", { event, code, message });
      if (code === "invalid_payload" || code === "unknown_event") {
        const now = Date.now();
        strikes = strikes.filter((t) => now - t < ABUSE_WINDOW_MS);
        strikes.push(now);
        if (strikes.length > ABUSE_LIMIT) {
          abusiveDisconnects += 1;
          logger.warn({ code }, "disconnecting a socket that sent too many malformed events");
          socket.disconnect(true);
        }
      }
    };

    socket.emit("welcome", {
      spaces: engine.spaces().map((p) => ({
        id: p.id,
        ...(p.intents ? { intents: [...p.intents] } : {}),
        ...(p.pairing.topics ? { topics: [...p.pairing.topics.list] } : {}),
        ...(p.controls.length > 0 ? { controls: [...p.controls] } : {}),
        ...(p.searchTimeoutMs !== null ? { searchTimeoutMs: p.searchTimeoutMs } : {}),
        ...(p.typingIndicator ? { typingIndicator: true } : {}),
      })),
      limits: { maxMessageLength: LIMITS.maxMessageLength },
      crisisResources: [...options.crisisResources],
    });
    serially(async () => apply(await engine.connect(userId, browserId)));
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
      serially(async () => {
        if (shuttingDown) return reject(name, "server_shutting_down", ack);
        let outcome: Outcome;
        try {
          outcome = await handlers[name](engine, userId, parsed.data);
        } catch (err) {
          logger.error({ err, event: name }, "engine command failed");
          return reject(name, "internal", ack);
        }
        apply(outcome);
        if (outcome.ok) ack?.({ ok: true });
        else reject(name, outcome.error, ack);
      });
    });

    socket.on("disconnect", (reason) => {
      logger.debug({ reason }, "socket disconnected");
      users.delete(socket.id);
      serially(async () => {
        apply(await engine.disconnect(userId));
        latest.forget(userId);
      });
    });
  });

  return {
    io,
    connections: () => users.size,
    stats: () => ({ rejected: { ...rejectedCounts }, abusiveDisconnects }),
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

type Handler = (engine: Engine, userId: string, payload: unknown) => Promise<Outcome>;

/**
 * Each client event's engine command. A payload reaches its handler only after the schema of the
 * same name accepted it, which is what makes each cast below sound.
 */
const handlers: Record<ClientEventName, Handler> = {
  join: (e, u, p) => e.join(u, p as ClientPayload<"join">),
  cancel: (e, u) => e.cancel(u),
  enter: (e, u, p) => e.enter(u, (p as ClientPayload<"enter">).sessionId),
  send: (e, u, p) => e.send(u, (p as ClientPayload<"send">).text),
  exit: (e, u) => e.exit(u),
  home: (e, u) => e.home(u),
  skip: (e, u) => e.skip(u),
  end: (e, u) => e.end(u),
  typing: (e, u) => e.typing(u),
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
