/**
 * Counts a bench server process's socket writes: how many times a socket handed data to the
 * kernel, split into writes to the sockets the process accepted (its clients) and to the ones it
 * opened (Redis, PostgreSQL). Bench code only: the server child installs it for every target alike,
 * so that the report can say how many packets share a write (Duet's write batching, the floors'
 * one write per packet) and how many writes a match or a relayed message costs.
 *
 * Why writes and not packets: on loopback a write costs 15–30 µs whatever it carries (it runs the
 * receiver's TCP path too), so at equal packets the target with more writes per match pays more.
 * BENCHMARKS.md's per-match accounting needed this figure and had to take it from ad-hoc counts.
 *
 * How: Node's net.Socket is a Writable whose `_write` (one chunk) and `_writev` (a corked batch)
 * each end in one write to the kernel (`writeGeneric`/`writevGeneric`); both are wrapped on the
 * prototype, once per process. A socket a net.Server accepted has `server` set.
 * Limits: these are Node's stream implementation hooks (documented for stream implementers, not
 * a stable contract for net.Socket); socket-writes.test.ts checks them against the installed Node,
 * and `installed` is false when the prototype lacks them (nothing is counted then, and the report
 * prints no write figures rather than zeros). A write the kernel takes only partly is continued
 * by libuv without another call: counted once. TLS sockets are not counted (none in the bench).
 */
import net from "node:net";

export interface SocketWrites {
  /** Writes to accepted sockets: the server's clients. */
  clients: number;
  /** Writes to sockets the process opened: its services (Redis). */
  services: number;
}

const counts: SocketWrites = { clients: 0, services: 0 };
let installed: boolean | undefined;

type WriteFn = (this: net.Socket, ...args: unknown[]) => unknown;

/** Wraps the hooks once; true when counting. */
export function countSocketWrites(): boolean {
  if (installed !== undefined) return installed;
  const proto = net.Socket.prototype as unknown as Record<string, unknown>;
  const write = proto._write;
  const writev = proto._writev;
  if (typeof write !== "function" || typeof writev !== "function") {
    installed = false;
    return installed;
  }
  const wrap = (inner: WriteFn): WriteFn =>
    function counted(this: net.Socket, ...args: unknown[]) {
      if ((this as { server?: unknown }).server) counts.clients += 1;
      else counts.services += 1;
      return inner.apply(this, args);
    };
  proto._write = wrap(write as WriteFn);
  proto._writev = wrap(writev as WriteFn);
  installed = true;
  return installed;
}

/** The counts so far (a copy), or undefined when counting is not installed. */
export function socketWrites(): SocketWrites | undefined {
  return installed ? { ...counts } : undefined;
}
