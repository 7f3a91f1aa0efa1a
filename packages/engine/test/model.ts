/**
 * The model of the model-based tests (model.test.ts; packages/redis-store runs the same sequences
 * on RedisStore): the command language, its arbitraries, and ModelRun, which runs commands on a
 * World (Engine + store + FakeScheduler on a manual clock) and checks every step's outcome against
 * the transition table and the matching rules, and the whole store and every screen against the
 * invariants of SPEC §3/§4 after each step. No tests here: model.test.ts holds the properties.
 */
import {
  compatible,
  decide,
  edges,
  GONE,
  isOpen,
  MatchRounds,
  type MemoryStore,
  NOOP,
  type Outcome,
  type QueueEntry,
  type SpacePolicy,
  type Store,
  type UserEvent,
  type UserRecord,
} from "@duet/engine";
import { type Intent, LIMITS, type SpaceId, StateView, type UserState } from "@duet/protocol";
import fc from "fast-check";
import { expect } from "vitest";
import {
  type ClosedObservation,
  comparableView,
  errorOf,
  MADE_UP_SESSION,
  OPAQUE_ID,
  type Snapshot,
  World,
} from "./helpers";

// ---- the command language ---------------------------------------------------------------------

/** Slot i is one browser tab; slots 0/1 and 2/3 are two tabs of one browser each. */
export const BROWSERS = [
  "browser-x",
  "browser-x",
  "browser-y",
  "browser-y",
  "browser-p",
  "browser-q",
  "browser-r",
];
export const SLOTS = BROWSERS.length;

export type TextKind = "empty" | "blank" | "normal" | "padded" | "max" | "long";
export type EnterTarget = "own" | "stale" | "other" | "madeup";
export type GhostEvent =
  | "join"
  | "cancel"
  | "enter"
  | "send"
  | "exit"
  | "home"
  | "disconnect"
  | "skip"
  | "end"
  | "typing"
  | "report"
  | "widen"
  | "care";
/** Events a user sends about its current search or conversation, with no payload. */
export type RoomEvent = "skip" | "end" | "typing" | "report" | "widen" | "care";

export type Cmd =
  | {
      k: "join";
      slot: number;
      intent: Intent | undefined;
      /** An index into the enabled spaces, or -1 for a space that is not enabled. */
      space: number;
      topics: string[];
      only: boolean;
    }
  | { k: "cancel"; slot: number }
  | { k: "room"; slot: number; event: RoomEvent }
  | { k: "enter"; slot: number; target: EnterTarget; other: number }
  | { k: "send"; slot: number; text: TextKind }
  | { k: "exit"; slot: number }
  | { k: "home"; slot: number }
  | { k: "disconnect"; slot: number; reconnect: boolean }
  | { k: "connect"; slot: number }
  | { k: "tick"; ms: number }
  | { k: "dup" }
  | { k: "ghost"; slot: number; event: GhostEvent }
  | { k: "replay"; pick: number }
  /** Bursts only: the slot's join deadline fires now (a timer racing the clients). */
  | { k: "expire"; slot: number }
  /**
   * A state-aware step, so that sequences get somewhere: the pick-th user for whom `what` makes
   * sense acts (a MATCHED user enters its room, an ACTIVE one sends, an IDLE/ENDED one joins...).
   */
  | {
      k: "act";
      what: ActKind;
      pick: number;
      intent: Intent;
      text: TextKind;
      space: number;
      topics: string[];
      only: boolean;
    };

export type ActKind = "join" | "enter" | "send" | "exit" | "home" | "cancel" | RoomEvent;
export const ACT_STATES: Record<ActKind, readonly UserState[]> = {
  join: ["IDLE", "ENDED"],
  enter: ["MATCHED"],
  send: ["ACTIVE"],
  exit: ["MATCHED", "ACTIVE"],
  home: ["ENDED"],
  cancel: ["WAITING"],
  skip: ["MATCHED", "ACTIVE"],
  end: ["MATCHED", "ACTIVE"],
  typing: ["ACTIVE"],
  report: ["MATCHED", "ACTIVE"],
  widen: ["WAITING"],
  care: ["ACTIVE"],
};

/** A command resolved against the model: concrete ids, ready to run (and to repeat). */
export type Ev =
  | {
      k: "join";
      user: string;
      intent: Intent | undefined;
      space: SpaceId;
      topics: string[];
      only: boolean;
    }
  | { k: "cancel" | "exit" | "home" | "disconnect" | RoomEvent; user: string }
  | { k: "enter"; user: string; sessionId: string }
  | { k: "send"; user: string; text: string }
  | { k: "connect"; user: string; browserId: string }
  | { k: "tick"; ms: number }
  | { k: "deadline"; index: number }
  | { k: "expire"; sessionId: string };

export const TEXTS: Record<TextKind, string> = {
  empty: "",
  blank: "  \n\t ",
  normal: "hello, how are you?",
  padded: `   ${"p".repeat(LIMITS.maxMessageLength)}   `,
  max: "m".repeat(LIMITS.maxMessageLength),
  long: "l".repeat(LIMITS.maxMessageLength + 1),
};

export const slotArb = fc.integer({ min: 0, max: SLOTS - 1 });
/** Topic tags: three from stimchat's list (so that tags overlap often) and one nobody offers. */
export const topicsArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant<string[]>([]) },
  { weight: 4, arbitrary: fc.subarray<string>(["music", "games", "study"], { minLength: 1 }) },
  { weight: 1, arbitrary: fc.constant<string[]>(["basket weaving"]) },
);
/**
 * Tags for a space without topics (dormparty alone): mostly none, so that its joins succeed and
 * sessions get to close; now and then one, for the `topic_unknown` refusal.
 */
export const fewTagsArb = fc.oneof(
  { weight: 12, arbitrary: fc.constant<string[]>([]) },
  { weight: 1, arbitrary: fc.constant<string[]>(["music"]) },
);
/** An index into the enabled spaces (mostly), or -1: a space that is not enabled. */
export const spaceArb = fc.oneof(
  { weight: 6, arbitrary: fc.nat({ max: 5 }) },
  { weight: 1, arbitrary: fc.constant(-1) },
);
export const intentArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<Intent>("talk", "listen", "both") },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/**
 * `topics`: the run has spaces with topics or cooldowns (long ticks for their windows). `tags`:
 * the tags joins ask for (by default: stimchat's when `topics`, else mostly none).
 */
