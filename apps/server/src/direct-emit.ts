/**
 * Emits to a socket of this node by writing its Socket.IO frame straight to the Engine.IO
 * connection, skipping Socket.IO's per-emit machinery.
 *
 * Why: every event the gateway sends to one socket (states, messages, typing, signals) went
 * through `socket.emit`, which copies its arguments, builds a packet and a flags object, runs the
 * parser's recursive binary check over the payload, and calls `debug` four times (each call
 * allocates its arguments even when logging is off) before the frame reaches Engine.IO. In the
 * churn benchmark that was ≈ 3.5 % of the server's samples besides the JSON encoding itself;
 * in isolation 2.0 µs per emit against 1.2 µs for this, JSON included (BENCHMARKS.md). The
 * frame written here is the one Socket.IO writes: an EVENT packet (`2`) of the main namespace
 * (no namespace part), no ack id, the JSON of `[event, payload]`; Engine.IO adds its `4`
 * (message) as it does for Socket.IO's own.
 *
 * Limits: only for payloads that are plain JSON (every payload of our protocol: no Buffers,
 * which Socket.IO would send as binary attachments; both drop `undefined` fields), only on the
 * main namespace, and only while connection state recovery is off (with it on, Socket.IO stores
 * every packet for replay, which this would skip; the gateway keeps it off, SPEC §2.6). Outgoing
 * listeners (`onAnyOutgoing`) do not see these frames; the gateway registers none. When the
 * socket does not have the expected shape, `directEmitter` returns undefined and the caller
 * uses `socket.emit`. direct-emit.test.ts compares the frames with the ones `socket.emit`
 * writes and delivers them to a real client, so an upgrade that changes either fails a test.
 */

/** Sends one event with one JSON payload to one socket; a no-op once its connection is not open. */
export type DirectEmit = (event: string, payload: unknown) => void;

/** The parts of a Socket.IO server socket this module reads. */
interface SocketShape {
  nsp?: { name?: unknown };
  conn?: { readyState?: unknown; write?: unknown };
}

interface EngineConn {
  readyState: string;
  write(data: string): unknown;
}

/** Socket.IO's EVENT packet type, the first character of its text encoding. */
const EVENT = "2";

/** The text Socket.IO writes for `emit(event, payload)` on the main namespace. */
export const eventFrame = (event: string, payload: unknown): string =>
  EVENT + JSON.stringify([event, payload]);

/**
 * A direct emitter for this socket, or undefined when it is not a main-namespace socket over an
 * Engine.IO connection of the expected shape.
 */
export function directEmitter(socket: unknown): DirectEmit | undefined {
  if (typeof socket !== "object" || socket === null) return undefined;
  const shape = socket as SocketShape;
  if (shape.nsp?.name !== "/") return undefined;
  const conn = shape.conn;
  if (typeof conn !== "object" || conn === null || typeof conn.write !== "function") {
    return undefined;
  }
  if (typeof conn.readyState !== "string") return undefined;
  const engine = conn as EngineConn;
  return (event, payload) => {
    // Socket.IO drops a packet for a connection that is not open; so does this.
    if (engine.readyState !== "open") return;
    engine.write(eventFrame(event, payload));
  };
}
