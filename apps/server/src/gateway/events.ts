/**
 * One client event, from the wire to the engine and back: its name and payload checked against
 * the shared schemas, then (in the socket's own queue, after every earlier event of that socket)
 * admission (admission.ts: state → the join's own checks → limits → database), the engine
 * command, the outcome applied, and for a report the report filed. A refusal at any step is one
 * answer (the ack, else `rejected`) and changes nothing.
 */
import type { Engine, Outcome, Seat, Talk } from "@duet/engine";
import type { NewReport } from "@duet/persistence";
import {
  type Ack,
  type ClientEventName,
  type ClientPayload,
  clientEventSchemas,
  type ErrorCode,
} from "@duet/protocol";
import type { Logger } from "../logger";
import type { Admission } from "./admission";
import type { Outcomes } from "./outcomes";
import { type Held, mayCarry, releaseHeld, settleHeld } from "./protocol-version";
import type { ReportBuffers } from "./reports";
import type { Conn, SafetyServices } from "./types";

/** Answers a refused event (and counts it toward the abuse disconnect): connection.ts. */
export type Reject = (
  event: string,
  code: ErrorCode,
  ack: ((a: Ack) => void) | undefined,
  retryAfterMs?: number,
) => void;

/** How long a client is asked to wait when its queue of events is full (serial.ts). */
const BUSY_RETRY_MS = 1000;

export function createEventHandler(deps: {
  engine: Engine;
  admit(conn: Conn, name: ClientEventName, payload: unknown): Admission | Promise<Admission>;
  outcomes: Outcomes;
  reports: ReportBuffers;
  safety: Pick<SafetyServices, "repo" | "onReported">;
  logger: Logger;
  /** This gateway's node id (Router.node). */
  node: string;
  shuttingDown(): boolean;
}): (conn: Conn, event: string, args: unknown[], reject: Reject) => void {
  const { engine, admit, outcomes, reports, safety, logger, node } = deps;

  /** Admission, the engine, the outcome and a report's filing, for a payload that passed its schema. */
  const run = async (
    conn: Conn,
    name: ClientEventName,
    payload: unknown,
    ack: ((a: Ack) => void) | undefined,
    reject: Reject,
  ): Promise<void> => {
    if (deps.shuttingDown()) return reject(name, "server_shutting_down", ack);
    let outcome: Outcome;
    let report: NewReport | undefined;
    try {
      const admitting = admit(conn, name, payload);
      const admitted = admitting instanceof Promise ? await admitting : admitting;
      if ("error" in admitted) return reject(name, admitted.error, ack, admitted.retryAfterMs);
      outcome =
        name === "join"
          ? await engine.join(conn.userId, payload as ClientPayload<"join">, admitted.context)
          : name === "send"
            ? await engine.send(
                conn.userId,
                (payload as ClientPayload<"send">).text,
                talkOf(conn, node),
              )
            : name === "exit"
              ? await engine.exit(conn.userId, seatOf(conn))
              : await handlers[name](engine, conn.userId, payload);
      if (name === "report" && outcome.ok) {
        const closed = outcome.observed.find(
          (o) => o.kind === "closed" && o.reason === "reported" && o.by === conn.userId,
        );
        if (closed?.kind === "closed") {
          report = await reports.reportOf(closed, payload as ClientPayload<"report">);
        }
      }
    } catch (err) {
      logger.error({ err, event: name }, "engine command failed");
      return reject(name, "internal", ack);
    }
    // Protocol 2: what this outcome delivers to this connection is held for the ack.
    const held: Held[] | undefined = mayCarry(conn, name, ack !== undefined) ? [] : undefined;
    conn.held = held;
    try {
      outcomes.apply(outcome);
    } finally {
      conn.held = undefined;
    }
    if (!outcome.ok) {
      if (held) releaseHeld(conn, held);
      return reject(name, outcome.error, ack);
    }
    if (report) {
      try {
        await safety.repo.addReport(report);
        safety.onReported?.(report.space);
        logger.info({ space: report.space, reason: report.reason }, "report filed");
      } catch (err) {
        // The conversation has ended for both either way; the reporter is told it was not saved.
        logger.error({ err }, "storing a report failed");
        return reject(name, "internal", ack);
      }
    }
    ack?.(held ? settleHeld(conn, held, name) : { ok: true });
  };

  return (conn, event, args, reject) => {
    const last = args[args.length - 1];
    const ack = typeof last === "function" ? (last as (a: Ack) => void) : undefined;
    const payloadArgs = ack ? args.slice(0, -1) : args;
    if (!Object.hasOwn(clientEventSchemas, event)) {
      reject(event, "unknown_event", ack);
      return;
    }
    const name = event as ClientEventName;
    const parsed = clientEventSchemas[name].safeParse(payloadArgs[0] ?? {});
    if (!parsed.success || payloadArgs.length > 1) {
      reject(name, "invalid_payload", ack);
      return;
    }
    const queued = conn.queue.offer(() => run(conn, name, parsed.data, ack, reject));
    // More events waiting than a client ever needs: refused cheaply, and it counts as abuse.
    if (!queued) reject(name, "rate_limited", ack, BUSY_RETRY_MS);
  };
}

