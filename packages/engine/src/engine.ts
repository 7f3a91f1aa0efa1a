/**
 * The engine: every decision about users, queues and sessions. Pure with respect to I/O: no
 * sockets, timers, environment or database. It reads and changes state only through the Store,
 * reads time only from the injected Clock, and returns what must happen next as data — messages to
 * deliver (`out`) and deadlines to schedule (`deadlines`) — for the gateway to carry out.
 *
 * Concurrency: each command follows snapshot → decide (transition table) → conditional commit. The
 * store re-checks the condition atomically, so a command racing another (join and disconnect in the
 * same tick, two match attempts for one candidate) either commits on the state it decided on or
 * changes nothing.
 */
import type {
  CloseReason,
  Intent,
  SignalPayload,
  SpaceId,
  StateView,
  UserState,
} from "@duet/protocol";
import type { MatchRounds, RoundRequest } from "./match-rounds";
import {
  anyoneIn,
  bucketsFor,
  chooseCandidate,
  openBucket,
  PEEK_PER_BUCKET,
  searchGroups,
  validatePolicy,
} from "./matcher";
import type { Deadline, Outcome, Outgoing } from "./outcome";
import { failure, merge, success } from "./outcome";
import type { SpacePolicy } from "./policy";
import type {
  CloseOptions,
  CloseResult,
  CreateSessionResult,
  EnqueueManyResult,
  EnqueueRequest,
  EnqueueResult,
  SessionCommit,
  Store,
} from "./store";
import { decide, NOOP, sourcesOf, type UserEvent } from "./transitions";
import type { Tier } from "./trust";
import {
  type Clock,
  type EndedInfo,
  type IdSource,
  personOf,
  type QueueEntry,
  type SessionId,
  type SessionRecord,
  sessionPersons,
  type UserId,
  type UserRecord,
} from "./types";

/** How many times one match attempt re-picks after its candidate went away before deferring. */
const MATCH_ATTEMPTS = 8;
/** A deferred match attempt runs again this much later. */
const MATCH_RETRY_MS = 25;
/**
 * How deep a round reads each bucket at most (cluster mode; PEEK_PER_BUCKET plus one per
 * request). A burst of thousands makes rounds of thousands: a round pairs at most this many per
 * bucket, and the rest wait for the next round (measured: 64 left a burst of 10,000 on one node
 * at p99 15 s).
 */
const MAX_ROUND_PEEK = 256;
/**
 * The most enqueues or commits one store call of a round carries (`enqueueMany`,
 * `createSessions`): a burst's round is sent as several calls, so that a commit call that fails
 * (the store out of reach) fails only its own pairs, and a Redis script holds the server only
 * briefly. (A failed enqueue call fails the whole round's requests: `enqueueAndRead`.)
 */
const ROUND_CALL_MAX = 64;

/** A pair one round chose: the request that chose, its entry, and the one it chose. */
interface RoundPair {
  readonly req: RoundRequest;
  readonly me: QueueEntry;
  readonly candidate: QueueEntry;
}

export interface EngineOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdSource;
  /** The enabled spaces. A join to any other space is refused with `space_unavailable`. */
  readonly policies: readonly SpacePolicy[];
  /** Profanity masking for spaces whose policy asks for it; text in, masked text out. */
  readonly maskProfanity?: (text: string) => string;
  /**
   * Cluster mode: match attempts gathered into rounds, one round at a time per space
   * (match-rounds.ts). Absent: each attempt runs as it comes (MemoryStore's operations are atomic
   * steps in one process, and an attempt is not spread over round trips).
   */
  readonly rounds?: MatchRounds;
}

/**
 * The conversation a connection's screen shows, as its node last delivered it (MATCHED or
 * ACTIVE): `exit` closes it without reading the store first. The close itself checks that the
 * person is still in that session; if not, it answers from the record the missed close gave back.
 */
export interface Seat {
  readonly state: UserState;
  readonly space: SpaceId;
  readonly sessionId: SessionId;
}

/**
 * A conversation as the sender's node last delivered it (its ACTIVE view and the partner named
 * beside it): `send` relays on it without reading the store. The node's copy can be behind the
 * store only by a close made elsewhere whose views are still on their way; a message sent in that
 * moment reaches the same partner of the same session, and the recipient's node delivers it only
 * while that session is still the one its screen shows (gateway delivery.ts).
 */
export interface Talk extends Seat {
  readonly partnerId: UserId;
  readonly partnerNode?: string;
  readonly node?: string;
}

/** What a person asks for when they start looking. */
export interface SearchRequest {
  readonly space: SpaceId;
  readonly intent?: Intent;
  readonly topics?: readonly string[];
  readonly onlyMyTopics?: boolean;
}

/**
 * What the gateway knows about a joiner that the client must not choose: its trust tier and the
 * people it must never meet (reports between them), both from the database. Ignored in spaces
 * whose policy has no tiers / no "never with reported".
 */
export interface JoinContext {
  readonly tier?: Tier;
  readonly blocked?: readonly string[];
}

/** The validated search of one user, as the engine keeps it for re-queueing. */
interface Search {
  readonly intent?: Intent;
  readonly topics: readonly string[];
  readonly onlyMine: boolean;
  readonly tier?: Tier;
  readonly blocked?: readonly string[];
}

/** A same-node pair's session and who entered first, kept by the engine (`Engine.firstIns`). */
interface FirstIn {
  readonly participants: readonly [UserId, UserId];
  /** The session's join deadline (its `enterBy`). */
  readonly enterBy: number;
  first?: UserId;
}

/**
 * How long past its join deadline a kept first `enter` may stay (Engine.keepFirstIn): far longer
 * than a join deadline fires late on a loaded node, so a deadline still finds who entered.
 */
const FIRST_IN_GRACE_MS = 60_000;

export class Engine {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly ids: IdSource;
  private readonly policies: ReadonlyMap<SpaceId, SpacePolicy>;
  private readonly mask: (text: string) => string;
  /** Each space's offered topics as a set: a join checks its tags in O(tags), not O(list). */
  private readonly offeredTopics: ReadonlyMap<SpaceId, ReadonlySet<string>>;

  private readonly rounds: MatchRounds | undefined;
  /**
   * Leaves this engine has sent to the store and not yet heard back, by session (leaveSession).
   * An entry lives exactly as long as its store call: nothing here outlasts an answer.
   */
  private readonly leaving = new Map<SessionId, Promise<CloseResult>>();
  /**
   * Sessions this engine created whose two participants are on one node (their records name the
   * same node, or none: one process), until the second `enter` or any close through this engine.
   * `first`: who entered, kept here instead of in the store: the first `enter` of such a pair
   * costs no store call (it changes nothing anyone else could see: the first one in gets no
   * view), and the second tells the store both in one call (`enterSession`'s `earlier`). Sound
   * because everything that ends such a session passes through this engine: both participants'
   * leaves and disconnects, the join deadline (kept on the node that made the session), a
   * report, a shutdown; `entered` of a session is read only where this engine merges its own
   * (`enteredOf`). Limits: process-local, like `leaving`; an entry lives until the second enter,
   * a close or the join deadline through this engine, and at most FIRST_IN_GRACE_MS past that
   * deadline (keepFirstIn). A node declared dead while alive (its users are then disconnected)
   * or a store that lost the session (resync ends it) can leave an entry about a session that is
   * gone: the second enter then finds no session and is refused, as it would be anyway.
   */
  private readonly firstIns = new Map<SessionId, FirstIn>();

  constructor(options: EngineOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.ids = options.ids;
    for (const p of options.policies) validatePolicy(p);
    this.policies = new Map(options.policies.map((p) => [p.id, p]));
    this.mask = options.maskProfanity ?? ((text) => text);
    this.rounds = options.rounds;
    this.offeredTopics = new Map(
      options.policies.map((p) => [p.id, new Set(p.pairing.topics?.list ?? [])]),
    );
  }

  /** The enabled spaces' policies, in configuration order. */
  spaces(): SpacePolicy[] {
    return [...this.policies.values()];
  }