export function cmdArb(
  joinTimeoutMs: number,
  topics = false,
  tags: fc.Arbitrary<string[]> = topics ? topicsArb : fewTagsArb,
): fc.Arbitrary<Cmd> {
  return fc.oneof(
    {
      weight: 30,
      arbitrary: fc.record({
        k: fc.constant("act" as const),
        what: fc.constantFrom<ActKind>(
          "join",
          "join",
          "join",
          "enter",
          "enter",
          "enter",
          "send",
          "send",
          "exit",
          "home",
          "cancel",
          "skip",
          "end",
          "typing",
          "report",
          "widen",
          "care",
        ),
        pick: fc.nat({ max: SLOTS - 1 }),
        intent: fc.constantFrom<Intent>("talk", "listen", "both"),
        space: fc.nat({ max: 5 }),
        topics: tags,
        only: fc.boolean(),
        text: fc.constantFrom<TextKind>(
          "normal",
          "normal",
          "normal",
          "empty",
          "blank",
          "padded",
          "max",
          "long",
        ),
      }),
    },
    {
      weight: 8,
      arbitrary: fc.record({
        k: fc.constant("join" as const),
        slot: slotArb,
        intent: intentArb,
        space: spaceArb,
        topics: tags,
        only: fc.boolean(),
      }),
    },
    { weight: 2, arbitrary: fc.record({ k: fc.constant("cancel" as const), slot: slotArb }) },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant("room" as const),
        slot: slotArb,
        event: fc.constantFrom<RoomEvent>("skip", "end", "typing", "report", "widen", "care"),
      }),
    },
    {
      weight: 6,
      arbitrary: fc.record({
        k: fc.constant("enter" as const),
        slot: slotArb,
        target: fc.constantFrom<EnterTarget>("own", "own", "own", "stale", "other", "madeup"),
        other: slotArb,
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        k: fc.constant("send" as const),
        slot: slotArb,
        text: fc.constantFrom<TextKind>(
          "empty",
          "blank",
          "normal",
          "normal",
          "padded",
          "max",
          "long",
        ),
      }),
    },
    { weight: 2, arbitrary: fc.record({ k: fc.constant("exit" as const), slot: slotArb }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant("home" as const), slot: slotArb }) },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant("disconnect" as const),
        slot: slotArb,
        reconnect: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant("connect" as const), slot: slotArb }) },
    {
      weight: 3,
      arbitrary: fc.record({
        k: fc.constant("tick" as const),
        ms: fc.oneof(
          fc.integer({ min: 0, max: 2_000 }),
          fc.constant(25),
          fc.integer({ min: joinTimeoutMs, max: joinTimeoutMs + 1_000 }),
          // Topic fallback (10 s), pair cooldown (30 s), stimchat's search limit (60 s).
          ...(topics ? [fc.integer({ min: 5_000, max: 61_000 })] : []),
        ),
      }),
    },
    { weight: 2, arbitrary: fc.constant({ k: "dup" as const }) },
    {
      weight: 1,
      arbitrary: fc.record({
        k: fc.constant("ghost" as const),
        slot: slotArb,
        event: fc.constantFrom<GhostEvent>(
          "join",
          "cancel",
          "enter",
          "send",
          "exit",
          "home",
          "disconnect",
          "skip",
          "end",
          "typing",
          "report",
          "widen",
          "care",
        ),
      }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant("replay" as const), pick: fc.nat() }) },
  );
}

// ---- the checked runner -----------------------------------------------------------------------

/** What may follow a close in a space that re-queues or sends home (the after-close policy). */
export const AFTER_CLOSE: readonly UserEvent[] = ["closed", "requeue", "paired", "home"];

/**
 * The events whose edges may explain a user's change of state during one step. In menti (strict)
 * a close leaves both on the ended screen; elsewhere the after-close policy may re-queue (and
 * match at once) or send home, within the same step.
 */
export function allowedEvents(ev: Ev, isActor: boolean, strict: boolean): readonly UserEvent[] {
  if (!strict) {
    const own: UserEvent[] =
      ev.k === "join" ||
      ev.k === "cancel" ||
      ev.k === "enter" ||
      ev.k === "send" ||
      ev.k === "exit" ||
      ev.k === "home" ||
      ev.k === "disconnect" ||
      ev.k === "skip" ||
      ev.k === "end" ||
      ev.k === "typing" ||
      ev.k === "report" ||
      ev.k === "widen" ||
      ev.k === "care"
        ? [ev.k]
        : [];
    return [...(isActor ? own : []), ...AFTER_CLOSE, "activated", "search_timeout"];
  }
  switch (ev.k) {
    case "skip":
    case "end":
    case "report":
      return isActor ? [ev.k] : ["closed"];
    case "typing":
    case "care":
      return [];
    case "join":
    case "widen":
      return isActor ? [ev.k, "paired"] : ["paired"];
    case "cancel":
      return isActor ? ["cancel"] : ["closed"];
    case "enter":
      return isActor ? ["enter", "activated"] : ["activated"];
    case "send":
      return [];
    case "exit":
      return isActor ? ["exit"] : ["closed"];
    case "home":
      return isActor ? ["home"] : [];
    case "disconnect":
      return isActor ? ["disconnect"] : ["closed"];
    case "connect":
      return [];
    case "tick":
    case "deadline":
      return ["closed", "search_timeout", "paired"];
    case "expire":
      return ["closed"];
  }
}

export const EDGES = edges();
/** The JSON each snapshot was parsed from. */
export const snapJson = new WeakMap<Snapshot, string>();
/** Views already checked against the protocol schema (each is validated once). */
export const validViews = new WeakSet<object>();

/** True when `to` is reachable from `from` in at most `steps` table edges using only `events`. */
export function reachable(
  from: UserState,
  to: UserState | typeof GONE,
  events: readonly UserEvent[],
  steps = 2,
): boolean {
  const usable = EDGES.filter((e) => events.includes(e.event));
  let frontier = new Set<UserState | typeof GONE>([from]);
  for (let i = 0; i < steps; i++) {
    const next = new Set<UserState | typeof GONE>();
    for (const s of frontier) for (const e of usable) if (e.from === s) next.add(e.to);
    if (next.has(to)) return true;
    frontier = next;
  }
  return false;
}

export const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Fast assertions for the hot path; on failure they defer to expect for a readable diff. */
export function is(actual: unknown, expected: unknown, what: string): void {
  if (!Object.is(actual, expected)) expect(actual, what).toBe(expected);
}
export function eq(actual: unknown, expected: unknown, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) expect(actual, what).toEqual(expected);
}

/** What the random sequences reached (outcomes, states, close reasons), so a degenerate generator shows. */
export const coverage = new Map<string, number>();
export const cover = (key: string): void => {
  coverage.set(key, (coverage.get(key) ?? 0) + 1);
};

/** A policy whose every command this file predicts exactly: menti's rules (any search limit). */
export function isMentiLike(p: SpacePolicy): boolean {
  return (
    p.pairing.intentRule === "complementary" &&
    p.pairing.topics === null &&
    p.pairing.pairCooldownMs === 0 &&
    p.controls.length === 0 &&
    !p.typingIndicator &&
    Object.values(p.afterClose).every((m) => m.initiator === "ended" && m.other === "ended")
  );
}

