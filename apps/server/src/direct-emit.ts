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
 * main namespace, only with Socket.IO's default parser (socket.io-parser: another `parser`
 * option, msgpack or custom, frames packets its own way; see `encoderMismatch`), and only while
 * connection state recovery is off (with it on, Socket.IO stores every packet for replay, which
 * this would skip; the gateway keeps it off, SPEC §2.6; transport-status.ts checks it). Outgoing
 * listeners (`onAnyOutgoing`) do not see these frames; the gateway registers none. When the
 * socket does not have the expected shape or parser, `directEmitter` returns undefined and the
 * caller uses `socket.emit` (transport-status.ts reports direct emits off). direct-emit.test.ts
 * compares the frames with the ones `socket.emit` writes and delivers them to a real client, so
 * an upgrade that changes either fails a test.
 */
import { createRequire } from "node:module";

/** Sends one event with one JSON payload to one socket; a no-op once its connection is not open. */
export type DirectEmit = (event: string, payload: unknown) => void;

/** The parts of a Socket.IO server socket this module reads. */
interface SocketShape {
  nsp?: { name?: unknown };
  conn?: { readyState?: unknown; write?: unknown };
  /** Socket.IO's Client holds the server's encoder (`server.encoder`, made from its parser). */
  client?: { encoder?: unknown };
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
 * socket.io-parser's Encoder as socket.io itself loads it: its CommonJS build, resolved from
 * socket.io's own folder (an `import` here could load the ESM build, another class, or another
 * copy). Undefined when it cannot be found (a bundle, a layout we do not know): then direct
 * emits stay off.
 */
let defaultEncoder: unknown;
function defaultEncoderClass(): unknown {
  if (defaultEncoder === undefined) {
    try {
      const socketIo = createRequire(import.meta.url).resolve("socket.io");
      const parser = createRequire(socketIo)("socket.io-parser") as { Encoder?: unknown };
      defaultEncoder = parser.Encoder ?? null;
    } catch {
      defaultEncoder = null;
    }
  }
  return defaultEncoder;
}

/** Sample events: the encoder must write exactly `eventFrame` for each (nesting, escapes, `undefined`). */
const PROBES: ReadonlyArray<readonly [string, unknown]> = [
  ["state", { state: "IDLE" }],
  ["message", { text: 'quotes " \\ </script> ünïcødé 🙂 \u2028', at: 1, note: undefined }],
  ["presence", { spaces: [{ id: "menti", here: 40 }], list: [1, null, "x"] }],
];

interface EncoderShape {
  constructor?: unknown;
  replacer?: unknown;
  encode?: (packet: unknown) => unknown;
}

/** Verdicts by encoder (one per Socket.IO server), so a socket costs one WeakMap lookup. */
const verdicts = new WeakMap<object, string | undefined>();

/**
 * Why direct emits cannot stand in for this Socket.IO encoder, or undefined when they can: it
 * must be an instance of socket.io-parser's own Encoder (not a subclass: another `parser` option
 * makes the server's encoder from that parser), with no JSON replacer, and must write our frame
 * for a few sample events. The instance check alone would miss a patched class; the frame check
 * alone could pass a parser that differs only on payloads not sampled.
 */
export function encoderMismatch(encoder: unknown): string | undefined {
  if (typeof encoder !== "object" || encoder === null) return "Socket.IO has no encoder to check";
  if (verdicts.has(encoder)) return verdicts.get(encoder);
  const verdict = judge(encoder as EncoderShape);
  verdicts.set(encoder, verdict);
  return verdict;
}

function judge(encoder: EncoderShape): string | undefined {
  const expected = defaultEncoderClass();
  if (expected === null) return "socket.io-parser could not be loaded from socket.io's folder";
  if (encoder.constructor !== expected) {
    return "Socket.IO uses a parser other than socket.io-parser's (the parser option)";
  }
  if (encoder.replacer !== undefined) return "Socket.IO's encoder has a JSON replacer";
  if (typeof encoder.encode !== "function") return "Socket.IO's encoder has no encode()";
  for (const [event, payload] of PROBES) {
    let frames: unknown;
    try {
      frames = encoder.encode({ type: 2, nsp: "/", data: [event, payload] });
    } catch {
      return "Socket.IO's encoder failed on a sample event";
    }
    const expectedFrame = eventFrame(event, payload);
    if (!Array.isArray(frames) || frames.length !== 1 || frames[0] !== expectedFrame) {
      return "Socket.IO's encoder writes other frames than direct emits would";
    }
  }
  return undefined;
}

/**
 * A direct emitter for this socket, or undefined when it is not a main-namespace socket over an
 * Engine.IO connection of the expected shape, or its server does not use the default parser.
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
  if (encoderMismatch(shape.client?.encoder) !== undefined) return undefined;
  const engine = conn as EngineConn;
  return (event, payload) => {
    // Socket.IO drops a packet for a connection that is not open; so does this.
    if (engine.readyState !== "open") return;
    engine.write(eventFrame(event, payload));
  };
}
