/**
 * Duet's socket protocol: every event, payload and error code, as zod schemas shared by the
 * gateway (which validates every incoming payload against them) and the web client (which is
 * typed by them). `docs/protocol.md` is the prose version of this file; change both together.
 */
import { z } from "zod";

import {
  CLOSE_ACTORS,
  CLOSE_REASONS,
  ERROR_CODES,
  ERRORS,
  type ErrorCode,
  INTENTS,
  LIMITS,
  MAX_REPORT_NOTE,
  MAX_SDP_LENGTH,
  MAX_TOPICS,
  REPORT_REASONS,
  SPACE_IDS,
} from "./constants";

export * from "./admin";
export * from "./constants";
export * from "./crisis";

/** 128-bit random ids in base64url (22 characters); the pattern tolerates longer ids. */
export const opaqueId = z.string().regex(/^[A-Za-z0-9_-]{22,64}$/, "expected an opaque id");

// ---------------------------------------------------------------------------------------------
// Client → server
// ---------------------------------------------------------------------------------------------

/** Handshake `auth`: a random id the browser keeps so that two of its tabs are never paired. */
export const HandshakeAuth = z.object({ browserId: opaqueId }).partial();
export type HandshakeAuth = z.infer<typeof HandshakeAuth>;

/** A topic tag: lower-case words from the space's configured list. */
export const Topic = z.string().regex(/^[a-z0-9][a-z0-9 -]{0,31}$/, "expected a topic tag");

export const JoinPayload = z.strictObject({
  space: z.enum(SPACE_IDS),
  intent: z.enum(INTENTS).optional(),
  /** Spaces with topics: the person's tags (from the space's list). */
  topics: z.array(Topic).max(MAX_TOPICS).optional(),
  /** Spaces with topics: only ever pair with someone who shares a tag. */
  onlyMyTopics: z.boolean().optional(),
});
export const EmptyPayload = z.strictObject({});
export const EnterPayload = z.strictObject({ sessionId: opaqueId });
export const SendPayload = z.strictObject({
  // The length bound here only stops absurd payloads before trimming; the real limit
  // (LIMITS.maxMessageLength after trim) is checked by the engine with its own error code.
  text: z.string().max(LIMITS.maxMessageLength * 2),
});

export const ReportPayload = z.strictObject({
  reason: z.enum(REPORT_REASONS),
  note: z.string().max(MAX_REPORT_NOTE).optional(),
});

/** WebRTC signalling (video spaces): exactly one description or one ICE candidate. */
export const SignalPayload = z.union([
  z.strictObject({
    description: z.strictObject({
      type: z.enum(["offer", "answer", "rollback"]),
      sdp: z.string().max(MAX_SDP_LENGTH),
    }),
  }),
  z.strictObject({
    /** null: the end of candidates. */
    candidate: z
      .strictObject({
        candidate: z.string().max(1024),
        sdpMid: z.string().max(64).nullable().optional(),
        sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
        usernameFragment: z.string().max(256).nullable().optional(),
      })
      .nullable(),
  }),
]);
export type SignalPayload = z.infer<typeof SignalPayload>;

/** Schemas of every client event, keyed by event name. Anything else is `unknown_event`. */
export const clientEventSchemas = {
  /** IDLE/ENDED → WAITING. */
  join: JoinPayload,
  /** WAITING → IDLE. */
  cancel: EmptyPayload,
  /** Claim a seat in `/room/{sessionId}`; MATCHED → ACTIVE once both have entered. */
  enter: EnterPayload,
  /** A chat message, ACTIVE only. */
  send: SendPayload,
  /** Leave the conversation: MATCHED/ACTIVE → ENDED for both. */
  exit: EmptyPayload,
  /** ENDED → IDLE (the person left the ended screen). */
  home: EmptyPayload,
  /** Spaces with Skip: end this session; both go back to looking at once. */
  skip: EmptyPayload,
  /** Spaces with End: end this session and go home; the partner goes back to looking. */
  end: EmptyPayload,
  /** Spaces with a typing indicator: "I am typing" (clients send it at most every 2 s). */
  typing: EmptyPayload,
  /**
   * Spaces with topics, WAITING: "Anyone is fine". A search that prefers its topics opens to
   * anyone now instead of when the preference runs out (`StateView.WAITING.anyoneInMs`).
   */
  widen: EmptyPayload,
  /**
   * Spaces that offer care (menti), ACTIVE: "I'm worried about their safety". The partner is
   * shown where to get help now (`care`); the conversation goes on. Nothing is stored or filed.
   */
  care: EmptyPayload,
  /**
   * Report the current conversation (MATCHED/ACTIVE): it ends for both at once. The server knows
   * who the other person is; the client sends no ids.
   */
  report: ReportPayload,
  /**
   * Video spaces, MATCHED/ACTIVE: ask for this session's media. When both members have asked,
   * the server sends each its `media` setup, and from then on relays their `signal`s.
   */
  media: EnterPayload,
  /**
   * Video spaces, MATCHED/ACTIVE, once both members asked for media: a WebRTC description or ICE
   * candidate for the partner. The server relays it only to the other member of this session.
   */
  signal: SignalPayload,
} as const;
export type ClientEventName = keyof typeof clientEventSchemas;
export const CLIENT_EVENTS = Object.keys(clientEventSchemas) as ClientEventName[];
export type ClientPayload<E extends ClientEventName> = z.infer<(typeof clientEventSchemas)[E]>;

