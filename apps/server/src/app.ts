/**
 * Wires the engine, store, scheduler, safety services and gateway onto an HTTP server, and
 * collects Duet's own HTTP routes (token issuance, admin API, metrics) into one handler. Used by
 * main.ts (with the Next.js handler after it) and by the integration tests (with a 404 after it),
 * so both run the same code.
 */
import type { Server as HttpServer } from "node:http";
import {
  Engine,
  MatchRounds,
  MemoryStore,
  PRESETS,
  type SpacePolicy,
  type Store,
} from "@duet/engine";
import { openSafetyRepo, type SafetyRepo } from "@duet/persistence";
import { type AdminSessionStore, AdminSessions, adminCookieValue, adminRoutes } from "./admin";
import { LoginThrottle } from "./admin/throttle";
import { type ClusterStats, openCluster } from "./cluster";
import type { Config } from "./config";
import { createGateway, type Gateway, type GatewayOptions, type GatewaySeams } from "./gateway";
import type { HttpHandler } from "./http";
import { tokenRoutes } from "./identity/http";
import type { SpentChallengeStore } from "./identity/pow";
import { loadTokenSecret } from "./identity/secret";
import { tokenFromHeaders } from "./identity/token";
import { cryptoIds, randomId } from "./ids";
import { clientIp, IpHasher, type LimitCounterFactory, Limits, type SaltSource } from "./limits";
import type { Logger } from "./logger";
import { mediaSetupFor } from "./media/ice";
import { createMetricsRegistry, metricsRoute } from "./metrics";
import type { PageFacts } from "./page-facts";
import { maskProfanity } from "./profanity";
import { type Scheduler, TimerScheduler } from "./scheduler";
import { type HealthSnapshot, HealthStats, healthProvider } from "./stats";

/** The enabled spaces' policies with the configuration's overrides applied. */
export function policiesFor(config: Pick<Config, "spaces" | "overrides">): SpacePolicy[] {
  const o = config.overrides;
  return config.spaces.map((id) => {
    let policy: SpacePolicy = PRESETS[id];
    const joinTimeoutMs = o.joinTimeoutMs[id];
    if (joinTimeoutMs) policy = { ...policy, joinTimeoutMs };
    if (id === "stimchat" && policy.pairing.topics) {
      const topics = {
        ...policy.pairing.topics,
        ...(o.stimchatTopics ? { list: o.stimchatTopics } : {}),
        ...(o.stimchatTopicFallbackMs !== undefined
          ? { preferSameForMs: o.stimchatTopicFallbackMs }
          : {}),
      };
      policy = {
        ...policy,
        pairing: { ...policy.pairing, topics },
        ...(o.stimchatSearchTimeoutMs !== undefined
          ? { searchTimeoutMs: o.stimchatSearchTimeoutMs }
          : {}),
      };
    }
    if (id === "dormparty" && o.dormpartyPairCooldownMs !== undefined) {
      policy = {
        ...policy,
        pairing: { ...policy.pairing, pairCooldownMs: o.dormpartyPairCooldownMs },
      };
    }
    return policy;
  });
}

export interface Duet {
  engine: Engine;
  store: Store;
  repo: SafetyRepo;
  gateway: Gateway;
  scheduler: Scheduler;
  limits: Limits;
  /** HMAC key of tokens (tests mint tokens with it). */
  secret: Buffer;
  /** Live health per space (aggregates only), as /admin and /metrics show it. */
  health(): Promise<HealthSnapshot>;
  /** Duet's own HTTP routes; false when the request is not one of them. */
  handleHttp: HttpHandler;
  /** What a page's first render needs to know (page-facts.ts). */
  pageFacts: PageFacts;
  /** This process's node id (its router's). */
  node: string;
  /** False while a service it needs is unreachable (cluster mode: Redis); /readyz says so. */
  ready(): boolean;
  /** Cluster mode: what this node did as part of the cluster; undefined with one process. */
  clusterStats(): ClusterStats | undefined;
  /** Shuts the gateway down (see Gateway.shutdown), then closes the database if Duet opened it. */
  close(): Promise<void>;
}

