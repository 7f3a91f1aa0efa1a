/**
 * The churn window: long enough at every N to hold several of a server's match waves (see
 * churnWindowMs), and `--churn-ms` still sets it outright.
 */
import { describe, expect, it } from "vitest";
import { churnWindowMs, parseArgs } from "./run";

describe("churn window", () => {
  it("is 10 s up to 5,000 clients, then 2 ms per client", () => {
    const options = parseArgs([]);
    expect(churnWindowMs(options, 1000)).toBe(10_000);
    expect(churnWindowMs(options, 5000)).toBe(10_000);
    expect(churnWindowMs(options, 10_000)).toBe(20_000);
    expect(churnWindowMs(options, 15_000)).toBe(30_000);
  });

  it("is what --churn-ms says when given", () => {
    const options = parseArgs(["--churn-ms", "4000"]);
    expect(churnWindowMs(options, 15_000)).toBe(4000);
  });
});