  /**
   * A new connection: a new IDLE user. `person` is its token id where it has one (cooldowns and
   * report blocks follow the person across connections). Idempotent.
   */
  async connect(
    userId: UserId,
    browserId: string,
    person?: string,
    node?: string,
  ): Promise<Outcome> {
    const created = await this.store.addUser({
      id: userId,
      browserId,
      ...(person !== undefined ? { person } : {}),
      ...(node !== undefined ? { node } : {}),
      state: "IDLE",
    });
    const user = created ? await this.store.getUser(userId) : undefined;
    return user ? success([this.stateOut(user)]) : success();
  }

  /**
   * IDLE/ENDED → WAITING, then an attempt to match. A duplicate join while WAITING re-sends the
   * state and changes nothing. At most one WAITING connection per browser id and space.
   */
  async join(userId: UserId, req: SearchRequest, context: JoinContext = {}): Promise<Outcome> {
    const policy = this.policies.get(req.space);
    const search = policy ? this.searchOf(policy, req, context) : undefined;
    // A valid request goes straight to the store: its enqueue checks the state itself (IDLE or
    // ENDED), and a refusal there is answered by `retry`, which reads the user as the table says.
    // One store round trip less per join (cluster mode: one Redis round trip).
    if (policy && search !== undefined && typeof search !== "string") {
      return this.enqueueAndMatch(userId, "join", policy, search);
    }
    // An invalid request: the state's answer comes first (no user, a duplicate join, the table's
    // error), then the request's own.
    const user = await this.store.getUser(userId);
    if (!user) return failure("illegal_state");
    if (!policy) return failure("space_unavailable");
    const rule = decide(user.state, "join");
    if (rule === NOOP) return success([this.stateOut(user)]);
    if (typeof rule === "object") return failure(rule.error);
    return failure(typeof search === "string" ? search : "illegal_state");
  }

  /** A join request checked against its space's policy: the search to enqueue, or the error. */
  private searchOf(
    policy: SpacePolicy,
    req: SearchRequest,
    context: JoinContext,
  ): Search | "intent_required" | "topic_unknown" {
    let intent: Intent | undefined;
    if (policy.intents) {
      if (!req.intent || !policy.intents.includes(req.intent)) return "intent_required";
      intent = req.intent;
    }
    const topics = [...new Set(req.topics ?? [])];
    const offered = this.offeredTopics.get(policy.id);
    if (topics.some((t) => !offered?.has(t))) return "topic_unknown";
    const onlyMine =
      topics.length > 0 && req.onlyMyTopics === true && !!policy.pairing.topics?.allowOnlyMine;
    const blocked = policy.pairing.neverWithReported ? [...new Set(context.blocked ?? [])] : [];
    return {
      topics,
      onlyMine,
      ...(intent ? { intent } : {}),
      ...(policy.pairing.trustTiers && context.tier ? { tier: context.tier } : {}),
      ...(blocked.length > 0 ? { blocked } : {}),
    };
  }

  /** WAITING → IDLE. In MATCHED (the cancel crossed the match) it leaves the session instead. */
  async cancel(userId: UserId): Promise<Outcome> {
    const user = await this.store.getUser(userId);
    if (!user) return failure("illegal_state");
    const rule = decide(user.state, "cancel");
    if (rule === NOOP) return success();
    if (typeof rule === "object") return failure(rule.error);
    if (rule === "IDLE") {
      const idle = await this.store.leaveQueue(userId);
      return idle ? success([this.stateOut(idle)]) : this.retry(userId, "cancel");
    }
    return this.leaveSession(user, "left");
  }

  /**
   * The participant claims its seat in the room. Refused with `room_unavailable` for anything but
   * an open session this connection belongs to; a repeat is a no-op. Both in → ACTIVE, and both
   * get the ACTIVE view. The first one in gets nothing: its MATCHED view has not changed (the
   * seat is the server's bookkeeping; the command's acknowledgement is the client's answer), and
   * one packet less per conversation counts under churn (BENCHMARKS.md). In a pair whose two
   * participants are on this node the first one in is not even sent to the store (`firstIns`):
   * one store call per pair instead of two.
   */
  async enter(userId: UserId, sessionId: SessionId): Promise<Outcome> {
    // A same-node pair (`firstIns`): the first one in is answered here, a repeat too. Anyone
    // else's enter for that session (not a participant) goes to the store, which refuses it.
    const found = this.firstIns.get(sessionId);
    const kept =
      found && (found.participants[0] === userId || found.participants[1] === userId)
        ? found
        : undefined;
    if (kept && (kept.first === undefined || kept.first === userId)) {
      kept.first = userId;
      return success();
    }
    // Straight to the store (it checks that this is the participant's open session, MATCHED or
    // ACTIVE); only a refusal reads the user, for the table's own error where it has one.
    const earlier = kept?.first;
    const res = await this.store.enterSession(sessionId, userId, this.clock.now(), earlier);
    // Answered: the store knows both (or the session is gone). A call that threw keeps it.
    if (kept && this.firstIns.get(sessionId) === kept) this.firstIns.delete(sessionId);
    if (res.ok) return res.activated ? success(res.users.map((u) => this.stateOut(u))) : success();
    const user = await this.store.getUser(userId);
    const rule = user ? decide(user.state, "enter") : undefined;
    return failure(typeof rule === "object" ? rule.error : "room_unavailable");
  }

  /**
   * A chat message: relayed to both participants (the sender's copy says "you"), never stored.
   * After the end it is a silent no-op; before ACTIVE it is refused.
   */
  async send(userId: UserId, text: string, talk?: Talk): Promise<Outcome> {
    // The node's copy as it is (no `{ ...talk, id }`: a spread literal that adds a property costs
    // about 1 µs on Node 20, the largest self time of any engine function in the churn profile).
    const user: Talk | UserRecord | undefined = talk ?? (await this.store.getUser(userId));
    if (!user) return failure("illegal_state");
    const rule = decide(user.state, "send");
    if (rule === NOOP) return success();
    if (typeof rule === "object") return failure(rule.error);
    const policy = user.space ? this.policies.get(user.space) : undefined;
    const body = text.trim();
    if (body.length === 0) return failure("message_empty");
    if (!policy || body.length > policy.maxMessageLength) return failure("message_too_long");
    if (!user.sessionId || !user.partnerId) return failure("illegal_state");
    const shown = policy.profanity === "mask" ? this.mask(body) : body;
    const sessionId = user.sessionId;
    const id = this.ids.messageId();
    const at = this.clock.now();
    // Written out, not `{ ...base, from }`: see the note on object spreads in memory-store.ts.
    return success([
      {
        to: userId,
        ...nodeOf(user.node),
        event: "message",
        payload: { sessionId, id, text: shown, from: "you", at },
      },
      {
        to: user.partnerId,
        ...nodeOf(user.partnerNode),
        event: "message",
        payload: { sessionId, id, text: shown, from: "partner", at },
      },
    ]);
  }

  /** Leave the conversation: it ends for both. A no-op when there is none. */
  async exit(userId: UserId, seat?: Seat): Promise<Outcome> {
    if (seat && (seat.state === "MATCHED" || seat.state === "ACTIVE")) {
      return this.leaveSession({ id: userId, ...seat }, "left");
    }
    const user = await this.store.getUser(userId);
    if (!user) return failure("illegal_state");
    const rule = decide(user.state, "exit");
    if (rule === NOOP) return success();
    if (typeof rule === "object") return failure(rule.error);
    return this.leaveSession(user, "left");
  }

  /** Spaces with Skip: the session ends for both and both look again (policy `skipped`). */
  async skip(userId: UserId): Promise<Outcome> {
    return this.closeBy(userId, "skip", "skipped");
  }

  /** Spaces with End: the session ends; the ender goes home, the partner looks again (`ended`). */
  async end(userId: UserId): Promise<Outcome> {
    return this.closeBy(userId, "end", "ended");
  }