export class ModelRun {
  readonly w: World;
  /** The first enabled space (the only one in strict runs). */
  readonly policy: SpacePolicy;
  readonly policies: readonly SpacePolicy[];
  /** Strict: every command's outcome is predicted exactly (menti alone). Else invariants only. */
  readonly strict: boolean;
  /** Current connection id per slot (null: disconnected, not reconnected yet). */
  readonly conn: Array<string | null> = Array(SLOTS).fill(null);
  /** Earlier connection ids per slot (refreshed tabs), for ghost events. */
  readonly past: string[][] = Array.from({ length: SLOTS }, () => []);
  /** Every session id ever seen open, and those since closed (never to be seen open again). */
  readonly everOpen = new Set<string>();
  readonly closed = new Set<string>();
  /**
   * The model's own record of space rules, kept apart from the engine's: each open session's
   * pair (browsers, space) while open; each parting's cooldown; each search that timed out.
   */
  private readonly openPairs = new Map<
    string,
    {
      users: [string, string];
      browsers: [string, string];
      space: string;
      pendingUntil: number | null;
    }
  >();
  private readonly partings: Array<{ pair: string; until: number }> = [];
  private readonly timedOutSearches = new Set<string>();
  /** Every session a `closed` observation was seen for. */
  private readonly observedClosed = new Set<string>();
  private connections = 0;
  private lastEv: Ev | undefined;
  /** The log of steps, for failure messages. */
  readonly trace: string[] = [];

  constructor(
    policies: SpacePolicy | readonly SpacePolicy[],
    wrap?: (m: MemoryStore) => Store,
    options: RunOptions = {},
  ) {
    this.policies = Array.isArray(policies) ? policies : [policies as SpacePolicy];
    const first = this.policies[0];
    if (!first) throw new Error("no policy");
    this.policy = first;
    this.strict = this.policies.length === 1 && isMentiLike(first);
    this.w = new World({
      policies: this.policies,
      ...(wrap ? { wrap } : {}),
      ...(options.rounds ? { rounds: new MatchRounds() } : {}),
    });
  }

  policyOf(space: string | undefined): SpacePolicy | undefined {
    return this.policies.find((p) => p.id === space);
  }

  spaceAt(index: number): SpaceId {
    if (index < 0) return "nowhere" as SpaceId;
    return this.policies[index % this.policies.length]?.id ?? this.policy.id;
  }

  newConnectionId(slot: number): string {
    this.connections += 1;
    return `c${this.connections}-s${slot}`;
  }

  slotOf(userId: string): number {
    return Number(userId.slice(userId.lastIndexOf("s") + 1));
  }

  async start(): Promise<void> {
    for (let slot = 0; slot < SLOTS; slot++) {
      const user = this.newConnectionId(slot);
      this.conn[slot] = user;
      await this.exec({ k: "connect", user, browserId: BROWSERS[slot] ?? "?" });
    }
    this.checkInvariants(this.w.snapshot());
  }

  /** The user a slot acts as: its current connection, or its last one if it is gone. */
  private actor(slot: number): string {
    return this.conn[slot] ?? this.past[slot]?.at(-1) ?? `never-${slot}`;
  }

  resolve(cmd: Cmd): Ev[] {
    const snap = this.w.memory.inspect();
    const rec = (id: string) => snap.users.find((u) => u.id === id);
    switch (cmd.k) {
      case "act": {
        const who = snap.users.filter((u) => ACT_STATES[cmd.what].includes(u.state));
        const u = who[cmd.pick % Math.max(1, who.length)];
        if (!u) return [];
        switch (cmd.what) {
          case "join":
            return [
              {
                k: "join",
                user: u.id,
                intent: cmd.intent,
                space: this.spaceAt(cmd.space),
                // A state-aware join asks for tags only where the space offers them.
                topics: this.policyOf(this.spaceAt(cmd.space))?.pairing.topics ? cmd.topics : [],
                only: cmd.only,
              },
            ];
          case "enter":
            return [{ k: "enter", user: u.id, sessionId: u.sessionId ?? MADE_UP_SESSION }];
          case "send":
            return [{ k: "send", user: u.id, text: TEXTS[cmd.text] }];
          default:
            return [{ k: cmd.what, user: u.id }];
        }
      }
      case "join":
        return [
          {
            k: "join",
            user: this.actor(cmd.slot),
            intent: cmd.intent,
            space: this.spaceAt(cmd.space),
            topics: cmd.topics,
            only: cmd.only,
          },
        ];
      case "room":
        return [{ k: cmd.event, user: this.actor(cmd.slot) }];
      case "cancel":
      case "exit":
      case "home":
        return [{ k: cmd.k, user: this.actor(cmd.slot) }];
      case "enter": {
        const user = this.actor(cmd.slot);
        let sessionId: string | undefined;
        if (cmd.target === "own") sessionId = rec(user)?.sessionId;
        else if (cmd.target === "other") sessionId = rec(this.actor(cmd.other))?.sessionId;
        else if (cmd.target === "stale") sessionId = [...this.closed].at(-1);
        return [{ k: "enter", user, sessionId: sessionId ?? MADE_UP_SESSION }];
      }
      case "send":
        return [{ k: "send", user: this.actor(cmd.slot), text: TEXTS[cmd.text] }];
      case "disconnect": {
        const user = this.actor(cmd.slot);
        const out: Ev[] = [{ k: "disconnect", user }];
        if (cmd.reconnect) {
          out.push({
            k: "connect",
            user: this.newConnectionId(cmd.slot),
            browserId: BROWSERS[cmd.slot] ?? "?",
          });
        }
        return out;
      }
      case "connect": {
        const current = this.conn[cmd.slot];
        // A connected slot re-sends its own connect (a duplicate); a gone one reconnects.
        const user = current ?? this.newConnectionId(cmd.slot);
        return [{ k: "connect", user, browserId: BROWSERS[cmd.slot] ?? "?" }];
      }
      case "tick":
        return [{ k: "tick", ms: cmd.ms }];
      case "dup":
        return this.lastEv ? [this.lastEv] : [];
      case "ghost": {
        const old = this.past[cmd.slot]?.at(-1);
        if (!old) return [];
        switch (cmd.event) {
          case "join":
            return [
              {
                k: "join",
                user: old,
                intent: "both",
                space: this.policy.id,
                topics: [],
                only: false,
              },
            ];
          case "enter":
            return [
              { k: "enter", user: old, sessionId: [...this.everOpen].at(-1) ?? MADE_UP_SESSION },
            ];
          case "send":
            return [{ k: "send", user: old, text: "boo" }];
          default:
            return [{ k: cmd.event, user: old }];
        }
      }
      case "replay": {
        const fired = this.w.scheduler.fired;
        if (fired.length === 0) return [];
        return [{ k: "deadline", index: cmd.pick % fired.length }];
      }
      case "expire": {
        const sessionId = rec(this.actor(cmd.slot))?.sessionId;
        return sessionId ? [{ k: "expire", sessionId }] : [];
      }
    }
  }

