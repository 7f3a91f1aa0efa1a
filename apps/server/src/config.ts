/**
 * Configuration from environment variables, validated once at start. Any problem stops the
 * process with one line per bad variable, naming it and what it expects. docs/configuration.md
 * lists every variable; keep the two in step.
 */
import { readFileSync } from "node:fs";
import {
  type CrisisResource,
  CrisisResourceSchema,
  DEFAULT_CRISIS_RESOURCES,
  MAX_TOPIC_LIST,
  SPACE_IDS,
  type SpaceId,
  TOPIC_PATTERN,
} from "@duet/protocol";
import { z } from "zod";
import type { LimitName, LimitRule } from "./limits";
import type { IceConfig } from "./media/ice";

/** Spaces this build can serve. */
export const IMPLEMENTED_SPACES: readonly SpaceId[] = ["menti", "stimchat", "dormparty"];

const DAY_MS = 86_400_000;

/**
 * Open connections one process accepts by default. A process here may hold at most 20,000 open
 * files (MACHINE-NOTES; `ulimit -n`), and every connection is one: the cap stays below that so
 * /healthz, /readyz, /metrics, /admin and the web app's own files still get a descriptor when
 * the sockets are all taken. connection-caps.ts lowers it further to fit a smaller file limit.
 */
export const DEFAULT_MAX_CONNECTIONS = 18_000;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const csv = z.string().transform((s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
);

const EnvSchema = z
  .object({
    PORT: int(0, 65535).default(3000),
    HOST: z.string().min(1).default("127.0.0.1"),
    ALLOWED_ORIGINS: csv
      .pipe(z.array(z.url({ message: "each origin must be a URL like https://duet.example" })))
      .default([]),
    SPACES: csv
      .pipe(
        z
          .array(z.enum(SPACE_IDS, { message: `spaces are ${SPACE_IDS.join(", ")}` }))
          .min(1, { message: "enable at least one space" }),
      )
      .default(["menti", "stimchat", "dormparty"]),
    MENTI_JOIN_TIMEOUT_MS: int(1000, 600_000).optional(),
    STIMCHAT_JOIN_TIMEOUT_MS: int(1000, 600_000).optional(),
    DORMPARTY_JOIN_TIMEOUT_MS: int(1000, 600_000).optional(),
    STIMCHAT_TOPICS: csv
      .pipe(
        z
          .array(
            z.string().regex(TOPIC_PATTERN, {
              message: "topics are lower-case words (a-z, 0-9, space, -), at most 32 characters",
            }),
          )
          .min(1)
          .max(MAX_TOPIC_LIST),
      )
      .optional(),
    STIMCHAT_TOPIC_FALLBACK_MS: int(0, 600_000).optional(),
    STIMCHAT_SEARCH_TIMEOUT_MS: int(1000, 3_600_000).optional(),
    DORMPARTY_PAIR_COOLDOWN_MS: int(0, 3_600_000).optional(),
    HEARTBEAT_INTERVAL_MS: int(100, 60_000).default(5000),
    HEARTBEAT_TIMEOUT_MS: int(100, 60_000).default(5000),
    SHUTDOWN_GRACE_MS: int(0, 30_000).default(500),
    CRISIS_RESOURCES_FILE: z.string().min(1).optional(),
    DATA_DIR: z.string().min(1).default(".data"),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, { message: "expected postgres://user:password@host:port/db" })
      .optional(),
    TOKEN_SECRET: z
      .string()
      .min(32, { message: "use at least 32 random characters (or leave unset to generate one)" })
      .optional(),
    TOKEN_LIFETIME_DAYS: int(1, 3650).default(365),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, { message: "expected redis://[user:password@]host:port[/db]" })
      .optional(),
    REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,40}$/, { message: "letters, digits, _ . - (at most 40)" })
      .default("duet"),
    CLUSTER_HEARTBEAT_MS: int(200, 10_000).default(2000),
    CLUSTER_DEAD_AFTER_MS: int(600, 12_000).default(6000),
    POW_MAX_NUMBER: int(1000, 10_000_000).default(50_000),
    ADMIN_PASSWORD: z
      .string()
      .min(12, { message: "use at least 12 characters (or leave unset to disable /admin)" })
      .optional(),
    METRICS_TOKEN: z.string().min(16, { message: "use at least 16 characters" }).optional(),
    METRICS_PUBLIC: z
      .enum(["true", "false"], { message: "true or false" })
      .default("false")
      .transform((v) => v === "true"),
    TRUST_PROXY: z
      .enum(["true", "false"], { message: "true or false" })
      .default("false")
      .transform((v) => v === "true"),
    TRUST_LONG_CHAT_MS: int(100, 86_400_000).default(300_000),
    MAX_CONNECTIONS: int(1, 1_000_000).default(DEFAULT_MAX_CONNECTIONS),
    MAX_CONNECTIONS_PER_ADDRESS: int(1, 1_000_000).default(500),
    MAX_WAITING_PER_ADDRESS: int(1, 1_000_000).default(100),
    REPORT_RETENTION_DAYS: int(1, 3650).default(30),
    RATE_LIMITS: z
      .string()
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: "custom", message: "expected JSON" });
          return z.NEVER;
        }
      })
      .pipe(
        z.partialRecord(
          z.enum([
            "connect",
            "join",
            "message",
            "typing",
            "report",
            "signal",
            "tokenIssue",
            "challenge",
            "adminLogin",
          ]),
          z
            .array(
              z.strictObject({
                scope: z.enum(["person", "ip", "global"]),
                points: z.number().int().min(1),
                durationMs: z.number().int().min(1),
              }),
            )
            .min(1),
        ),
      )
      .optional(),
    ICE_STUN_URLS: csv
      .pipe(
        z.array(z.string().regex(/^stuns?:/, { message: "STUN URLs start with stun: or stuns:" })),
      )
      .default([]),
    TURN_URLS: csv
      .pipe(
        z.array(z.string().regex(/^turns?:/, { message: "TURN URLs start with turn: or turns:" })),
      )
      .default([]),
    TURN_SECRET: z.string().min(16, { message: "use at least 16 characters" }).optional(),
    TURN_CREDENTIAL_TTL_S: int(60, 86_400).default(3600),
    // No fixed default: `relay` when TURN is configured, else `all` (see loadConfig).
    ICE_TRANSPORT_POLICY: z.enum(["all", "relay"]).optional(),
    LOG_LEVEL: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      .default("info"),
  })
  .refine((e) => e.HEARTBEAT_INTERVAL_MS + e.HEARTBEAT_TIMEOUT_MS <= 15_000, {
    message:
      "HEARTBEAT_INTERVAL_MS + HEARTBEAT_TIMEOUT_MS must be at most 15000 (SPEC: silent loss detected within 15 s)",
    path: ["HEARTBEAT_INTERVAL_MS"],
  })
  .refine((e) => e.ICE_TRANSPORT_POLICY !== "relay" || e.TURN_URLS.length > 0, {
    message:
      "ICE_TRANSPORT_POLICY=relay needs TURN_URLS (and TURN_SECRET): video would never connect",
    path: ["ICE_TRANSPORT_POLICY"],
  })
  .refine((e) => e.TURN_URLS.length === 0 || e.TURN_SECRET !== undefined, {
    message: "TURN_URLS needs TURN_SECRET (coturn's static-auth-secret) to make credentials",
    path: ["TURN_SECRET"],
  })
  // /metrics shows exact per-state counts and the Node.js version: on an address other machines
  // can reach, an operator must choose a token or say out loud that it is meant to be public.
  .refine((e) => isLoopbackHost(e.HOST) || e.METRICS_TOKEN !== undefined || e.METRICS_PUBLIC, {
    message:
      "HOST is not a loopback address, so /metrics would be readable by anyone who can reach the port: set METRICS_TOKEN (at least 16 characters), or METRICS_PUBLIC=true to serve it openly on purpose",
    path: ["METRICS_TOKEN"],
  })
  // Admin sign-in is throttled per address only (admin/throttle.ts): a global or per-person rule
  // would let one address's wrong guesses refuse every moderator.
  .refine((e) => (e.RATE_LIMITS?.adminLogin ?? []).every((r) => r.scope === "ip"), {
    message:
      'adminLogin takes only "ip" rules (a global rule would let one address lock every moderator out)',
    path: ["RATE_LIMITS"],
  })
  // Cluster mode: every node must sign and check the same tokens, and share one database (the
  // embedded PGlite belongs to one process and its data folder).
  .refine((e) => e.REDIS_URL === undefined || e.TOKEN_SECRET !== undefined, {
    message:
      "REDIS_URL (cluster mode) needs TOKEN_SECRET: every node must use the same one, or a token made on one node is refused on another",
    path: ["TOKEN_SECRET"],
  })
  .refine((e) => e.REDIS_URL === undefined || e.DATABASE_URL !== undefined, {
    message:
      "REDIS_URL (cluster mode) needs DATABASE_URL: the embedded database (PGlite) is one process's, and the nodes must share bans, reports and trust",
    path: ["DATABASE_URL"],
  })
  // A dead node is noticed after CLUSTER_DEAD_AFTER_MS and reaped at the next heartbeat: a crash
  // reaches the partner within 15 s (SPEC), and a node is not declared dead over one late beat.
  .refine((e) => e.CLUSTER_DEAD_AFTER_MS >= 3 * e.CLUSTER_HEARTBEAT_MS, {
    message: "CLUSTER_DEAD_AFTER_MS must be at least 3 × CLUSTER_HEARTBEAT_MS",
    path: ["CLUSTER_DEAD_AFTER_MS"],
  })
  .refine((e) => e.CLUSTER_DEAD_AFTER_MS + 2 * e.CLUSTER_HEARTBEAT_MS <= 14_000, {
    message:
      "CLUSTER_DEAD_AFTER_MS + 2 × CLUSTER_HEARTBEAT_MS must be at most 14000 (SPEC: a crash reaches the partner within 15 s)",
    path: ["CLUSTER_DEAD_AFTER_MS"],
  })
  .refine((e) => e.SPACES.every((s) => IMPLEMENTED_SPACES.includes(s)), {
    message: `only ${IMPLEMENTED_SPACES.join(", ")} can be enabled in this version`,
    path: ["SPACES"],
  });

