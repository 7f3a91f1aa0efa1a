/**
 * Test harness for the engine: a manual clock, deterministic ids, a fake scheduler that fires the
 * deadlines every Outcome asks for, and a mailbox that records what each user was told.
 *
 * `World` wires them to a real Engine over a MemoryStore (optionally seen by the engine through a
 * wrapper, e.g. one that delays or perturbs store calls) and routes every Outcome through `apply`,
 * exactly as the gateway does: `out` is delivered, `deadlines` are scheduled.
 */
import {
  bucketsFor,
  type Clock,
  type Deadline,
  Engine,
  type IdSource,
  type JoinContext,
  LatestViews,
  type MatchRounds,
  MENTI,
  MemoryStore,
  type Observation,
  type Outcome,
  type Outgoing,
  type QueueEntry,
  type SearchRequest,
  type SessionRecord,
  type SpacePolicy,
  type Store,
  type UserRecord,
} from "@duet/engine";
import type { ChatMessage, Intent, SpaceId, StateView } from "@duet/protocol";

/** The observation every close of a session produces. */
export type ClosedObservation = Extract<Observation, { kind: "closed" }>;

/** The same pattern as protocol's `opaqueId`. */
export const OPAQUE_ID = /^[A-Za-z0-9_-]{22,64}$/;

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  constructor(private t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): number {
    if (ms < 0) throw new Error("time does not go backwards");
    this.t += ms;
    return this.t;
  }
  /** Moves to `t` if it is later than now (never backwards). */
  moveTo(t: number): void {
    if (t > this.t) this.t = t;
  }
}

/** Zero-padded counters: session ids match the protocol's opaque-id pattern (22 chars). */
export class CounterIds implements IdSource {
  private sessions = 0;
  private messages = 0;
  readonly issued: string[] = [];
  sessionId(): string {
    this.sessions += 1;
    const id = `sess_${String(this.sessions).padStart(17, "0")}`;
    this.issued.push(id);
    return id;
  }
  messageId(): string {
    this.messages += 1;
    return `msg_${String(this.messages).padStart(8, "0")}`;
  }
}

/** A made-up session id that the id source never issues (still a well-formed opaque id). */
export const MADE_UP_SESSION = "madeup_0000000000000000";

/** Everything each user was told, in delivery order. */
export class Mailbox {
  private readonly log: Outgoing[] = [];
  private readonly byUser = new Map<string, Outgoing[]>();
  /** Delivers as the gateway does: a state view older than one already delivered is dropped. */
  private readonly latest = new LatestViews();

  deliver(out: readonly Outgoing[]): void {
    for (const o of out) {
      if (!this.latest.accept(o)) continue;
      this.log.push(o);
      let list = this.byUser.get(o.to);
      if (!list) {
        list = [];
        this.byUser.set(o.to, list);
      }
      list.push(o);
    }
  }

  received(userId: string): readonly Outgoing[] {
    return this.byUser.get(userId) ?? [];
  }

  states(userId: string): StateView[] {
    const out: StateView[] = [];
    for (const o of this.received(userId)) if (o.event === "state") out.push(o.payload);
    return out;
  }

  lastState(userId: string): StateView | undefined {
    const states = this.states(userId);
    return states[states.length - 1];
  }

  messages(userId: string): ChatMessage[] {
    const out: ChatMessage[] = [];
    for (const o of this.received(userId)) if (o.event === "message") out.push(o.payload);
    return out;
  }

  /** A position in the global log, for `since`. */
  mark(): number {
    return this.log.length;
  }

  /** Everything delivered after `mark`. */
  since(mark: number): readonly Outgoing[] {
    return this.log.slice(mark);
  }
}

/**
 * Collects the deadlines of every Outcome and fires those that are due when time advances, calling
 * `engine.onDeadline` and feeding the outcomes of those calls back (they may schedule more).
 */
export class FakeScheduler {
  private pending: Array<{ deadline: Deadline; order: number }> = [];
  private order = 0;
  /** Every deadline fired so far, in firing order (for replays of stale deadlines). */
  readonly fired: Deadline[] = [];

  constructor(
    private readonly clock: ManualClock,
    private readonly fire: (deadline: Deadline) => Promise<Outcome>,
  ) {}

  collect(deadlines: readonly Deadline[]): void {
    for (const deadline of deadlines) this.pending.push({ deadline, order: this.order++ });
  }

  get size(): number {
    return this.pending.length;
  }

  pendingDeadlines(): Deadline[] {
    return this.pending.map((p) => p.deadline);
  }

