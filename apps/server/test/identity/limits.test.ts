import type { IncomingHttpHeaders } from "node:http";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { LimitResult } from "../../src/http";
import {
  clientIp,
  DEFAULT_LIMITS,
  IpHasher,
  type LimitCounterFactory,
  type LimitName,
  Limits,
  normalizeIp,
  WindowCounter,
} from "../../src/limits";

async function spend(limits: Limits, name: LimitName, n: number, keys: object) {
  const results: LimitResult[] = [];
  for (let i = 0; i < n; i++) results.push(await limits.consume(name, keys));
  return results;
}

describe("rate limits", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date", "setTimeout", "clearTimeout"], now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("the default table is the one documented", () => {
    const rules = (name: LimitName) =>
      DEFAULT_LIMITS[name].map((r) => `${r.scope} ${r.points}/${r.durationMs / 1000}s`);
    expect(rules("connect")).toEqual(["ip 1200/60s"]);
    expect(rules("join")).toEqual(["person 20/60s"]);
    expect(rules("message")).toEqual(["person 8/5s", "person 60/60s"]);
    expect(rules("typing")).toEqual(["person 6/5s"]);
    expect(rules("report")).toEqual(["person 5/3600s"]);
    expect(rules("tokenIssue")).toEqual(["ip 600/3600s"]);
    expect(rules("challenge")).toEqual(["ip 1200/600s"]);
    expect(rules("adminLogin")).toEqual(["ip 5/900s"]);
  });

  it("a burst is allowed, then refused with a retry-after; after the window, allowed again", async () => {
    const limits = new Limits();
    const keys = { person: "tok-a", ipHash: "ip-1" };
    const burst = await spend(limits, "message", 8, keys);
    expect(burst.every((r) => r.ok)).toBe(true);
    const refused = await limits.consume("message", keys);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(5000);
    }
    vi.advanceTimersByTime(5001);
    expect((await limits.consume("message", keys)).ok).toBe(true);
  });

  it("sustained: 60 a minute even when every burst window is respected", async () => {
    const limits = new Limits();
    const keys = { person: "tok-a" };
    for (let i = 0; i < 60; i++) {
      expect((await limits.consume("message", keys)).ok).toBe(true);
      vi.advanceTimersByTime(700); // 7 per 5 s: under the burst limit
    }
    const refused = await limits.consume("message", keys);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.retryAfterMs).toBeGreaterThan(5000);
  });

  it("person keys are independent", async () => {
    const limits = new Limits();
    await spend(limits, "typing", 6, { person: "a" });
    expect((await limits.consume("typing", { person: "a" })).ok).toBe(false);
    expect((await limits.consume("typing", { person: "b" })).ok).toBe(true);
  });

  it("the IP key is shared by everyone behind the address; another address is unaffected", async () => {
    const limits = new Limits({
      rules: {
        join: [
          { scope: "person", points: 20, durationMs: 60_000 },
          { scope: "ip", points: 3, durationMs: 60_000 },
        ],
      },
    });
    expect((await limits.consume("join", { person: "a", ipHash: "dorm" })).ok).toBe(true);
    expect((await limits.consume("join", { person: "b", ipHash: "dorm" })).ok).toBe(true);
    expect((await limits.consume("join", { person: "c", ipHash: "dorm" })).ok).toBe(true);
    expect((await limits.consume("join", { person: "d", ipHash: "dorm" })).ok).toBe(false);
    expect((await limits.consume("join", { person: "d", ipHash: "home" })).ok).toBe(true);
  });

  it("a refusal by one rule spends nothing on the others (someone else's rule refused)", async () => {
    const limits = new Limits({
      rules: {
        report: [
          { scope: "person", points: 1, durationMs: 10_000 },
          { scope: "ip", points: 3, durationMs: 3_600_000 },
        ],
      },
    });
    expect((await limits.consume("report", { person: "a", ipHash: "x" })).ok).toBe(true);
    // a's own rule refuses, 30 times: the shared address rule must not be spent by them.
    for (let i = 0; i < 30; i++) {
      expect(await limits.consume("report", { person: "a", ipHash: "x" })).toEqual({
        ok: false,
        retryAfterMs: 10_000,
      });
    }
    expect((await limits.consume("report", { person: "b", ipHash: "x" })).ok).toBe(true);
    expect((await limits.consume("report", { person: "c", ipHash: "x" })).ok).toBe(true);
    // The address rule refuses d: the person rule it passed first gets its point back.
    expect((await limits.consume("report", { person: "d", ipHash: "x" })).ok).toBe(false);
    expect((await limits.consume("report", { person: "d", ipHash: "y" })).ok).toBe(true);
  });

  it("a rule whose key is not given is skipped; global rules always count", async () => {
    const limits = new Limits({
      rules: {
        adminLogin: [
          { scope: "ip", points: 2, durationMs: 900_000 },
          { scope: "global", points: 3, durationMs: 900_000 },
        ],
      },
    });
    expect((await limits.consume("adminLogin", { ipHash: "a" })).ok).toBe(true);
    expect((await limits.consume("adminLogin", { ipHash: "a" })).ok).toBe(true);
    expect((await limits.consume("adminLogin", { ipHash: "a" })).ok).toBe(false); // ip
    // The refused attempt spent no global point: b gets the third, then the global rule refuses.
    expect((await limits.consume("adminLogin", { ipHash: "b" })).ok).toBe(true);
    expect((await limits.consume("adminLogin", { ipHash: "c" })).ok).toBe(false);
    // Person-only limits with no person: nothing to count.
    expect((await spend(new Limits(), "typing", 20, { ipHash: "a" })).every((r) => r.ok)).toBe(
      true,
    );
  });

  it("overrides replace only the limits named, and bad rules are refused", () => {
    const limits = new Limits({
      rules: { typing: [{ scope: "person", points: 1, durationMs: 1 }] },
    });
    expect(limits.table.typing).toEqual([{ scope: "person", points: 1, durationMs: 1 }]);
    expect(limits.table.join).toEqual(DEFAULT_LIMITS.join);
    expect(
      () => new Limits({ rules: { typing: [{ scope: "person", points: 0, durationMs: 1 }] } }),
    ).toThrow();
  });

  it("in-process counters answer in the same turn: no promise to wait for", () => {
    const limits = new Limits();
    const keys = { person: "tok-a", ipHash: "ip-1" };
    for (let i = 0; i < 8; i++) expect(limits.consume("message", keys)).toEqual({ ok: true });
    const refused = limits.consume("message", keys);
    expect(refused).not.toBeInstanceOf(Promise);
    expect(refused).toEqual({ ok: false, retryAfterMs: 5000 });
  });

  it("a window opens at a key's first point; refused attempts spend nothing", () => {
    const counter = new WindowCounter({ points: 2, durationMs: 5000 });
    vi.advanceTimersByTime(1000);
    expect(counter.consume("k")).toEqual({ ok: true }); // window 1 s … 6 s
    vi.advanceTimersByTime(3000);
    expect(counter.consume("k")).toEqual({ ok: true });
    expect(counter.consume("k")).toEqual({ ok: false, retryAfterMs: 2000 });
    // Hammering a refused key changes nothing: the window still closes when it would have.
    for (let i = 0; i < 1000; i++) counter.consume("k");
    vi.advanceTimersByTime(1999);
    expect(counter.consume("k")).toEqual({ ok: false, retryAfterMs: 1 });
    vi.advanceTimersByTime(1);
    // A new window: the refused attempts of the old one are gone with it.
    expect(counter.consume("k")).toEqual({ ok: true });
    expect(counter.consume("k")).toEqual({ ok: true });
    expect(counter.consume("k")).toEqual({ ok: false, retryAfterMs: 5000 });
  });

  it("a window keeps counting across the counter's generations until it closes", () => {
    const counter = new WindowCounter({ points: 3, durationMs: 5000 });
    vi.advanceTimersByTime(4900);
    expect(counter.consume("k").ok).toBe(true);
    expect(counter.consume("k").ok).toBe(true);
    vi.advanceTimersByTime(200); // a new generation began at 5 s; the window runs to 9.9 s
    expect(counter.consume("k")).toEqual({ ok: true });
    expect(counter.consume("k")).toEqual({ ok: false, retryAfterMs: 4800 });
    vi.advanceTimersByTime(5000); // another generation: the old one is dropped, its window closed
    expect(counter.consume("k")).toEqual({ ok: true });
  });

  it("memory stays bounded: closed windows are dropped without a timer per key", () => {
    const counter = new WindowCounter({ points: 5, durationMs: 1000 });
    for (let i = 0; i < 1000; i++) counter.consume(`conn-${i}`);
    expect(counter.size()).toBe(1000);
    vi.advanceTimersByTime(1000);
    counter.consume("late");
    expect(counter.size()).toBe(1001); // the first thousand may still be open
    vi.advanceTimersByTime(1000);
    counter.consume("later");
    expect(counter.size()).toBe(2); // theirs closed by now: gone
    vi.advanceTimersByTime(10_000);
    counter.consume("much-later");
    expect(counter.size()).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("the counter store is swappable (e.g. Redis later)", async () => {
    const seen: string[] = [];
    const counter: LimitCounterFactory = (id) => ({
      consume: async (key) => {
        seen.push(`${id} ${key}`);
        return key === "blocked" ? { ok: false, retryAfterMs: 42 } : { ok: true };
      },
      refund: async (key) => {
        seen.push(`${id} refund ${key}`);
      },
    });
    const limits = new Limits({
      counter,
      rules: {
        report: [
          { scope: "person", points: 5, durationMs: 3_600_000 },
          { scope: "ip", points: 30, durationMs: 3_600_000 },
        ],
      },
    });
    expect(await limits.consume("report", { person: "p", ipHash: "blocked" })).toEqual({
      ok: false,
      retryAfterMs: 42,
    });
    // The rule that admitted the refused event gets its point back.
    expect(seen).toEqual(["report:0:person p", "report:1:ip blocked", "report:0:person refund p"]);
  });
});

