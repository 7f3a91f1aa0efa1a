/**
 * The realtime gateway: Socket.IO in front of the engine, and the only authority. It validates
 * every incoming event against the shared schemas, runs each socket's events strictly in order,
 * hands them to the engine, and carries out what the engine returns: deliveries and deadlines.
 * It holds no conversation state of its own beyond socket ↔ user bookkeeping.
 *
 * This file wires the parts (docs/architecture.md, "The gateway"):
 * - `connection.ts`: a socket's life (handshake, welcome, pass, disconnect) and bans;
 * - `events.ts`: one event: schema → admission → engine → outcome → a report filed;
 * - `admission.ts`: an event's state, the join's own checks, rate limits, then the database;
 * - `outcomes.ts`: an engine outcome carried out: deliveries, observations, deadlines;
 * - `delivery.ts`: one outgoing event and the recipient's bookkeeping (the ownership rule);
 * - `router.ts`: the Router seam (an engine event to its recipient's node); `sockets.ts`: this
 *   node's sockets and presence-room membership; `deadlines.ts`: the DeadlineQueue
 *   seam; `cluster-bus.ts`: the ClusterBus seam (bans for every node); `reports.ts`: report
 *   buffers; `trust.ts`: trust after a long talk;
 * - `presence-feed.ts`: presence for the screens between conversations;
 * - `address-guard.ts`: caps on open connections; `welcome.ts`: the first event;
 * - `types.ts`: what app.ts hands in, and `Conn`.
 *
 * Safety (SPEC §6) sits around the engine: the token from the httpOnly cookie (never sent in any
 * event), one connection per token (claims.ts), bans, rate limits, trust tiers and "never with
 * someone I reported" read from the database at each join, report buffers and filing reports.
 * Spaces whose policy has `identity: "none"` (menti) never look at any of it except rate limits,
 * which key on the connection and the IP hash.
 *
 * Limits named here: packets over LIMITS.maxPacketBytes close the connection (Socket.IO's
 * maxHttpBufferSize); more than ABUSE_LIMIT malformed or unknown events within ABUSE_WINDOW_MS
 * disconnect the socket as abusive (connection.ts); anything less is answered with `rejected` and
 * changes nothing.
 */
import type { Server as HttpServer, IncomingMessage } from "node:http";
import { LatestViews, type SpacePolicy } from "@duet/engine";
import type { ClientToServerEvents, ServerToClientEvents, SpaceId } from "@duet/protocol";
import { LIMITS } from "@duet/protocol";
import { Server } from "socket.io";
import { Claims, type TokenClaims } from "../claims";
import { CountMap } from "../connection-caps";
import { transportOptimisations } from "../transport-status";
import { guardConnections } from "./address-guard";
import { createAdmission } from "./admission";
import { LocalClusterBus } from "./cluster-bus";
import { acceptConnections } from "./connection";
import { LocalDeadlineQueue } from "./deadlines";
import { createDelivery } from "./delivery";
import { createEventHandler } from "./events";
import { createOutcomes } from "./outcomes";
import { createPresenceFeed } from "./presence-feed";
import { createReaper } from "./reaper";
import { createReportBuffers } from "./reports";
import { LocalRouter } from "./router";
import { createSockets } from "./sockets";
import { createLongTalkTrust } from "./trust";
import type { Conn, Gateway, GatewayOptions } from "./types";
import { welcomeFor } from "./welcome";

export type {
  Gateway,
  GatewayCaps,
  GatewayOptions,
  GatewaySeams,
  SafetyServices,
  SocketLimit,
} from "./types";

import { refuseUnknownProtocols } from "./protocol-version";

/** SPEC §2.6: a silently lost connection is noticed within 15 s (config.ts enforces the sum). */
const SILENT_LOSS_DETECTED_MS = 15_000;

