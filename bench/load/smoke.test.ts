/**
 * Smoke test of the load harness (bench/load): with N = 50 it still speaks Duet's protocol and
 * the two reference relays' vocabulary. Protocol facts only (everyone paired, no invalid pair,
 * messages delivered, partners told), never a timing: the figures belong to `npm run bench`.
 * The three targets run in parallel, each on its own server child and generator child.
 */
import { describe, expect, it } from "vitest";
import type { TargetName } from "./ipc";
import { type SmokeResult, smoke } from "./scenarios";

const N = 50;
/**
 * Duet's start-up (an in-memory PGlite with its migrations) takes ~8 s on a quiet machine and
 * much longer when the 2 cores are busy; the rest takes a few seconds.
 */
const TIMEOUT_MS = 600_000;

describe("bench/load harness", () => {
  it(
    "pairs, relays, notices and churns against Duet and both reference relays",
    async () => {
      const targets: TargetName[] = ["duet", "socketio", "ws"];
      const results = await Promise.all(
        targets.map((target) =>
          smoke({ target, n: N, gens: 1, client: "lean", space: "menti" }, 200, 1500),
        ),
      );
      const byTarget = Object.fromEntries(targets.map((t, i) => [t, results[i]])) as Record<
        TargetName,
        SmokeResult
      >;
      for (const target of targets) {
        const r = byTarget[target];
        const facts = {
          target,
          connected: r.burst.connected,
          invalid: r.burst.invalid,
          stranded: r.burst.stranded,
          // menti's intent mix may leave a few who fit nobody still waiting (e.g. two talkers).
          accounted: r.burst.matchedClients + r.burst.leftoverIncompatible,
          rejected: r.burst.rejected,
          allDelivered: r.relay.sent > 0 && r.relay.received === r.relay.sent,
          allNoticed: r.notice.closed > 0 && r.notice.noticed === r.notice.closed,
          churned: r.churn.matchesPerSec > 0 && r.churn.messages > 0,
          churnRejected: r.churn.rejected,
        };
        expect(facts).toEqual({
          target,
          connected: N,
          invalid: 0,
          stranded: 0,
          accounted: N,
          rejected: {},
          allDelivered: true,
          allNoticed: true,
          churned: true,
          churnRejected: {},
        });
        expect(r.burst.matchedClients).toBeGreaterThanOrEqual(N - 2);
      }
      // The references pair everyone with everyone.
      expect(byTarget.socketio.burst.matchedClients).toBe(N);
      expect(byTarget.ws.burst.matchedClients).toBe(N);
    },
    TIMEOUT_MS,
  );
});