  /** Runs one event unchecked (outcome applied to mailbox and scheduler). */
  async exec(ev: Ev): Promise<Outcome[]> {
    const { w } = this;
    switch (ev.k) {
      case "join":
        return [
          w.apply(
            await w.engine.join(ev.user, {
              space: ev.space,
              ...(ev.intent ? { intent: ev.intent } : {}),
              ...(ev.topics.length > 0 ? { topics: ev.topics } : {}),
              ...(ev.only ? { onlyMyTopics: true } : {}),
            }),
          ),
        ];
      case "skip":
        return [w.apply(await w.engine.skip(ev.user))];
      case "end":
        return [w.apply(await w.engine.end(ev.user))];
      case "typing":
        return [w.apply(await w.engine.typing(ev.user))];
      case "report":
        return [w.apply(await w.engine.report(ev.user))];
      case "widen":
        return [w.apply(await w.engine.widen(ev.user))];
      case "care":
        return [w.apply(await w.engine.care(ev.user))];
      case "cancel":
        return [await w.cancel(ev.user)];
      case "enter":
        return [await w.enter(ev.user, ev.sessionId)];
      case "send":
        return [await w.send(ev.user, ev.text)];
      case "exit":
        return [await w.exit(ev.user)];
      case "home":
        return [await w.home(ev.user)];
      case "disconnect":
        return [await w.disconnect(ev.user)];
      case "connect":
        return [await w.connect(ev.user, ev.browserId)];
      case "tick":
        return w.advance(ev.ms);
      case "deadline": {
        const d = w.scheduler.fired[ev.index];
        return d ? [await w.deadline(d)] : [];
      }
      case "expire":
        return [
          await w.deadline({ kind: "join_timeout", at: w.clock.now(), sessionId: ev.sessionId }),
        ];
    }
  }

  /** Bookkeeping of connection ids after an event ran. */
  noteConnections(ev: Ev): void {
    if (ev.k === "disconnect") {
      const slot = this.slotOf(ev.user);
      if (this.conn[slot] === ev.user) {
        this.conn[slot] = null;
        this.past[slot]?.push(ev.user);
      }
    } else if (ev.k === "connect") {
      const slot = this.slotOf(ev.user);
      if (this.conn[slot] === null) this.conn[slot] = ev.user;
    }
  }

  /** One event, with the outcome checked against the table's prediction and every invariant. */
  async step(ev: Ev): Promise<void> {
    const { w } = this;
    this.trace.push(JSON.stringify(ev).slice(0, 160));
    const pre = this.snap();
    const mark = w.mailbox.mark();
    const outcomes = await this.exec(ev);
    this.noteConnections(ev);
    if (ev.k !== "tick" && ev.k !== "deadline") this.lastEv = ev;
    const post = this.snap();
    for (const o of outcomes) {
      cover(`${ev.k}:${o.ok ? "ok" : o.error}`);
      for (const ob of o.observed) if (ob.kind === "closed") cover(`close:${ob.reason}`);
    }
    for (const u of post.users) {
      const before = pre.users.find((p) => p.id === u.id);
      if (before?.state !== u.state) cover(`state:${u.state}`);
      if (u.ended && !before?.ended) cover(`reason:${u.ended.reason}`);
    }
    if (post.queued.length >= 3) cover("queue:3+");
    this.expectOutcome(ev, pre, post, outcomes);
    this.checkTransitions(ev, pre, post);
    this.checkInvariants(post);
    this.checkDelivered(mark, post);
    const closes = this.checkClosedObservations(ev, pre, post, outcomes);
    this.checkSpaceRules(pre, post, mark, closes);
  }

  /**
   * Every close is observed exactly once: each session open before the step and gone after it has
   * one `closed` observation in this step's outcomes, and no session is ever observed closed
   * twice. Each observation names the session's participants with their persons (the browser ids:
   * the model connects without tokens), a reporter for `reported`, and `activeMs` null exactly
   * when the session never became ACTIVE (else at most the time since activation). Returns this
   * step's closes by session id.
   */
  checkClosedObservations(
    ev: Ev,
    pre: Snapshot,
    post: Snapshot,
    outcomes: readonly Outcome[],
  ): Map<string, ClosedObservation> {
    const fail = (msg: string): never => {
      throw new Error(`${msg}\n  after: ${this.trace.slice(-6).join("\n         ")}`);
    };
    const now = this.w.clock.now();
    const closes = new Map<string, ClosedObservation>();
    for (const o of outcomes) {
      for (const ob of o.observed) {
        if (ob.kind !== "closed") continue;
        if (closes.has(ob.sessionId) || this.observedClosed.has(ob.sessionId)) {
          fail(`session ${ob.sessionId} was observed closing twice`);
        }
        closes.set(ob.sessionId, ob);
        this.observedClosed.add(ob.sessionId);
        if (post.sessions.some((s) => s.id === ob.sessionId)) {
          fail(`session ${ob.sessionId} was observed closed but is open`);
        }
        if (ob.reason === "reported" && (ev.k !== "report" || ob.by !== ev.user)) {
          fail(`a report close of ${ob.sessionId} names ${ob.by}, not the reporter`);
        }
        const before = pre.sessions.find((s) => s.id === ob.sessionId);
        if (!before) continue; // opened and closed within one tick
        eq(
          ob.participants,
          before.participants.map((userId, i) => ({ userId, person: before.browsers[i] })),
          `participants of the closed ${ob.sessionId}`,
        );
        if (before.status === "PENDING" && ob.activeMs !== null) {
          fail(`session ${ob.sessionId} never became ACTIVE but reports activeMs ${ob.activeMs}`);
        }
        if (before.status === "ACTIVE") {
          const most = now - (before.activeAt ?? Number.NaN);
          if (ob.activeMs === null || !(ob.activeMs >= 0 && ob.activeMs <= most)) {
            fail(`ACTIVE session ${ob.sessionId} closed with activeMs ${ob.activeMs} (≤ ${most})`);
          }
        }
      }
    }
    for (const s of pre.sessions) {
      if (!post.sessions.some((x) => x.id === s.id) && !closes.has(s.id)) {
        fail(`session ${s.id} closed without a closed observation`);
      }
    }
    return closes;
  }

