/**
 * Caps on open connections (issue 15): per address, and for the whole process.
 *
 * Why: every Socket.IO connection is an open file, and a process here may hold at most 20,000
 * (MACHINE-NOTES). Without a cap, 8,000 sockets from one address were accepted and enough more
 * reached the file limit: /healthz and every new visitor then failed, with nothing logged. So:
 * - one address (by its salted hash, never the raw IP) may hold `perAddress` open connections —
 *   generous by default (500), since a campus or carrier NAT puts hundreds of people on one;
 * - the process holds at most `total`, kept below its open-file limit with room for /healthz,
 *   /readyz, /metrics, /admin and the web app's files (`effectiveMaxConnections`);
 * - new connections per address are also rate limited (limits.ts `connect`).
 * A refusal is an HTTP answer before Socket.IO sees the request: 429 (this address) or 503
 * (this process) with a JSON `{ code, message }` and Retry-After, logged once per period with a
 * count (periodic-log.ts), never per attempt.
 *
 * Counting: a connection counts from Engine.IO's "connection" to its "close". Engine.IO's
 * handshake finishes in the turn its request arrived (its one await resolves in the same turn),
 * so the count is exact when a burst of handshakes arrives at once. Requests that carry a `sid`
 * belong to a connection that already counts (polling requests, the upgrade to WebSocket) and
 * pass. Limits: per process (several nodes each count their own); a salt rotation (limits.ts
 * IpHasher, daily) starts the same address on a fresh key, so for the life of the connections it
 * already had it may hold up to twice `perAddress`.
 */
import { readFileSync } from "node:fs";
import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { LimitResult } from "./http";
import type { PeriodicLog } from "./periodic-log";

/** Open files kept free for everything that is not a Socket.IO connection. */
export const FILE_RESERVE = 1024;