/**
 * Every client event may carry a Socket.IO acknowledgement; it receives one of these. Protocol 2
 * (`CURRENT_PROTOCOL`, docs/protocol.md "Versions of this protocol"): `copy` is the sender's own
 * copy of what a `send` relayed (it comes nowhere else), and `state` is the one view the event
 * produced for this connection (it comes instead of a `state` event). Protocol 1: neither.
 * (`copy`, not `message`: a refusal's `message` is its plain words.)
 */
export type Ack =
  | { ok: true; state?: VersionedStateView; copy?: ChatMessage }
  | { ok: false; code: ErrorCode; message: string; retryAfterMs?: number };

// ---------------------------------------------------------------------------------------------
// Server → client
// ---------------------------------------------------------------------------------------------

export const PartnerView = z.object({
  intent: z.enum(INTENTS).optional(),
  /** Topic tags both people chose (spaces with topics). */
  sharedTopics: z.array(z.string()).optional(),
});

/** The last session's ending, attached to WAITING when a space re-queues someone at once. */
export const EndedView = z.object({
  sessionId: opaqueId,
  reason: z.enum(CLOSE_REASONS),
  by: z.enum(CLOSE_ACTORS),
});

/** The connection's state as the server holds it; a client renders exactly this. */
export const StateView = z.discriminatedUnion("state", [
  z.object({
    state: z.literal("IDLE"),
    /** Set when the server ended a search because the space's search time ran out. */
    searchTimedOut: z.literal(true).optional(),
  }),
  z.object({
    state: z.literal("WAITING"),
    space: z.enum(SPACE_IDS),
    intent: z.enum(INTENTS).optional(),
    /** How long this person has already waited when the event was sent, in ms. */
    waitedMs: z.number().int().nonnegative(),
    /**
     * Spaces with topics: this search prefers someone who shares a topic, and opens to anyone in
     * this many ms from when the event was sent (absent: it already takes anyone, or never will
     * — "only my topics"). The client counts down; `widen` opens it at once.
     */
    anyoneInMs: z.number().int().positive().optional(),
    previous: EndedView.optional(),
  }),
  z.object({
    state: z.literal("MATCHED"),
    space: z.enum(SPACE_IDS),
    sessionId: opaqueId,
    partner: PartnerView,
    /** Time left to enter the room before the session closes with `join_timeout`, in ms. */
    enterWithinMs: z.number().int().nonnegative(),
  }),
  z.object({
    state: z.literal("ACTIVE"),
    space: z.enum(SPACE_IDS),
    sessionId: opaqueId,
    partner: PartnerView,
  }),
  z.object({
    state: z.literal("ENDED"),
    space: z.enum(SPACE_IDS),
    sessionId: opaqueId,
    reason: z.enum(CLOSE_REASONS),
    by: z.enum(CLOSE_ACTORS),
  }),
]);
export type StateView = z.infer<typeof StateView>;

