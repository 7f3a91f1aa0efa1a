/**
 * The per-connection state machine of SPEC §3 as a declared table. The engine consults it before
 * every change and passes its source states to the store's conditional operations, so no code
 * path can move a user along an edge that is not written here.
 *
 * Each cell is one of:
 * - a target state: the event is legal and moves the user there (possibly to the same state);
 * - `NOOP`: a duplicate or late event (double join, double leave, a message after the end); it
 *   changes nothing and is not an error;
 * - an error code: the event is illegal in this state; the client gets that typed error.
 * An event missing from a row is `illegal_state`.
 */
import type { ErrorCode, UserState } from "@duet/protocol";

/** Everything that can happen to a connection, from its client or from the server. */
export const USER_EVENTS = [
  "join", // client: look for someone
  "cancel", // client: stop looking
  "paired", // matcher: a partner was found and a session created
  "enter", // client: claims its seat in the room
  "activated", // both participants entered: the conversation starts
  "send", // client: a chat message
  "exit", // client: leave the conversation
  "skip", // client (spaces with Skip): end this one, both look again
  "end", // client (spaces with End): end this one and go home; the partner looks again
  "typing", // client: "I am typing" (spaces with a typing indicator)
  "widen", // client (spaces with topics): "Anyone is fine", the search takes anyone now
  "care", // client (spaces offering care): show the partner where to get help; nothing changes
  "report", // client: report the conversation; it ends for both
  "media", // client (video spaces): asks for the session's media setup; signals flow once both have
  "signal", // client (video spaces): a WebRTC description or candidate for the partner
  "closed", // the session closed for any other reason (partner left, timeout, shutdown)
  "requeue", // space policy: back to the queue straight after a close
  "home", // client: left the ended screen
  "search_timeout", // the space's search deadline passed
  "disconnect", // the socket is gone: the user is deleted
] as const;
export type UserEvent = (typeof USER_EVENTS)[number];

export const NOOP = "NOOP" as const;
/** Pseudo-state after disconnect: the user record no longer exists. */
export const GONE = "GONE" as const;

export type Rule = UserState | typeof GONE | typeof NOOP | { readonly error: ErrorCode };

const illegal = { error: "illegal_state" } as const;
const inConversation = { error: "already_in_conversation" } as const;
const noRoom = { error: "room_unavailable" } as const;

export const TRANSITIONS: Readonly<Record<UserState, Readonly<Partial<Record<UserEvent, Rule>>>>> =
  {
    IDLE: {
      join: "WAITING",
      cancel: NOOP,
      enter: noRoom,
      send: illegal,
      exit: NOOP,
      home: NOOP,
      skip: NOOP,
      end: NOOP,
      typing: illegal,
      // Crossed a cancel or the search limit on the wire: nothing left to widen.
      widen: NOOP,
      care: illegal,
      report: illegal,
      media: noRoom,
      signal: illegal,
      disconnect: GONE,
    },
    WAITING: {
      join: NOOP,
      cancel: "IDLE",
      search_timeout: "IDLE",
      paired: "MATCHED",
      enter: noRoom,
      send: illegal,
      exit: NOOP,
      home: NOOP,
      skip: NOOP,
      end: NOOP,
      typing: illegal,
      widen: "WAITING",
      care: illegal,
      report: illegal,
      media: noRoom,
      signal: illegal,
      disconnect: GONE,
    },
    MATCHED: {
      join: inConversation,
      // A cancel that crosses the match on the wire: the person asked to stop, so they leave.
      cancel: "ENDED",
      enter: "MATCHED",
      activated: "ACTIVE",
      send: { error: "not_active" },
      exit: "ENDED",
      skip: "ENDED",
      end: "ENDED",
      typing: NOOP,
      // Crossed the match on the wire: the search it would have widened is over.
      widen: NOOP,
      // The room is not open yet: nobody has said anything that could worry the other.
      care: { error: "not_active" },
      report: "ENDED",
      closed: "ENDED",
      home: illegal,
      media: "MATCHED",
      // Legal, but relayed only once both participants asked for media (see Engine.signal).
      signal: "MATCHED",
      disconnect: GONE,
    },
    ACTIVE: {
      join: inConversation,
      cancel: illegal,
      enter: NOOP,
      send: "ACTIVE",
      exit: "ENDED",
      skip: "ENDED",
      end: "ENDED",
      typing: "ACTIVE",
      widen: NOOP,
      care: "ACTIVE",
      report: "ENDED",
      closed: "ENDED",
      home: illegal,
      media: "ACTIVE",
      signal: "ACTIVE",
      disconnect: GONE,
    },
    ENDED: {
      join: "WAITING",
      requeue: "WAITING",
      cancel: NOOP,
      enter: noRoom,
      send: NOOP,
      exit: NOOP,
      skip: NOOP,
      end: NOOP,
      typing: NOOP,
      widen: NOOP,
      // Crossed the end on the wire: the other person is gone; the sender's screen says so.
      care: NOOP,
      // Reports are made from inside a session; after it closed the transcript is gone.
      report: noRoom,
      home: "IDLE",
      media: noRoom,
      // A candidate that crosses the end of the session is harmless: dropped.
      signal: NOOP,
      disconnect: GONE,
    },
  };

/** The table's verdict for `event` in `state`. Missing cells are illegal. */
export function decide(state: UserState, event: UserEvent): Rule {
  return TRANSITIONS[state][event] ?? illegal;
}

/** The states in which `event` moves a user to `to`: the source states a store op must check. */
export function sourcesOf(event: UserEvent, to: UserState | typeof GONE): readonly UserState[] {
  // Asked on every join; the table never changes, so each answer is computed once.
  let byTarget = SOURCES.get(event);
  if (!byTarget) {
    byTarget = new Map();
    SOURCES.set(event, byTarget);
  }
  let sources = byTarget.get(to);
  if (!sources) {
    sources = Object.freeze(
      (Object.keys(TRANSITIONS) as UserState[]).filter((s) => TRANSITIONS[s][event] === to),
    );
    byTarget.set(to, sources);
  }
  return sources;
}

const SOURCES = new Map<UserEvent, Map<UserState | typeof GONE, readonly UserState[]>>();

/** Every edge of the table, for printing, docs and the model test's "never bypassed" check. */
export function edges(): Array<{ from: UserState; event: UserEvent; to: UserState | typeof GONE }> {
  const out: Array<{ from: UserState; event: UserEvent; to: UserState | typeof GONE }> = [];
  for (const from of Object.keys(TRANSITIONS) as UserState[]) {
    for (const [event, rule] of Object.entries(TRANSITIONS[from]) as Array<[UserEvent, Rule]>) {
      if (typeof rule === "string" && rule !== NOOP) out.push({ from, event, to: rule });
    }
  }
  return out;
}

/** True when some event moves a user from `from` to `to` (a self-loop counts). */
export function isLegalEdge(from: UserState, to: UserState | typeof GONE): boolean {
  return edges().some((e) => e.from === from && e.to === to);
}