  /**
   * The person reports the conversation (MATCHED or ACTIVE): it ends for both at once with
   * `reported`, and the two never meet again on these connections (the gateway also stores the
   * block for their tokens). The `closed` observation names the reporter (`by`) and both persons,
   * for the gateway to file the report. The reported side is shown a neutral ending (see view).
   */
  async report(userId: UserId): Promise<Outcome> {
    const user = await this.store.getUser(userId);
    if (!user) return failure("illegal_state");
    const rule = decide(user.state, "report");
    if (rule === NOOP) return success();
    if (typeof rule === "object") return failure(rule.error);
    if (!user.sessionId || !user.space) return failure("illegal_state");
    const res = await this.closeSession(user.sessionId, "reported", user.id, {
      ...this.cooldown(user.space),
      blockEachOther: true,
    });
    // The session closed under us (the partner left a moment earlier): nothing left to report.
    if (!res.closed) return failure("room_unavailable");
    return this.afterClose(res, "reported", user.id);
  }

  /**
   * Video spaces: the participant asks for the media of its session (MATCHED or ACTIVE). Once
   * both have, and only then, the session's signals are relayed; the call that completes the
   * pair returns a `media` observation, on which the gateway sends both their media setup. A
   * repeat changes nothing. Refused with `room_unavailable` for a session that is not this
   * connection's open one (an ask that crossed a Skip).
   */
  async media(userId: UserId, sessionId: SessionId): Promise<Outcome> {
    const user = await this.store.getUser(userId);
    if (!user) return failure("room_unavailable");
    const policy = user.space ? this.policies.get(user.space) : undefined;
    if (policy && policy.media !== "video") return failure("not_in_this_space");
    const rule = decide(user.state, "media");
    if (rule === NOOP) return success();
    if (typeof rule === "object") return failure(rule.error);
    if (!policy || user.sessionId !== sessionId) return failure("room_unavailable");
    const res = await this.store.requestMedia(sessionId, userId);
    if (!res.ok) return failure("room_unavailable");
    if (!res.ready) return success();
    const [first, second] = res.session.participants;
    const nodeOfParticipant = (p: UserId) => (p === userId ? user.node : user.partnerNode);
    const nodes = [nodeOfParticipant(first), nodeOfParticipant(second)] as const;
    return success(
      [],
      [],
      [
        {
          kind: "media",
          space: policy.id,
          sessionId,
          participants: res.session.participants,
          ...(nodes[0] !== undefined || nodes[1] !== undefined ? { nodes } : {}),
        },
      ],
    );
  }

  /**
   * WebRTC signalling in video spaces: relayed to the partner of the open session only, while
   * MATCHED or ACTIVE, and only once both participants have asked for media (`media`). Being
   * matched is not enough: a client that never asks would otherwise collect its partner's ICE
   * candidates (network addresses) without ever showing up, and with Skip, everyone's in turn.
   * Before that a signal is refused with `not_active`; the reference client sends none, since it
   * starts its peer connection on the server's media setup, which comes only then. Never stored.
   * After the end a late candidate is a silent no-op.
   */
  async signal(userId: UserId, payload: SignalPayload): Promise<Outcome> {
    const user = await this.store.getUser(userId);
    if (!user) return failure("illegal_state");
    const policy = user.space ? this.policies.get(user.space) : undefined;
    if (policy && policy.media !== "video") return failure("not_in_this_space");
    const rule = decide(user.state, "signal");
    if (rule === NOOP) return success();
    if (typeof rule === "object") return failure(rule.error);
    if (!user.sessionId || !user.partnerId) return failure("illegal_state");
    const session = await this.store.getSession(user.sessionId);
    // Closed under us (the partner just left): a late signal, dropped as after the end.
    if (!session) return success();
    // Index access, not `every`: records hold frozen arrays (see memory-store.ts).
    const asked = session.media;
    const [first, second] = session.participants;
    if (!asked?.includes(first) || !asked.includes(second)) return failure("not_active");
    return success([
      {
        to: user.partnerId,
        ...nodeOf(user.partnerNode),
        event: "signal",
        payload: { sessionId: user.sessionId, ...payload },
      },
    ]);
  }

  /** "I am typing": relayed to the partner in spaces with a typing indicator. Never stored. */
  async typing(userId: UserId): Promise<Outcome> {
    const user = await this.store.getUser(userId);
    if (!user) return failure("illegal_state");
    const policy = user.space ? this.policies.get(user.space) : undefined;
    if (policy && !policy.typingIndicator) return failure("not_in_this_space");
    const rule = decide(user.state, "typing");
    if (rule === NOOP) return success();
    if (typeof rule === "object") return failure(rule.error);
    if (!user.sessionId || !user.partnerId) return failure("illegal_state");
    return success([
      {
        to: user.partnerId,
        ...nodeOf(user.partnerNode),
        event: "typing",
        payload: { sessionId: user.sessionId },
      },
    ]);
  }

  /**
   * ACTIVE, spaces that offer care: "I'm worried about their safety". The partner is sent `care`
   * (their screen offers the help resources with a kind line); nothing changes and nothing is
   * kept. Like typing, it names no one: the partner is the one the server knows.
   */
  async care(userId: UserId): Promise<Outcome> {
    const user = await this.store.getUser(userId);
    if (!user) return failure("illegal_state");
    const policy = user.space ? this.policies.get(user.space) : undefined;
    if (policy && !policy.careOffer) return failure("not_in_this_space");
    const rule = decide(user.state, "care");
    if (rule === NOOP) return success();
    if (typeof rule === "object") return failure(rule.error);
    if (!user.sessionId || !user.partnerId) return failure("illegal_state");
    return success([
      {
        to: user.partnerId,
        ...nodeOf(user.partnerNode),
        event: "care",
        payload: { sessionId: user.sessionId },
      },
    ]);
  }

  /**
   * WAITING, spaces with topics: "Anyone is fine". The search takes anyone now rather than when
   * its topic preference runs out, and is matched at once if someone compatible waits. A search
   * without topics, with "only my topics", or already open is left as it is (its view re-sent).
   * Late (the search ended on the way) it is a no-op.
   */
  async widen(userId: UserId): Promise<Outcome> {
    const user = await this.store.getUser(userId);
    if (!user) return failure("illegal_state");
    const rule = decide(user.state, "widen");
    if (rule === NOOP) return success();
    if (typeof rule === "object") return failure(rule.error);
    const policy = user.space ? this.policies.get(user.space) : undefined;
    if (!policy?.pairing.topics) return failure("not_in_this_space");
    const entry = required(user.entry, "entry", user);
    if (anyoneIn(policy, entry, this.clock.now()) === undefined) {
      return success([this.stateOut(user)]);
    }
    const opened = await this.store.openSearch(userId, entry.seq, openBucket(policy, entry));
    // Lost a race with its own fallback deadline or a match: the search is open or over anyway.
    if (!opened) return success();
    const matched = await this.match(userId, entry.seq, opened.entry);
    // Matched at once: the MATCHED view replaces the widened WAITING before anyone could see it.
    const superseded = matched.out.some((o) => o.event === "state" && o.to === userId);
    return merge(success(superseded ? [] : [this.stateOut(opened)]), matched);
  }

  /** ENDED → IDLE: the person left the ended screen. */
  async home(userId: UserId): Promise<Outcome> {
    const user = await this.store.getUser(userId);
    if (!user) return failure("illegal_state");
    const rule = decide(user.state, "home");
    if (rule === NOOP) return success();
    if (typeof rule === "object") return failure(rule.error);
    const idle = await this.store.returnHome(userId);
    return idle ? success([this.stateOut(idle)]) : this.retry(userId, "home");
  }

  /**
   * The socket is gone (clean close, refresh, tab close, heartbeat loss): the user is deleted at
   * once — out of the queue, never matched afterwards — and its session, if any, closes with
   * `disconnected`, telling the partner. Idempotent.
   */
  async disconnect(userId: UserId): Promise<Outcome> {
    const gone = await this.store.removeUser(userId);
    if (!gone?.sessionId || (gone.state !== "MATCHED" && gone.state !== "ACTIVE")) return success();
    const res = await this.closeSession(
      gone.sessionId,
      "disconnected",
      userId,
      gone.space ? this.cooldown(gone.space) : {},
    );
    return this.afterClose(res, "disconnected", userId);
  }

