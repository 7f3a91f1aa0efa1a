/**
 * Watches how fast each core of this machine runs a fixed piece of work (core-speed-child.ts, one
 * sampler pinned per core), so that the harness can tell a slow server from a slow machine.
 *
 * This machine's virtual cores sometimes run everything ~1.8× slower for 10 s to a minute (the
 * host's doing: see core-speed-child.ts). A relay step measured in such a stretch reads a best
 * rate far below the same build's in a normal stretch, which is most of why two relay runs an
 * hour apart disagreed by 16–19 % (BENCHMARKS.md). With the watch, the harness
 *   - waits (bounded) before a measured window until every core reads near its normal speed,
 *   - reports each window's slowdown per core (its median sample over the core's normal time),
 *   - and redoes a window that ran slow (scenarios.ts), at most a few times, keeping the slow one
 *     in the results, marked, so nothing measured is hidden.
 *
 * "Normal" is the 10th percentile of the core's samples so far in this run (its fast regime; a
 * minute of samples holds plenty). Limits: a core busy with the server reads ~5–25 % slower for
 * cache sharing alone, so SLOW_AT sits well above that and well below the ~1.8× of a slow stretch;
 * a stretch shorter than a window's few samples can slip through (the median ignores it).
 */
import { cpus } from "node:os";
import { pinToCore, startChild } from "./procs";

/** A window whose median sample on some core is at least this many times the core's normal time ran slow. */
export const SLOW_AT = 1.3;
/** Samples kept per core (at 5 a second, about 3 hours). */
const KEEP = 50_000;

export interface Sample {
  at: number;
  /** The work's time; null when it was pre-empted inside this machine (it says nothing then). */
  us: number | null;
  /** How late the sampler's timer fired. */
  lateMs: number;
}

export interface CoreSlowdown {
  /** Per core (index = core number): median sample over the window ÷ the core's normal time; null: too few samples. */
  perCore: Array<number | null>;
  /** The largest of them (1 when none is known). */
  max: number;
  /** Per core: the latest its sampler's timer fired in the window (ms). */
  lateMs: number[];
  slow: boolean;
}

export interface CoreSpeedWatch {
  /** The slowdown of each core over [fromMs, toMs] (Date.now() times). */
  slowdown(fromMs: number, toMs: number): CoreSlowdown;
  /**
   * Resolves once every core's last second reads under SLOW_AT (or after `maxMs`), with how long
   * it waited and whether the machine was quiet in the end.
   */
  waitQuiet(maxMs: number): Promise<{ waitedMs: number; quiet: boolean }>;
  /** Per core: its normal time (µs per sample) and the share of samples that read slow. */
  summary(): Array<{ core: number; normalUs: number | null; samples: number; slowShare: number }>;
  stop(): Promise<void>;
}

const timesOf = (samples: readonly Sample[]): number[] =>
  samples.flatMap((x) => (x.us === null ? [] : [x.us]));

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

/** A core's normal time: the 10th percentile of its samples (null: fewer than 10). */
export function normalOf(samples: readonly Sample[]): number | null {
  const s = timesOf(samples).sort((a, b) => a - b);
  if (s.length < 10) return null;
  return s[Math.floor(s.length * 0.1)] as number;
}

/**
 * Each core's slowdown over [fromMs, toMs]: the median of its samples in the window over its
 * normal time (null with fewer than 3 samples in the window or 10 in all).
 */
export function slowdownOf(
  samples: readonly (readonly Sample[])[],
  fromMs: number,
  toMs: number,
): CoreSlowdown {
  const windows = samples.map((list) => list.filter((x) => x.at >= fromMs && x.at <= toMs));
  const perCore = samples.map((list, core) => {
    const normal = normalOf(list);
    const inWindow = timesOf(windows[core] ?? []);
    if (normal === null || inWindow.length < 3) return null;
    return median(inWindow) / normal;
  });
  const known = perCore.filter((x): x is number => x !== null);
  const max = known.length > 0 ? Math.max(...known) : 1;
  const lateMs = windows.map((w) => w.reduce((a, x) => Math.max(a, x.lateMs), 0));
  return { perCore, max, lateMs, slow: max >= SLOW_AT };
}

export async function startCoreSpeedWatch(): Promise<CoreSpeedWatch> {
  const cores = cpus().length;
  const samples: Sample[][] = Array.from({ length: cores }, () => []);
  const children = await Promise.all(
    Array.from({ length: cores }, async (_, core) => {
      const { channel } = await startChild(
        "core-speed-child.ts",
        [],
        [],
        process.env,
        `core-speed ${core}`,
        60_000,
      );
      const pid = channel.child.pid;
      if (pid !== undefined) pinToCore(pid, String(core));
      channel.child.on("message", (m: unknown) => {
        const msg = m as Partial<Sample>;
        if (typeof msg.at !== "number" || typeof msg.lateMs !== "number") return;
        const list = samples[core] as Sample[];
        list.push({
          at: msg.at,
          us: typeof msg.us === "number" ? msg.us : null,
          lateMs: msg.lateMs,
        });
        if (list.length > KEEP) list.splice(0, list.length - KEEP);
      });
      return channel.child;
    }),
  );
  // The first samples: enough for a normal time on every core (bounded).
  const t0 = Date.now();
  while (samples.some((s) => s.length < 15) && Date.now() - t0 < 15_000) {
    await new Promise((r) => setTimeout(r, 200));
  }

  const slowdown = (fromMs: number, toMs: number): CoreSlowdown =>
    slowdownOf(samples, fromMs, toMs);

  return {
    slowdown,
    async waitQuiet(maxMs) {
      const start = Date.now();
      for (;;) {
        const now = Date.now();
        if (!slowdown(now - 1_000, now).slow) return { waitedMs: now - start, quiet: true };
        if (now - start >= maxMs) return { waitedMs: now - start, quiet: false };
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    summary() {
      return samples.map((list, core) => {
        const normal = normalOf(list);
        const slow =
          normal === null
            ? 0
            : list.filter((x) => x.us !== null && x.us >= SLOW_AT * normal).length;
        return {
          core,
          normalUs: normal,
          samples: list.length,
          slowShare: list.length > 0 ? slow / list.length : 0,
        };
      });
    },
    async stop() {
      await Promise.all(
        children.map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise<void>((r) => child.once("exit", () => r()));
          child.disconnect();
          const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}
