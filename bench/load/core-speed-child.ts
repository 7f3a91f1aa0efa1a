/**
 * One core's speed, sampled (core-speed.ts starts one of these per core, pinned to it). Every
 * SAMPLE_EVERY_MS it times a fixed piece of work — object allocation, a Map, string building and
 * JSON, the mix a Socket.IO server spends its time on — and sends the time to its parent.
 *
 * Why: this machine's virtual cores sometimes run the same work about 1.8× slower for 10 s to a
 * minute at a time, one core or both, with nothing else running inside it (measured idle on
 * 2026-12-07: 61–67 ms for a fixed job, then 107–133 ms for ~40 s, then back; wall time equal to
 * CPU time, so it is not another process here but the host). A relay step or churn window that
 * falls into such a stretch measures the machine, not the server (BENCHMARKS.md, "Two runs an hour
 * apart").
 *
 * A sample counts only when the work ran uninterrupted inside this machine (its CPU time at least
 * 90 % of its wall time): one pre-empted by the server sharing the core says nothing about the
 * core's speed, so its time is not sent (its timer's lateness still is). Costs the core about
 * 0.45 ms every 200 ms (about 0.2 %).
 *
 * Limits: it sees what the host does to this core only as slower work; it cannot tell a host's
 * contention from, say, a colder cache left by the server it shares the core with (a busy core's
 * samples read ~5–25 % slower for that alone, so core-speed.ts's threshold sits well above that).
 */

const SAMPLE_EVERY_MS = 200;
/**
 * The work per sample: fixed, so that a core's normal time is comparable between runs (≈ 430–450 µs
 * here on a normal stretch; sizing it at start would size it by whatever stretch the start fell in).
 */
const UNITS = 1_500;
/** Bounded: the parent stops it; if the parent is gone without saying so, it stops itself. */
const MAX_LIFETIME_MS = 6 * 3_600_000;

const names = Array.from({ length: 977 }, (_, i) => `k${i}`);

function work(units: number): number {
  const m = new Map<string, { id: number; s: string; v: number[] }>();
  let acc = 0;
  for (let i = 0; i < units; i++) {
    const o = { id: i, s: names[i % 977] as string, v: [i, i * 2] };
    m.set(o.s, o);
    if (m.size > 300) m.clear();
    acc += JSON.stringify(o).length;
  }
  return acc;
}

const nowUs = (): number => Number(process.hrtime.bigint()) / 1000;

function timeWork(units: number): { wallUs: number; cpuUs: number; sink: number } {
  const c0 = process.cpuUsage();
  const t0 = nowUs();
  const sink = work(units);
  const wallUs = nowUs() - t0;
  const c = process.cpuUsage(c0);
  return { wallUs, cpuUs: c.user + c.system, sink };
}

// Warm up (JIT).
let sink = 0;
for (let i = 0; i < 50; i++) sink += timeWork(UNITS).sink;

const started = Date.now();
let due = Date.now() + SAMPLE_EVERY_MS;
const tick = (): void => {
  const at = Date.now();
  if (at - started > MAX_LIFETIME_MS || !process.connected) {
    process.exit(0);
  }
  // How late this timer fired: a sampler that wakes late on every core at once was not given a
  // core at all (the whole machine stood still), which no process here can cause by itself.
  const lateMs = Math.max(0, at - due);
  const t = timeWork(UNITS);
  sink += t.sink;
  process.send?.({ at, us: t.cpuUs >= 0.9 * t.wallUs ? t.wallUs : null, lateMs });
  due = Date.now() + SAMPLE_EVERY_MS;
  setTimeout(tick, SAMPLE_EVERY_MS);
};
process.on("disconnect", () => process.exit(0));
process.send?.({ ready: true, units: UNITS, sink: sink % 7 });
setTimeout(tick, SAMPLE_EVERY_MS);