  /** Fires, in time order, every deadline due now. Bounded: a runaway loop throws. */
  async runDue(maxFires = 10_000): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (let i = 0; ; i++) {
      if (i >= maxFires) throw new Error(`FakeScheduler: more than ${maxFires} deadlines fired`);
      const next = this.nextDue(this.clock.now());
      if (!next) return outcomes;
      this.fired.push(next);
      outcomes.push(await this.fire(next));
    }
  }

  /**
   * Advances the clock by `ms`, stepping to each deadline's time in order and firing it, so a
   * deadline sees the clock at its own `at` (as a real timer would).
   */
  async advance(ms: number, maxFires = 10_000): Promise<Outcome[]> {
    const target = this.clock.now() + ms;
    const outcomes: Outcome[] = [];
    for (let i = 0; ; i++) {
      if (i >= maxFires) throw new Error(`FakeScheduler: more than ${maxFires} deadlines fired`);
      const next = this.nextDue(target);
      if (!next) break;
      this.clock.moveTo(next.at);
      this.fired.push(next);
      outcomes.push(await this.fire(next));
    }
    this.clock.moveTo(target);
    return outcomes;
  }

  /** Removes and returns the earliest deadline with `at <= limit` (ties: scheduling order). */
  private nextDue(limit: number): Deadline | undefined {
    let best = -1;
    for (let i = 0; i < this.pending.length; i++) {
      const p = this.pending[i];
      const b = this.pending[best];
      if (!p || p.deadline.at > limit) continue;
      if (
        !b ||
        p.deadline.at < b.deadline.at ||
        (p.deadline.at === b.deadline.at && p.order < b.order)
      )
        best = i;
    }
    if (best < 0) return undefined;
    const [taken] = this.pending.splice(best, 1);
    return taken?.deadline;
  }
}

export interface WorldOptions {
  readonly policies?: readonly SpacePolicy[];
  /** Wraps the MemoryStore the engine sees (the World still inspects the real one). */
  readonly wrap?: (store: MemoryStore) => Store;
  /** Cluster mode's match rounds (engine option `rounds`). */
  readonly rounds?: MatchRounds;
}

export interface Snapshot {
  users: UserRecord[];
  sessions: SessionRecord[];
  queued: QueueEntry[];
}

/** Engine + MemoryStore + clock + ids + scheduler + mailbox, with one call per command. */
export class World {
  readonly clock = new ManualClock();
  readonly ids = new CounterIds();
  readonly memory = new MemoryStore();
  readonly store: Store;
  readonly engine: Engine;
  readonly mailbox = new Mailbox();
  readonly scheduler: FakeScheduler;
  /** Every outcome applied, in order. */
  readonly outcomes: Outcome[] = [];

  constructor(options: WorldOptions = {}) {
    this.store = options.wrap ? options.wrap(this.memory) : this.memory;
    this.engine = new Engine({
      store: this.store,
      clock: this.clock,
      ids: this.ids,
      policies: options.policies ?? [MENTI],
      ...(options.rounds ? { rounds: options.rounds } : {}),
    });
    this.scheduler = new FakeScheduler(this.clock, async (d) =>
      this.apply(await this.engine.onDeadline(d)),
    );
  }

  /** Delivers an outcome's messages and schedules its deadlines, as the gateway does. */
  apply(outcome: Outcome): Outcome {
    this.outcomes.push(outcome);
    this.mailbox.deliver(outcome.out);
    this.scheduler.collect(outcome.deadlines);
    return outcome;
  }

  /** `person`: the connection's token id, where the test gives it one. */
  async connect(
    userId: string,
    browserId = `browser-${userId}`,
    person?: string,
  ): Promise<Outcome> {
    return this.apply(await this.engine.connect(userId, browserId, person));
  }
  /** A join with the whole request and the gateway's context (tier, blocked persons). */
  async joinWith(userId: string, req: SearchRequest, context?: JoinContext): Promise<Outcome> {
    return this.apply(await this.engine.join(userId, req, context));
  }
  async join(userId: string, intent?: Intent, space: SpaceId = "menti"): Promise<Outcome> {
    return this.apply(await this.engine.join(userId, { space, ...(intent ? { intent } : {}) }));
  }
  async cancel(userId: string): Promise<Outcome> {
    return this.apply(await this.engine.cancel(userId));
  }
  async enter(userId: string, sessionId: string): Promise<Outcome> {
    return this.apply(await this.engine.enter(userId, sessionId));
  }
  /** Video spaces: the user asks for its session's media. */
  async media(userId: string, sessionId: string): Promise<Outcome> {
    return this.apply(await this.engine.media(userId, sessionId));
  }
  async send(userId: string, text: string): Promise<Outcome> {
    return this.apply(await this.engine.send(userId, text));
  }
  async exit(userId: string): Promise<Outcome> {
    return this.apply(await this.engine.exit(userId));
  }
  async home(userId: string): Promise<Outcome> {
    return this.apply(await this.engine.home(userId));
  }
  async disconnect(userId: string): Promise<Outcome> {
    return this.apply(await this.engine.disconnect(userId));
  }
  async report(userId: string): Promise<Outcome> {
    return this.apply(await this.engine.report(userId));
  }
  async skip(userId: string): Promise<Outcome> {
    return this.apply(await this.engine.skip(userId));
  }
  async end(userId: string): Promise<Outcome> {
    return this.apply(await this.engine.end(userId));
  }

