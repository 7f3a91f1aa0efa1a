/**
 * Presence for the screens between conversations: every `everyMs` the shared census is read and,
 * when the figures changed, sent to this node's sockets in the presence room. People in a
 * conversation are out of that room (they see no presence) and get the latest figures on leaving
 * it, if they changed meanwhile.
 *
 * Local by design: every node runs its own timer over the shared census and tells its own
 * sockets, so nothing here needs a seam. What a node must not do is take another node's user
 * out of the room without putting it back: `conversation()` is called by delivery, which runs on
 * the user's own node (router.ts).
 */
import type { Observation, Store } from "@duet/engine";
import type { Presence, SpaceId } from "@duet/protocol";
import type { Logger } from "../logger";
import { PresenceTracker } from "../presence";
import { PRESENCE_ROOM, type Sockets } from "./sockets";
import type { DuetServer } from "./types";

export interface PresenceFeed {
  /** The figures last sent, if any (a new socket gets them at once). */
  latest(): Presence | undefined;
  /** Matches and closes inform the wait estimates. */
  observe(observed: readonly Observation[]): void;
  /** A user's screen went into a conversation (true) or out of one (false). */
  conversation(userId: string, inConversation: boolean): void;
  /** The user's socket is gone: nothing is kept for it. */
  forget(userId: string): void;
  stop(): void;
}

export function createPresenceFeed(deps: {
  io: DuetServer;
  store: Pick<Store, "census">;
  spaces: readonly SpaceId[];
  sockets: Sockets;
  logger: Logger;
  everyMs: number;
  slice: number;
}): PresenceFeed {
  const { io, store, sockets, logger } = deps;
  const tracker = new PresenceTracker(deps.spaces);
  /**
   * Users on this node in a conversation (MATCHED/ACTIVE), out of the presence room, each with
   * the presence version it had last been sent when it left.
   */
  const talking = new Map<string, number>();
  let last: Presence | undefined;
  let lastJson = "";
  /** Counts the changes of `last`: 0 before the first. */
  let version = 0;

  /**
   * Sends presence to this node's sockets in the presence room, a slice per event-loop turn.
   * In one go it was one write per socket in a single turn: with 5,000 people between
   * conversations, a 100+ ms stall every few seconds that every chat message and partner notice
   * of that moment waited out (the 10,000-user notice benchmark). A newer broadcast supersedes
   * the rest of an older one (its sockets get the newer figures instead); anyone who enters the
   * room meanwhile got the latest figures on entering.
   */
  const slice = Math.max(1, deps.slice);
  let round = 0;
  const broadcast = (next: Presence): void => {
    const mine = ++round;
    const members = [...(io.of("/").adapter.rooms.get(PRESENCE_ROOM) ?? [])];
    const sendSlice = (from: number): void => {
      if (mine !== round || from >= members.length) return;
      io.local.to(members.slice(from, from + slice)).emit("presence", next);
      setImmediate(sendSlice, from + slice);
    };
    sendSlice(0);
  };

  /** Presence goes to everyone when it changed, at most every `everyMs`. */
  const timer = setInterval(() => {
    store
      .census()
      .then((census) => {
        const next = tracker.snapshot(census);
        const json = JSON.stringify(next);
        if (json === lastJson) return;
        last = next;
        lastJson = json;
        version += 1;
        broadcast(next);
      })
      .catch((err: unknown) => logger.error({ err }, "presence failed"));
  }, deps.everyMs);
  timer.unref();

  return {
    latest: () => last,
    observe: (observed) => tracker.observe(observed),
    conversation(userId, inConversation) {
      const leftAt = talking.get(userId);
      if (inConversation && leftAt === undefined) {
        talking.set(userId, version);
        sockets.presenceMember(userId, false);
      } else if (!inConversation && leftAt !== undefined) {
        talking.delete(userId);
        // Back where presence shows: the latest figures at once if they changed meanwhile
        // (clients keep the last figures they got; a short chat rarely outlives them, and
        // under churn this was two packets per conversation), then every change.
        if (last && leftAt !== version) sockets.emit(userId, "presence", last);
        sockets.presenceMember(userId, true);
      }
    },
    forget: (userId) => {
      talking.delete(userId);
    },
    stop: () => clearInterval(timer),
  };
}
