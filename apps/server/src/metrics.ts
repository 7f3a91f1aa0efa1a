/**
 * Prometheus metrics (prom-client) on `GET /metrics`: the admin page's health figures per space
 * (stats.ts), a few gateway counters, and Node's default process metrics. Aggregates only.
 *
 * The registry is Duet's own (never prom-client's global one), so tests and several servers in
 * one process do not share metrics. Nothing is updated on the hot path: every Duet metric is
 * filled at scrape time by its `collect()` from one provider call per scrape.
 *
 * | metric | type | labels |
 * | --- | --- | --- |
 * | `duet_users` | gauge | `space`, `state` (waiting, matched, active, ended) |
 * | `duet_sessions` | gauge | `space` |
 * | `duet_matches_total` | counter | `space` (since the process started) |
 * | `duet_matches_last_minute` | gauge | `space` |
 * | `duet_wait_seconds` | gauge | `space`, `quantile` (0.5, 0.95), over the last 10 minutes |
 * | `duet_wait_samples` | gauge | `space` (waits the quantiles were taken over) |
 * | `duet_reports_total` | counter | `space` (since the process started) |
 * | `duet_reports_last_hour` | gauge | `space` |
 * | `duet_connections` | gauge | — (this node's sockets; with a gateway provider) |
 * | `duet_rejected_events_total` | counter | `reason` (with a gateway provider) |
 * | `duet_abusive_disconnects_total` | counter | — (with a gateway provider) |
 * | `duet_transport_optimisation` | gauge | `name` (ping_spread, write_batching, direct_emit): 1 active, 0 off (with a gateway provider; transport-status.ts) |
 *
 * A space with no wait in the window has no `duet_wait_seconds` sample (rather than a 0).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { HttpHandler } from "./http";
import { sendJson } from "./http";
import type { HealthSnapshot } from "./stats";
import type { OptimisationFlags } from "./transport-status";

export const METRICS_PATH = "/metrics";

/** The gateway's own counters (Gateway.connections() and Gateway.stats()). */
export interface GatewayFigures {
  readonly connections: number;
  readonly rejected: Readonly<Record<string, number>>;
  readonly abusiveDisconnects: number;
  /** Which transport optimisations are active (Gateway.stats(); absent: none reported). */
  readonly optimisations?: OptimisationFlags;
}

export interface MetricsOptions {
  /** The health figures (stats.ts `healthProvider`), read once per scrape. */
  readonly health: () => Promise<HealthSnapshot> | HealthSnapshot;
  /** This node's gateway counters, read once per scrape. */
  readonly gateway?: () => GatewayFigures;
  /** Node.js process metrics (CPU, memory, event loop, GC); default true. */
  readonly defaultMetrics?: boolean;
  /** Cluster mode: this node's cluster counters (cluster/index.ts ClusterStats). */
  readonly cluster?: () => ClusterFigures | undefined;
}

/** What /metrics shows of a node's part in a cluster (aggregates only). */
export interface ClusterFigures {
  readonly routedOut: number;
  readonly routedIn: number;
  readonly deadlinesAdopted: number;
  readonly nodesReaped: number;
  readonly redisReady: boolean;
}

interface Figures {
  readonly health: HealthSnapshot;
  readonly gateway: GatewayFigures | undefined;
}