export const ChatMessage = z.object({
  sessionId: opaqueId,
  /** Unique within the session. */
  id: z.string(),
  from: z.enum(["you", "partner"]),
  text: z.string(),
  /** Server time in ms since the epoch. */
  at: z.number(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

export const SpaceSummary = z.object({
  id: z.enum(SPACE_IDS),
  intents: z.array(z.enum(INTENTS)).optional(),
  /** The topic tags offered, for spaces with topics. */
  topics: z.array(z.string()).optional(),
  /** Controls the room offers besides leaving. */
  controls: z.array(z.enum(["skip", "end"])).optional(),
  /** The space's search time limit in ms, if it has one. */
  searchTimeoutMs: z.number().int().positive().optional(),
  /** Whether the room relays `typing` (a typing indicator). */
  typingIndicator: z.boolean().optional(),
  /** Whether a participant can show the other where to get help (`care`: menti). */
  careOffer: z.boolean().optional(),
  /**
   * Video spaces: the ICE transport policy their calls will use, for the entry screen to say
   * before the camera is asked for. "all": a direct connection, so the partner's device can
   * learn this one's network address; "relay": TURN only, it cannot.
   */
  iceTransportPolicy: z.enum(["all", "relay"]).optional(),
});
export type SpaceSummary = z.infer<typeof SpaceSummary>;

export const CrisisResourceSchema = z.object({
  region: z.string(),
  name: z.string(),
  contact: z.string(),
  href: z.string().optional(),
});

export const Welcome = z.object({
  spaces: z.array(SpaceSummary),
  limits: z.object({ maxMessageLength: z.number().int().positive() }),
  crisisResources: z.array(CrisisResourceSchema),
});
export type Welcome = z.infer<typeof Welcome>;

/** How busy each space is, rounded so that small numbers reveal nobody. */
export const Presence = z.object({
  spaces: z.array(
    z.object({
      id: z.enum(SPACE_IDS),
      /** People in the space now (looking or talking): "a few" under 5, else rounded. */
      here: z.string(),
      /** Median recent wait from join to match, in ms; absent when there is no recent match. */
      estimatedWaitMs: z.number().int().nonnegative().optional(),
      /**
       * Spaces with intents (menti): present when two or more people are waiting and every one
       * of them chose this intent, so nobody waiting can be paired with them; a waiting person of
       * that intent can be told that choosing "both" would pair them at once. Says no count.
       */
      onlyIntentWaiting: z.enum(["talk", "listen"]).optional(),
    }),
  ),
});
export type Presence = z.infer<typeof Presence>;

export const Typing = z.object({ sessionId: opaqueId });
export type Typing = z.infer<typeof Typing>;

/** The partner is worried about this person's safety and offers the help resources. */
export const Care = z.object({ sessionId: opaqueId });
export type Care = z.infer<typeof Care>;

export const Notice = z.object({
  /**
   * server_restarting: sockets close after a short grace; too_many_refused: this connection sent
   * too many events the server refused and is being closed (docs/protocol.md, "Abuse");
   * interrupted: the server lost touch with its shared state for a moment (cluster mode: Redis)
   * and this connection's search or conversation may have ended (its state follows).
   */
  kind: z.enum(["server_restarting", "too_many_refused", "interrupted"]),
  message: z.string(),
});
export type Notice = z.infer<typeof Notice>;

export const Rejected = z.object({
  /** The client event that was refused (or the unknown name that was sent). */
  event: z.string(),
  code: z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
  /** With `rate_limited`: when trying again can succeed, in ms. */
  retryAfterMs: z.number().int().nonnegative().optional(),
});
export type Rejected = z.infer<typeof Rejected>;

/** The partner's WebRTC signal, relayed by the server (video spaces). */
export const RelayedSignal = z.intersection(z.object({ sessionId: opaqueId }), SignalPayload);
export type RelayedSignal = z.infer<typeof RelayedSignal>;

export const IceServer = z.object({
  urls: z.array(z.string()),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof IceServer>;

/**
 * Sent to both members of a video session once both asked for it (client `media`): who is
 * "polite" in perfect negotiation
 * (the server decides, so glare cannot deadlock) and the ICE servers to use, with TURN
 * credentials made for this session only (short-lived; never the long-term secret).
 */
export const MediaSetup = z.object({
  sessionId: opaqueId,
  polite: z.boolean(),
  iceServers: z.array(IceServer),
  /**
   * "relay": use TURN only (the partner never learns this browser's addresses; needs TURN).
   * "all": host, server-reflexive and relayed candidates.
   */
  iceTransportPolicy: z.enum(["all", "relay"]),
});
export type MediaSetup = z.infer<typeof MediaSetup>;

/**
 * What this connection may do in the spaces that use a token (stimchat, dormparty); menti never
 * looks at it. `none`: the browser has no valid token yet (it must earn one: proof of work, then
 * reconnect). `ok`: ready. `banned`: the token is banned until `bannedUntil` (null: for good).
 * `elsewhere`: another connection holds this token (another tab); it becomes `ok` by itself when
 * that one closes.
 */
export const IdentityView = z.object({
  status: z.enum(["none", "ok", "banned", "elsewhere"]),
  bannedUntil: z.number().int().nullable().optional(),
});
export type IdentityView = z.infer<typeof IdentityView>;

export const serverEventSchemas = {
  /** Sent once right after the connection opens. */
  welcome: Welcome,
  /** The connection's state changed (also sent after connect: IDLE). */
  state: StateView,
  /** A chat message of the current session (the sender gets its own copy with from "you"). */
  message: ChatMessage,
  /** Something the person must know that is not a state, e.g. a restart. */
  notice: Notice,
  /** The partner is typing (spaces with a typing indicator); show it for a few seconds. */
  typing: Typing,
  /**
   * Spaces that offer care: the partner thought the help resources might help this person;
   * show them with a kind line. The conversation goes on.
   */
  care: Care,
  /** How busy the spaces are; sent on connect and then every few seconds while it changes. */
  presence: Presence,
  /** A client event was refused; nothing changed. Also delivered through the ack if given. */
  rejected: Rejected,
  /** The token status of this connection; sent after `welcome` and whenever it changes. */
  identity: IdentityView,
  /** Video spaces: a session's negotiation role and ICE servers, once both members asked. */
  media: MediaSetup,
  /** Video spaces: the partner's description or ICE candidate. */
  signal: RelayedSignal,
} as const;
export type ServerEventName = keyof typeof serverEventSchemas;

type AckFn = (ack: Ack) => void;

/** Socket.IO typing for the client → server direction. */
export interface ClientToServerEvents {
  join: (payload: ClientPayload<"join">, ack?: AckFn) => void;
  cancel: (payload: ClientPayload<"cancel">, ack?: AckFn) => void;
  enter: (payload: ClientPayload<"enter">, ack?: AckFn) => void;
  send: (payload: ClientPayload<"send">, ack?: AckFn) => void;
  exit: (payload: ClientPayload<"exit">, ack?: AckFn) => void;
  home: (payload: ClientPayload<"home">, ack?: AckFn) => void;
  skip: (payload: ClientPayload<"skip">, ack?: AckFn) => void;
  end: (payload: ClientPayload<"end">, ack?: AckFn) => void;
  typing: (payload: ClientPayload<"typing">, ack?: AckFn) => void;
  care: (payload: ClientPayload<"care">, ack?: AckFn) => void;
  widen: (payload: ClientPayload<"widen">, ack?: AckFn) => void;
  report: (payload: ClientPayload<"report">, ack?: AckFn) => void;
  media: (payload: ClientPayload<"media">, ack?: AckFn) => void;
  signal: (payload: ClientPayload<"signal">, ack?: AckFn) => void;
}

/** Socket.IO typing for the server → client direction. */
/**
 * A state view as sent: `version` grows with every change of this connection's record (one
 * counter for the whole store), so a client that receives an older version after a newer one
 * drops it. Views computed concurrently may finish out of order; the server already drops those
 * it can see, and with several nodes only the client sees every view.
 */
export type VersionedStateView = StateView & { readonly version?: number };

export interface ServerToClientEvents {
  welcome: (payload: Welcome) => void;
  /** The view, with the version it was computed from (docs/protocol.md: "Versions"). */
  state: (payload: VersionedStateView) => void;
  message: (payload: ChatMessage) => void;
  notice: (payload: Notice) => void;
  rejected: (payload: Rejected) => void;
  typing: (payload: Typing) => void;
  care: (payload: Care) => void;
  presence: (payload: Presence) => void;
  identity: (payload: IdentityView) => void;
  media: (payload: MediaSetup) => void;
  signal: (payload: RelayedSignal) => void;
}

export function errorAck(code: ErrorCode, retryAfterMs?: number): Ack {
  return {
    ok: false,
    code,
    message: ERRORS[code],
    ...(retryAfterMs !== undefined ? { retryAfterMs: Math.ceil(retryAfterMs) } : {}),
  };
}