  /** Every `closed` observation of every outcome applied so far, in order. */
  closes(): ClosedObservation[] {
    const out: ClosedObservation[] = [];
    for (const o of this.outcomes)
      for (const ob of o.observed) if (ob.kind === "closed") out.push(ob);
    return out;
  }
  async deadline(deadline: Deadline): Promise<Outcome> {
    return this.apply(await this.engine.onDeadline(deadline));
  }
  /** Lets `ms` pass, firing every deadline that comes due. */
  async advance(ms: number): Promise<Outcome[]> {
    return this.scheduler.advance(ms);
  }

  /** The user's record as the store holds it now (via inspect, i.e. without the engine). */
  user(userId: string): UserRecord | undefined {
    return this.memory.inspect().users.find((u) => u.id === userId);
  }
  /**
   * The session as the store holds it, with who entered as the engine knows it (a same-node
   * pair's first `enter` is kept by the engine, not the store: `Engine.enteredOf`).
   */
  session(sessionId: string): SessionRecord | undefined {
    const session = this.memory.inspect().sessions.find((s) => s.id === sessionId);
    return session && { ...session, entered: this.engine.enteredOf(session) };
  }
  /** A deep copy of the whole store (entered as the engine knows it), for before/after comparisons. */
  snapshot(): Snapshot {
    const snap = structuredClone(this.memory.inspect());
    return {
      ...snap,
      sessions: snap.sessions.map((s) => ({ ...s, entered: [...this.engine.enteredOf(s)] })),
    };
  }

  /** Connects two users and pairs them (talk + listen); returns the session id. */
  async pair(a: string, b: string): Promise<string> {
    if (!this.user(a)) await this.connect(a);
    if (!this.user(b)) await this.connect(b);
    await this.join(a, "talk");
    await this.join(b, "listen");
    const sessionId = this.user(a)?.sessionId;
    if (!sessionId || this.user(b)?.sessionId !== sessionId) throw new Error("pair: not paired");
    return sessionId;
  }

  /** Pairs two users and has both enter: an ACTIVE conversation. */
  async converse(a: string, b: string): Promise<string> {
    const sessionId = await this.pair(a, b);
    await this.enter(a, sessionId);
    await this.enter(b, sessionId);
    if (this.user(a)?.state !== "ACTIVE") throw new Error("converse: not active");
    return sessionId;
  }
}

/**
 * A state view without its time-dependent fields (`waitedMs`, `enterWithinMs`, `anyoneInMs`: a
 * topic search's countdown, which the client runs itself, so its end sends no new view) and the
 * one-shot annotations (`searchTimedOut`, `previous`), so a view sent earlier can be compared with
 * the view of the record now.
 */
export function comparableView(view: StateView | undefined): Record<string, unknown> | undefined {
  if (!view) return undefined;
  const {
    waitedMs: _w,
    enterWithinMs: _e,
    anyoneInMs: _a,
    searchTimedOut: _s,
    previous: _p,
    ...rest
  } = view as StateView & {
    waitedMs?: number;
    enterWithinMs?: number;
    anyoneInMs?: number;
    searchTimedOut?: true;
    previous?: unknown;
  };
  return rest;
}

/** The buckets a menti search with `intent` waits in (whatever the matcher names them). */
export function mentiBuckets(intent: Intent, policy: SpacePolicy = MENTI): string[] {
  const probe: QueueEntry = {
    userId: "",
    browserId: "",
    space: policy.id,
    intent,
    since: 0,
    seq: 0,
  };
  return bucketsFor(policy, probe, 0);
}

/**
 * A Store that is `inner` seen through `around`: every operation call goes through it (to delay,
 * reorder or perturb it), and `overrides` replace single operations. Built as a Proxy so that it
 * follows the Store interface as it grows.
 */
export function storeVia(
  inner: MemoryStore,
  around: (name: string, call: () => Promise<unknown>) => Promise<unknown> = (_n, call) => call(),
  overrides: Partial<Store> = {},
): Store {
  return new Proxy<Store>(inner, {
    get(target, prop) {
      const own = overrides[prop as keyof Store];
      if (own) return own;
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      const fn = value as (...args: unknown[]) => Promise<unknown>;
      return (...args: unknown[]) => around(String(prop), () => fn.apply(target, args));
    },
  });
}

/** Asserts the outcome failed (for narrowing in tests). */
export function errorOf(outcome: Outcome): string | undefined {
  return outcome.ok ? undefined : outcome.error;
}
