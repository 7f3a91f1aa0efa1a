/**
 * One TCP write per connection per event-loop turn, instead of one per packet.
 *
 * Why: Engine.IO writes every packet the moment it is queued, as its own WebSocket frame, and ws
 * writes every frame with its own `writev` system call. A chat message makes the server queue
 * two packets for the sender in the same tick (its copy of the message and the `send` ack), a
 * match makes it queue the state and the join ack, and so on; on loopback each system call cost
 * about 24 µs, a quarter of the server's time in the relay benchmark (BENCHMARKS.md). Here the
 * Engine.IO socket's flush is deferred to the end of the event-loop turn (one setImmediate for
 * all sockets: after every I/O callback of the turn and the promise jobs they started), and the
 * WebSocket's TCP socket is corked while the batch is framed, so the kernel gets one `writev`
 * holding every frame. Under load a turn handles more input, so more packets share a write: the
 * cost per packet falls as the load rises, at the price of holding a packet until the turn's
 * other callbacks have run (the turn's length, well under a millisecond when idle, and never
 * more than MAX_HOLD_MS before the next packet queued sends it).
 * Packets keep their order and their frames are unchanged: a client cannot tell the difference.
 *
 * Limits: this reaches into two libraries' internals, pinned in package-lock.json: Engine.IO's
 * `Socket#flush` (an own-property override; the library calls it as `this.flush()`), and the
 * `_socket` (the net.Socket) of ws's WebSocket, which Engine.IO's WebSocket transport keeps as
 * `transport.socket`. When those shapes are not found the socket is left as it is (batching off,
 * behaviour unchanged) and `batchWrites` says so by returning false. Polling transports are only
 * deferred, not corked (a poll answer is already one HTTP write).
 * Batching also relies on Engine.IO sending every packet it queues through `this.flush()`: a
 * version that wrote some other way would bypass the override, unbatched, and could put packets
 * out of order with ones still held. `FlushWatch` checks that on a connection's first packets
 * (transport-status.ts watches the first few connections, reports batching off when it fails and
 * stops batching new connections).
 * write-batching.test.ts checks the effect against the installed versions, so an upgrade that
 * changes them fails a test instead of silently losing the batching.
 */

/** The parts of an Engine.IO server socket this module touches. */
interface EngineSocketShape {
  flush: () => void;
  transport?: { name?: string; socket?: { _socket?: unknown } };
  on?: (event: string, listener: () => void) => unknown;
  removeListener?: (event: string, listener: () => void) => unknown;
}

/**
 * Checks, on one connection's first packets, that Engine.IO still sends what it queues through
 * `flush`: Engine.IO 6.6 emits "packetCreate" as it queues each packet, then calls `this.flush()`
 * (our override) before it returns, so between one packet's "packetCreate" and the next one's
 * the override must have run. Cheap: one listener on the connection, removed after `packets`
 * packets (or at close), and one counter increment per flush call.
 * Limits: a version that bypassed `flush` for some packets but called it (from elsewhere) between
 * each checked pair would pass; one that stopped emitting "packetCreate" is never verified
 * (`verified` is not called: the tests assert it is).
 */
export interface FlushWatch {
  /** How many packets to check (pairs of consecutive packets: `packets` of them). */
  readonly packets: number;
  /** Every checked packet went through `flush`. */
  verified(): void;
  /**
   * A packet was queued and the next one too without a `flush` call between. The connection's
   * batching is undone first (the packets held are sent, `flush` is Engine.IO's own again).
   */
  bypassed(reason: string): void;
}

interface Corkable {
  cork(): void;
  uncork(): void;
}

const isCorkable = (s: unknown): s is Corkable =>
  typeof s === "object" &&
  s !== null &&
  typeof (s as Corkable).cork === "function" &&
  typeof (s as Corkable).uncork === "function";

/** The TCP socket under a WebSocket transport, when there is one. */
function rawSocketOf(conn: EngineSocketShape): Corkable | undefined {
  const transport = conn.transport;
  if (transport?.name !== "websocket") return undefined;
  const raw = transport.socket?._socket;
  return isCorkable(raw) ? raw : undefined;
}

