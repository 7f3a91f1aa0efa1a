/**
 * Carries out what the engine returns: each outgoing event is routed to its recipient's node
 * (router.ts) and delivered there (delivery.ts), each
 * observation acted on (report buffers, trust after long talks, media setup, health), and each
 * deadline handed to the DeadlineQueue, whose firing (`fire`, on whichever node it falls due)
 * calls the engine and applies its outcome in turn. A session's join deadline is keyed by the session, and cancelled once it can no longer
 * do anything (the session went ACTIVE or closed).
 */
import type { Deadline, Engine, Observation, Outcome } from "@duet/engine";
import type { Logger } from "../logger";
import type { DeadlineQueue } from "./deadlines";
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
  presence: PresenceFeed;
  reports: ReportBuffers;
  longTalks: LongTalkTrust;
  conns: ReadonlyMap<string, Conn>;
  safety: Pick<SafetyServices, "media" | "onMatched">;
  logger: Logger;
}): Outcomes {
  const { engine, route, deadlines, presence, reports, longTalks, conns, safety } = deps;

  const fire = (deadline: Deadline): Promise<void> =>
    engine.onDeadline(deadline).then(apply, (err: unknown) => {
      deps.logger.error({ err, kind: deadline.kind }, "deadline failed");
    });

  /** Bookkeeping for matches and closes: report buffers, trust after long talks, health. */
  const observe = (ob: Observation): void => {
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
    if (ob.activeMs === null) deadlines.cancel(joinDeadlineKey(ob.sessionId));
    // A report took the buffer before its outcome was applied (see connection.ts); any other
    // close drops it here.
    reports.closed(ob.sessionId, ob.space);
    longTalks.closed(ob);
  };

  const apply = (outcome: Outcome): void => {
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
        deadlines.cancel(joinDeadlineKey(activated));
      }
    }
    if (outcome.observed.length > 0) {
      presence.observe(outcome.observed);
      for (const ob of outcome.observed) observe(ob);
    }
    for (const d of outcome.deadlines) {
      const key = d.kind === "join_timeout" ? joinDeadlineKey(d.sessionId) : undefined;
      deadlines.schedule(d, key);
    }
  };

  return { apply, fire };
}
