/**
 * This node's sockets: how delivery reaches a user's socket, and its presence-room membership.
 * Straight to the socket when it is on this node (no room lookup, no broadcast's frame copy, no
 * Socket.IO packet: direct-emit.ts; all of them showed in the relay and churn profiles), else to
 * the user's own room `u:<id>` (a socket of this node that is not a Conn yet or any more; with a
 * Socket.IO cluster adapter, a socket elsewhere). Engine events for a user on another node never
 * get here: the Router (router.ts) hands them to that node first.
 */
import type { ServerToClientEvents } from "@duet/protocol";
import type { Conn, DuetServer } from "./types";

/** The room every socket of a user is in: `u:<userId>`. */
export const roomOf = (userId: string): string => `u:${userId}`;

/**
 * The sockets that get presence broadcasts: everyone not in a conversation. Presence is shown on
 * the landing and entry screens, never in a room, and sending each change to every socket cost
 * N frames every few seconds (a third of the frames in the 5,000-user burst benchmark).
 */
export const PRESENCE_ROOM = "presence";

export interface Sockets {
  /** Sends one event to a user's socket, on whichever node it is. */
  emit<E extends keyof ServerToClientEvents>(
    userId: string,
    event: E,
    payload: Parameters<ServerToClientEvents[E]>[0],
  ): void;
  /** Puts a user's socket into the presence room, or takes it out. */
  presenceMember(userId: string, inside: boolean): void;
}

export function createSockets(io: DuetServer, conns: ReadonlyMap<string, Conn>): Sockets {
  return {
    emit(userId, event, payload) {
      const local = conns.get(userId);
      // Held for the ack of the event whose outcome is being applied (protocol-version.ts).
      if (local?.held) local.held.push({ event, payload });
      else if (local) local.emit(event, payload);
      else
        io.to(roomOf(userId)).emit(
          event,
          ...([payload] as Parameters<ServerToClientEvents[typeof event]>),
        );
    },
    presenceMember(userId, inside) {
      const local = conns.get(userId)?.socket;
      if (local) void (inside ? local.join(PRESENCE_ROOM) : local.leave(PRESENCE_ROOM));
      else if (inside) io.in(roomOf(userId)).socketsJoin(PRESENCE_ROOM);
      else io.in(roomOf(userId)).socketsLeave(PRESENCE_ROOM);
    },
  };
}