export interface DuetDeps {
  store?: Store;
  /**
   * Wraps the store the engine uses, whichever it is (given, the cluster's, or the default): the
   * load harness counts the engine's store calls with it (CountingStore). Not for production.
   */
  wrapStore?: (store: Store) => Store;
  /** Gateway timings that are not configuration (tests shorten them). */
  tuning?: Pick<GatewayOptions, "presenceEveryMs" | "presenceSlice">;
  /** A repository the caller owns (and closes); otherwise one is opened from the configuration. */
  repo?: SafetyRepo;
  /**
   * The seams that hold state a cluster must share (docs/architecture.md, "The gateway"): the
   * gateway's, and the rate-limit store, spent challenges, the IP-hash salt and admin sessions.
   * Each defaults to this process's own.
   */
  seams?: DuetSeams;
  /**
   * Cluster mode: the cluster declared this node dead while it ran (its users are gone from the
   * store). The gateway has stopped serving and /readyz says not ready; the process should exit
   * non-zero so its supervisor starts it afresh (main.ts does).
   */
  onReaped?: () => void;
}

export interface DuetSeams extends GatewaySeams {
  /** Rate-limit counters (limits.ts `LimitCounter`). */
  limitCounter?: LimitCounterFactory;
  /** Verified proof-of-work challenges (identity/pow.ts). */
  spent?: SpentChallengeStore;
  /** The IP-hash salt (limits.ts). */
  salt?: SaltSource;
  /** Signed-in moderators (admin/sessions.ts). */
  adminSessions?: AdminSessionStore;
}

const PURGE_EVERY_MS = 60 * 60_000;