  /**
   * After the store may have lost or missed changes (cluster mode: Redis restarted empty, or was
   * out of reach while events came and went), brings one connection back in line with the store
   * and re-arms what a lost deadline would have done. `last` is what the connection's screen last
   * showed. Idempotent; the current view is always sent (the screen may have missed a change).
   * - No record (the store lost it): a new one, ENDED with `server_shutdown` if the screen was in
   *   a conversation (both sides end cleanly), else IDLE.
   * - MATCHED or ACTIVE whose session is gone: ENDED the same way (nobody is left in MATCHED).
   * - MATCHED: its join deadline again. WAITING: its search's deadlines again (from when it
   *   started) and a match attempt now (a lost retry must not strand a pair).
   */
  async resync(
    conn: { userId: UserId; browserId: string; person?: string; node?: string },
    last?: { state: UserState; space?: SpaceId; sessionId?: SessionId },
  ): Promise<Outcome> {
    const user = await this.store.getUser(conn.userId);
    const inSession = (state: UserState | undefined) => state === "MATCHED" || state === "ACTIVE";
    const lost = async (space: SpaceId | undefined, sessionId: SessionId | undefined) => {
      if (sessionId !== undefined) this.firstIns.delete(sessionId);
      const base = {
        id: conn.userId,
        browserId: conn.browserId,
        ...(conn.person !== undefined ? { person: conn.person } : {}),
        ...(conn.node !== undefined ? { node: conn.node } : {}),
      };
      await this.store.removeUser(conn.userId);
      await this.store.addUser(
        space && sessionId
          ? {
              ...base,
              state: "ENDED",
              space,
              sessionId,
              ended: { sessionId, reason: "server_shutdown", by: null },
            }
          : { ...base, state: "IDLE" },
      );
      const now = await this.store.getUser(conn.userId);
      return now ? success([this.stateOut(now)]) : success();
    };
    if (!user) {
      return inSession(last?.state)
        ? lost(last?.space, last?.sessionId)
        : lost(undefined, undefined);
    }
    if (inSession(user.state)) {
      const session = user.sessionId ? await this.store.getSession(user.sessionId) : undefined;
      if (!session) return lost(user.space, user.sessionId);
      const deadlines: Deadline[] =
        user.state === "MATCHED" && session.status === "PENDING"
          ? [{ kind: "join_timeout", at: session.enterBy, sessionId: session.id }]
          : [];
      return success([this.stateOut(user)], deadlines);
    }
    if (user.state === "WAITING" && user.entry) {
      const entry = user.entry;
      const policy = this.policies.get(entry.space);
      const deadlines: Deadline[] = [];
      if (policy?.searchTimeoutMs != null) {
        const at = entry.since + policy.searchTimeoutMs;
        deadlines.push({ kind: "search_timeout", at, userId: user.id, seq: entry.seq });
      }
      const topics = policy?.pairing.topics;
      if (topics && (entry.topics?.length ?? 0) > 0 && !entry.onlyMine && !entry.open) {
        const at = entry.since + topics.preferSameForMs;
        deadlines.push({ kind: "topic_fallback", at, userId: user.id, seq: entry.seq });
      }
      const matched = await this.match(user.id, entry.seq);
      return merge(success([this.stateOut(user)], deadlines), matched);
    }
    return success([this.stateOut(user)]);
  }

  /** Server shutdown: this user's open session, if any, closes with `server_shutdown`. */
  async shutdownUser(userId: UserId): Promise<Outcome> {
    const user = await this.store.getUser(userId);
    if (!user?.sessionId || (user.state !== "MATCHED" && user.state !== "ACTIVE")) return success();
    const res = await this.closeSession(user.sessionId, "server_shutdown", null);
    return this.afterClose(res, "server_shutdown", null);
  }

  /** A deadline the gateway scheduled has come. Stale deadlines change nothing. */
  async onDeadline(deadline: Deadline): Promise<Outcome> {
    switch (deadline.kind) {
      case "join_timeout": {
        const session = await this.store.getSession(deadline.sessionId);
        if (!session || session.status !== "PENDING") {
          this.firstIns.delete(deadline.sessionId);
          return success();
        }
        if (this.policies.get(session.space)?.media === "video") {
          // Video spaces: a participant `enter`s once its peer connection is up, so a session
          // still PENDING at the limit is media that never connected. Nobody is to blame; the
          // policy re-queues both, and the pair cooldown keeps the two from being matched
          // straight back into the same failure.
          const res = await this.closeSession(deadline.sessionId, "media_failed", null, {
            ifStatus: "PENDING",
            ...this.cooldown(session.space),
          });
          return this.afterClose(res, "media_failed", null);
        }
        // Whoever never entered caused it: they read "you didn't join in time", the other
        // "the other person didn't". If neither entered, nobody is singled out.
        const entered = this.enteredOf(session);
        const late = session.participants.filter((p) => !entered.includes(p));
        const by = late.length === 1 ? (late[0] as UserId) : null;
        const res = await this.closeSession(deadline.sessionId, "join_timeout", by, {
          ifStatus: "PENDING",
          ...this.cooldown(session.space),
        });
        // The close's record says who entered as the store knew it; this engine knew more.
        const told =
          res.closed && entered !== session.entered
            ? { ...res, session: { ...res.session, entered } }
            : res;
        return this.afterClose(told, "join_timeout", by);
      }
      case "topic_fallback": {
        const user = await this.store.getUser(deadline.userId);
        const policy = user?.space ? this.policies.get(user.space) : undefined;
        if (!user || !policy) return success();
        // Already opened ("Anyone is fine") or no longer this search: nothing to do. No new view
        // is sent: the client counted down to this moment from `anyoneInMs` itself.
        const opened = await this.store.openSearch(
          deadline.userId,
          deadline.seq,
          openBucket(policy, user),
        );
        return opened ? this.match(deadline.userId, deadline.seq) : success();
      }
      case "search_timeout": {
        const idle = await this.store.leaveQueue(deadline.userId, deadline.seq);
        if (!idle) return success();
        return success([
          {
            to: idle.id,
            ...nodeOf(idle.node),
            event: "state",
            payload: { state: "IDLE", searchTimedOut: true },
            version: idle.version ?? 0,
          },
        ]);
      }
      case "retry_match":
        return this.match(deadline.userId, deadline.seq);
    }
  }

  // ---- internals -----------------------------------------------------------------------------

  /**
   * Enqueue (from the table's sources of `event`), tell the user, ask for its deadlines (search
   * limit, topic fallback, cooldown expiries: each is a moment its compatibility may change), and
   * try to match.
   */
  private async enqueueAndMatch(
    userId: UserId,
    event: "join" | "requeue",
    policy: SpacePolicy,
    search: Search,
    previous?: EndedInfo,
  ): Promise<Outcome> {
    const now = this.clock.now();
    const probe: QueueEntry = {
      userId,
      browserId: "",
      space: policy.id,
      since: now,
      seq: 0,
      ...(search.intent ? { intent: search.intent } : {}),
      topics: search.topics,
      onlyMine: search.onlyMine,
      ...(search.tier ? { tier: search.tier } : {}),
    };
    const request: EnqueueRequest = {
      userId,
      from: sourcesOf(event, "WAITING"),
      space: policy.id,
      ...(search.intent ? { intent: search.intent } : {}),
      since: now,
      buckets: bucketsFor(policy, probe, now),
      topics: search.topics,
      onlyMine: search.onlyMine,
      ...(search.tier ? { tier: search.tier } : {}),
      ...(search.blocked && search.blocked.length > 0 ? { blocked: search.blocked } : {}),
    };
    // With rounds, the enqueue is the round's own (one store call for all its joiners, which
    // also reads the buckets), and the match attempt goes on in that same round.
    const rounds = this.rounds;
    const joined = rounds
      ? await this.enqueueInRound(rounds, request, probe)
      : { res: await this.store.enqueue(request), matched: undefined };
    const res = joined.res;
    if (!res.ok) {
      if (res.reason === "browser_waiting") return failure("already_waiting_elsewhere");
      return event === "join" ? this.retry(userId, "join") : success();
    }
    const seq = res.entry.seq;
    const deadlines: Deadline[] = [];
    if (policy.searchTimeoutMs !== null && event === "join") {
      deadlines.push({ kind: "search_timeout", at: now + policy.searchTimeoutMs, userId, seq });
    }
    const topics = policy.pairing.topics;
    if (topics && search.topics.length > 0 && !search.onlyMine) {
      deadlines.push({ kind: "topic_fallback", at: now + topics.preferSameForMs, userId, seq });
    }
    for (const a of res.entry.avoid ?? []) {
      if (a.until !== null) deadlines.push({ kind: "retry_match", at: a.until, userId, seq });
    }
    const matched = await (joined.matched ?? this.match(userId, seq, res.entry));
    // A join matched at once: its WAITING view would be replaced before anyone could see it, so
    // it is not sent (one packet less per match). A re-queue's is, for the `previous` it carries.
    const superseded =
      event === "join" && matched.out.some((o) => o.event === "state" && o.to === userId);
    const told = success(superseded ? [] : [this.stateOut(res.user, previous)], deadlines);
    return merge(told, matched);
  }