/** The process's soft limit on open files (Linux /proc), or undefined where it cannot be read. */
export function openFileLimit(limitsFile = "/proc/self/limits"): number | undefined {
  try {
    const line = readFileSync(limitsFile, "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
    const n = Number(soft);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The configured cap, lowered to leave FILE_RESERVE files free under the file limit. */
export function effectiveMaxConnections(configured: number, fileLimit: number | undefined): number {
  if (fileLimit === undefined) return configured;
  return Math.max(1, Math.min(configured, fileLimit - FILE_RESERVE));
}

export interface Refusal {
  /** 429: this address is over its share; 503: the process is full. */
  readonly status: 429 | 503;
  readonly code: "too_many_connections_from_address" | "server_full" | "connecting_too_often";
  readonly message: string;
  readonly retryAfterS: number;
}

export const REFUSALS = {
  address: {
    status: 429,
    code: "too_many_connections_from_address",
    message:
      "Too many connections from your network are open right now. Please try again in a minute.",
    retryAfterS: 60,
  },
  rate: {
    status: 429,
    code: "connecting_too_often",
    message: "Too many new connections from your network. Please try again in a moment.",
    retryAfterS: 10,
  },
  full: {
    status: 503,
    code: "server_full",
    message: "Duet is full right now. Please try again in a few minutes.",
    retryAfterS: 120,
  },
} as const satisfies Record<string, Refusal>;

export interface ConnectionCapsOptions {
  readonly perAddress: number;
  readonly total: number;
  /** The per-address connection rate (limits.ts `connect`); synchronous in this process. */
  readonly rate?: (addressKey: string) => LimitResult | Promise<LimitResult>;
}

/** Counts per key; a key whose count falls to 0 is forgotten (nothing kept for it). */
export class CountMap {
  private readonly counts = new Map<string, number>();

  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** False when the key was not counted. */
  remove(key: string): boolean {
    const n = this.counts.get(key);
    if (n === undefined) return false;
    if (n <= 1) this.counts.delete(key);
    else this.counts.set(key, n - 1);
    return true;
  }

  /** Keys with a count above 0. */
  size(): number {
    return this.counts.size;
  }
}

/** Open connections per address key and in total; answers whether one more may open. */
export class ConnectionCaps {
  private readonly open = new CountMap();
  private count = 0;

  constructor(private readonly options: ConnectionCapsOptions) {}

  /** The refusal for one more connection from `addressKey`, or undefined to let it open. */
  check(addressKey: string): Refusal | undefined | Promise<Refusal | undefined> {
    if (this.count >= this.options.total) return REFUSALS.full;
    if (this.open.get(addressKey) >= this.options.perAddress) return REFUSALS.address;
    const rate = this.options.rate?.(addressKey);
    if (rate === undefined) return undefined;
    if (rate instanceof Promise) return rate.then((r) => (r.ok ? undefined : REFUSALS.rate));
    return rate.ok ? undefined : REFUSALS.rate;
  }

  opened(addressKey: string): void {
    this.count += 1;
    this.open.add(addressKey);
  }

  closed(addressKey: string): void {
    if (this.open.remove(addressKey)) this.count -= 1;
  }

  /** Open connections counted (all addresses). */
  total(): number {
    return this.count;
  }

  /** Addresses with open connections (for tests: nothing is kept for a closed one). */
  addresses(): number {
    return this.open.size();
  }
}

/** A new Engine.IO connection (no `sid` yet) on `path`. */
export function isNewConnection(req: IncomingMessage, path: string): boolean {
  const url = req.url ?? "";
  if (!url.startsWith(path)) return false;
  const q = url.indexOf("?");
  return q === -1 || !/(?:^|&)sid=/.test(url.slice(q + 1));
}

const refusalBody = (r: Refusal): string => JSON.stringify({ code: r.code, message: r.message });

function refuseRequest(res: ServerResponse, r: Refusal): void {
  res
    .writeHead(r.status, {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      "retry-after": String(r.retryAfterS),
      connection: "close",
    })
    .end(refusalBody(r));
}

function refuseUpgrade(socket: Duplex, r: Refusal): void {
  const body = refusalBody(r);
  const reason = r.status === 429 ? "Too Many Requests" : "Service Unavailable";
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${r.status} ${reason}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nRetry-After: ${r.retryAfterS}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

export interface GuardOptions {
  /** The Engine.IO path, e.g. "/socket.io/". */
  readonly path: string;
  /** The refusal for this new connection request, if any. */
  readonly decide: (req: IncomingMessage) => Refusal | undefined | Promise<Refusal | undefined>;
  readonly log: PeriodicLog;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * Puts `decide` in front of every listener the HTTP server has now (Engine.IO's among them: call
 * this after creating the Socket.IO server) for new Engine.IO connections: a refused one is
 * answered here and never reaches Engine.IO. Everything else goes to the listeners as before, in
 * their order. Public EventEmitter API only (Engine.IO wraps the request listeners the same way).
 */
export function guardNewConnections(server: HttpServer, options: GuardOptions): void {
  const requestListeners = server.listeners("request") as RequestListener[];
  const upgradeListeners = server.listeners("upgrade") as UpgradeListener[];
  server.removeAllListeners("request");
  server.removeAllListeners("upgrade");

  /** Runs `pass` for anything but a refused new connection, which `refuse` answers instead. */
  const screen = (req: IncomingMessage, pass: () => void, refuse: (r: Refusal) => void): void => {
    if (!isNewConnection(req, options.path)) {
      pass();
      return;
    }
    const then = (r: Refusal | undefined): void => {
      if (!r) {
        pass();
        return;
      }
      options.log.note(r.code);
      refuse(r);
    };
    const verdict = options.decide(req);
    if (verdict instanceof Promise) verdict.then(then, () => then(REFUSALS.full));
    else then(verdict);
  };

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    screen(
      req,
      () => {
        for (const l of requestListeners) l.call(server, req, res);
      },
      (r) => refuseRequest(res, r),
    );
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    screen(
      req,
      () => {
        for (const l of upgradeListeners) l.call(server, req, socket, head);
      },
      (r) => refuseUpgrade(socket, r),
    );
  });
}
