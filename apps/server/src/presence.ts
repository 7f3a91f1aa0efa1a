/**
 * How busy each space is, for the "N people here, about M s wait" line: aggregates only, rounded
 * so that small numbers reveal nobody. Wait estimates come from this node's recent matches.
 */
import type { Observation, SpaceCensus } from "@duet/engine";
import type { Presence, SpaceId } from "@duet/protocol";

/** Matches older than this no longer inform the estimate. */
const WINDOW_MS = 10 * 60_000;
/** At most this many recent waits are kept per space. */
const KEEP = 50;
/**
 * The estimate is rounded to this step. Screens show it in coarse words ("usually under a
 * minute"), a millisecond median would tell a watcher how long one particular person waited in a
 * quiet space, and it would change at nearly every match, each change a frame to every idle
 * connection.
 */
export const ESTIMATE_STEP_MS = 5_000;

/** "a few" under 5 (and for 0 too: an empty space is not announced as empty), else rounded. */
export function roundHere(n: number): string {
  if (n < 5) return "a few";
  if (n < 20) return String(Math.round(n / 5) * 5);
  if (n < 100) return String(Math.round(n / 10) * 10);
  return String(Math.round(n / 50) * 50);
}

export class PresenceTracker {
  private readonly waits = new Map<SpaceId, Array<{ at: number; ms: number }>>();

  constructor(
    private readonly spaces: readonly SpaceId[],
    private readonly now: () => number = Date.now,
  ) {}

  observe(observations: readonly Observation[]): void {
    const at = this.now();
    for (const o of observations) {
      if (o.kind !== "matched") continue;
      const list = this.waits.get(o.space) ?? [];
      for (const ms of o.waitedMs) list.push({ at, ms });
      if (list.length > KEEP) list.splice(0, list.length - KEEP);
      this.waits.set(o.space, list);
    }
  }

  /** Median recent wait rounded to ESTIMATE_STEP_MS, or undefined with no match in the window. */
  estimate(space: SpaceId): number | undefined {
    const cutoff = this.now() - WINDOW_MS;
    const recent = (this.waits.get(space) ?? []).filter((w) => w.at >= cutoff).map((w) => w.ms);
    if (recent.length === 0) return undefined;
    recent.sort((a, b) => a - b);
    const median = recent[Math.floor(recent.length / 2)] as number;
    return Math.round(median / ESTIMATE_STEP_MS) * ESTIMATE_STEP_MS;
  }

  snapshot(census: Readonly<Record<string, SpaceCensus>>): Presence {
    return {
      spaces: this.spaces.map((id) => {
        const c = census[id];
        const here = c ? c.waiting + c.matched + c.active : 0;
        const estimatedWaitMs = this.estimate(id);
        return {
          id,
          here: roundHere(here),
          ...(estimatedWaitMs !== undefined ? { estimatedWaitMs } : {}),
        };
      }),
    };
  }
}
