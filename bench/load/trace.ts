/**
 * A timeline of one bench run, to tie slow messages to what the server was doing at that moment.
 * Off unless `BENCH_TRACE=<directory>` is set (every child inherits it):
 *
 * - each server child records event-loop stalls (a 5 ms interval timer that ran more than 15 ms
 *   late, with the CPU time the process used meanwhile) and every GC pause (perf_hooks "gc" entries: kind 1 scavenge, 2 minor mark-sweep,
 *   4 mark-compact, 8 incremental step) into `server-<target>-<pid>.json` when it exits;
 * - each generator records every relay message slower than 30 ms (its send time and latency) and
 *   marks (joins sent, relay step started, closes started) into `gen-<pid>.json` when its clients
 *   are closed.
 *
 *   BENCH_TRACE=/tmp/trace npm run bench:load -- --n 5000 --scenarios relay --targets duet
 *   node --import tsx bench/load/trace.ts /tmp/trace
 *
 * prints one line per stall > 20 ms, per GC > 4 ms and per 100 ms of slow messages, in time
 * order (seconds from the first mark). All times are `now()` from ipc.ts (epoch ms, shared by the
 * machine's processes). Limits: the stall monitor sees only the main thread; a stall is dated at
 * its start, a GC entry at its start.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { now } from "./ipc";

export interface TraceEvent {
  kind: "stall" | "gc" | "slow" | "mark";
  /** Epoch ms: when it started (slow: when the message was due to be sent). */
  at: number;
  /** stall/gc: its length; slow: the message's latency. */
  ms: number;
  /** gc: V8's kind; slow: the relay step; mark: what began. */
  detail?: string;
  /**
   * stall: CPU time the process used meanwhile (all its threads), in ms. Far below `ms`, the
   * process was waiting for a core, not working.
   */
  cpuMs?: number;
}

const DIR = process.env.BENCH_TRACE;

/** Server child: starts the stall monitor and the GC observer; writes the file on exit. */
export function traceServer(target: string): void {
  if (!DIR) return;
  const events: TraceEvent[] = [];
  let last = now();
  let lastCpu = process.cpuUsage();
  setInterval(() => {
    const t = now();
    const cpu = process.cpuUsage();
    if (t - last > 20) {
      const cpuMs = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000;
      events.push({ kind: "stall", at: last, ms: t - last - 5, cpuMs });
    }
    last = t;
    lastCpu = cpu;
  }, 5).unref();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      events.push({
        kind: "gc",
        at: performance.timeOrigin + e.startTime,
        ms: e.duration,
        detail: String(kind),
      });
    }
  }).observe({ entryTypes: ["gc"] });
  process.on("exit", () => write(`server-${target}-${process.pid}.json`, events));
}

/** Generator: collects slow messages and marks; `flush()` writes them (when clients close). */
export class GeneratorTrace {
  readonly on = DIR !== undefined;
  private events: TraceEvent[] = [];

  slow(step: number, sentAt: number, latencyMs: number): void {
    if (this.on && latencyMs > 30) {
      this.events.push({ kind: "slow", at: sentAt, ms: latencyMs, detail: String(step) });
    }
  }

  mark(what: string): void {
    if (this.on) this.events.push({ kind: "mark", at: now(), ms: 0, detail: what });
  }

  flush(): void {
    if (!this.on || this.events.length === 0) return;
    write(`gen-${process.pid}-${Math.round(now())}.json`, this.events);
    this.events = [];
  }
}

function write(file: string, events: TraceEvent[]): void {
  if (!DIR) return;
  mkdirSync(DIR, { recursive: true });
  writeFileSync(join(DIR, file), JSON.stringify(events));
}

/** The timeline lines of every trace file in `dir`. */
export function timeline(dir: string): string[] {
  const events = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .flatMap((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as TraceEvent[]);
  const marks = events.filter((e) => e.kind === "mark");
  const t0 = marks.length > 0 ? Math.min(...marks.map((m) => m.at)) : 0;
  const lines: Array<[number, string]> = [];
  for (const e of events) {
    if (e.kind === "stall" && e.ms > 20) {
      const cpu = e.cpuMs === undefined ? "" : `, process CPU ${e.cpuMs.toFixed(0)} ms`;
      lines.push([e.at, `stall ${e.ms.toFixed(0)} ms${cpu}`]);
    }
    if (e.kind === "gc" && e.ms > 4)
      lines.push([e.at, `gc ${e.ms.toFixed(1)} ms (kind ${e.detail})`]);
    if (e.kind === "mark") lines.push([e.at, `--- ${e.detail}`]);
  }
  const buckets = new Map<number, { n: number; max: number; step: string }>();
  for (const e of events) {
    if (e.kind !== "slow") continue;
    const k = Math.floor(e.at / 100);
    const b = buckets.get(k) ?? { n: 0, max: 0, step: e.detail ?? "" };
    b.n += 1;
    b.max = Math.max(b.max, e.ms);
    buckets.set(k, b);
  }
  for (const [k, b] of buckets) {
    lines.push([
      k * 100,
      `    ${b.n} messages > 30 ms (step ${b.step}), worst ${b.max.toFixed(0)} ms`,
    ]);
  }
  lines.sort((a, b) => a[0] - b[0]);
  return lines.map(([at, text]) => `${((at - t0) / 1000).toFixed(2).padStart(8)}  ${text}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2];
  if (!dir) throw new Error("usage: trace.ts DIRECTORY");
  process.stdout.write(`${timeline(dir).join("\n")}\n`);
}