export function createGateway(httpServer: HttpServer, options: GatewayOptions): Gateway {
  const { engine, scheduler, logger, store, safety } = options;
  const policies = new Map<SpaceId, SpacePolicy>(engine.spaces().map((p) => [p.id, p]));
  let shuttingDown: Promise<void> | undefined;
  /** Set once shutdown has taken this node's users out of the store (connection.ts). */
  let drained = false;

  const io = new Server<ClientToServerEvents, ServerToClientEvents>(httpServer, {
    maxHttpBufferSize: LIMITS.maxPacketBytes,
    pingInterval: options.heartbeat.intervalMs,
    pingTimeout: options.heartbeat.timeoutMs,
    // Never carry a reconnecting socket back into its old state (SPEC §2.6): recovery stays off.
    connectionStateRecovery: undefined,
    serveClient: false,
    // WebSocket only, as the web client connects: one connection is one TCP stream to one node,
    // so a load balancer in front of a cluster needs no sticky sessions (HTTP long-polling would:
    // its requests must all reach the node that holds the session).
    transports: ["websocket"],
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
  refuseUnknownProtocols(io);
  const { caps, addressKey } = guardConnections({
    httpServer,
    io,
    caps: options.caps,
    safety,
    logger,
    shuttingDown: () => shuttingDown !== undefined,
  });

  // This node's state: its connections (by user id), the tokens they hold, who waits where.
  const conns = new Map<string, Conn>();
  const seams = options.seams ?? {};
  const claims: TokenClaims = seams.claims ?? new Claims();
  const waitingByAddress = new CountMap();
  const latest = new LatestViews();
  const reports = seams.reports ?? createReportBuffers(policies);
  const localDeadlines = () =>
    new LocalDeadlineQueue(scheduler, (err) => logger.error({ err }, "deadline failed"));
  const deadlines = seams.deadlines ?? localDeadlines();
  // Cluster mode: join deadlines of sessions held here stay on this node (outcomes.ts says why).
  const nodeDeadlines = seams.deadlines ? localDeadlines() : undefined;
  const sockets = createSockets(io, conns);
  const presence = createPresenceFeed({
    io,
    store,
    spaces: [...policies.keys()],
    sockets,
    logger,
    everyMs: options.presenceEveryMs ?? 3000,
    slice: options.presenceSlice ?? 256,
  });
  const longTalks = createLongTalkTrust({
    policies,
    repo: safety.repo,
    longChatMs: safety.trustLongChatMs,
    logger,
  });
  const deliver = createDelivery({
    sockets,
    conns,
    latest,
    presence,
    reports,
    waitingByAddress,
    // Set below: connections are accepted once delivery exists.
    tookOver: (userId) => connections.tookOver(userId),
  });
  const router = seams.router ?? new LocalRouter(options.newId());
  const detach = router.attach(deliver);
  const outcomes = createOutcomes({
    engine,
    route: (o) => router.route(o),
    deadlines,
    ...(nodeDeadlines ? { nodeDeadlines } : {}),
    presence,
    reports,
    longTalks,
    conns,
    safety,
    logger,
  });
  // Deadlines fall due here (on any node, in a cluster) and are fired through this node's engine.
  const detachShared = deadlines.attach((d) => outcomes.fire(d));
  const detachOwn = nodeDeadlines?.attach((d) => outcomes.fire(d));
  const detachDeadlines = () => {
    detachShared();
    detachOwn?.();
  };
  const onEvent = createEventHandler({
    engine,
    admit: createAdmission({
      policies,
      safety,
      maxWaitingPerAddress: caps.maxWaitingPerAddress,
      waitingByAddress,
    }),
    outcomes,
    reports,
    safety,
    logger,
    node: router.node,
    shuttingDown: () => shuttingDown !== undefined,
  });
  const connections = acceptConnections({
    io,
    engine,
    options,
    conns,
    claims,
    route: (o) => router.route(o),
    draining: () => drained,
    latest,
    presence,
    outcomes,
    waitingByAddress,
    addressKey,
    node: router.node,
    emitter: (socket) => transport.emitter(socket),
    welcome: welcomeFor(engine.spaces(), safety, options.crisisResources),
    onEvent,
    logger,
  });

  const bus =
    seams.bus ??
    new LocalClusterBus((err: unknown) => logger.error({ err }, "a cluster message failed"));
  const unsubscribe = bus.subscribe((message) => {
    if (message.kind === "banned") connections.banned(message.token, message.until);
    else connections.unbanned(message.token);
  });

  // Cluster mode: heartbeats, and the dead nodes this node is handed to reap.
  const membership = seams.membership;
  const reap = membership
    ? createReaper({
        engine,
        outcomes,
        claims,
        membership,
        handOver: (next) => connections.handOver(next),
      })
    : undefined;
  const joined = membership
    ? membership.start({
        reap: async (node) => {
          const { users } = await (reap as NonNullable<typeof reap>)(node);
          logger.warn({ node, users }, "reaped a dead node: its users' partners were told");
        },
        reaped: () => {
          logger.error(
            { node: router.node },
            "this node was declared dead by the cluster (heartbeats stopped too long): it stops serving",
          );
          options.onReaped?.();
          void gateway.shutdown();
        },
        onError: (err) => logger.error({ err }, "cluster heartbeat or reaping failed"),
      })
    : Promise.resolve();

  const gateway: Gateway = {
    io,
    node: router.node,
    joined,
    resync: async () => {
      const done = await connections.resyncAll();
      logger.warn({ ...done }, "connections re-read from the shared store after an outage");
      return done;
    },
    connections: () => connections.count(),
    stats: () => ({ ...connections.stats(), optimisations: transport.flags() }),
    caps,
    banned: (token, until) => bus.publish({ kind: "banned", token, until }),
    unbanned: (token) => bus.publish({ kind: "unbanned", token }),
    shutdown() {
      shuttingDown ??= (async () => {
        io.emit("notice", {
          kind: "server_restarting",
          message: "The server is restarting. Please come back in a moment.",
        });
        const mine = [...connections.userIds()];
        const outcomesOfShutdown = await Promise.all(
          mine.map((u) => engine.shutdownUser(u).catch(() => undefined)),
        );
        for (const o of outcomesOfShutdown) if (o) outcomes.apply({ ...o, deadlines: [] });
        // Then this node's users leave the shared store (a search ends, nothing is left to be
        // matched with a socket that is about to close). Their sessions are closed already, so
        // nobody else is told anything.
        await Promise.all(mine.map((u) => engine.disconnect(u).catch(() => undefined)));
        drained = true;
        // Through the same seams a cluster shares: this node's claims and waiting places go now,
        // not when its memory does (the next node must not see them held).
        await connections.release();
        detachDeadlines();
        presence.stop();
        unsubscribe();
        detach();
        await membership?.stop().catch((err: unknown) => {
          logger.error({ err }, "leaving the cluster failed (the others will reap this node)");
        });
        await new Promise((r) => setTimeout(r, options.shutdownGraceMs));
        await new Promise<void>((resolve) => io.close(() => resolve()));
      })();
      return shuttingDown;
    },
  };
  return gateway;
}

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