/**
 * Whether a listen address only accepts connections from this machine: `localhost`, 127.0.0.0/8
 * and `::1` (with or without brackets, and IPv4-mapped). Anything else, including `0.0.0.0`, `::`
 * and host names, counts as reachable from elsewhere.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  return /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export interface Config {
  port: number;
  host: string;
  /** Origins allowed to open a socket besides the server's own; browsers only (see gateway). */
  allowedOrigins: string[];
  spaces: SpaceId[];
  /** Per-space policy overrides from the environment. */
  overrides: SpaceOverrides;
  heartbeat: { intervalMs: number; timeoutMs: number };
  shutdownGraceMs: number;
  crisisResources: readonly CrisisResource[];
  logLevel: string;
  /** Where the embedded database (PGlite) and the generated token secret live. */
  dataDir: string;
  /** A real PostgreSQL instead of the embedded PGlite. */
  databaseUrl?: string;
  /** HMAC key for tokens; generated into dataDir on first start when unset. */
  tokenSecret?: string;
  /** Cluster mode (docs/operations.md): several processes sharing Redis. Absent: one process. */
  cluster?: {
    redisUrl: string;
    /** Names this deployment's keys (the hash tag `{prefix}`). */
    prefix: string;
    heartbeatMs: number;
    deadAfterMs: number;
  };
  tokenLifetimeMs: number;
  /** altcha `maxnumber`: the proof of work's expected cost is half of it, in SHA-256 hashes. */
  powMaxNumber: number;
  /** /admin password; unset disables /admin. */
  adminPassword?: string;
  /** Bearer token /metrics requires; unset serves /metrics to anyone who can reach it. */
  metricsToken?: string;
  /** Behind a reverse proxy: take the client IP from X-Forwarded-For and HTTPS from X-Forwarded-Proto. */
  trustProxy: boolean;
  /** An unreported conversation at least this long raises both tokens' trust a little. */
  trustLongChatMs: number;
  /** Dismissed or actioned reports (and their transcripts) are deleted this long after. */
  reportRetentionMs: number;
  /** Replacements for named rate limits (see limits.ts DEFAULT_LIMITS). */
  rateLimits: Partial<Record<LimitName, readonly LimitRule[]>>;
  /** Caps on open connections and queue entries (connection-caps.ts). */
  caps: {
    /** Open Socket.IO connections of this process (kept below its open-file limit). */
    maxConnections: number;
    /** Open Socket.IO connections from one address (by its salted hash). */
    maxConnectionsPerAddress: number;
    /** People from one address waiting in one space at once, on this process. */
    maxWaitingPerAddress: number;
  };
  /** STUN/TURN for video sessions (media/ice.ts). */
  ice: IceConfig;
}

