import { afterEach, describe, expect, it, vi } from "vitest";
import { ABUSE_LIMIT, ABUSE_WINDOW_MS, Strikes } from "../../src/abuse";
import { CountMap, isNewConnection } from "../../src/connection-caps";
import type { Logger } from "../../src/logger";
import { PeriodicLog } from "../../src/periodic-log";

describe("Strikes", () => {
  it("more than the limit within the window is abuse; spread out, never", () => {
    const spread = new Strikes();
    // One strike a second for a day of seconds: at most 10 in any 10 s window.
    let abusive = 0;
    for (let t = 0; t < 86_400; t++) if (spread.strike(t * 1000)) abusive += 1;
    expect(abusive).toBe(0);
    const burst = new Strikes();
    for (let i = 0; i < ABUSE_LIMIT; i++) expect(burst.strike(5_000_000 + i)).toBe(false);
    expect(burst.strike(5_000_000 + ABUSE_LIMIT)).toBe(true);
  });

  it("the window slides: only strikes within the last windowMs count", () => {
    const s = new Strikes(3, 100);
    expect([0, 1, 2].map((t) => s.strike(t))).toEqual([false, false, false]);
    // 0, 1 and 2 fall out of the window as 150, 151 and 152 arrive: never more than 3 within it.
    expect([150, 151, 152].map((t) => s.strike(t))).toEqual([false, false, false]);
    // A fourth within 100 ms of 150: over the limit.
    expect(s.strike(153)).toBe(true);
  });

  it("uses a fixed ring: no growth however many strikes", () => {
    const s = new Strikes(ABUSE_LIMIT, ABUSE_WINDOW_MS);
    for (let i = 0; i < 100_000; i++) s.strike(i * ABUSE_WINDOW_MS);
    expect(s.strike(100_000 * ABUSE_WINDOW_MS)).toBe(false);
  });
});

describe("PeriodicLog", () => {
  afterEach(() => vi.useRealTimers());

  it("says the first at once, then one line with the count per period, per reason", () => {
    vi.useFakeTimers();
    const lines: [object, string | undefined][] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: (o, m) => lines.push([o, m]),
      error: () => {},
    };
    const log = new PeriodicLog(logger, "connections refused", 60_000);
    for (let i = 0; i < 500; i++) log.note("server_full");
    log.note("too_many_connections_from_address");
    expect(lines).toEqual([
      [{ reason: "server_full", count: 1 }, "connections refused"],
      [{ reason: "too_many_connections_from_address", count: 1 }, "connections refused"],
    ]);
    vi.advanceTimersByTime(60_000);
    expect(lines.slice(2)).toEqual([
      [{ reason: "server_full", count: 499, periodMs: 60_000 }, "connections refused"],
    ]);
    // Quiet: no timer left, nothing more said.
    expect(vi.getTimerCount()).toBe(0);
    log.note("server_full");
    expect(lines).toHaveLength(4);
  });
});

describe("connection bookkeeping", () => {
  it("a new Engine.IO connection is a request on the path without a sid", () => {
    const req = (url: string) => ({ url }) as Parameters<typeof isNewConnection>[0];
    expect(isNewConnection(req("/socket.io/?EIO=4&transport=websocket"), "/socket.io/")).toBe(true);
    expect(isNewConnection(req("/socket.io/?EIO=4&transport=polling&t=x"), "/socket.io/")).toBe(
      true,
    );
    expect(isNewConnection(req("/socket.io/?EIO=4&transport=polling&sid=abc"), "/socket.io/")).toBe(
      false,
    );
    expect(isNewConnection(req("/socket.io/?sid=abc&EIO=4"), "/socket.io/")).toBe(false);
    expect(isNewConnection(req("/healthz"), "/socket.io/")).toBe(false);
  });

  it("CountMap forgets a key whose count falls to zero", () => {
    const m = new CountMap();
    m.add("a");
    m.add("a");
    m.add("b");
    expect(m.remove("a")).toBe(true);
    expect(m.get("a")).toBe(1);
    m.remove("a");
    m.remove("b");
    expect(m.size()).toBe(0);
    expect(m.remove("a")).toBe(false);
  });
});
