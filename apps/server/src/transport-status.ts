/**
 * Whether each transport optimisation that reaches into Socket.IO / Engine.IO / Node internals is
 * active, applied through one object the gateway holds: ping spreading (ping-spread.ts, first ping
 * and jitter), write batching (write-batching.ts) and direct emits (direct-emit.ts).
 *
 * Why: each of them falls back to the libraries' own behaviour when the internals it needs are
 * not there (an upgrade, another parser). That is safe, but silent: the load they took off would
 * come back with nothing to say why. So each one is judged once when the gateway is created (one
 * log line each: "transport optimisation <name> active" at info, or "... off: <why>" at warn),
 * re-judged on the connections it is applied to, and one that switches itself off later logs one
 * warning ("... switched off: <why>") and stays off. The state is in the gateway's stats
 * (`optimisations`) and in the metric `duet_transport_optimisation{name}` (1 active, 0 off).
 *
 * The start-up judgement reads Engine.IO's Socket class and socket.io-parser as socket.io itself
 * loads them (resolved from socket.io's folder), Node's Timeout, the heartbeat timings and the
 * Socket.IO server's options and encoder. Later:
 * - ping spreading goes off when a connection lacks the parts ping-spread.ts needs;
 * - write batching goes off when a connection lacks its `flush`, or when the flush watch finds
 *   Engine.IO queuing packets without calling `flush` (checked on the first WATCHED_PACKETS
 *   packets of the first WATCHED_CONNECTIONS connections: a bounded cost);
 * - direct emits go off when a main-namespace socket has no direct emitter (shape or encoder).
 * Once off, an optimisation is not applied to new connections; those it was already applied to
 * keep it (ping spreading and direct emits stay correct there; write batching undoes itself on
 * the connection where the bypass was seen).
 */
import { createRequire } from "node:module";
import type { Server } from "socket.io";
import { type DirectEmit, directEmitter, encoderMismatch } from "./direct-emit";
import type { Logger } from "./logger";
import { jitterPings, maxPingDelay, type PingTimings, spreadFirstPing } from "./ping-spread";
import { batchWrites } from "./write-batching";

export const OPTIMISATIONS = ["ping_spread", "write_batching", "direct_emit"] as const;
export type OptimisationName = (typeof OPTIMISATIONS)[number];
/** Each optimisation: true while active. */
export type OptimisationFlags = Readonly<Record<OptimisationName, boolean>>;

/** How many connections get their first packets checked by the flush watch. */
export const WATCHED_CONNECTIONS = 3;
/** How many packets of each watched connection are checked. */
export const WATCHED_PACKETS = 8;

/** The state and its log lines: one at start per optimisation, one more if it switches off. */
export class TransportStatus {
  private readonly active: Record<OptimisationName, boolean> = {
    ping_spread: false,
    write_batching: false,
    direct_emit: false,
  };
  private readonly started = new Set<OptimisationName>();

  constructor(private readonly logger: Pick<Logger, "info" | "warn">) {}

  /** The start-up verdict; logged once (a second call for the same name is ignored). */
  start(name: OptimisationName, off: string | undefined, note?: string): void {
    if (this.started.has(name)) return;
    this.started.add(name);
    this.active[name] = off === undefined;
    if (off === undefined) {
      const suffix = note ? ` (${note})` : "";
      this.logger.info(
        { optimisation: name, active: true, ...(note ? { note } : {}) },
        `transport optimisation ${name} active${suffix}`,
      );
    } else {
      this.logger.warn(
        { optimisation: name, active: false, reason: off },
        `transport optimisation ${name} off: ${off}`,
      );
    }
  }

  /** Switches an active optimisation off, with one warning; nothing if it is off already. */
  off(name: OptimisationName, reason: string): void {
    if (!this.active[name]) return;
    this.active[name] = false;
    this.logger.warn(
      { optimisation: name, active: false, reason },
      `transport optimisation ${name} switched off: ${reason}`,
    );
  }

  isActive(name: OptimisationName): boolean {
    return this.active[name];
  }

  flags(): OptimisationFlags {
    return { ...this.active };
  }
}

/**
 * socket.io's own copy of a package it depends on (engine.io), or undefined when it cannot be
 * loaded (a bundle, an unknown layout): then the optimisations needing it start off.
 */
function fromSocketIo(name: string): unknown {
  try {
    return createRequire(createRequire(import.meta.url).resolve("socket.io"))(name);
  } catch {
    return undefined;
  }
}

