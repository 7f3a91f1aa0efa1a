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

/**
 * "talk" (or "listen") when two or more people wait and all of them chose it: nobody waiting can
 * be paired with them, and one of them choosing "both" would be paired at once. One person alone
 * is not told (that would be about themselves); counts are never sent.
 */
export function onlyIntent(census: SpaceCensus): "talk" | "listen" | undefined {
  const by = census.waitingByIntent;
  if (!by) return undefined;
  const talk = by.talk ?? 0;
  const listen = by.listen ?? 0;
  const both = by.both ?? 0;
  if (both > 0) return undefined;
  if (talk >= 2 && listen === 0) return "talk";
  if (listen >= 2 && talk === 0) return "listen";
  return undefined;
}

export class PresenceTracker {
  /** Each space's last KEEP waits, oldest overwritten first (a ring: one write per match). */
  private readonly waits = new Map<SpaceId, { at: number[]; ms: number[]; next: number }>();

  constructor(
    private readonly spaces: readonly SpaceId[],
    private readonly now: () => number = Date.now,
  ) {}

  observe(observations: readonly Observation[]): void {
    const at = this.now();
    for (const o of observations) {
      if (o.kind !== "matched") continue;
      let ring = this.waits.get(o.space);
      if (!ring) {
        ring = { at: [], ms: [], next: 0 };
        this.waits.set(o.space, ring);
      }
      for (const ms of o.waitedMs) {
        ring.at[ring.next] = at;
        ring.ms[ring.next] = ms;
        ring.next = (ring.next + 1) % KEEP;
      }
    }
  }

  /** Median recent wait rounded to ESTIMATE_STEP_MS, or undefined with no match in the window. */
  estimate(space: SpaceId): number | undefined {
    const cutoff = this.now() - WINDOW_MS;
    const ring = this.waits.get(space);
    const recent: number[] = [];
    for (let i = 0; ring && i < ring.ms.length; i++) {
      if ((ring.at[i] ?? 0) >= cutoff) recent.push(ring.ms[i] as number);
    }
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
        const onlyIntentWaiting = c ? onlyIntent(c) : undefined;
        return {
          id,
          here: roundHere(here),
          ...(estimatedWaitMs !== undefined ? { estimatedWaitMs } : {}),
          ...(onlyIntentWaiting ? { onlyIntentWaiting } : {}),
        };
      }),
    };
  }
}
