/**
 * The protocol's plain values — space ids, intents, states, close reasons, limits, error words,
 * report reasons — with no zod: the web client imports its values from here
 * (`@duet/protocol/constants`) and only types from the package root, so the schemas and zod
 * (about a sixth of every page's JavaScript, measured in docs/performance.md) stay on the server.
 * index.ts re-exports all of it.
 */

/** The spaces of SPEC §1. Which are enabled is deployment configuration. */
export const SPACE_IDS = ["menti", "stimchat", "dormparty"] as const;
export type SpaceId = (typeof SPACE_IDS)[number];

/** menti intents: what each side is willing to do. */
export const INTENTS = ["talk", "listen", "both"] as const;
export type Intent = (typeof INTENTS)[number];

/** Per-connection states (SPEC §3). Only the server changes them. */
export const USER_STATES = ["IDLE", "WAITING", "MATCHED", "ACTIVE", "ENDED"] as const;
export type UserState = (typeof USER_STATES)[number];

/** Why a session closed. A closed session can never be entered, resumed or recreated. */
export const CLOSE_REASONS = [
  "left",
  "skipped",
  "ended",
  "reported",
  "disconnected",
  "join_timeout",
  "media_failed",
  "server_shutdown",
] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

/** Who caused a close, from the point of view of the person told about it. */
export const CLOSE_ACTORS = ["you", "partner", "server"] as const;
export type CloseActor = (typeof CLOSE_ACTORS)[number];

/**
 * The protocol versions a server speaks, announced by a client in its handshake `auth.protocol`
 * (docs/protocol.md, "Versions of this protocol"). 1, or no `protocol` at all: every view and the
 * sender's own copy of a message come as events. 2: the sender's copy comes only in the `send`
 * ack, and a view that answers the client's own event comes in that event's ack. Any other value
 * is refused at the handshake (`protocol_version`).
 */
export const PROTOCOL_VERSIONS = [1, 2] as const;
export type ProtocolVersion = (typeof PROTOCOL_VERSIONS)[number];
/** The version this repository's clients (web client, load generator) speak. */
export const CURRENT_PROTOCOL: ProtocolVersion = 2;
/** The handshake's refusal of an unknown `auth.protocol`: `connect_error`'s message. */
export const PROTOCOL_VERSION_ERROR = "protocol_version";

/** Limits a client can rely on; the server enforces them. */
export const LIMITS = {
  /** Longest chat message, in UTF-16 code units after trimming. */
  maxMessageLength: 2000,
  /** Socket.IO `maxHttpBufferSize`: any single packet larger than this closes the connection. */
  maxPacketBytes: 16 * 1024,
} as const;

/**
 * Every error the server can send, with the plain words a client shows. Codes are stable API;
 * messages may be reworded.
 */
export const ERRORS = {
  invalid_payload: "That request was not understood.",
  unknown_event: "That request is not part of Duet's protocol.",
  illegal_state: "That is not possible right now.",
  space_unavailable: "This space is not open on this server.",
  intent_required: "Choose whether you want to listen, talk, or both.",
  already_waiting_elsewhere: "You are already looking for someone in another tab.",
  already_in_conversation: "You are already in a conversation.",
  room_unavailable: "This conversation has ended.",
  not_in_this_space: "That is not available in this space.",
  topic_unknown: "One of those topics is not offered here.",
  not_active: "The conversation has not started yet.",
  message_empty: "Messages cannot be empty.",
  message_too_long: `Messages can be at most ${LIMITS.maxMessageLength} characters.`,
  server_shutting_down: "The server is restarting. Please try again in a moment.",
  rate_limited: "You're going a little fast. Please wait a moment and try again.",
  too_many_waiting_here:
    "Many people on your network are already looking in this space. Please try again in a moment.",
  token_required: "This space needs a moment to set up your browser. Please reload the page.",
  banned: "This browser can't use this space right now.",
  open_elsewhere: "Duet is already open in another tab. Close it, or keep using that one.",
  internal: "Something went wrong on our side. Please try again.",
} as const;
export type ErrorCode = keyof typeof ERRORS;
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export const MAX_TOPICS = 5;

/** Why a person reports a conversation: the short list the report dialog offers. */
export const REPORT_REASONS = ["harassment", "sexual", "hate", "spam", "minor", "other"] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];
/** Longest optional note with a report, in UTF-16 code units. */
export const MAX_REPORT_NOTE = 500;

/** Longest SDP a `signal` may carry (a two-track offer is typically 3–6 KB). */
export const MAX_SDP_LENGTH = 12_000;

/**
 * Facts the server knows that a page's first render needs, passed to the web app as request
 * headers (as the CSP nonce is): the server removes any a client sent and sets its own on every
 * page request (apps/server/src/page-facts.ts); the pages read them in server components. With
 * them a page is right in its first paint instead of after a round trip.
 */
export const PAGE_FACT_HEADERS = {
  /** "all" or "relay": the ICE transport policy, i.e. whether video may go straight between devices. */
  videoPath: "x-duet-video-path",
  /** "disabled", "signedIn" or "signedOut": the moderator's session, on /admin only. */
  adminPage: "x-duet-admin-page",
  /**
   * The topics stimchat offers, comma-separated (each `[a-z0-9][a-z0-9 -]*`, as the configuration
   * allows), on /stimchat only: its entry screen draws the topic buttons in its first paint
   * instead of pushing the Start button down when `welcome` arrives (a layout shift).
   */
  stimchatTopics: "x-duet-stimchat-topics",
} as const;
/** What a topic may look like (the server's configuration refuses any other). */
export const TOPIC_PATTERN = /^[a-z0-9][a-z0-9 -]{0,31}$/;
/** The most topics a space may offer (STIMCHAT_TOPICS). */
export const MAX_TOPIC_LIST = 40;
export const VIDEO_PATHS = ["all", "relay"] as const;
export type VideoPath = (typeof VIDEO_PATHS)[number];
export const ADMIN_PAGE_STATES = ["disabled", "signedIn", "signedOut"] as const;
export type AdminPageState = (typeof ADMIN_PAGE_STATES)[number];