  /**
   * A join's (or re-queue's) enqueue, done by the next round of its space together with every
   * other joiner of that round (`Store.enqueueMany`, which also reads the round's buckets): one
   * store call per round instead of one per joiner, and no separate read. Resolves with the
   * enqueue's result once that call answers, and, when it succeeded, with `matched`: the outcome
   * of the match attempt the same round goes on to make for this search (as `match` would).
   */
  private enqueueInRound(
    rounds: MatchRounds,
    request: EnqueueRequest,
    probe: QueueEntry,
  ): Promise<{ res: EnqueueResult; matched?: Promise<Outcome> }> {
    return new Promise((resolve, reject) => {
      let settleMatch: (o: Outcome) => void = () => {};
      let failMatch: (err: unknown) => void = () => {};
      const matched = new Promise<Outcome>((s, f) => {
        settleMatch = s;
        failMatch = f;
      });
      // Awaited by the caller after a successful enqueue; after a failed one nobody waits for it.
      matched.catch(() => {});
      const req: RoundRequest = {
        userId: request.userId,
        seq: 0,
        tries: 0,
        join: {
          request,
          probe,
          enqueued: (res) => resolve({ res, ...(res.ok ? { matched } : {}) }),
        },
        settle: settleMatch,
        fail: (err) => {
          reject(err); // before the enqueue's answer: the join fails; after it, nothing
          failMatch(err);
        },
      };
      this.requeue(rounds, request.space, req);
    });
  }

  /**
   * One match attempt for a waiting user: look at the heads of the buckets that can hold a
   * partner, group by group (same topic before anyone), pick the oldest compatible entry, commit
   * atomically; if the candidate went away meanwhile, pick again. Only the search `seq` is
   * matched, so a stale retry for an older search does nothing.
   *
   * `known`: the search's entry as the caller just had it from the store (a join's enqueue), so
   * the first attempt need not read it again (with a remote store, one round trip less per
   * match); if it is stale by now, the commit finds out and the next attempt reads it afresh.
   */
  private async match(userId: UserId, seq: number, known?: QueueEntry): Promise<Outcome> {
    const rounds = this.rounds;
    if (rounds) {
      const space = known?.space ?? (await this.store.getUser(userId))?.entry?.space;
      if (!space) return success();
      return new Promise<Outcome>((settle, fail) => {
        const req: RoundRequest = {
          userId,
          seq,
          tries: 0,
          settle,
          fail,
          ...(known ? { known } : {}),
        };
        if (rounds.add(space, req)) void this.runRounds(rounds, space);
      });
    }
    for (let attempt = 0; attempt < MATCH_ATTEMPTS; attempt++) {
      const fresh = attempt === 0 && known?.seq === seq ? known : undefined;
      const user = fresh ? undefined : await this.store.getUser(userId);
      const me = fresh ?? user?.entry;
      if (!fresh && (!user || user.state !== "WAITING" || !me || me.seq !== seq)) return success();
      if (!me) return success();
      const policy = this.policies.get(me.space);
      if (!policy) return success();
      const now = this.clock.now();
      let candidate: QueueEntry | undefined;
      for (const group of searchGroups(policy, me, now)) {
        const heads = await this.store.peek(group, PEEK_PER_BUCKET);
        // A retry after a lost race spreads over the candidates (matcher.ts spreadCandidate).
        const spread = attempt === 0 ? 0 : attempt + (me.seq % PEEK_PER_BUCKET);
        candidate = chooseCandidate(policy, me, heads, now, spread);
        if (candidate) break;
      }
      if (!candidate) return success();
      const res = await this.commitPair(policy, me, candidate, now);
      if (res) return res;
    }
    return this.deferMatch(userId, seq);
  }

  /** Contention beyond reason: try again shortly rather than strand this user. */
  private deferMatch(userId: UserId, seq: number): Outcome {
    return success(
      [],
      [{ kind: "retry_match", at: this.clock.now() + MATCH_RETRY_MS, userId, seq }],
    );
  }

  /** The commit of a chosen pair: the outcome if it held, undefined if either had moved on. */
  private async commitPair(
    policy: SpacePolicy,
    me: QueueEntry,
    candidate: QueueEntry,
    now: number,
  ): Promise<Outcome | undefined> {
    const commit = this.sessionCommit(policy, me, candidate, now);
    const res = await this.store.createSession(commit.session, commit.a, commit.b);
    return this.committed(commit, res, now);
  }

  /**
   * A round's commits, `ROUND_CALL_MAX` to a store call (`createSessions`), all sent now: one
   * promise per pair, as `commitPair` answers. A call that fails fails the pairs it carried.
   */
  private commitPairs(
    policy: SpacePolicy,
    pairs: readonly RoundPair[],
    now: number,
  ): Promise<Outcome | undefined>[] {
    const out: Promise<Outcome | undefined>[] = [];
    for (let i = 0; i < pairs.length; i += ROUND_CALL_MAX) {
      const commits = pairs
        .slice(i, i + ROUND_CALL_MAX)
        .map((p) => this.sessionCommit(policy, p.me, p.candidate, now));
      const call = this.store.createSessions(commits);
      commits.forEach((c, j) => {
        out.push(
          call.then((results) => {
            const res = results[j];
            if (!res) throw new Error("createSessions: fewer results than commits");
            return this.committed(c, res, now);
          }),
        );
      });
    }
    return out;
  }

  /** The session a chosen pair would open, with its two entries, the older first. */
  private sessionCommit(
    policy: SpacePolicy,
    me: QueueEntry,
    candidate: QueueEntry,
    now: number,
  ): SessionCommit {
    // The older entry first: participants are listed in the order they started waiting.
    const [a, b]: [QueueEntry, QueueEntry] =
      candidate.seq < me.seq ? [candidate, me] : [me, candidate];
    return {
      session: {
        id: this.ids.sessionId(),
        space: policy.id,
        participants: [a.userId, b.userId],
        browsers: [a.browserId, b.browserId],
        persons: [personOf(a), personOf(b)],
        status: "PENDING",
        entered: [],
        createdAt: now,
        enterBy: now + policy.joinTimeoutMs,
      },
      a,
      b,
    };
  }

  /** What a commit's answer means: the outcome if it held, undefined if either had moved on. */
  private committed(
    commit: SessionCommit,
    res: CreateSessionResult,
    now: number,
  ): Outcome | undefined {
    if (!res.ok) return undefined;
    const { session, a, b } = commit;
    const [ua, ub] = res.users;
    if (ua.node === ub.node) this.keepFirstIn(session.id, [ua.id, ub.id], session.enterBy);
    return success(
      res.users.map((u) => this.stateOut(u)),
      [{ kind: "join_timeout", at: session.enterBy, sessionId: session.id }],
      [
        {
          kind: "matched",
          space: session.space,
          sessionId: session.id,
          participants: [a.userId, b.userId],
          waitedMs: [now - a.since, now - b.since],
        },
      ],
    );
  }

