/**
 * Carries out what the engine returns: each outgoing event is routed to its recipient's node
 * (router.ts) and delivered there (delivery.ts), each
 * observation acted on (report buffers, trust after long talks, media setup, health), and each
 * deadline handed to the DeadlineQueue, whose firing (`fire`, on whichever node it falls due)
 * calls the engine and applies its outcome in turn. A session's join deadline is keyed by the session, and cancelled once it can no longer
 * do anything (the session went ACTIVE or closed).
 *
 * Cluster mode: a join deadline whose session has a participant connected to this node is kept
 * on this node's own timers (`nodeDeadlines`), not in the shared queue. It need not outlive the
 * node: if the node stops, its shutdown closes that participant's session (`server_shutdown`);
 * if it dies, the reaper disconnects the participant through the engine, which closes it
 * (`disconnected`); either way the partner is told, and the deadline would have had nothing left
 * to do. That spares the two Redis round trips of scheduling and cancelling it in nearly every
 * match (BENCHMARKS.md). A session with no participant here (matched by a deadline or a re-queue
 * this node fired for users of other nodes) keeps its deadline in the shared queue, where any
 * live node fires it. Limit: a session whose deadline is here and which goes ACTIVE or closes on
 * the other participant's node cannot cancel it from there; it fires here at its time and finds
 * nothing to do (the engine's join limit checks the session), a timer held for one join limit.
 */
import type { Deadline, Engine, Observation, Outcome } from "@duet/engine";
import type { Logger } from "../logger";
import type { DeadlineQueue, LocalDeadlineQueue } from "./deadlines";
import type { Deliver } from "./delivery";
import type { PresenceFeed } from "./presence-feed";
import type { ReportBuffers } from "./reports";
import type { LongTalkTrust } from "./trust";
import type { Conn, SafetyServices } from "./types";

export interface Outcomes {
  apply(outcome: Outcome): void;
  /** A deadline fell due: the engine decides, its outcome is applied. Never rejects. */
  fire(deadline: Deadline): Promise<void>;
}

/** The key a session's join deadline is scheduled under. */
export const joinDeadlineKey = (sessionId: string): string => `join:${sessionId}`;

export function createOutcomes(deps: {
  engine: Engine;
  /** Engine events to their recipient's node (router.ts), where delivery.ts delivers them. */
  route: Deliver;
  deadlines: DeadlineQueue;
  /** Cluster mode: this node's own timers, for join deadlines of sessions held here (above). */
  nodeDeadlines?: LocalDeadlineQueue;
  presence: PresenceFeed;
  reports: ReportBuffers;
  longTalks: LongTalkTrust;
  conns: ReadonlyMap<string, Conn>;
  safety: Pick<SafetyServices, "media" | "onMatched">;
  logger: Logger;
}): Outcomes {
  const { engine, route, deadlines, nodeDeadlines, presence, reports, longTalks, conns, safety } =
    deps;

  /** A session's join deadline is no longer needed: dropped where it was kept. */
  const cancelJoin = (sessionId: string): void => {
    const key = joinDeadlineKey(sessionId);
    if (nodeDeadlines?.has(key)) nodeDeadlines.cancel(key);
    else deadlines.cancel(key);
  };

  /** The outcome tells a participant of `sessionId` connected to this node (or matched it so). */
  const heldHere = (outcome: Outcome, sessionId: string): boolean =>
    outcome.observed.some(
      (ob) =>
        ob.kind === "matched" &&
        ob.sessionId === sessionId &&
        ob.participants.some((u) => conns.has(u)),
    ) ||
    outcome.out.some(
      (o) =>
        o.event === "state" &&
        (o.payload.state === "MATCHED" || o.payload.state === "ACTIVE") &&
        o.payload.sessionId === sessionId &&
        conns.has(o.to),
    );

  const fire = (deadline: Deadline): Promise<void> =>
    engine.onDeadline(deadline).then(
      (outcome) => applyOutcome(outcome, deadline),
      (err: unknown) => {
        deps.logger.error({ err, kind: deadline.kind }, "deadline failed");
      },
    );

  /** Bookkeeping for matches and closes: report buffers, trust after long talks, health. */
  const observe = (ob: Observation, fired?: Deadline): void => {
    if (ob.kind === "matched") {
      reports.matched(ob.sessionId, ob.space);
      longTalks.matched(ob, (u) => conns.get(u)?.ipHash);
      safety.onMatched?.(ob.space, ob.waitedMs);
      return;
    }
    if (ob.kind === "media") {
      // Both asked for media (not merely matched): only now do they get ICE servers and TURN
      // credentials, and only now are their signals relayed (engine). One setup for both.
      // Perfect negotiation: the one who waited longer is impolite, the newcomer polite.
      // Routed like the engine's events: each participant gets it on its own node.
      const setup = safety.media?.() ?? { iceServers: [], iceTransportPolicy: "all" };
      ob.participants.forEach((userId, i) => {
        const node = ob.nodes?.[i];
        route({
          to: userId,
          ...(node !== undefined ? { node } : {}),
          event: "media",
          payload: { sessionId: ob.sessionId, polite: i === 1, ...setup },
        });
      });
      return;
    }
    // A session that went ACTIVE had its join deadline cancelled then (apply, below).
    // Not when the close is that deadline's own firing: it has left its queue already.
    const firedHere = fired?.kind === "join_timeout" && fired.sessionId === ob.sessionId;
    if (ob.activeMs === null && !firedHere) cancelJoin(ob.sessionId);
    // A report took the buffer before its outcome was applied (see connection.ts); any other
    // close drops it here.
    reports.closed(ob.sessionId, ob.space);
    longTalks.closed(ob);
  };

  /** `fired`: the deadline whose firing produced this outcome, if one did. */
  const applyOutcome = (outcome: Outcome, fired?: Deadline): void => {
    let activated: string | undefined;
    for (const o of outcome.out) {
      route(o);
      // Both ACTIVE views of one session come in the outcome of the enter that started it: its
      // join deadline can no longer do anything, and is cancelled once, here (a remote queue:
      // one Redis call, not one per participant).
      if (
        o.event === "state" &&
        o.payload.state === "ACTIVE" &&
        o.payload.sessionId !== activated
      ) {
        activated = o.payload.sessionId;
        cancelJoin(activated);
      }
    }
    if (outcome.observed.length > 0) {
      presence.observe(outcome.observed);
      for (const ob of outcome.observed) observe(ob, fired);
    }
    for (const d of outcome.deadlines) {
      if (d.kind !== "join_timeout") deadlines.schedule(d);
      else if (nodeDeadlines && heldHere(outcome, d.sessionId)) {
        nodeDeadlines.schedule(d, joinDeadlineKey(d.sessionId));
      } else deadlines.schedule(d, joinDeadlineKey(d.sessionId));
    }
  };

  return { apply: (outcome) => applyOutcome(outcome), fire };
}
