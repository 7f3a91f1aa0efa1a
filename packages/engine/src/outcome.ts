/**
 * What an engine command returns: whether it was accepted, and what must happen next, as data.
 * The gateway delivers `out` to the named users and schedules `deadlines`; the engine does neither.
 */
import type {
  Care,
  ChatMessage,
  CloseReason,
  ErrorCode,
  RelayedSignal,
  SpaceId,
  StateView,
  Typing,
} from "@duet/protocol";
import type { SessionId, UserId } from "./types";

/**
 * One event for one user. `node` is the recipient's node (the gateway process holding its
 * socket, from its user record): the gateway delivers it there (the ownership rule,
 * docs/architecture.md). Absent for records made without one (tests, a single process).
 */
export type Outgoing = { readonly node?: string } & (
  | {
      readonly to: UserId;
      readonly event: "state";
      readonly payload: StateView;
      /** The user record's version the view was computed from. */
      readonly version: number;
      /**
       * MATCHED/ACTIVE: the partner and its node, for the recipient's node to keep beside the
       * view (engine `send` with a `Talk`). Never sent to a client: views do not name the partner.
       */
      readonly partner?: { readonly id: UserId; readonly node?: string };
    }
  | { readonly to: UserId; readonly event: "message"; readonly payload: ChatMessage }
  | { readonly to: UserId; readonly event: "typing"; readonly payload: Typing }
  | { readonly to: UserId; readonly event: "care"; readonly payload: Care }
  | { readonly to: UserId; readonly event: "signal"; readonly payload: RelayedSignal }
);

/**
 * Facts the gateway acts on besides delivering views: health figures (aggregates only), a video
 * session whose media may start, and the close of a session — which drops its transcript buffer, files a report (`reported`: `by` is
 * the reporter), or raises trust after a long conversation.
 */
export type Observation =
  | {
      readonly kind: "matched";
      readonly space: SpaceId;
      readonly sessionId: SessionId;
      /** The participants, the one who waited longer first. */
      readonly participants: readonly [UserId, UserId];
      readonly waitedMs: readonly [number, number];
    }
  /**
   * Video spaces: both participants of an open session have asked for media. The gateway sends
   * each its media setup (negotiation role, ICE servers); until now their signals were refused.
   */
  | {
      readonly kind: "media";
      readonly space: SpaceId;
      readonly sessionId: SessionId;
      /** The participants, the one who waited longer first (the impolite side). */
      readonly participants: readonly [UserId, UserId];
      /** Their nodes, in the same order, where the records have them (the gateway routes by them). */
      readonly nodes?: readonly [string | undefined, string | undefined];
    }
  | {
      readonly kind: "closed";
      readonly space: SpaceId;
      readonly sessionId: SessionId;
      readonly reason: CloseReason;
      /** The participant whose action closed it (the reporter, for `reported`), or null. */
      readonly by: UserId | null;
      /** Both participants with their persons (token ids where the space has tokens). */
      readonly participants: readonly [
        { readonly userId: UserId; readonly person: string },
        { readonly userId: UserId; readonly person: string },
      ];
      /** How long it was ACTIVE, or null if it never started. */
      readonly activeMs: number | null;
    };

/** A moment at which the gateway must call `engine.onDeadline`. Stale deadlines are harmless. */
export type Deadline =
  | { readonly kind: "join_timeout"; readonly at: number; readonly sessionId: SessionId }
  | {
      readonly kind: "search_timeout";
      readonly at: number;
      readonly userId: UserId;
      /** Only the search with this seq times out: a newer search by the same user is untouched. */
      readonly seq: number;
    }
  | {
      readonly kind: "retry_match";
      readonly at: number;
      readonly userId: UserId;
      readonly seq: number;
    }
  /** A topic search's preference window has passed: it now accepts anyone. */
  | {
      readonly kind: "topic_fallback";
      readonly at: number;
      readonly userId: UserId;
      readonly seq: number;
    };

interface Effects {
  readonly out: readonly Outgoing[];
  readonly deadlines: readonly Deadline[];
  readonly observed: readonly Observation[];
}

export type Outcome =
  | ({ readonly ok: true } & Effects)
  | ({ readonly ok: false; readonly error: ErrorCode } & Effects);

export function success(
  out: readonly Outgoing[] = [],
  deadlines: readonly Deadline[] = [],
  observed: readonly Observation[] = [],
): Outcome {
  return { ok: true, out, deadlines, observed };
}

export function failure(error: ErrorCode): Outcome {
  return { ok: false, error, out: [], deadlines: [], observed: [] };
}

/** Both outcomes' effects, in order; failed with the first error if either failed. */
export function merge(first: Outcome, second: Outcome): Outcome {
  const effects: Effects = {
    out: [...first.out, ...second.out],
    deadlines: [...first.deadlines, ...second.deadlines],
    observed: [...first.observed, ...second.observed],
  };
  const failed = !first.ok ? first : !second.ok ? second : undefined;
  return failed ? { ok: false, error: failed.error, ...effects } : { ok: true, ...effects };
}

/**
 * Drops state views that are older than one already delivered to the same user. Two commands can
 * compute views of one user concurrently (each awaits the store), and their outcomes may be
 * delivered in either order; without this, an older view could overwrite a newer one on screen.
 * One per delivering process; `forget` a user when its connection is gone.
 */
export class LatestViews {
  private readonly delivered = new Map<UserId, number>();

  /** True if this outgoing should be delivered (it is not a state, or not older than the last). */
  accept(o: Outgoing): boolean {
    if (o.event !== "state") return true;
    const last = this.delivered.get(o.to);
    if (last !== undefined && o.version < last) return false;
    this.delivered.set(o.to, o.version);
    return true;
  }

  forget(userId: UserId): void {
    this.delivered.delete(userId);
  }
}