  /**
   * Issue 3's rules, checked from the model's own records rather than the engine's:
   * - a pair inside its cooldown is never matched again: neither the two connections, nor one of
   *   them with a refreshed tab of the other (limit: two *other* tabs of the same two browsers
   *   are not covered; issue 4's tokens will key cooldowns per person);
   * - a pair whose session closed with a report is never matched again (those connections);
   * - a topic-only user is never matched with someone who shares none of its topics;
   * - the side a policy re-queues after a close is WAITING (or matched again), never IDLE or ENDED
   *   — unless another tab of its browser is already waiting there (one waiting tab per browser);
   * - a search limit returns a user to IDLE exactly once per search, and only after the limit.
   */
  checkSpaceRules(
    pre: Snapshot,
    post: Snapshot,
    mark: number,
    closes: ReadonlyMap<string, ClosedObservation>,
  ): void {
    const now = this.w.clock.now();
    const fail = (msg: string): never => {
      throw new Error(`${msg}\n  after: ${this.trace.slice(-6).join("\n         ")}`);
    };
    const postUsers = new Map(post.users.map((u) => [u.id, u]));
    const preUsers = new Map(pre.users.map((u) => [u.id, u]));
    const openNow = new Set(post.sessions.map((s) => s.id));

    // Partings: sessions open before this step and closed by it start a cooldown.
    for (const [id, pair] of this.openPairs) {
      if (openNow.has(id)) continue;
      this.openPairs.delete(id);
      // When did it close? Now — except a session still PENDING whose join deadline fired
      // during a tick: then at that deadline.
      const closedAt = pair.pendingUntil === null ? now : Math.min(now, pair.pendingUntil);
      const cooldown = this.policyOf(pair.space)?.pairing.pairCooldownMs ?? 0;
      // A report: these two connections never meet again, in any space, whatever its cooldown
      // (the connection that stays avoids the other's browser, so its refreshed tabs too).
      if (closes.get(id)?.reason === "reported") {
        const [ua, ub] = pair.users;
        const [ba, bb] = pair.browsers;
        this.partings.push({ pair: `${ua}|${bb}`, until: Number.POSITIVE_INFINITY });
        this.partings.push({ pair: `${ub}|${ba}`, until: Number.POSITIVE_INFINITY });
      }
      // Each side avoids the other's browser (so a refreshed tab of the other is avoided too).
      if (cooldown > 0) {
        const [ua, ub] = pair.users;
        const [ba, bb] = pair.browsers;
        this.partings.push({ pair: `${ua}|${bb}`, until: closedAt + cooldown });
        this.partings.push({ pair: `${ub}|${ba}`, until: closedAt + cooldown });
      }
    }
    for (const s of post.sessions) {
      const known = this.openPairs.get(s.id);
      if (known) {
        known.pendingUntil = s.status === "PENDING" ? s.enterBy : null;
        continue;
      }
      const [a, b] = s.participants.map((id) => postUsers.get(id));
      if (!a || !b) continue;
      this.openPairs.set(s.id, {
        users: [a.id, b.id],
        browsers: [a.browserId, b.browserId],
        space: s.space,
        pendingUntil: s.status === "PENDING" ? s.enterBy : null,
      });
      // A new session: never inside a cooldown of this pair...
      const keys = [`${a.id}|${b.browserId}`, `${b.id}|${a.browserId}`];
      if (this.partings.some((p) => keys.includes(p.pair) && s.createdAt < p.until)) {
        fail(`session ${s.id} pairs ${a.id} and ${b.id} inside their cooldown`);
      }
      // ...and never outside a topic-only user's topics.
      if (a.onlyMine || b.onlyMine) {
        const theirs = new Set(b.topics ?? []);
        if (!(a.topics ?? []).some((t) => theirs.has(t))) {
          fail(`session ${s.id} pairs a topic-only user outside its topics`);
        }
      }
    }

    // Re-queued sides: whoever a policy re-queues after this step's closes is looking again.
    for (const u of post.users) {
      const before = preUsers.get(u.id);
      if (!before || (before.state !== "MATCHED" && before.state !== "ACTIVE")) continue;
      if (!before.sessionId || openNow.has(before.sessionId)) continue;
      const ended = u.ended?.sessionId === before.sessionId ? u.ended : undefined;
      const policy = this.policyOf(before.space);
      if (!ended || !policy || u.state === "WAITING" || u.state === "MATCHED") continue;
      // Who caused it: for a join timeout whoever never entered (both, when by is null); for the
      // server's own reasons nobody; else the participant named by `by`.
      const initiator =
        ended.reason === "join_timeout"
          ? ended.by === null || ended.by === u.id
          : ended.by !== null && ended.by === u.id;
      const move = policy.afterClose[ended.reason][initiator ? "initiator" : "other"];
      if (move !== "requeue") continue;
      // (Waiting before or after the step; or matched into a session this very step, so it was
      // waiting for a moment in between — e.g. re-queued by another close in the same tick.)
      const openBefore = new Set(pre.sessions.map((s) => s.id));
      const otherTabWaits = [...pre.users, ...post.users].some(
        (x) =>
          x.id !== u.id &&
          x.browserId === u.browserId &&
          x.space === before.space &&
          (x.state === "WAITING" ||
            (x.state === "MATCHED" && !!x.sessionId && !openBefore.has(x.sessionId))),
      );
      if (!otherTabWaits)
        fail(`${u.id} should have been re-queued after ${ended.reason} but is ${u.state}`);
    }

    // Search limits: a timed-out view only after the limit, only for that search, only once.
    for (const o of this.w.mailbox.since(mark)) {
      if (o.event !== "state" || o.payload.state !== "IDLE" || !o.payload.searchTimedOut) continue;
      const before = preUsers.get(o.to);
      const limit = this.policyOf(before?.space)?.searchTimeoutMs;
      if (before?.state !== "WAITING" || !before.entry || limit == null) {
        fail(`${o.to} was told its search timed out while ${before?.state}`);
      }
      const entry = before?.entry;
      if (entry && limit != null && now - entry.since < limit)
        fail(`${o.to}'s search timed out early`);
      const search = `${o.to}#${entry?.seq}`;
      if (this.timedOutSearches.has(search)) fail(`${o.to}'s search timed out twice`);
      this.timedOutSearches.add(search);
      if (postUsers.get(o.to)?.state !== "IDLE") fail(`${o.to} timed out but is not IDLE`);
    }
  }

  /**
   * The store now: its record arrays (MemoryStore replaces records on every change, never edits
   * them, so these stay the "before" picture) plus their JSON, taken now, which the "nothing
   * changed" checks compare — so even an in-place edit would be caught there.
   */
  snap(): Snapshot {
    const store = this.w.memory.inspect();
    // Who entered as the engine knows it: a same-node pair's first enter is kept by the engine,
    // not the store (Engine.enteredOf), and the model describes what the system knows.
    const data = {
      ...store,
      sessions: store.sessions.map((s) => {
        const entered = this.w.engine.enteredOf(s);
        return entered === s.entered ? s : { ...s, entered };
      }),
    };
    snapJson.set(data, JSON.stringify(data));
    return data;
  }

  private unchanged(pre: Snapshot, post: Snapshot, what: string): void {
    const a = snapJson.get(pre) ?? JSON.stringify(pre);
    const b = snapJson.get(post) ?? JSON.stringify(post);
    if (a !== b) expect(post, `${what} must change nothing`).toEqual(pre);
  }