/** The prototype of the Engine.IO Socket class socket.io uses, when found. */
function engineSocketPrototype(): Record<string, unknown> | undefined {
  const engine = fromSocketIo("engine.io") as { Socket?: { prototype?: unknown } } | undefined;
  const proto = engine?.Socket?.prototype;
  return typeof proto === "object" && proto !== null
    ? (proto as Record<string, unknown>)
    : undefined;
}

/** Whether Node's Timeout keeps its callback as `_onTimeout` (ping-spread.ts's one-timer wait). */
function timeoutKeepsCallback(): boolean {
  const callback = (): void => {};
  const probe = setTimeout(callback, 60_000);
  clearTimeout(probe);
  // clearTimeout sets `_onTimeout` to null: read it on a second, uncleared timer.
  const armed = setTimeout(callback, 60_000);
  const held = (armed as unknown as { _onTimeout?: unknown })._onTimeout;
  clearTimeout(armed);
  return held === callback;
}

const missing = (proto: Record<string, unknown> | undefined, methods: string[]): string[] =>
  methods.filter((m) => typeof proto?.[m] !== "function");

/** Judges each optimisation for this server now (logging one line each); see the header. */
function startVerdicts(status: TransportStatus, io: Server, timings: PingTimings): void {
  const proto = engineSocketPrototype();
  const noEngine = "engine.io could not be loaded from socket.io's folder";

  const spreadParts = missing(proto, ["schedulePing", "on"]);
  status.start(
    "ping_spread",
    !proto
      ? noEngine
      : spreadParts.length > 0
        ? `engine.io's Socket has no ${spreadParts.join(", ")}`
        : maxPingDelay(timings) <= 0
          ? "the heartbeat interval + timeout leave no room under the 15 s detection bound"
          : undefined,
    timeoutKeepsCallback() ? undefined : "two-step waits: Node's Timeout has no _onTimeout",
  );

  const batchParts = missing(proto, ["flush", "sendPacket", "on", "removeListener"]);
  status.start(
    "write_batching",
    !proto
      ? noEngine
      : batchParts.length > 0
        ? `engine.io's Socket has no ${batchParts.join(", ")}`
        : undefined,
    `flushes checked on the first ${WATCHED_PACKETS} packets of ${WATCHED_CONNECTIONS} connections`,
  );

  const recovery = (io as unknown as { _opts?: { connectionStateRecovery?: unknown } })._opts
    ?.connectionStateRecovery;
  status.start(
    "direct_emit",
    recovery
      ? "connection state recovery is on (Socket.IO must store every packet)"
      : encoderMismatch((io as unknown as { encoder?: unknown }).encoder),
  );
}

/** The optimisations as the gateway applies them, with their status. */
export interface TransportOptimisations {
  /** Applies what is active to a new Engine.IO connection (`io.engine.on("connection")`). */
  connection(conn: unknown): void;
  /** A direct emitter for this main-namespace socket, or undefined (then use `socket.emit`). */
  emitter(socket: unknown): DirectEmit | undefined;
  flags(): OptimisationFlags;
  /** The flush watch so far: connections watched, and those whose packets all passed. */
  flushChecks(): { watched: number; verified: number };
  readonly status: TransportStatus;
}

/** Judges the optimisations for this Socket.IO server (logging once each) and applies them. */
export function transportOptimisations(
  io: Server,
  logger: Pick<Logger, "info" | "warn">,
  timings: PingTimings,
): TransportOptimisations {
  const status = new TransportStatus(logger);
  startVerdicts(status, io, timings);
  let watched = 0;
  let verified = 0;
  const watch = {
    packets: WATCHED_PACKETS,
    verified: () => {
      verified += 1;
    },
    bypassed: (reason: string) => status.off("write_batching", reason),
  };
  return {
    status,
    connection(conn) {
      if (status.isActive("ping_spread")) {
        if (!(spreadFirstPing(conn, timings) && jitterPings(conn, timings))) {
          status.off("ping_spread", "an engine.io connection lacks pingIntervalTimer/schedulePing");
        }
      }
      if (status.isActive("write_batching")) {
        const watching = watched < WATCHED_CONNECTIONS;
        if (watching) watched += 1;
        if (!batchWrites(conn, watching ? watch : undefined)) {
          status.off("write_batching", "an engine.io connection has no flush()");
        }
      }
    },
    emitter(socket) {
      if (!status.isActive("direct_emit")) return undefined;
      const emit = directEmitter(socket);
      if (!emit) status.off("direct_emit", "a Socket.IO socket lacks the expected shape or parser");
      return emit;
    },
    flags: () => status.flags(),
    flushChecks: () => ({ watched, verified }),
  };
}