export interface SpaceOverrides {
  joinTimeoutMs: Partial<Record<SpaceId, number>>;
  stimchatTopics?: string[];
  stimchatTopicFallbackMs?: number;
  stimchatSearchTimeoutMs?: number;
  dormpartyPairCooldownMs?: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** Parses the environment; throws ConfigError listing every problem at once. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Config {
  const emptyAsUnset = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ""),
  );
  const parsed = EnvSchema.safeParse(emptyAsUnset);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join(".") || "environment"}: ${i.message}`),
    );
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    allowedOrigins: e.ALLOWED_ORIGINS.map((o) => new URL(o).origin),
    spaces: [...new Set(e.SPACES)],
    overrides: {
      joinTimeoutMs: {
        ...(e.MENTI_JOIN_TIMEOUT_MS ? { menti: e.MENTI_JOIN_TIMEOUT_MS } : {}),
        ...(e.STIMCHAT_JOIN_TIMEOUT_MS ? { stimchat: e.STIMCHAT_JOIN_TIMEOUT_MS } : {}),
        ...(e.DORMPARTY_JOIN_TIMEOUT_MS ? { dormparty: e.DORMPARTY_JOIN_TIMEOUT_MS } : {}),
      },
      ...(e.STIMCHAT_TOPICS ? { stimchatTopics: [...new Set(e.STIMCHAT_TOPICS)] } : {}),
      ...(e.STIMCHAT_TOPIC_FALLBACK_MS !== undefined
        ? { stimchatTopicFallbackMs: e.STIMCHAT_TOPIC_FALLBACK_MS }
        : {}),
      ...(e.STIMCHAT_SEARCH_TIMEOUT_MS !== undefined
        ? { stimchatSearchTimeoutMs: e.STIMCHAT_SEARCH_TIMEOUT_MS }
        : {}),
      ...(e.DORMPARTY_PAIR_COOLDOWN_MS !== undefined
        ? { dormpartyPairCooldownMs: e.DORMPARTY_PAIR_COOLDOWN_MS }
        : {}),
    },
    heartbeat: { intervalMs: e.HEARTBEAT_INTERVAL_MS, timeoutMs: e.HEARTBEAT_TIMEOUT_MS },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    crisisResources: e.CRISIS_RESOURCES_FILE
      ? readCrisisResources(e.CRISIS_RESOURCES_FILE)
      : DEFAULT_CRISIS_RESOURCES,
    logLevel: e.LOG_LEVEL,
    dataDir: e.DATA_DIR,
    ...(e.DATABASE_URL ? { databaseUrl: e.DATABASE_URL } : {}),
    ...(e.TOKEN_SECRET ? { tokenSecret: e.TOKEN_SECRET } : {}),
    ...(e.REDIS_URL
      ? {
          cluster: {
            redisUrl: e.REDIS_URL,
            prefix: e.REDIS_PREFIX,
            heartbeatMs: e.CLUSTER_HEARTBEAT_MS,
            deadAfterMs: e.CLUSTER_DEAD_AFTER_MS,
          },
        }
      : {}),
    tokenLifetimeMs: e.TOKEN_LIFETIME_DAYS * DAY_MS,
    powMaxNumber: e.POW_MAX_NUMBER,
    ...(e.ADMIN_PASSWORD ? { adminPassword: e.ADMIN_PASSWORD } : {}),
    ...(e.METRICS_TOKEN ? { metricsToken: e.METRICS_TOKEN } : {}),
    trustProxy: e.TRUST_PROXY,
    trustLongChatMs: e.TRUST_LONG_CHAT_MS,
    reportRetentionMs: e.REPORT_RETENTION_DAYS * DAY_MS,
    rateLimits: e.RATE_LIMITS ?? {},
    caps: {
      maxConnections: e.MAX_CONNECTIONS,
      maxConnectionsPerAddress: e.MAX_CONNECTIONS_PER_ADDRESS,
      maxWaitingPerAddress: e.MAX_WAITING_PER_ADDRESS,
    },
    ice: {
      stunUrls: e.ICE_STUN_URLS,
      turnUrls: e.TURN_URLS,
      ...(e.TURN_SECRET ? { turnSecret: e.TURN_SECRET } : {}),
      turnTtlS: e.TURN_CREDENTIAL_TTL_S,
      // With TURN at hand, relay by default: a direct connection lets a stranger's device learn
      // this one's network address. Without TURN, relay could never connect, so `all`.
      transportPolicy: e.ICE_TRANSPORT_POLICY ?? (e.TURN_URLS.length > 0 ? "relay" : "all"),
    },
  };
}

function readCrisisResources(path: string): CrisisResource[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigError([`CRISIS_RESOURCES_FILE: cannot read JSON from ${path}: ${String(err)}`]);
  }
  const parsed = z.array(CrisisResourceSchema).min(1).safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError([
      `CRISIS_RESOURCES_FILE: expected a non-empty array of {region, name, contact, href?}: ${parsed.error.issues[0]?.message}`,
    ]);
  }
  return parsed.data;
}