  /**
   * A round's joiners enqueued, `ROUND_CALL_MAX` to a store call (`enqueueMany`), and its buckets
   * read by the last of those calls (so the read comes after every enqueue: the calls are sent
   * together, and the store answers them in order). Throws if any call failed: the round's
   * requests then all hear it.
   */
  private async enqueueAndRead(
    joins: readonly RoundRequest[],
    buckets: readonly string[],
    depth: number,
  ): Promise<{ results: EnqueueResult[]; heads: readonly (readonly QueueEntry[])[] }> {
    const requests = joins.flatMap((r) => (r.join ? [r.join.request] : []));
    const calls: Promise<EnqueueManyResult>[] = [];
    let i = 0;
    do {
      const part = requests.slice(i, i + ROUND_CALL_MAX);
      i += ROUND_CALL_MAX;
      const last = i >= requests.length;
      calls.push(this.store.enqueueMany(part, last ? buckets : [], last ? depth : 0));
    } while (i < requests.length);
    const answers = await Promise.all(calls);
    return {
      results: answers.flatMap((a) => a.results),
      heads: answers[answers.length - 1]?.heads ?? [],
    };
  }

  /** Runs `space`'s rounds until no attempt waits for one (match-rounds.ts). */
  private async runRounds(rounds: MatchRounds, space: SpaceId): Promise<void> {
    // Bounded: each round settles, parks or re-queues what it took, and a request is re-queued at
    // most MATCH_ATTEMPTS times before it is settled with a deferred retry.
    for (;;) {
      const batch = rounds.take(space);
      if (batch.length > 0) {
        try {
          await this.matchRound(rounds, space, batch);
        } catch (err) {
          // Reading the entries failed (cluster mode: Redis out of reach): every caller hears it.
          for (const req of batch) req.fail(err);
        }
      }
      if (rounds.finish(space)) return;
    }
  }

  /** A request for the next round of `space`, starting the rounds if none run. */
  private requeue(rounds: MatchRounds, space: SpaceId, req: RoundRequest): void {
    if (rounds.add(space, req)) void this.runRounds(rounds, space);
  }

  /**
   * One round: the waiting entries of every request, one read of all the buckets they look in
   * (deep enough for each to find someone the others did not take), pairs chosen oldest request
   * first with nobody twice, and every commit sent at once. It returns once the commits are sent:
   * their answers are handled by `settleRound` while the next round reads (match-rounds.ts says
   * what keeps two rounds from choosing one person). A request whose commit failed, or that found
   * no one only because others took the people it could have had, takes part in a later round;
   * one that found no one free is settled (it waits in the queue for the next joiner).
   */
  private async matchRound(
    rounds: MatchRounds,
    space: SpaceId,
    batch: readonly RoundRequest[],
  ): Promise<void> {
    const policy = this.policies.get(space);
    if (!policy) {
      for (const req of batch) req.settle(success());
      return;
    }
    // Joiners not yet in the queue: enqueued below, by the call that also reads the buckets.
    const joins = batch.filter((req) => req.join);
    const waiting = batch.filter((req) => !req.join);
    const mine = await Promise.all(waiting.map((req) => this.roundEntry(req)));
    const now = this.clock.now();
    // What the read must cover: the buckets every search of this round looks in (a joiner's from
    // the entry it asked for: the buckets depend only on what the request says).
    const toRead = new Set<string>();
    for (const me of mine)
      if (me) for (const b of searchGroups(policy, me, now).flat()) toRead.add(b);
    for (const { join } of joins) {
      if (join) for (const b of searchGroups(policy, join.probe, now).flat()) toRead.add(b);
    }
    const buckets = [...toRead];
    const depth = Math.min(MAX_ROUND_PEEK, PEEK_PER_BUCKET + waiting.length + joins.length);
    let heads: readonly (readonly QueueEntry[])[];
    const entries: (QueueEntry | undefined)[] = [...mine];
    const requests: RoundRequest[] = [...waiting];
    try {
      const read = await this.enqueueAndRead(joins, buckets, depth);
      heads = read.heads;
      joins.forEach((req, i) => {
        const res = read.results[i] as EnqueueResult;
        req.join?.enqueued(res);
        if (!res.ok) {
          req.settle(success()); // the join failed: its caller answers it
          return;
        }
        // From here on an ordinary request for that search, its entry as just enqueued.
        requests.push({
          userId: req.userId,
          seq: res.entry.seq,
          known: res.entry,
          tries: req.tries,
          settle: req.settle,
          fail: req.fail,
        });
        entries.push(res.entry);
      });
    } catch (err) {
      // Every request of the round hears it (none is parked yet: that comes after the read).
      for (const req of batch) req.fail(err);
      return;
    }
    // One attempt per search: the same search asked twice (its join and a deadline's retry in one
    // round) is answered once, the other request with nothing — never left unanswered.
    const bySearch = new Map<UserId, { req: RoundRequest; me: QueueEntry }>();
    requests.forEach((req, i) => {
      const me = entries[i];
      if (!me) {
        req.settle(success()); // no longer waiting as that search: nothing to do
        return;
      }
      const seen = bySearch.get(me.userId);
      if (!seen) {
        bySearch.set(me.userId, { req, me });
        return;
      }
      const first = seen.req;
      seen.req = {
        ...first,
        settle: (outcome) => {
          first.settle(outcome);
          req.settle(success());
        },
        fail: (err) => {
          first.fail(err);
          req.fail(err);
        },
      };
    });
    // Someone an earlier round's unanswered commit holds waits for that answer: matched there,
    // its request is answered; if not, it comes back for a later round (`settleRound`).
    const live: { req: RoundRequest; me: QueueEntry }[] = [];
    for (const l of bySearch.values()) {
      if (rounds.isHeld(space, l.me.userId)) rounds.park(space, l.me.userId, l.req);
      else live.push(l);
    }
    if (live.length === 0) return;
    live.sort((x, y) => x.me.seq - y.me.seq);
    const groups = live.map(({ me }) => searchGroups(policy, me, now));
    const inBucket = new Map(buckets.map((b, i) => [b, heads[i] ?? []]));

    const taken = new Set<UserId>();
    const pairs: RoundPair[] = [];
    const alone: RoundRequest[] = [];
    /** Found no one free among what was read, but a bucket went on beyond it. */
    const unseen: RoundRequest[] = [];
    /** Found no one free, but someone an earlier round's commit holds would do: wait for it. */
    const behind: { req: RoundRequest; held: UserId }[] = [];
    const isHeld = (e: QueueEntry) => rounds.isHeld(space, e.userId);
    // Who each bucket still offers: its entries less the held (fixed for this loop) and, as pairs
    // are chosen, less the taken, removed from the buckets they are in (not every request
    // filtering every bucket it looks in again: rounds of hundreds made that a visible cost).
    const freeIn = new Map<string, QueueEntry[]>();
    const bucketsOf = new Map<UserId, string[]>();
    for (const [b, all] of inBucket) {
      const free = all.filter((e) => !isHeld(e));
      freeIn.set(b, free);
      for (const e of free) {
        const list = bucketsOf.get(e.userId);
        if (list) list.push(b);
        else bucketsOf.set(e.userId, [b]);
      }
    }
    const take = (userId: UserId) => {
      taken.add(userId);
      for (const b of bucketsOf.get(userId) ?? []) {
        const free = freeIn.get(b);
        const at = free?.findIndex((e) => e.userId === userId) ?? -1;
        if (free && at >= 0) free.splice(at, 1);
      }
    };
    live.forEach(({ req, me }, i) => {
      if (taken.has(me.userId)) return; // an earlier request of this round chose this one
      let candidate: QueueEntry | undefined;
      let missedSome = false;
      for (const group of groups[i] ?? []) {
        const free = group.map((b) => {
          const all = inBucket.get(b) ?? [];
          if (all.length >= depth) missedSome = true; // the bucket goes on beyond what was read
          return freeIn.get(b) ?? [];
        });
        const spread = req.tries === 0 ? 0 : req.tries + (me.seq % PEEK_PER_BUCKET);
        candidate = chooseCandidate(policy, me, free, now, spread);
        if (candidate) break;
      }
      if (candidate) {
        take(me.userId);
        take(candidate.userId);
        pairs.push({ req, me, candidate });
        return;
      }
      if (missedSome) {
        unseen.push(req);
        return;
      }
      // The people held by an unanswered commit were passed over: if one of them would do, and
      // that commit fails, this search must see them again (else both wait side by side).
      const heldOnes = (groups[i] ?? []).flat().map((b) => (inBucket.get(b) ?? []).filter(isHeld));
      const wanted = chooseCandidate(policy, me, heldOnes, now);
      if (wanted) behind.push({ req, held: wanted.userId });
      else alone.push(req);
    });
    // Answered when the commit that holds the one it wanted is: matched there, or not.
    for (const { req, held } of behind) rounds.park(space, held, req);

    if (pairs.length === 0) {
      // Nothing of this round is unanswered: no commit can free anyone for those who found no
      // one, and a round that paired no one spends a try of those it could not see.
      for (const req of alone) req.settle(success());
      for (const req of unseen) this.tryAgain(rounds, space, req);
      return;
    }
    const requestOf = new Map(live.map((l) => [l.me.userId, l.req]));
    for (const p of pairs) {
      rounds.hold(space, p.me.userId);
      rounds.hold(space, p.candidate.userId);
    }
    // Sent now (each call sends before its first await), answered later.
    const commits = this.commitPairs(policy, pairs, now);
    // Not seen is not lost: while rounds make pairs, the rest of a burst goes on to the next
    // round without spending a try (each such round chose someone, so this ends).
    for (const req of unseen) rounds.add(space, req);
    void this.settleRound(rounds, space, pairs, alone, requestOf, commits);
  }

