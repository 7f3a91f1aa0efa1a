/**
 * Admission: what happens to a client event after its shape was checked and before it reaches
 * the engine (issue 15). Cheapest first, and a refusal at any step spends nothing later steps
 * would have spent:
 * 1. the state this connection's screen shows: an event that is not legal there is refused
 *    (the declared table, transitions.ts) — no limit charged, nothing read;
 * 2. what the connection itself says: for a join, the space, the pass and its status, and the
 *    per-address waiting cap;
 * 3. rate limits, keyed on the pass or the connection (never the address: limits.ts) and
 *    charged only when every rule admits the event;
 * 4. only then the database: trust and "never with someone I reported" for a join.
 * Synchronous unless the database or a remote counter is involved: a chat message is admitted
 * in the turn it arrived, with no promise of its own.
 */
import {
  decide,
  type JoinContext,
  NOOP,
  type SpacePolicy,
  tierOf,
  type UserEvent,
} from "@duet/engine";
import type { ClientEventName, ClientPayload, ErrorCode, SpaceId } from "@duet/protocol";
import type { CountMap } from "../connection-caps";
import type { LimitResult } from "../http";
import type { Conn, SafetyServices, SocketLimit } from "./types";

/** A refusal: the error code the client is told, and when trying again can work. */
export type Refused = { error: ErrorCode; retryAfterMs?: number };
/** Admitted (with the join's context from the database, for a join), or refused. */
export type Admission = Refused | { context?: JoinContext };

const ADMITTED: Admission = Object.freeze({});

const refusedBy = (res: Extract<LimitResult, { ok: false }>): Refused => ({
  error: "rate_limited",
  retryAfterMs: res.retryAfterMs,
});

/** A client event is the state machine's event of the same name (a compile-time check). */
const userEvent = (name: ClientEventName): UserEvent => name;

/** The rate limit each client event spends (none for the rest). */
const LIMIT_OF: Partial<Record<ClientEventName, SocketLimit>> = {
  join: "join",
  send: "message",
  typing: "typing",
  report: "report",
  // Offering the help resources pops a panel on the other person's screen: bounded like a report
  // (it shares that budget), and the client shows it once per conversation anyway.
  care: "report",
  signal: "signal",
};

export interface AdmissionDeps {
  policies: ReadonlyMap<SpaceId, SpacePolicy>;
  safety: Pick<SafetyServices, "limit" | "repo">;
  /** People from one address waiting in one space at once (this node). */
  maxWaitingPerAddress: number;
  /** Who waits where, by `${space}|${ipHash}` (kept by the gateway as views are delivered). */
  waitingByAddress: Pick<CountMap, "get">;
}

/** The admission pipeline for events whose payload already passed its schema. */
export function createAdmission({
  policies,
  safety,
  maxWaitingPerAddress,
  waitingByAddress,
}: AdmissionDeps): (
  conn: Conn,
  name: ClientEventName,
  payload: unknown,
) => Admission | Promise<Admission> {
  const admit = (
    conn: Conn,
    name: ClientEventName,
    payload: unknown,
  ): Admission | Promise<Admission> => {
    const refused = precheck(conn, name, payload);
    if (refused) return refused;
    const limit = LIMIT_OF[name];
    if (limit) {
      const res = safety.limit(limit, { person: conn.token ?? conn.userId, ipHash: conn.ipHash });
      if (res instanceof Promise) {
        return res.then((r) => (r.ok ? afterLimits(conn, name, payload) : refusedBy(r)));
      }
      if (!res.ok) return refusedBy(res);
    }
    return afterLimits(conn, name, payload);
  };

  /** Steps 1 and 2 of `admit`: in memory, no limit charged. */
  const precheck = (conn: Conn, name: ClientEventName, payload: unknown): Refused | undefined => {
    const rule = decide(conn.state, userEvent(name));
    if (typeof rule === "object") return { error: rule.error };
    if (name !== "join") return undefined;
    const space = (payload as ClientPayload<"join">).space;
    const policy = policies.get(space);
    if (!policy) return { error: "space_unavailable" };
    if (policy.identity === "token") {
      const status = conn.identity.status;
      if (status === "none" || !conn.token) return { error: "token_required" };
      if (status === "banned") return { error: "banned" };
      if (status === "elsewhere") return { error: "open_elsewhere" };
    }
    // A duplicate join while waiting changes nothing: it is not a new place in the queue.
    if (rule === NOOP) return undefined;
    if (waitingByAddress.get(`${space}|${conn.ipHash}`) >= maxWaitingPerAddress) {
      return { error: "too_many_waiting_here" };
    }
    return undefined;
  };

  /** Step 4 of `admit`. */
  const afterLimits = (
    conn: Conn,
    name: ClientEventName,
    payload: unknown,
  ): Admission | Promise<Admission> => {
    if (name !== "join" || !conn.token) return ADMITTED;
    const policy = policies.get((payload as ClientPayload<"join">).space);
    return policy?.identity === "token" ? joinContext(conn.token) : ADMITTED;
  };

  /** Trust and blocks of a pass, from the database, for a join where identity counts. */
  const joinContext = async (token: string): Promise<Admission> => {
    const [score, blocked] = await Promise.all([
      safety.repo.trust(token),
      safety.repo.blockedWith(token),
    ]);
    return { context: { tier: tierOf(score), blocked } };
  };

  return admit;
}
