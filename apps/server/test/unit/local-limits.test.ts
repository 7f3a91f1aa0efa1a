import { describe, expect, it } from "vitest";
import { countedLocally } from "../../src/cluster/redis-small-seams";
import type { LimitRule } from "../../src/limits";

const person: LimitRule = { scope: "person", points: 5, durationMs: 60_000 };
const ip: LimitRule = { scope: "ip", points: 5, durationMs: 60_000 };
const global: LimitRule = { scope: "global", points: 5, durationMs: 60_000 };

describe("which limit rules a cluster node counts itself", () => {
  it("per-person rules of join and the in-conversation limits: in the node", () => {
    for (const name of ["join", "message", "typing", "signal"]) {
      expect(countedLocally(`${name}:0:person`, person)).toBe(true);
    }
  });

  it("address and global rules, and every other limit: shared in Redis", () => {
    for (const name of ["join", "message", "typing", "signal"]) {
      expect(countedLocally(`${name}:0:ip`, ip)).toBe(false);
      expect(countedLocally(`${name}:1:global`, global)).toBe(false);
    }
    for (const name of ["connect", "report", "tokenIssue", "adminLogin", "joinx"]) {
      expect(countedLocally(`${name}:0:person`, person)).toBe(false);
    }
  });
});
