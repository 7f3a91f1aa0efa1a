import type { Ack, ChatMessage, VersionedStateView } from "@duet/protocol";

/** The one part of a Socket.IO client socket this needs: an emit with an ack callback. */
export interface AckEmitter {
  emit(event: string, payload: unknown, callback: (ack?: Ack) => void): void;
}

/** Where what an ack carries goes (protocol 2): the socket's own `state` and `message` handlers. */
export interface Carried {
  state(view: VersionedStateView): void;
  message(message: ChatMessage): void;
}

/**
 * Emits one event and answers with its ack, or with `noAnswer` after `timeoutMs`. Not Socket.IO's
 * `socket.timeout(ms).emit`: that drops an ack which comes after the deadline, and under protocol 2
 * an ack may carry this screen's new view (`state`) or the copy of the message just sent (`copy`,
 * docs/protocol.md "Versions of this protocol"), which must be shown whenever it comes. So a late
 * ack is still handed to `carried`; only the action's answer has been given already.
 */
export function emitWithAck(
  socket: AckEmitter,
  event: string,
  payload: unknown,
  options: { timeoutMs: number; noAnswer: Ack; carried: () => Carried },
): Promise<Ack> {
  return new Promise<Ack>((resolve) => {
    let answered = false;
    const timer = setTimeout(() => {
      answered = true;
      resolve(options.noAnswer);
    }, options.timeoutMs);
    socket.emit(event, payload, (ack) => {
      if (ack?.ok && ack.state) options.carried().state(ack.state);
      if (ack?.ok && ack.copy) options.carried().message(ack.copy);
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      resolve(ack ?? options.noAnswer);
    });
  });
}