describe("IP hash", () => {
  it("is stable within a salt period, 22 base64url characters, and not the address", () => {
    const hasher = new IpHasher();
    const h = hasher.hash("203.0.113.7");
    expect(h).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(hasher.hash("203.0.113.7")).toBe(h);
    expect(hasher.hash("203.0.113.8")).not.toBe(h);
    expect(h).not.toContain("203");
  });

  it("differs between servers (random salt)", () => {
    expect(new IpHasher().hash("203.0.113.7")).not.toBe(new IpHasher().hash("203.0.113.7"));
  });

  it("rotates the salt: after the period the same address hashes differently", () => {
    let now = 0;
    const hasher = new IpHasher({ clock: { now: () => now }, rotationMs: 1000 });
    const first = hasher.hash("198.51.100.1");
    now = 999;
    expect(hasher.hash("198.51.100.1")).toBe(first);
    now = 1000;
    const second = hasher.hash("198.51.100.1");
    expect(second).not.toBe(first);
    now = 1500;
    expect(hasher.hash("198.51.100.1")).toBe(second);
  });

  it("rotates every 24 h by default", () => {
    let now = 0;
    const hasher = new IpHasher({ clock: { now: () => now } });
    const first = hasher.hash("198.51.100.1");
    now = 24 * 3_600_000 - 1;
    expect(hasher.hash("198.51.100.1")).toBe(first);
    now = 24 * 3_600_000;
    expect(hasher.hash("198.51.100.1")).not.toBe(first);
  });

  it("an IPv4-mapped address is its IPv4 address; IPv6 counts by /64", () => {
    const hasher = new IpHasher();
    expect(hasher.hash("::ffff:192.0.2.1")).toBe(hasher.hash("192.0.2.1"));
    expect(hasher.hash("2001:db8:1:2::1")).toBe(hasher.hash("2001:db8:1:2:ffff:1:2:3"));
    expect(hasher.hash("2001:db8:1:2::1")).not.toBe(hasher.hash("2001:db8:1:3::1"));
    expect(normalizeIp("2001:DB8:0:0:1::1")).toBe("2001:db8:0:0::/64");
    expect(normalizeIp("::1")).toBe("0:0:0:0::/64");
    expect(normalizeIp("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(normalizeIp("64:ff9b::192.0.2.1")).toBe("64:ff9b:0:0::/64");
    expect(normalizeIp("10.0.0.1")).toBe("10.0.0.1");
    expect(normalizeIp("unknown")).toBe("unknown");
  });
});

describe("client IP", () => {
  const req = (remoteAddress: string | undefined, headers: IncomingHttpHeaders = {}) => ({
    headers,
    socket: { remoteAddress },
  });

  it("is the socket's peer unless a proxy is trusted", () => {
    const r = req("10.0.0.5", { "x-forwarded-for": "203.0.113.9" });
    expect(clientIp(r, false)).toBe("10.0.0.5");
    expect(clientIp(r, true)).toBe("203.0.113.9");
  });

  it("behind the proxy, the hop the proxy appended (last), not what the client claimed", () => {
    const r = req("10.0.0.5", { "x-forwarded-for": "1.2.3.4, 198.51.100.20" });
    expect(clientIp(r, true)).toBe("198.51.100.20");
    const repeated = req("10.0.0.5", { "x-forwarded-for": ["1.2.3.4", "198.51.100.21"] });
    expect(clientIp(repeated, true)).toBe("198.51.100.21");
  });

  it("ports and brackets are stripped; junk falls back to the peer", () => {
    expect(clientIp(req("10.0.0.5", { "x-forwarded-for": "198.51.100.2:4711" }), true)).toBe(
      "198.51.100.2",
    );
    expect(clientIp(req("10.0.0.5", { "x-forwarded-for": "[2001:db8::1]:443" }), true)).toBe(
      "2001:db8::1",
    );
    expect(clientIp(req("10.0.0.5", { "x-forwarded-for": "unknown" }), true)).toBe("10.0.0.5");
    expect(clientIp(req("10.0.0.5", { "x-forwarded-for": " , " }), true)).toBe("10.0.0.5");
    expect(clientIp(req("10.0.0.5"), true)).toBe("10.0.0.5");
  });

  it("reads a Socket.IO handshake too", () => {
    const handshake = { headers: { "x-forwarded-for": "203.0.113.1" }, address: "::ffff:10.0.0.9" };
    expect(clientIp(handshake, false)).toBe("::ffff:10.0.0.9");
    expect(clientIp(handshake, true)).toBe("203.0.113.1");
  });

  it("a closed socket has no address", () => {
    expect(clientIp(req(undefined), false)).toBe("unknown");
  });
});