export async function createDuet(
  httpServer: HttpServer,
  config: Config,
  logger: Logger,
  deps: DuetDeps = {},
): Promise<Duet> {
  const policies = policiesFor(config);
  // Cluster mode (REDIS_URL): the store and every shared seam in Redis (cluster/index.ts).
  const cluster =
    config.cluster && !deps.store
      ? await openCluster(config.cluster, new Map(policies.map((p) => [p.id, p])), logger)
      : undefined;
  const unwrapped = deps.store ?? cluster?.store ?? new MemoryStore();
  const store = deps.wrapStore ? deps.wrapStore(unwrapped) : unwrapped;
  /** Set when the cluster declared this node dead (see DuetDeps.onReaped). */
  let reaped = false;
  const repo =
    deps.repo ??
    (await openSafetyRepo({
      dataDir: config.dataDir,
      ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
    }));
  const secret = loadTokenSecret(config, logger);
  const clock = { now: () => Date.now() };
  const seams: DuetSeams = { ...cluster?.seams, ...deps.seams };
  const limits = new Limits({
    rules: config.rateLimits,
    ...(seams.limitCounter ? { counter: seams.limitCounter } : {}),
  });
  const ipHasher = new IpHasher({ clock, ...(seams.salt ? { salt: seams.salt } : {}) });
  const scheduler = new TimerScheduler();
  const stats = new HealthStats(config.spaces);
  const engine = new Engine({
    store,
    clock,
    ids: cryptoIds,
    policies,
    maskProfanity,
    // Cluster mode: this node's match attempts gathered into rounds (match-rounds.ts).
    ...(cluster ? { rounds: new MatchRounds() } : {}),
  });
  const gateway = createGateway(httpServer, {
    ...deps.tuning,
    engine,
    store,
    scheduler,
    logger,
    newId: randomId,
    allowedOrigins: config.allowedOrigins,
    heartbeat: config.heartbeat,
    crisisResources: config.crisisResources,
    shutdownGraceMs: config.shutdownGraceMs,
    caps: config.caps,
    seams,
    onReaped: () => {
      reaped = true;
      deps.onReaped?.();
    },
    safety: {
      repo,
      tokenFromCookie: (cookie) =>
        tokenFromHeaders({ cookie }, secret, clock.now(), config.tokenLifetimeMs)?.id,
      ipHash: (address, headers) =>
        ipHasher.hash(clientIp({ address, headers }, config.trustProxy)),
      limit: (name, keys) => limits.consume(name, keys),
      trustLongChatMs: config.trustLongChatMs,
      media: () => mediaSetupFor(config.ice, clock.now()),
      iceTransportPolicy: config.ice.transportPolicy,
      onMatched: (space, waitedMs) => stats.recordMatch(space, waitedMs, clock.now()),
      onReported: (space) => stats.recordReport(space, clock.now()),
    },
  });
  // After a Redis outage or restart, this node's connections are re-read from the store.
  cluster?.onRecovered(() => {
    gateway
      .resync()
      .catch((err: unknown) => logger.error({ err }, "re-reading connections failed"));
  });
  const health = healthProvider({ stats, store, repo, clock });
  const registry = createMetricsRegistry({
    health,
    gateway: () => ({ connections: gateway.connections(), ...gateway.stats() }),
    ...(cluster ? { cluster: () => cluster.stats() } : {}),
  });
  // Shared by the admin API and the /admin page's first render (pageFacts below).
  const adminSessions: AdminSessionStore = seams.adminSessions ?? new AdminSessions();
  const pageFacts: PageFacts = {
    videoPath: config.ice.transportPolicy,
    stimchatTopics: policies.find((p) => p.id === "stimchat")?.pairing.topics?.list,
    adminPage: (req) => {
      if (!config.adminPassword) return "disabled";
      const live = adminSessions.touch(adminCookieValue(req.headers.cookie), clock.now());
      const state = (l: boolean): "signedIn" | "signedOut" => (l ? "signedIn" : "signedOut");
      return live instanceof Promise ? live.then(state) : state(live);
    },
  };
  const routes: HttpHandler[] = [
    tokenRoutes({
      ...(seams.spent ? { spent: seams.spent } : {}),
      secret,
      lifetimeMs: config.tokenLifetimeMs,
      maxNumber: config.powMaxNumber,
      limits,
      ipHasher,
      trustProxy: config.trustProxy,
      clock,
      logger,
    }),
    adminRoutes({
      repo,
      ...(config.adminPassword ? { adminPassword: config.adminPassword } : {}),
      sessions: adminSessions,
      trustProxy: config.trustProxy,
      health,
      clock,
      logger,
      loginThrottle: new LoginThrottle(limits.table.adminLogin, clock),
      ipHash: (req) => ipHasher.hash(clientIp(req, config.trustProxy)),
      onBanned: (token, ban) => gateway.banned(token, ban.until),
      onUnbanned: (token) => gateway.unbanned(token),
    }),
    metricsRoute({ registry, ...(config.metricsToken ? { token: config.metricsToken } : {}) }),
  ];
  const handleHttp: HttpHandler = async (req, res, url) => {
    for (const route of routes) if (await route(req, res, url)) return true;
    return false;
  };

  const retention = {
    resolvedReportsMs: config.reportRetentionMs,
    tokenLifetimeMs: config.tokenLifetimeMs,
  };
  const purge = (): void => {
    repo
      .purge(clock.now(), retention)
      .then((gone) => logger.info({ ...gone }, "expired safety records purged"))
      .catch((err: unknown) => logger.error({ err }, "purging expired safety records failed"));
  };
  purge();
  const purgeTimer = setInterval(purge, PURGE_EVERY_MS);
  purgeTimer.unref();

  return {
    engine,
    store,
    repo,
    gateway,
    scheduler,
    limits,
    secret,
    health,
    handleHttp,
    pageFacts,
    node: gateway.node,
    ready: () => !reaped && (cluster?.ready() ?? true),
    clusterStats: () => cluster?.stats(),
    async close() {
      clearInterval(purgeTimer);
      await gateway.shutdown();
      // After the sockets (MACHINE-NOTES: Socket.IO servers close before their Redis clients).
      await cluster?.close();
      if (!deps.repo) await repo.close();
    },
  };
}