  private refused(
    outcome: Outcome | undefined,
    code: string,
    pre: Snapshot,
    post: Snapshot,
    what: string,
  ): void {
    is(outcome && errorOf(outcome), code, what);
    eq(outcome?.out, [], what);
    this.unchanged(pre, post, what);
  }

  private expectOutcome(ev: Ev, pre: Snapshot, post: Snapshot, outcomes: Outcome[]): void {
    const [outcome] = outcomes;
    const what = JSON.stringify(ev).slice(0, 120);
    if (!this.strict) {
      this.expectGeneric(ev, pre, post, outcome, what);
      return;
    }
    if (ev.k === "tick") {
      // Every due join deadline fired: no PENDING session is past its limit.
      for (const s of post.sessions) {
        if (s.status === "PENDING") expect(s.enterBy, what).toBeGreaterThan(this.w.clock.now());
      }
      return;
    }
    if (ev.k === "expire") throw new Error("expire is for bursts only");
    if (ev.k === "deadline") {
      // Replaying a deadline that already fired is harmless.
      this.unchanged(pre, post, what);
      return;
    }
    if (ev.k === "connect") {
      const existed = pre.users.some((u) => u.id === ev.user);
      if (existed) this.unchanged(pre, post, what);
      else {
        expect(
          post.users.find((u) => u.id === ev.user),
          what,
        ).toEqual({
          id: ev.user,
          browserId: ev.browserId,
          state: "IDLE",
          version: expect.any(Number),
        });
      }
      return;
    }
    const find = (snap: Snapshot, id: string | undefined) => snap.users.find((u) => u.id === id);
    const u = find(pre, ev.user);
    if (ev.k === "disconnect") {
      is(outcome?.ok, true, what);
      is(find(post, ev.user), undefined, what);
      expect(
        post.queued.some((e) => e.userId === ev.user),
        what,
      ).toBe(false);
      if (!u) this.unchanged(pre, post, what);
      else if ((u.state === "MATCHED" || u.state === "ACTIVE") && u.partnerId) {
        eq(
          find(post, u.partnerId)?.ended,
          {
            sessionId: u.sessionId,
            reason: "disconnected",
            by: ev.user,
          },
          what,
        );
      } else {
        const others = (s: Snapshot) => s.users.filter((x) => x.id !== ev.user);
        eq(others(post), others(pre), what);
        eq(post.sessions, pre.sessions, what);
      }
      return;
    }
    if (ev.k === "enter" && this.closed.has(ev.sessionId)) {
      // A closed session can never be entered, by anyone.
      this.refused(outcome, "room_unavailable", pre, post, `${what} (closed session)`);
      return;
    }
    if (!u) {
      this.refused(
        outcome,
        ev.k === "enter" ? "room_unavailable" : "illegal_state",
        pre,
        post,
        what,
      );
      return;
    }
    if (ev.k === "join" && ev.space !== this.policy.id) {
      this.refused(outcome, "space_unavailable", pre, post, what);
      return;
    }
    if (ev.k === "typing" && u.space && !this.policy.typingIndicator) {
      this.refused(outcome, "not_in_this_space", pre, post, what);
      return;
    }
    const rule = decide(u.state, ev.k);
    if (typeof rule === "object") {
      this.refused(outcome, rule.error, pre, post, what);
      return;
    }
    if (rule === NOOP) {
      // ACTIVE: only its own room is a no-op; any other id is refused.
      if (ev.k === "enter" && ev.sessionId !== u.sessionId) {
        this.refused(outcome, "room_unavailable", pre, post, what);
        return;
      }
      is(outcome?.ok, true, what);
      this.unchanged(pre, post, what);
      for (const o of outcome?.out ?? []) is(o.event, "state", what);
      return;
    }
    const after = find(post, ev.user);
    switch (ev.k) {
      case "skip":
      case "end":
        // Legal in MATCHED / ACTIVE by the table, but this space offers neither.
        this.refused(outcome, "not_in_this_space", pre, post, what);
        return;
      case "typing":
        throw new Error("typing is refused above in a space without the indicator");
      case "widen":
        // Legal while WAITING by the table, but menti has no topics to widen from.
        this.refused(outcome, "not_in_this_space", pre, post, what);
        return;
      case "care": {
        // menti offers care: the partner alone is told, and nothing changes.
        is(outcome?.ok, true, what);
        this.unchanged(pre, post, what);
        eq(
          outcome?.out,
          [{ to: u.partnerId, event: "care", payload: { sessionId: u.sessionId } }],
          what,
        );
        return;
      }
      case "join": {
        if (!ev.intent) {
          this.refused(outcome, "intent_required", pre, post, what);
          return;
        }
        if (ev.topics.length > 0) {
          this.refused(outcome, "topic_unknown", pre, post, what);
          return;
        }
        const tab = pre.users.find(
          (x) => x.id !== u.id && x.browserId === u.browserId && x.state === "WAITING",
        );
        if (tab) {
          this.refused(outcome, "already_waiting_elsewhere", pre, post, what);
          return;
        }
        is(outcome?.ok, true, what);
        const me: QueueEntry = {
          userId: u.id,
          browserId: u.browserId,
          space: ev.space,
          intent: ev.intent,
          since: 0,
          seq: Number.MAX_SAFE_INTEGER,
          // Its avoids (a report) go with it into the queue.
          ...(u.avoid ? { avoid: u.avoid } : {}),
        };
        // Fairness: the oldest compatible waiting entry, whatever its bucket.
        let best: QueueEntry | undefined;
        for (const e of pre.queued) {
          if (compatible(this.policy, me, e, this.w.clock.now()) && (!best || e.seq < best.seq))
            best = e;
        }
        if (best) {
          is(after?.state, "MATCHED", what);
          is(after?.partnerId, best.userId, what);
          is(find(post, best.userId)?.partnerId, u.id, what);
        } else {
          is(after?.state, "WAITING", what);
          is(after?.intent, ev.intent, what);
        }
        return;
      }
      case "cancel":
      case "exit": {
        is(outcome?.ok, true, what);
        is(after?.state, rule, what);
        if (rule === "ENDED") {
          const ended = { sessionId: u.sessionId, reason: "left", by: u.id };
          eq(after?.ended, ended, what);
          eq(find(post, u.partnerId)?.ended, ended, what);
        }
        return;
      }
      case "enter": {
        if (ev.sessionId !== u.sessionId) {
          this.refused(outcome, "room_unavailable", pre, post, what);
          return;
        }
        is(outcome?.ok, true, what);
        const session = pre.sessions.find((s) => s.id === ev.sessionId);
        const partnerIn = session?.entered.includes(u.partnerId ?? "") ?? false;
        is(after?.state, partnerIn ? "ACTIVE" : "MATCHED", what);
        if (partnerIn) is(find(post, u.partnerId)?.state, "ACTIVE", what);
        return;
      }
      case "send": {
        const body = ev.text.trim();
        if (body.length === 0) {
          this.refused(outcome, "message_empty", pre, post, what);
          return;
        }
        if (body.length > this.policy.maxMessageLength) {
          this.refused(outcome, "message_too_long", pre, post, what);
          return;
        }
        is(outcome?.ok, true, what);
        this.unchanged(pre, post, what);
        const msgs = (outcome?.out ?? []).flatMap((o) =>
          o.event === "message" ? [{ to: o.to, ...o.payload }] : [],
        );
        expect(msgs, what).toHaveLength(2);
        expect(
          msgs.find((m) => m.to === u.id),
          what,
        ).toMatchObject({ from: "you", text: body });
        expect(
          msgs.find((m) => m.to === u.partnerId),
          what,
        ).toMatchObject({
          from: "partner",
          text: body,
          sessionId: u.sessionId,
        });
        return;
      }
      case "home":
        is(outcome?.ok, true, what);
        is(after?.state, "IDLE", what);
        return;
      case "report": {
        // It ends for both, like an exit, with the reporter named; the reported side's screen
        // reads a neutral "the other person left".
        is(outcome?.ok, true, what);
        is(after?.state, "ENDED", what);
        const ended = { sessionId: u.sessionId, reason: "reported", by: u.id };
        eq(after?.ended, ended, what);
        eq(find(post, u.partnerId)?.ended, ended, what);
        expect(this.w.mailbox.lastState(u.id), what).toMatchObject({
          state: "ENDED",
          reason: "reported",
          by: "you",
        });
        expect(this.w.mailbox.lastState(u.partnerId ?? ""), what).toMatchObject({
          state: "ENDED",
          reason: "left",
          by: "partner",
        });
        const closes = outcome?.observed.filter((o) => o.kind === "closed") ?? [];
        expect(closes, what).toHaveLength(1);
        expect(closes[0], what).toMatchObject({
          reason: "reported",
          by: u.id,
          sessionId: u.sessionId,
        });
        // Each now avoids the other for good.
        expect(after?.avoid ?? [], what).toContainEqual({
          person: find(pre, u.partnerId)?.browserId,
          until: null,
        });
        return;
      }
    }
  }

