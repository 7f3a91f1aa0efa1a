/**
 * What an engine command returns: whether it was accepted, and what must happen next, as data.
 * The gateway delivers `out` to the named users and schedules `deadlines`; the engine does neither.
 */
import type { ChatMessage, ErrorCode, StateView } from "@duet/protocol";
import type { SessionId, UserId } from "./types";

export type Outgoing =
  | { readonly to: UserId; readonly event: "state"; readonly payload: StateView }
  | { readonly to: UserId; readonly event: "message"; readonly payload: ChatMessage };

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
    };

export type Outcome =
  | {
      readonly ok: true;
      readonly out: readonly Outgoing[];
      readonly deadlines: readonly Deadline[];
    }
  | {
      readonly ok: false;
      readonly error: ErrorCode;
      readonly out: readonly Outgoing[];
      readonly deadlines: readonly Deadline[];
    };

export function success(
  out: readonly Outgoing[] = [],
  deadlines: readonly Deadline[] = [],
): Outcome {
  return { ok: true, out, deadlines };
}

export function failure(error: ErrorCode): Outcome {
  return { ok: false, error, out: [], deadlines: [] };
}

/** Both outcomes' effects, in order; failed with the first error if either failed. */
export function merge(first: Outcome, second: Outcome): Outcome {
  const out = [...first.out, ...second.out];
  const deadlines = [...first.deadlines, ...second.deadlines];
  const failed = !first.ok ? first : !second.ok ? second : undefined;
  return failed ? { ok: false, error: failed.error, out, deadlines } : { ok: true, out, deadlines };
}
