/**
 * Caps on open connections (connection-caps.ts), wired to this node's HTTP server and Socket.IO:
 * a refused connection is answered 429/503 before Engine.IO sees it. Each request's address key
 * (the salted IP hash) is computed once, for the guard and then for the socket.
 */
import type { Server as HttpServer, IncomingMessage } from "node:http";
import {
  ConnectionCaps,
  effectiveMaxConnections,
  guardNewConnections,
  openFileLimit,
} from "../connection-caps";
import type { Logger } from "../logger";
import { PeriodicLog } from "../periodic-log";
import type { DuetServer, DuetSocket, GatewayCaps, SafetyServices } from "./types";

/** The parts of an Engine.IO connection the connection caps use. */
interface EngineConnection {
  readonly request: IncomingMessage;
  once(event: "close", listener: () => void): unknown;
}

export function guardConnections(deps: {
  httpServer: HttpServer;
  io: DuetServer;
  caps: GatewayCaps;
  safety: Pick<SafetyServices, "limit" | "ipHash">;
  logger: Logger;
  shuttingDown(): boolean;
}): { caps: GatewayCaps; addressKey(socket: DuetSocket): string } {
  const { io, safety, logger } = deps;
  const fileLimit = openFileLimit();
  const caps: GatewayCaps = {
    ...deps.caps,
    maxConnections: effectiveMaxConnections(deps.caps.maxConnections, fileLimit),
  };
  if (caps.maxConnections < deps.caps.maxConnections) {
    logger.warn(
      { configured: deps.caps.maxConnections, effective: caps.maxConnections, fileLimit },
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
  guardNewConnections(deps.httpServer, {
    path: `${io.path()}/`,
    // While shutting down, Engine.IO's allowRequest refuses with its own words.
    decide: (req) => (deps.shuttingDown() ? undefined : connectionCaps.check(addressKey(req))),
    log: new PeriodicLog(logger, "connections refused"),
  });
  io.engine.on("connection", (conn: EngineConnection) => {
    const key = addressKey(conn.request);
    connectionCaps.opened(key);
    conn.once("close", () => connectionCaps.closed(key));
  });
  return { caps, addressKey: (socket) => addressKey(socket.request) };
}