  /** Spaces whose outcomes are not predicted one by one: what holds for every command anyway. */
  private expectGeneric(
    ev: Ev,
    pre: Snapshot,
    post: Snapshot,
    outcome: Outcome | undefined,
    what: string,
  ): void {
    if (ev.k === "tick" || ev.k === "expire") return;
    if (ev.k === "deadline") {
      this.unchanged(pre, post, what);
      return;
    }
    if (ev.k === "enter" && this.closed.has(ev.sessionId)) {
      this.refused(outcome, "room_unavailable", pre, post, `${what} (closed session)`);
      return;
    }
    if (ev.k === "disconnect") {
      is(
        post.users.some((u) => u.id === ev.user),
        false,
        what,
      );
      return;
    }
    // A refused command changes nothing and tells nobody anything.
    if (outcome && !outcome.ok) {
      eq(outcome.out, [], what);
      this.unchanged(pre, post, what);
    }
    if (ev.k === "widen" && outcome?.ok) {
      // "Anyone is fine": a topic search that did not take anyone yet does now, or is matched.
      const before = pre.users.find((u) => u.id === ev.user);
      const after = post.users.find((u) => u.id === ev.user);
      const policy = this.policyOf(before?.space);
      const entry = before?.entry;
      if (before?.state === "WAITING" && entry && policy?.pairing.topics) {
        const was = isOpen(policy, entry, this.w.clock.now());
        if (!was && !entry.onlyMine) {
          cover("widen:opened");
          if (after?.state !== "MATCHED" && after?.entry?.open !== true) {
            throw new Error(`widen left ${ev.user} ${after?.state} and not open: ${what}`);
          }
          if (after?.state === "WAITING") {
            const view = this.w.mailbox.lastState(ev.user);
            if (view?.state !== "WAITING" || view.anyoneInMs !== undefined) {
              throw new Error(`widen did not tell ${ev.user} its search is open: ${what}`);
            }
          }
        } else if (after?.entry?.open !== entry.open) {
          throw new Error(`widen changed a search that was open or topic-only: ${what}`);
        }
      }
    }
    if (ev.k === "join" && outcome?.ok) {
      const state = post.users.find((u) => u.id === ev.user)?.state;
      if (state !== "WAITING" && state !== "MATCHED") {
        const before = pre.users.find((u) => u.id === ev.user)?.state;
        if (before !== "WAITING") throw new Error(`join left ${ev.user} ${state}: ${what}`);
      }
    }
  }

  private checkTransitions(ev: Ev, pre: Snapshot, post: Snapshot): void {
    const actor = "user" in ev ? ev.user : undefined;
    for (const before of pre.users) {
      const after = post.users.find((u) => u.id === before.id);
      const to = after?.state ?? GONE;
      const what = `${before.id}: ${before.state} → ${to} on ${JSON.stringify(ev).slice(0, 100)}`;
      if (
        after &&
        (before.state === "MATCHED" || before.state === "ACTIVE") &&
        (after.state === "MATCHED" || after.state === "ACTIVE") &&
        after.sessionId !== before.sessionId &&
        (this.strict || post.sessions.some((s) => s.id === before.sessionId))
      ) {
        // One session per passage through MATCHED: a new one needs the old one closed (and, in
        // menti, the ended screen) in between.
        throw new Error(`moved between sessions without a close: ${what}`);
      }
      if (to === before.state) continue;
      const events = allowedEvents(ev, before.id === actor, this.strict);
      if (!reachable(before.state, to, events, this.strict ? 2 : 3)) {
        throw new Error(`transition not in the table for this command: ${what}`);
      }
    }
    for (const u of post.users) {
      if (!pre.users.some((p) => p.id === u.id)) {
        expect(ev.k, `${u.id} appeared`).toBe("connect");
        expect(u.state).toBe("IDLE");
      }
    }
  }

