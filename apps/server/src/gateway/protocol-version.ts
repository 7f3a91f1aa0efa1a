/**
 * The protocol version a connection speaks (docs/protocol.md, "Versions of this protocol"), and
 * protocol 2's one difference on the server: what an event produced for its own connection rides
 * in that event's ack instead of travelling as separate packets.
 *
 * - The handshake's `auth.protocol`: absent → 1 (every client written to the first document);
 *   1 or 2 → that; anything else → refused at the handshake with `protocol_version`, so a client
 *   newer than this server learns why at once instead of misreading what it is sent.
 * - Protocol 2, `send`: the sender's own copy comes only in the ack (a client that asks for no
 *   ack knows what it sent); `held` collects it while the outcome is applied.
 * - Protocol 2, any event with an ack but `report`: when applying its outcome delivered exactly
 *   one event to this connection and that event is a `state` (or `send`'s own copy), it goes in
 *   the ack. Anything else (a dormparty Skip's ENDED then WAITING, nothing at all) goes out as
 *   before, in order, and the ack is plain. `report` keeps its events: its ack waits for the
 *   database, and the screen must not.
 */
import {
  type Ack,
  type ChatMessage,
  type ClientEventName,
  PROTOCOL_VERSION_ERROR,
  PROTOCOL_VERSIONS,
  type ProtocolVersion,
  type ServerToClientEvents,
  type VersionedStateView,
} from "@duet/protocol";
import type { Conn, DuetServer } from "./types";

/** One event held back from a protocol-2 connection while its own event's outcome is applied. */
export interface Held {
  readonly event: keyof ServerToClientEvents;
  readonly payload: unknown;
}

/**
 * The version a handshake's `auth` asks for; `undefined` for a value this server does not speak.
 * Read apart from the browser id, so that a bad `protocol` never costs a good browser id.
 */
export function protocolOf(auth: unknown): ProtocolVersion | undefined {
  const asked =
    typeof auth === "object" && auth !== null
      ? (auth as { protocol?: unknown }).protocol
      : undefined;
  if (asked === undefined) return 1;
  return PROTOCOL_VERSIONS.find((v) => v === asked);
}

/**
 * Refuses a handshake that asks for a version this server does not speak, before a connection
 * exists (no user id, no welcome). The client's `connect_error` has `message` "protocol_version"
 * and `data` saying which versions this server speaks.
 */
export function refuseUnknownProtocols(io: DuetServer): void {
  io.use((socket, next) => {
    if (protocolOf(socket.handshake.auth) !== undefined) return next();
    const err = new Error(PROTOCOL_VERSION_ERROR) as Error & { data?: unknown };
    err.data = {
      code: PROTOCOL_VERSION_ERROR,
      message: `This server speaks protocol versions ${PROTOCOL_VERSIONS.join(" and ")}; the client asked for another one.`,
      versions: [...PROTOCOL_VERSIONS],
    };
    next(err);
  });
}

/** Events whose own-connection results may ride in the ack (protocol 2; see the header). */
export function mayCarry(conn: Conn, name: ClientEventName, hasAck: boolean): boolean {
  return hasAck && conn.protocol >= 2 && name !== "report";
}

/**
 * The success ack for what was held: the one `state` (or `send`'s own copy) in it, when that is
 * all there was; otherwise everything held goes out now, in order, and the ack is plain.
 */
export function settleHeld(conn: Conn, held: readonly Held[], name: ClientEventName): Ack {
  const only = held.length === 1 ? held[0] : undefined;
  if (only?.event === "state") return { ok: true, state: only.payload as VersionedStateView };
  if (only?.event === "message" && name === "send") {
    return { ok: true, copy: only.payload as ChatMessage };
  }
  releaseHeld(conn, held);
  return { ok: true };
}

/** Sends what was held, in the order it was delivered (a refusal, or more than one event). */
export function releaseHeld(conn: Conn, held: readonly Held[]): void {
  for (const h of held) conn.emit(h.event, h.payload);
}