/** The conversation this screen shows (MATCHED or ACTIVE), for `exit` to close directly. */
function seatOf(conn: Conn): Seat | undefined {
  const { session, state } = conn;
  if ((state !== "MATCHED" && state !== "ACTIVE") || !session) return undefined;
  return { state, space: session.space, sessionId: session.sessionId };
}

/**
 * The conversation as this node last delivered it, for `send` to relay on without a store read
 * (engine `Talk`): only when the screen shows ACTIVE and the partner is on this node too. Every
 * close of such a pair made on this node reaches both screens here before this node's next event
 * is handled; one made elsewhere (a deadline another node fired) is on its way for a moment, and
 * delivery.ts keeps a message from a screen that has moved on. A partner on another node is read
 * from the store as before: the message crosses Redis anyway, and the window would be wider.
 */
function talkOf(conn: Conn, node: string): Talk | undefined {
  const { session, partner } = conn;
  if (conn.state !== "ACTIVE" || !session || !partner) return undefined;
  if (partner.node !== undefined && partner.node !== node) return undefined;
  return {
    state: "ACTIVE",
    space: session.space,
    sessionId: session.sessionId,
    partnerId: partner.id,
    ...(partner.node !== undefined ? { partnerNode: partner.node } : {}),
  };
}

type Handler = (engine: Engine, userId: string, payload: unknown) => Promise<Outcome>;

/**
 * Each client event's engine command. A payload reaches its handler only after the schema of the
 * same name accepted it, which is what makes each cast below sound.
 */
const handlers: Record<ClientEventName, Handler> = {
  // `run` calls engine.join itself, with the JoinContext from the database (admission.ts).
  join: (e, u, p) => e.join(u, p as ClientPayload<"join">),
  cancel: (e, u) => e.cancel(u),
  enter: (e, u, p) => e.enter(u, (p as ClientPayload<"enter">).sessionId),
  media: (e, u, p) => e.media(u, (p as ClientPayload<"media">).sessionId),
  // `run` calls engine.send and engine.exit itself, with this node's copy of the conversation
  // (talkOf, seatOf); these are the same commands without it.
  send: (e, u, p) => e.send(u, (p as ClientPayload<"send">).text),
  exit: (e, u) => e.exit(u),
  home: (e, u) => e.home(u),
  skip: (e, u) => e.skip(u),
  end: (e, u) => e.end(u),
  typing: (e, u) => e.typing(u),
  widen: (e, u) => e.widen(u),
  care: (e, u) => e.care(u),
  report: (e, u) => e.report(u),
  signal: (e, u, p) => e.signal(u, p as ClientPayload<"signal">),
};