  /**
   * The answers to one round's commits: the outcomes to their requests, then everyone the round
   * held is free to be chosen again, with the requests parked behind them answered (their search
   * was matched here) or sent to a later round. Never throws; releases in every case.
   */
  private async settleRound(
    rounds: MatchRounds,
    space: SpaceId,
    pairs: readonly RoundPair[],
    alone: readonly RoundRequest[],
    requestOf: ReadonlyMap<UserId, RoundRequest>,
    commits: readonly Promise<Outcome | undefined>[],
  ): Promise<void> {
    // Settled one by one: a commit that failed (the store out of reach) must not hide the
    // outcome of one that held — those two people are matched and must be told.
    const results = await Promise.allSettled(commits);
    const matchedHere = new Map<UserId, number>();
    const again: RoundRequest[] = [];
    let lost = false;
    try {
      pairs.forEach((p, i) => {
        const result = results[i];
        const partnerReq = requestOf.get(p.candidate.userId);
        if (result?.status === "rejected") {
          p.req.fail(result.reason);
          partnerReq?.fail(result.reason);
          return;
        }
        const outcome = result?.value;
        if (outcome) {
          matchedHere.set(p.me.userId, p.me.seq);
          matchedHere.set(p.candidate.userId, p.candidate.seq);
          p.req.settle(outcome);
          // The partner's own request is answered by this one's outcome (both views are in it).
          partnerReq?.settle(success());
          return;
        }
        lost = true;
        again.push(p.req);
        if (partnerReq) again.push(partnerReq);
      });
      // A commit that failed freed someone the requests that found no one may have wanted.
      if (lost) again.push(...alone);
      else for (const req of alone) req.settle(success());
    } finally {
      // A search matched here, asked again meanwhile (a deadline's retry, the partner's own
      // request): answered; anything else parked goes to a later round.
      const released = [
        ...pairs.flatMap((p) => [
          ...rounds.release(space, p.me.userId),
          ...rounds.release(space, p.candidate.userId),
        ]),
        ...rounds.drop(space, matchedHere),
      ];
      for (const req of released) {
        if (matchedHere.get(req.userId) === req.seq) req.settle(success());
        else this.requeue(rounds, space, req);
      }
      for (const req of again) this.tryAgain(rounds, space, req);
    }
  }

  /** A request that spent a try: to a later round, or after MATCH_ATTEMPTS a deferred retry. */
  private tryAgain(rounds: MatchRounds, space: SpaceId, req: RoundRequest): void {
    const tries = req.tries + 1;
    if (tries >= MATCH_ATTEMPTS) {
      req.settle(this.deferMatch(req.userId, req.seq));
      return;
    }
    const { known: _stale, ...rest } = req;
    this.requeue(rounds, space, { ...rest, tries });
  }

  /** The request's search as it waits now: the known entry on its first round, else read. */
  private async roundEntry(req: RoundRequest): Promise<QueueEntry | undefined> {
    if (req.tries === 0 && req.known?.seq === req.seq) return req.known;
    const user = await this.store.getUser(req.userId);
    const me = user?.entry;
    return user?.state === "WAITING" && me?.seq === req.seq ? me : undefined;
  }

  /** The pair-cooldown option for closing a session of `space`, if its policy has one. */
  private cooldown(space: SpaceId): Pick<CloseOptions, "cooldownUntil"> {
    const ms = this.policies.get(space)?.pairing.pairCooldownMs ?? 0;
    return ms > 0 ? { cooldownUntil: this.clock.now() + ms } : {};
  }

  /**
   * Who has entered `session`: the store's list with the first `enter` of a same-node pair this
   * engine kept (`firstIns`) added. The same array when there is nothing to add.
   */
  enteredOf(session: Pick<SessionRecord, "id" | "entered">): readonly UserId[] {
    const first = this.firstIns.get(session.id)?.first;
    if (first === undefined || session.entered.includes(first)) return session.entered;
    return [...session.entered, first];
  }

  /** Sessions with a first `enter` kept here or waiting for one (`firstIns`): for tests and stats. */
  firstInsKept(): number {
    return this.firstIns.size;
  }

  /**
   * Starts keeping a same-node pair's first `enter` (`firstIns`), and drops entries whose join
   * deadline is FIRST_IN_GRACE_MS past: normally a close or the second enter removed them long
   * before, but a session matched here for two users of another node (a re-queue or a deadline
   * this node ran for them) is entered, closed and timed out there, and its entry here would
   * otherwise stay. Oldest first, stopping at the first one still current: O(1) amortized.
   */
  private keepFirstIn(
    sessionId: SessionId,
    participants: readonly [UserId, UserId],
    enterBy: number,
  ): void {
    const now = this.clock.now();
    for (const [id, kept] of this.firstIns) {
      if (kept.enterBy + FIRST_IN_GRACE_MS > now) break;
      this.firstIns.delete(id);
    }
    this.firstIns.set(sessionId, { participants, enterBy });
  }

  /** Every close this engine asks for: the session's kept first `enter` (`firstIns`) goes with it. */
  private closeSession(
    sessionId: SessionId,
    reason: CloseReason,
    by: UserId | null,
    options?: CloseOptions,
  ): Promise<CloseResult> {
    this.firstIns.delete(sessionId);
    return this.store.closeSession(sessionId, reason, by, options);
  }