/** A fresh registry with Duet's metrics, filled from `options` at every scrape. */
export function createMetricsRegistry(options: MetricsOptions): Registry {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  // All collect() calls of one scrape start in the same tick (Registry.metrics() maps over the
  // metrics before awaiting), so they share one provider call; the next scrape makes a new one.
  let pending: Promise<Figures> | undefined;
  const figures = (): Promise<Figures> => {
    if (!pending) {
      const p = (async (): Promise<Figures> => ({
        health: await options.health(),
        gateway: options.gateway?.(),
      }))();
      pending = p;
      const clear = () => {
        if (pending === p) pending = undefined;
      };
      p.then(clear, clear);
    }
    return pending;
  };

  const registers = [registry];

  new Gauge({
    name: "duet_users",
    help: "Users per state in each space, right now.",
    labelNames: ["space", "state"] as const,
    registers,
    async collect() {
      const { health } = await figures();
      this.reset();
      for (const s of health.spaces) {
        for (const state of ["waiting", "matched", "active", "ended"] as const) {
          this.set({ space: s.space, state }, s.users[state]);
        }
      }
    },
  });

  new Gauge({
    name: "duet_sessions",
    help: "Open sessions in each space, right now.",
    labelNames: ["space"] as const,
    registers,
    async collect() {
      const { health } = await figures();
      this.reset();
      for (const s of health.spaces) this.set({ space: s.space }, s.sessions);
    },
  });

  new Counter({
    name: "duet_matches_total",
    help: "Matches made in each space since this process started.",
    labelNames: ["space"] as const,
    registers,
    async collect() {
      const { health } = await figures();
      this.reset();
      for (const s of health.spaces) this.inc({ space: s.space }, s.matchesTotal);
    },
  });

  new Gauge({
    name: "duet_matches_last_minute",
    help: "Matches made in each space in the last minute.",
    labelNames: ["space"] as const,
    registers,
    async collect() {
      const { health } = await figures();
      this.reset();
      for (const s of health.spaces) this.set({ space: s.space }, s.matchesLastMinute);
    },
  });

  new Gauge({
    name: "duet_wait_seconds",
    help: "Wait from join to match in each space, quantiles over the recent window (10 minutes by default).",
    labelNames: ["space", "quantile"] as const,
    registers,
    async collect() {
      const { health } = await figures();
      this.reset();
      for (const s of health.spaces) {
        if (s.waitP50Ms !== null) this.set({ space: s.space, quantile: "0.5" }, s.waitP50Ms / 1000);
        if (s.waitP95Ms !== null) {
          this.set({ space: s.space, quantile: "0.95" }, s.waitP95Ms / 1000);
        }
      }
    },
  });

  new Gauge({
    name: "duet_wait_samples",
    help: "Waits the duet_wait_seconds quantiles were taken over.",
    labelNames: ["space"] as const,
    registers,
    async collect() {
      const { health } = await figures();
      this.reset();
      for (const s of health.spaces) this.set({ space: s.space }, s.waitSamples);
    },
  });

  new Counter({
    name: "duet_reports_total",
    help: "Reports filed in each space since this process started.",
    labelNames: ["space"] as const,
    registers,
    async collect() {
      const { health } = await figures();
      this.reset();
      for (const s of health.spaces) this.inc({ space: s.space }, s.reportsTotal);
    },
  });

  new Gauge({
    name: "duet_reports_last_hour",
    help: "Reports filed in each space in the last hour.",
    labelNames: ["space"] as const,
    registers,
    async collect() {
      const { health } = await figures();
      this.reset();
      for (const s of health.spaces) this.set({ space: s.space }, s.reportsLastHour);
    },
  });

  if (options.gateway) {
    new Gauge({
      name: "duet_connections",
      help: "Sockets connected to this node.",
      registers,
      async collect() {
        const { gateway } = await figures();
        this.set(gateway?.connections ?? 0);
      },
    });

    new Counter({
      name: "duet_rejected_events_total",
      help: "Socket events this node rejected (malformed, unknown, oversized, illegal), by reason.",
      labelNames: ["reason"] as const,
      registers,
      async collect() {
        const { gateway } = await figures();
        this.reset();
        for (const [reason, n] of Object.entries(gateway?.rejected ?? {})) {
          this.inc({ reason }, n);
        }
      },
    });

    new Counter({
      name: "duet_abusive_disconnects_total",
      help: "Connections this node closed for sending too many bad events.",
      registers,
      async collect() {
        const { gateway } = await figures();
        this.reset();
        this.inc(gateway?.abusiveDisconnects ?? 0);
      },
    });

    new Gauge({
      name: "duet_transport_optimisation",
      help: "Whether each transport optimisation reaching into Socket.IO/Engine.IO/Node internals is active (1) or off (0).",
      labelNames: ["name"] as const,
      registers,
      async collect() {
        const { gateway } = await figures();
        this.reset();
        for (const [name, active] of Object.entries(gateway?.optimisations ?? {})) {
          this.set({ name }, active ? 1 : 0);
        }
      },
    });
  }

  if (options.cluster) {
    const cluster = options.cluster;
    const counter = (name: string, help: string, pick: (c: ClusterFigures) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const c = cluster();
          if (c) this.set(pick(c));
        },
      });
    counter(
      "duet_cluster_routed_out_total",
      "Events this node sent to other nodes' inboxes.",
      (c) => c.routedOut,
    );
    counter(
      "duet_cluster_routed_in_total",
      "Events this node read from its inbox.",
      (c) => c.routedIn,
    );
    counter(
      "duet_cluster_deadlines_adopted_total",
      "Deadlines this node fired that another node had set (it died or was late).",
      (c) => c.deadlinesAdopted,
    );
    counter(
      "duet_cluster_nodes_reaped_total",
      "Dead nodes this node reaped.",
      (c) => c.nodesReaped,
    );
    counter("duet_cluster_redis_up", "1 while this node's Redis connection is up.", (c) =>
      c.redisReady ? 1 : 0,
    );
  }
  return registry;
}

export interface MetricsRouteOptions {
  readonly registry: Registry;
  /** When set, scrapes must send `Authorization: Bearer <token>` (config METRICS_TOKEN). */
  readonly token?: string | undefined;
}

/** `GET /metrics` in the Prometheus text format; 401 without the right bearer token if one is set. */
export function metricsRoute(options: MetricsRouteOptions): HttpHandler {
  const expected = options.token === undefined ? undefined : digest(options.token);
  return async (req, res, url) => {
    if (url.pathname !== METRICS_PATH) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      sendJson(res, 405, { error: "method_not_allowed" });
      return true;
    }
    if (expected !== undefined && !bearerMatches(req.headers.authorization, expected)) {
      res.setHeader("www-authenticate", 'Bearer realm="metrics"');
      sendJson(res, 401, { error: "unauthorized" });
      return true;
    }
    let body: string;
    try {
      body = await options.registry.metrics();
    } catch {
      sendJson(res, 500, { error: "internal" });
      return true;
    }
    res.writeHead(200, {
      "content-type": options.registry.contentType,
      "cache-control": "no-store",
    });
    res.end(req.method === "HEAD" ? undefined : body);
    return true;
  };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Compares the bearer token in constant time (over fixed-length digests). */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const match = header === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  const given = digest(match?.[1] ?? "");
  return timingSafeEqual(given, expected) && match !== null;
}
