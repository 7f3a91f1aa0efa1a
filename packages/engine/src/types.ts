/**
 * The records the engine keeps and the seams it is given. Everything here is plain data so that a
 * store can serialise it (the Redis store keeps the same shapes as hashes and JSON).
 */
import type { CloseReason, Intent, SpaceId, UserState } from "@duet/protocol";
import type { Tier } from "./trust";

export type UserId = string;
export type SessionId = string;

/** One connection. Created on connect, deleted on disconnect; never outlives its socket. */
export interface UserRecord {
  readonly id: UserId;
  /**
   * Set by the store on every change of this record, from one counter that only grows. State
   * views carry it so that a view computed before a later change is never delivered after it
   * (see LatestViews).
   */
  readonly version?: number;
  /** Random id shared by the tabs of one browser; only used so that they are never paired. */
  readonly browserId: string;
  /**
   * Who this is across connections, for pair cooldowns and "never with someone I reported": the
   * token id in spaces with tokens. Absent means the browser id (identity-free connections).
   */
  readonly person?: string;
  /**
   * The node (gateway process) that holds this user's socket, set at connect and kept through
   * every state: events for this user are delivered there.
   */
  readonly node?: string;
  readonly state: UserState;
  /** Space of the current search or session; absent while IDLE. */
  readonly space?: SpaceId;
  readonly intent?: Intent;
  /** WAITING: the queue entry this user holds (its `seq` identifies this very search). */
  readonly entry?: QueueEntry;
  /** MATCHED / ACTIVE / ENDED: the session, and (while it is open) the partner. */
  readonly sessionId?: SessionId;
  readonly partnerId?: UserId;
  /** MATCHED / ACTIVE: the partner's node, so an event for the partner names it unread. */
  readonly partnerNode?: string;
  /** MATCHED / ACTIVE: the partner's intent, where the space has intents. */
  readonly partnerIntent?: Intent;
  /** MATCHED: the session's join deadline (copied from the session for the state view). */
  readonly enterBy?: number;
  /** ENDED: why and by whom the last session closed. */
  readonly ended?: EndedInfo;
  /** The topic tags of the current or last search (spaces with topics; kept for re-queueing). */
  readonly topics?: readonly string[];
  readonly onlyMine?: boolean;
  /** MATCHED / ACTIVE: tags both chose. */
  readonly sharedTopics?: readonly string[];
  /** People this user must not be paired with until the given times (cooldowns, reports). */
  readonly avoid?: readonly Avoid[];
  /** The trust tier of the current or last search (spaces with tiers; kept for re-queueing). */
  readonly tier?: Tier;
  /** People never to be paired with, as known at the last join (from the database). */
  readonly blocked?: readonly string[];
}

/**
 * Not with that person before `until`, seen from one side: a pair cooldown, or (until null) for
 * as long as this connection lives, after a report between the two.
 */
export interface Avoid {
  readonly person: string;
  readonly until: number | null;
}

export interface EndedInfo {
  readonly sessionId: SessionId;
  readonly reason: CloseReason;
  /** The participant whose action closed it, or null when the server did (timeout, shutdown). */
  readonly by: UserId | null;
}

/** What a waiting user looks like to the matcher: everything compatibility depends on. */
export interface QueueEntry {
  readonly userId: UserId;
  readonly browserId: string;
  /** See UserRecord.person; absent means the browser id. */
  readonly person?: string;
  readonly space: SpaceId;
  readonly intent?: Intent;
  /** Trust tier (spaces with tiers); absent means "new". */
  readonly tier?: Tier;
  /** People never to be paired with (reports between them), from the database. */
  readonly blocked?: readonly string[];
  /** When this search started (clock ms); for wait times and deadlines. */
  readonly since: number;
  /** Topic tags (spaces with topics); empty or absent means none. */
  readonly topics?: readonly string[];
  /** Only pair with someone sharing a tag, however long it takes. */
  readonly onlyMine?: boolean;
  /**
   * This topic search takes anyone now: its preference ran out, or the person said "Anyone is
   * fine" (`widen`) before it did. Set by `Store.openSearch`, never at enqueue.
   */
  readonly open?: boolean;
  /** Cooldowns in force when this search started. */
  readonly avoid?: readonly Avoid[];
  /**
   * Strictly increasing per store, assigned at enqueue: orders a bucket (oldest first) and names
   * this one search, so a user who left and joined again is a different entry.
   */
  readonly seq: number;
}

export type SessionStatus = "PENDING" | "ACTIVE" | "CLOSED";

export interface SessionRecord {
  readonly id: SessionId;
  readonly space: SpaceId;
  readonly participants: readonly [UserId, UserId];
  /** The participants' browser ids, in the same order. */
  readonly browsers: readonly [string, string];
  /**
   * The participants' persons (UserRecord.person), in the same order, for cooldowns and report
   * blocks after a departure. Absent means the browser ids.
   */
  readonly persons?: readonly [string, string];
  /** When the session became ACTIVE (both entered); absent while PENDING. */
  readonly activeAt?: number;
  readonly status: SessionStatus;
  /** Participants who have entered the room. ACTIVE once both have. */
  readonly entered: readonly UserId[];
  /**
   * Video spaces: participants who have asked for media (the client event `media`). Signals are
   * relayed only once both have, so a client that merely got matched never learns its partner's
   * network addresses from ICE candidates. Absent: nobody yet.
   */
  readonly media?: readonly UserId[];
  readonly createdAt: number;
  /** MATCHED must become ACTIVE before this time, else the session closes with join_timeout. */
  readonly enterBy: number;
}

/** Injected time source, in ms. The engine never reads the system clock itself. */
export interface Clock {
  now(): number;
}

/** Injected randomness for ids: sessions need ≥ 128 random bits. */
export interface IdSource {
  sessionId(): SessionId;
  messageId(): string;
}

/** A record's person: its token id where it has one, else its browser id. */
export function personOf(x: { readonly person?: string; readonly browserId: string }): string {
  return x.person ?? x.browserId;
}

/** A session's persons, in participant order. */
export function sessionPersons(s: SessionRecord): readonly [string, string] {
  return s.persons ?? s.browsers;
}
