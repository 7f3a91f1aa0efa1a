/**
 * Space policies: every rule of SPEC §1 that differs between spaces, as plain data. The engine
 * reads these; it has no `if (space === "menti")` anywhere. Later spaces add presets here.
 */
import type { CloseReason, Intent, SpaceId } from "@duet/protocol";
import { LIMITS } from "@duet/protocol";

/** Where a participant goes after a session closes. */
export type AfterCloseMove = "home" | "requeue";

/**
 * Per close reason: where the participant who caused it goes, and where the other goes. For
 * reasons the server causes (timeouts, shutdown) both sides take `other`.
 */
export type AfterClose = Readonly<
  Record<CloseReason, { readonly initiator: AfterCloseMove; readonly other: AfterCloseMove }>
>;

export interface TopicPolicy {
  readonly list: readonly string[];
  /** How long a topic search prefers same-topic partners before anyone is acceptable. */
  readonly preferSameForMs: number;
  /** Whether a user may insist on their topics only. */
  readonly allowOnlyMine: boolean;
}

export interface SpacePolicy {
  readonly id: SpaceId;
  readonly media: "text" | "video";
  /** `none`: no token or cookie at all (menti). `token`: pseudonymous server-issued token. */
  readonly identity: "none" | "token";
  /** Intents a joiner must choose from, or null when the space has none. */
  readonly intents: readonly Intent[] | null;
  readonly pairing: {
    /** `complementary`: at least one side can talk and one can listen. `any`: anyone. */
    readonly intentRule: "complementary" | "any";
    readonly topics: TopicPolicy | null;
    readonly trustTiers: boolean;
    /** After a pair's session closes, they are not paired again for this long (0 = never blocked). */
    readonly pairCooldownMs: number;
    readonly neverWithReported: boolean;
  };
  readonly afterClose: AfterClose;
  /** MATCHED must become ACTIVE within this time, else the session closes with `join_timeout`. */
  readonly joinTimeoutMs: number;
  /** WAITING returns to IDLE after this long, or never when null. */
  readonly searchTimeoutMs: number | null;
  /** In-memory transcript kept only for a report, or null when nothing is ever kept. */
  readonly reportBuffer: { readonly maxMessages: number; readonly maxBytes: number } | null;
  readonly maxMessageLength: number;
}

const allHome: AfterClose = {
  left: { initiator: "home", other: "home" },
  skipped: { initiator: "home", other: "home" },
  ended: { initiator: "home", other: "home" },
  reported: { initiator: "home", other: "home" },
  disconnected: { initiator: "home", other: "home" },
  join_timeout: { initiator: "home", other: "home" },
  media_failed: { initiator: "home", other: "home" },
  server_shutdown: { initiator: "home", other: "home" },
};

/**
 * menti — peer support. Listen / Talk / Both; never talk+talk or listen+listen; no identity; any
 * ending ends it for both, permanently, and both see the ended screen; nothing is kept; waiting has
 * no timeout.
 */
export const MENTI: SpacePolicy = {
  id: "menti",
  media: "text",
  identity: "none",
  intents: ["listen", "talk", "both"],
  pairing: {
    intentRule: "complementary",
    topics: null,
    trustTiers: false,
    pairCooldownMs: 0,
    neverWithReported: false,
  },
  afterClose: allHome,
  joinTimeoutMs: 15_000,
  searchTimeoutMs: null,
  reportBuffer: null,
  maxMessageLength: LIMITS.maxMessageLength,
};

export const PRESETS: Readonly<Partial<Record<SpaceId, SpacePolicy>>> = { menti: MENTI };

const canTalk = (i: Intent | undefined): boolean => i === "talk" || i === "both";
const canListen = (i: Intent | undefined): boolean => i === "listen" || i === "both";

/** SPEC §4: at least one of the two can talk and at least one can listen. */
export function intentsCompatible(a: Intent | undefined, b: Intent | undefined): boolean {
  return (canTalk(a) || canTalk(b)) && (canListen(a) || canListen(b));
}
