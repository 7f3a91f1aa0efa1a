import { RateLimiterMemory } from "rate-limiter-flexible";
import { afterEach, beforeEach, vi } from "vitest";
import { rateLimiterCounter, WindowCounter } from "../../src/limits";
import { limitCounterContract } from "./limit-counter.contract";

// rate-limiter-flexible's memory limiter keeps time with Date.now and timers: faked here, so the
// windows are exact however busy the machine is (WindowCounter has its own clock below).
beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

limitCounterContract("WindowCounter (this process)", async (points) => {
  let now = 1_000_000;
  const windowMs = 60_000;
  return {
    counter: new WindowCounter({ points, durationMs: windowMs }, { now: () => now }),
    windowMs,
    advance: async (ms) => {
      now += ms;
    },
  };
});

// The adapter a shared store plugs into (Redis in a cluster), here over rate-limiter-flexible's
// memory limiter.
limitCounterContract("rateLimiterCounter (rate-limiter-flexible)", async (points) => ({
  counter: rateLimiterCounter(new RateLimiterMemory({ points, duration: 60 })),
  windowMs: 60_000,
  advance: async (ms) => {
    await vi.advanceTimersByTimeAsync(ms);
  },
}));
