/**
 * Space policies: every rule of SPEC §1 that differs between spaces, as plain data. The engine
 * reads these; it has no `if (space === "menti")` anywhere. Later spaces add presets here.
 */
import type { CloseReason, Intent, SpaceId } from "@duet/protocol";
import { LIMITS } from "@duet/protocol";

/**
 * Where a participant goes after a session closes: `ended` stays on the ended screen (ENDED) until
 * it asks for home or a new search; `idle` goes straight home (ENDED → IDLE); `requeue` goes
 * straight back to looking (ENDED → WAITING).
 */
export type AfterCloseMove = "ended" | "idle" | "requeue";

/**
 * Per close reason: where the participant who caused it goes, and where the other goes. For
 * `join_timeout` the "initiator" is whoever never entered the room; for reasons the server alone
 * causes (shutdown) both sides take `other`.
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
  /** Room controls besides leaving: Skip (both re-queued) and End (ender home, partner re-queued). */
  readonly controls: readonly ("skip" | "end")[];
  /** Whether `typing` events are relayed. */
  readonly typingIndicator: boolean;
  /**
   * Whether a participant may show the other the help resources ("I'm worried about their
   * safety", the `care` event) without ending the conversation: peer support, where a report
   * that only ends it would leave a person in crisis alone.
   */
  readonly careOffer: boolean;
  /** Whether message text is masked for profanity before it is relayed. */
  readonly profanity: "mask" | "none";
}

const allEnded: AfterClose = {
  left: { initiator: "ended", other: "ended" },
  skipped: { initiator: "ended", other: "ended" },
  ended: { initiator: "ended", other: "ended" },
  reported: { initiator: "ended", other: "ended" },
  disconnected: { initiator: "ended", other: "ended" },
  join_timeout: { initiator: "ended", other: "ended" },
  media_failed: { initiator: "ended", other: "ended" },
  server_shutdown: { initiator: "ended", other: "ended" },
};

/** dormparty: nobody is ever left alone in a room; whoever did not choose to go home looks again. */
const roulette: AfterClose = {
  left: { initiator: "idle", other: "requeue" },
  skipped: { initiator: "requeue", other: "requeue" },
  ended: { initiator: "idle", other: "requeue" },
  // The reporter reads "thank you" on the ended screen; the reported person a neutral ending.
  reported: { initiator: "ended", other: "ended" },
  disconnected: { initiator: "idle", other: "requeue" },
  join_timeout: { initiator: "idle", other: "requeue" },
  media_failed: { initiator: "requeue", other: "requeue" },
  server_shutdown: { initiator: "ended", other: "ended" },
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
  afterClose: allEnded,
  joinTimeoutMs: 15_000,
  searchTimeoutMs: null,
  reportBuffer: null,
  maxMessageLength: LIMITS.maxMessageLength,
  controls: [],
  typingIndicator: false,
  careOffer: true,
  profanity: "none",
};

/** Default topic tags for stimchat; operators override the list. */
export const STIMCHAT_TOPICS = [
  "cant sleep",
  "adhd",
  "hyperfocus",
  "music",
  "games",
  "study",
  "work",
  "random",
] as const;

/**
 * stimchat — late-night text roulette. Anyone with anyone; same topic preferred, anyone after 10 s
 * unless "only my topics"; 60 s search limit; when either leaves, both see the ended screen and
 * start a new chat in one click; profanity masked; typing indicator.
 */
export const STIMCHAT: SpacePolicy = {
  id: "stimchat",
  media: "text",
  identity: "token",
  intents: null,
  pairing: {
    intentRule: "any",
    topics: { list: STIMCHAT_TOPICS, preferSameForMs: 10_000, allowOnlyMine: true },
    trustTiers: true,
    pairCooldownMs: 0,
    neverWithReported: true,
  },
  afterClose: allEnded,
  joinTimeoutMs: 15_000,
  searchTimeoutMs: 60_000,
  reportBuffer: { maxMessages: 200, maxBytes: 64 * 1024 },
  maxMessageLength: LIMITS.maxMessageLength,
  controls: [],
  typingIndicator: true,
  careOffer: false,
  profanity: "mask",
};

/**
 * dormparty — video roulette (text side chat until video lands). Skip re-queues both; End sends
 * the ender home and re-queues the partner; a pair that just parted waits 30 s before it can meet
 * again; no search limit.
 */
export const DORMPARTY: SpacePolicy = {
  id: "dormparty",
  media: "video",
  identity: "token",
  intents: null,
  pairing: {
    intentRule: "any",
    topics: null,
    trustTiers: true,
    pairCooldownMs: 30_000,
    neverWithReported: true,
  },
  afterClose: roulette,
  joinTimeoutMs: 15_000,
  searchTimeoutMs: null,
  reportBuffer: { maxMessages: 200, maxBytes: 64 * 1024 },
  maxMessageLength: LIMITS.maxMessageLength,
  controls: ["skip", "end"],
  typingIndicator: true,
  careOffer: false,
  profanity: "none",
};

export const PRESETS: Readonly<Record<SpaceId, SpacePolicy>> = {
  menti: MENTI,
  stimchat: STIMCHAT,
  dormparty: DORMPARTY,
};

const canTalk = (i: Intent | undefined): boolean => i === "talk" || i === "both";
const canListen = (i: Intent | undefined): boolean => i === "listen" || i === "both";

/** SPEC §4: at least one of the two can talk and at least one can listen. */
export function intentsCompatible(a: Intent | undefined, b: Intent | undefined): boolean {
  return (canTalk(a) || canTalk(b)) && (canListen(a) || canListen(b));
}