/**
 * The longest a packet waits for its turn to end. A burst can make one turn long (libuv reads up
 * to 48 × 1024 ready sockets in one poll phase): without a bound, every answer of the burst would
 * wait for the last read of it. Past this, the next packet queued flushes everything pending.
 */
export const MAX_HOLD_MS = 2;

/**
 * Sockets with packets waiting for the end of this event-loop turn, flushed together: each is
 * listed once (its `queued` flag), so an array does what a Set would, more cheaply (a turn under
 * load lists thousands).
 */
let pending: Batch[] = [];
let flushScheduled = false;
/** When the oldest pending packet was queued (performance.now()). */
let oldestAt = 0;

interface Batch {
  queued: boolean;
  /** Calls of the override, for FlushWatch. */
  calls: number;
  flush(): void;
}

const flushPending = (): void => {
  flushScheduled = false;
  // A flush may queue more (a drain that re-flushes): those wait for the next turn.
  const batch = pending;
  pending = [];
  for (const b of batch) {
    b.queued = false;
    b.flush();
  }
};

/**
 * Defers this Engine.IO socket's flushes to the end of the event-loop turn (setImmediate: after
 * every I/O callback of the turn and their promise jobs; at most MAX_HOLD_MS) and corks its TCP socket while the
 * deferred flush frames the packets. Returns false (and changes nothing) when the socket does
 * not have the expected shape.
 */
export function batchWrites(conn: unknown, watch?: FlushWatch): boolean {
  if (typeof conn !== "object" || conn === null) return false;
  const socket = conn as EngineSocketShape;
  if (typeof socket.flush !== "function") return false;
  const flushNow = socket.flush.bind(socket);
  const batch: Batch = {
    queued: false,
    calls: 0,
    flush() {
      const raw = rawSocketOf(socket);
      raw?.cork();
      try {
        flushNow();
      } finally {
        raw?.uncork();
      }
    },
  };
  socket.flush = () => {
    batch.calls += 1;
    if (!batch.queued) {
      batch.queued = true;
      pending.push(batch);
    }
    if (!flushScheduled) {
      flushScheduled = true;
      oldestAt = performance.now();
      setImmediate(flushPending);
    } else if (performance.now() - oldestAt >= MAX_HOLD_MS) {
      // A long turn: send what is waiting now (the scheduled flush then finds less to do).
      flushPending();
    }
  };
  if (watch) watchFlushes(socket, batch, flushNow, watch);
  return true;
}

/** Runs `watch` on this batched socket (see FlushWatch). */
function watchFlushes(
  socket: EngineSocketShape,
  batch: Batch,
  flushNow: () => void,
  watch: FlushWatch,
): void {
  const { on, removeListener } = socket;
  if (typeof on !== "function" || typeof removeListener !== "function") {
    unbatch(socket, batch, flushNow);
    watch.bypassed("the engine.io socket is not an event emitter: its flushes cannot be checked");
    return;
  }
  let checked = 0;
  /** `batch.calls` when the previous packet was queued; -1 before the first. */
  let callsAtLast = -1;
  const stop = (): void => {
    removeListener.call(socket, "packetCreate", onPacket);
    removeListener.call(socket, "close", stop);
  };
  function onPacket(): void {
    if (callsAtLast >= 0) {
      if (batch.calls === callsAtLast) {
        stop();
        unbatch(socket, batch, flushNow);
        watch.bypassed("engine.io queued a packet without calling flush() for the one before");
        return;
      }
      checked += 1;
      if (checked >= watch.packets) {
        stop();
        watch.verified();
        return;
      }
    }
    callsAtLast = batch.calls;
  }
  on.call(socket, "packetCreate", onPacket);
  on.call(socket, "close", stop);
}

/**
 * Gives the socket Engine.IO's own `flush` back (bound, as taken), sending what it holds first
 * (the packet being queued is not in the buffer yet, so order is kept). A later run of the
 * shared batch finds the buffer empty: Engine.IO's flush does nothing then.
 */
function unbatch(socket: EngineSocketShape, batch: Batch, flushNow: () => void): void {
  socket.flush = flushNow;
  if (batch.queued) flushNow();
}