  /** SPEC §3/§4 invariants over the whole store and every screen. */
  checkInvariants(snap: Snapshot): void {
    const now = this.w.clock.now();
    const users = new Map(snap.users.map((u) => [u.id, u]));
    const sessions = new Map(snap.sessions.map((s) => [s.id, s]));
    const trace = () => `\n  after: ${this.trace.slice(-6).join("\n         ")}`;
    const fail: (msg: string) => never = (msg) => {
      throw new Error(`${msg}${trace()}`);
    };

    // Sessions: closed ones never come back.
    for (const id of sessions.keys()) {
      if (this.closed.has(id)) fail(`closed session ${id} is open again`);
      if (!OPAQUE_ID.test(id)) fail(`session id ${id} is not an opaque id`);
      this.everOpen.add(id);
    }
    for (const id of this.everOpen) if (!sessions.has(id)) this.closed.add(id);

    if (users.size !== snap.users.length) fail("a user id appears twice");
    // An entry may sit in several buckets (topic spaces), but it is one search: one seq per user.
    const queuedBy = new Map<string, QueueEntry>();
    for (const e of snap.queued) {
      const seen = queuedBy.get(e.userId);
      if (seen && seen.seq !== e.seq) fail(`${e.userId} is in the queue as two searches`);
      queuedBy.set(e.userId, e);
    }
    const waiting = [...queuedBy.values()];

    for (const u of snap.users) {
      if (typeof u.id !== "string" || typeof u.browserId !== "string") {
        fail(`a user record without id/browserId: ${JSON.stringify(u)}`);
      }
      const inQueue = queuedBy.get(u.id);
      if ((u.state === "WAITING") !== (inQueue !== undefined)) {
        fail(`${u.id} is ${u.state} but ${inQueue ? "is" : "is not"} in the queue`);
      }
      switch (u.state) {
        case "IDLE":
          // (Pair cooldowns outlive a search, so `avoid` may stay.)
          if (u.space || u.entry || u.sessionId || u.partnerId || u.ended)
            fail(`IDLE ${u.id} has fields`);
          break;
        case "WAITING":
          if (!same(u.entry, inQueue)) fail(`${u.id}'s entry differs from the queue's`);
          if (u.sessionId || u.partnerId || u.ended) fail(`WAITING ${u.id} is in a session`);
          break;
        case "MATCHED":
        case "ACTIVE": {
          const s = u.sessionId ? sessions.get(u.sessionId) : undefined;
          if (!s) fail(`${u.state} ${u.id}'s session ${u.sessionId} is not open`);
          else {
            if (!s.participants.includes(u.id)) fail(`${u.id} is not a participant of its session`);
            const other = s.participants.find((p) => p !== u.id);
            if (u.partnerId !== other) fail(`${u.id}'s partner is not the other participant`);
            const wantStatus = u.state === "MATCHED" ? "PENDING" : "ACTIVE";
            if (s.status !== wantStatus) fail(`${u.state} ${u.id} in a ${s.status} session`);
            if (u.state === "MATCHED" && u.enterBy !== s.enterBy) fail(`${u.id}'s enterBy`);
          }
          if (u.entry) fail(`${u.state} ${u.id} still has a queue entry`);
          break;
        }
        case "ENDED":
          if (!u.ended || u.ended.sessionId !== u.sessionId)
            fail(`ENDED ${u.id} without its ending`);
          if (u.sessionId && sessions.has(u.sessionId)) fail(`ENDED ${u.id}'s session is open`);
          if (u.partnerId) fail(`ENDED ${u.id} still has a partner`);
          break;
      }
      // No stuck screens: the last state a user was sent is its record's view.
      const last = this.w.mailbox.lastState(u.id);
      if (!last) fail(`${u.id} was never told its state`);
      if (!validViews.has(last)) {
        if (!StateView.safeParse(last).success)
          fail(`${u.id}'s last view is not a valid StateView`);
        validViews.add(last);
      }
      const sent = comparableView(last);
      const should = comparableView(this.w.engine.view(u));
      if (!same(sent, should)) {
        fail(`${u.id} shows ${JSON.stringify(sent)} but is ${JSON.stringify(should)}`);
      }
    }

    for (const s of snap.sessions) {
      const [a, b] = s.participants.map((id) => users.get(id));
      if (s.participants.length !== 2 || s.participants[0] === s.participants[1]) {
        fail(`session ${s.id} does not have exactly two participants`);
      }
      if (!a || !b) fail(`session ${s.id} has a departed participant`);
      else {
        for (const x of [a, b]) {
          if ((x.state !== "MATCHED" && x.state !== "ACTIVE") || x.sessionId !== s.id) {
            fail(`participant ${x.id} of open ${s.id} is ${x.state} in ${x.sessionId}`);
          }
        }
        if (a.browserId === b.browserId) fail(`session ${s.id} pairs two tabs of one browser`);
        if (a.space !== s.space || b.space !== s.space) fail(`session ${s.id} spans two spaces`);
        if (this.policyOf(s.space)?.pairing.intentRule === "complementary") {
          const pair = [a.intent, b.intent].sort().join("+");
          if (pair === "talk+talk" || pair === "listen+listen") fail(`session ${s.id} is ${pair}`);
        }
      }
      if (new Set(s.entered).size !== s.entered.length) fail(`${s.id} entered twice`);
      for (const id of s.entered) if (!s.participants.includes(id)) fail(`${id} entered ${s.id}`);
      if (s.status === "ACTIVE" && s.entered.length !== 2)
        fail(`${s.id} ACTIVE before both entered`);
      if (s.status === "PENDING" && s.enterBy <= now) fail(`${s.id} outlived its join deadline`);
    }

    // No stranded pair: two compatible users never both wait after a step.
    for (let i = 0; i < waiting.length; i++) {
      for (let j = i + 1; j < waiting.length; j++) {
        const x = waiting[i];
        const y = waiting[j];
        const policy = this.policyOf(x?.space);
        if (x && y && policy && compatible(policy, x, y, now)) {
          fail(
            `stranded pair in ${x.space}: ${x.userId} (${x.intent ?? x.topics?.join("/") ?? "-"}) and ${y.userId} (${y.intent ?? y.topics?.join("/") ?? "-"}) both wait`,
          );
        }
      }
    }
  }

  /** Messages delivered during a step: only for open sessions, only to their participants. */
  checkDelivered(mark: number, snap: Snapshot): void {
    for (const o of this.w.mailbox.since(mark)) {
      if (o.event === "typing" || o.event === "care") {
        const to = snap.users.find((u: UserRecord) => u.id === o.to);
        if (!to || to.state !== "ACTIVE" || to.sessionId !== o.payload.sessionId) {
          throw new Error(`a ${o.event} event for ${o.payload.sessionId} reached ${o.to}`);
        }
      }
      if (o.event !== "message") continue;
      const msg = o.payload;
      if (this.closed.has(msg.sessionId))
        throw new Error(`a message arrived for closed ${msg.sessionId}`);
      const to = snap.users.find((u: UserRecord) => u.id === o.to);
      if (!to || to.state !== "ACTIVE" || to.sessionId !== msg.sessionId) {
        throw new Error(`a message for ${msg.sessionId} reached ${o.to} (${to?.state})`);
      }
    }
  }
}

/** How the engine under test is set up: `rounds` as in cluster mode (match-rounds.ts). */
export interface RunOptions {
  readonly rounds?: boolean;
}

export async function runSequence(
  policy: SpacePolicy | readonly SpacePolicy[],
  cmds: readonly Cmd[],
  wrap?: (m: MemoryStore) => Store,
  options: RunOptions = {},
): Promise<void> {
  const run = new ModelRun(policy, wrap, options);
  await run.start();
  for (const cmd of cmds) for (const ev of run.resolve(cmd)) await run.step(ev);
}