  /** The user leaves its session (exit, or cancel crossing the match): it closes for both. */
  private async leaveSession(
    user: Pick<UserRecord, "id" | "sessionId" | "space">,
    reason: CloseReason,
  ): Promise<Outcome> {
    if (!user.sessionId || !user.space) return failure("illegal_state");
    const sessionId = user.sessionId;
    // Both sides leave at once (a goodbye, then both press Skip or End) and the partner's leave
    // of this very session is still on its way to the store: whatever this user asked, that
    // close ends the session first (the store answers it before any close sent after it), so a
    // second close could only miss — a store call (a Redis round trip in cluster mode) for
    // nothing. Its answer says how this user's record stands, as a miss's would. If it did not
    // close the session (an error, or it was already closed), this leave asks for itself.
    // Limits: only leaves through this engine (node) are seen; the partner's on another node is
    // not, and this leave then misses in the store as before.
    const earlier = this.leaving.get(sessionId);
    if (earlier) {
      const first = await earlier.catch(() => undefined);
      const mine = first?.closed ? first.ended.find((u) => u.id === user.id) : undefined;
      if (mine) return this.retry(user.id, "exit", mine);
    }
    const pending = this.closeSession(sessionId, reason, user.id, this.cooldown(user.space));
    this.leaving.set(sessionId, pending);
    let res: CloseResult;
    try {
      res = await pending;
    } finally {
      if (this.leaving.get(sessionId) === pending) this.leaving.delete(sessionId);
    }
    // Closed a moment earlier (both sides left at once): answered from the record the store
    // gave back with the miss, without reading it again.
    if (!res.closed) return this.retry(user.id, "exit", res.caller);
    return this.afterClose(res, reason, user.id);
  }

  /** Skip or End: legal only in spaces whose policy offers that control. */
  private async closeBy(
    userId: UserId,
    event: "skip" | "end",
    reason: "skipped" | "ended",
  ): Promise<Outcome> {
    const user = await this.store.getUser(userId);
    if (!user) return failure("illegal_state");
    const rule = decide(user.state, event);
    if (rule === NOOP) return success();
    if (typeof rule === "object") return failure(rule.error);
    const policy = user.space ? this.policies.get(user.space) : undefined;
    if (!policy?.controls.includes(event)) return failure("not_in_this_space");
    return this.leaveSession(user, reason);
  }

  /**
   * Tells each remaining participant that the session ended (with who ended it, from their point
   * of view) and applies the space's after-close policy to each side: stay on the ended screen,
   * go home, or look again at once. For `join_timeout`, whoever never entered is the initiator.
   */
  private async afterClose(
    res: CloseResult,
    reason: CloseReason,
    by: UserId | null,
  ): Promise<Outcome> {
    if (!res.closed) return success();
    const policy = this.policies.get(res.session.space);
    const [pa, pb] = sessionPersons(res.session);
    const [ua, ub] = res.session.participants;
    let outcome = success(
      [],
      [],
      [
        {
          kind: "closed",
          space: res.session.space,
          sessionId: res.session.id,
          reason,
          by,
          participants: [
            { userId: ua, person: pa },
            { userId: ub, person: pb },
          ],
          activeMs:
            res.session.activeAt !== undefined ? this.clock.now() - res.session.activeAt : null,
        },
      ],
    );
    for (const user of res.ended) {
      const initiator =
        reason === "join_timeout" ? !res.session.entered.includes(user.id) : by === user.id;
      const move = policy?.afterClose[reason][initiator ? "initiator" : "other"] ?? "ended";
      if (move === "requeue" && policy) {
        const search: Search = {
          topics: user.topics ?? [],
          onlyMine: user.onlyMine ?? false,
          ...(user.intent ? { intent: user.intent } : {}),
          ...(user.tier ? { tier: user.tier } : {}),
          ...(user.blocked ? { blocked: user.blocked } : {}),
        };
        const requeued = await this.enqueueAndMatch(user.id, "requeue", policy, search, user.ended);
        // A re-queue that cannot happen (another tab of this browser is already looking) leaves
        // this side on the ended screen; it is not the error of whoever closed the session.
        outcome = merge(outcome, requeued.ok ? requeued : success([this.stateOut(user)]));
      } else if (move === "idle") {
        const idle = await this.store.returnHome(user.id);
        outcome = merge(outcome, success(idle ? [this.stateOut(idle)] : []));
      } else {
        outcome = merge(outcome, success([this.stateOut(user)]));
      }
    }
    return outcome;
  }

  /**
   * The conditional commit failed because the user's state changed between snapshot and commit
   * (e.g. a cancel crossed a match): decide again on the new state and carry that out, once.
   * A second failure reports `illegal_state`. `known`: the user as the store just gave it back
   * (a missed close's `caller`), read again otherwise.
   */
  private async retry(userId: UserId, event: UserEvent, known?: UserRecord): Promise<Outcome> {
    const user = known ?? (await this.store.getUser(userId));
    if (!user) return failure("illegal_state");
    const rule = decide(user.state, event);
    if (rule === NOOP) return success([this.stateOut(user)]);
    if (typeof rule === "object") return failure(rule.error);
    if ((event === "cancel" || event === "exit") && rule === "ENDED" && user.sessionId) {
      const res = await this.closeSession(
        user.sessionId,
        "left",
        user.id,
        user.space ? this.cooldown(user.space) : {},
      );
      if (res.closed) return this.afterClose(res, "left", user.id);
    }
    return failure("illegal_state");
  }

  private stateOut(user: UserRecord, previous?: EndedInfo): Outgoing {
    const talking = (user.state === "MATCHED" || user.state === "ACTIVE") && user.partnerId;
    return {
      to: user.id,
      ...nodeOf(user.node),
      event: "state",
      payload: this.view(user, previous),
      version: user.version ?? 0,
      ...(talking
        ? { partner: { id: user.partnerId as UserId, ...nodeOf(user.partnerNode) } }
        : {}),
    };
  }

  /**
   * The state view of a user record, as its client must render it. Throws on a record that breaks
   * the store's contract (a field its state requires is missing): that is a bug, never data.
   */
  view(user: UserRecord, previous?: EndedInfo): StateView {
    const now = this.clock.now();
    const intent = user.intent ? { intent: user.intent } : {};
    switch (user.state) {
      case "IDLE":
        return { state: "IDLE" };
      case "WAITING": {
        const space = required(user.space, "space", user);
        const entry = required(user.entry, "entry", user);
        const policy = this.policies.get(space);
        const anyoneInMs = policy ? anyoneIn(policy, entry, now) : undefined;
        return {
          state: "WAITING",
          space,
          ...intent,
          waitedMs: Math.max(0, now - entry.since),
          ...(anyoneInMs !== undefined ? { anyoneInMs: Math.ceil(anyoneInMs) } : {}),
          ...(previous ? { previous: this.endedView(user.id, previous) } : {}),
        };
      }
      case "MATCHED":
      case "ACTIVE": {
        const partner: { intent?: Intent; sharedTopics?: string[] } = {};
        if (user.partnerIntent) partner.intent = user.partnerIntent;
        if (user.sharedTopics) partner.sharedTopics = [...user.sharedTopics];
        const base = {
          space: required(user.space, "space", user),
          sessionId: required(user.sessionId, "sessionId", user),
          partner,
        };
        if (user.state === "ACTIVE") return { state: "ACTIVE", ...base };
        const enterBy = required(user.enterBy, "enterBy", user);
        return { state: "MATCHED", ...base, enterWithinMs: Math.max(0, enterBy - now) };
      }
      case "ENDED":
        return {
          state: "ENDED",
          space: required(user.space, "space", user),
          ...this.endedView(user.id, required(user.ended, "ended", user)),
        };
    }
  }

  private endedView(
    viewer: UserId,
    ended: EndedInfo,
  ): { sessionId: SessionId; reason: CloseReason; by: "you" | "partner" | "server" } {
    const by = ended.by === null ? "server" : ended.by === viewer ? "you" : "partner";
    // The reported person reads a neutral ending, as if the other had simply left: telling them
    // they were reported helps nobody and can provoke. Only the reporter sees "reported".
    if (ended.reason === "reported" && by !== "you") {
      return { sessionId: ended.sessionId, reason: "left", by: "partner" };
    }
    return { sessionId: ended.sessionId, reason: ended.reason, by };
  }
}

function required<T>(value: T | undefined, field: string, user: UserRecord): T {
  if (value === undefined)
    throw new Error(`store contract broken: ${user.state} user without ${field}`);
  return value;
}

/** An outgoing event's `node`, when the record has one. */
function nodeOf(node: string | undefined): { node?: string } {
  return node !== undefined ? { node } : {};
}
