import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { policiesFor } from "../src/app";
import { ConfigError, loadConfig } from "../src/config";

const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe("configuration", () => {
  it("has embedded defaults that need nothing set", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      host: "127.0.0.1",
      allowedOrigins: [],
      spaces: ["menti", "stimchat", "dormparty"],
      heartbeat: { intervalMs: 5000, timeoutMs: 5000 },
    });
    expect(c.crisisResources.length).toBeGreaterThan(3);
  });

  it("safety and media settings: validated, with clear words", () => {
    expect(problems({ TURN_URLS: "turn:127.0.0.1:3478" }).join("\n")).toContain("TURN_SECRET");
    expect(problems({ TURN_URLS: "http://nope" }).join("\n")).toContain("turn:");
    expect(problems({ ICE_TRANSPORT_POLICY: "relay" }).join("\n")).toContain("TURN_URLS");
    expect(problems({ ICE_TRANSPORT_POLICY: "sometimes" }).join("\n")).toContain(
      "ICE_TRANSPORT_POLICY",
    );
    expect(problems({ ADMIN_PASSWORD: "short" }).join("\n")).toContain("ADMIN_PASSWORD");
    expect(problems({ DATABASE_URL: "mysql://x" }).join("\n")).toContain("DATABASE_URL");
    expect(problems({ RATE_LIMITS: "{nope" }).join("\n")).toContain("RATE_LIMITS");
    const c = loadConfig({
      TURN_URLS: "turn:127.0.0.1:3478",
      TURN_SECRET: "a-long-enough-secret",
      RATE_LIMITS: JSON.stringify({ join: [{ scope: "person", points: 3, durationMs: 1000 }] }),
    });
    expect(c.ice).toMatchObject({
      turnUrls: ["turn:127.0.0.1:3478"],
      turnTtlS: 3600,
      transportPolicy: "relay",
    });
    expect(c.rateLimits.join).toEqual([{ scope: "person", points: 3, durationMs: 1000 }]);
    expect(loadConfig({}).dataDir).toBe(".data");
  });

  it("ICE_TRANSPORT_POLICY: relay by default once TURN is configured, all without; explicit wins", () => {
    const turn = { TURN_URLS: "turn:127.0.0.1:3478", TURN_SECRET: "a-long-enough-secret" };
    // With TURN, a stranger's device never learns this one's address unless the operator says so.
    expect(loadConfig(turn).ice.transportPolicy).toBe("relay");
    expect(loadConfig({ ...turn, ICE_TRANSPORT_POLICY: "all" }).ice.transportPolicy).toBe("all");
    expect(loadConfig({ ...turn, ICE_TRANSPORT_POLICY: "" }).ice.transportPolicy).toBe("relay");
    // Without TURN relay could never connect: host (and STUN) candidates, as before.
    expect(loadConfig({}).ice.transportPolicy).toBe("all");
    expect(loadConfig({ ICE_STUN_URLS: "stun:127.0.0.1:3478" }).ice.transportPolicy).toBe("all");
    expect(problems({ ICE_TRANSPORT_POLICY: "relay" }).join("\n")).toContain("TURN_URLS");
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ PORT: "", SPACES: "" }).port).toBe(3000);
  });

  it("names every bad variable at once, with what it expects", () => {
    const p = problems({
      PORT: "seventy",
      ALLOWED_ORIGINS: "not a url",
      SPACES: "menti,chess",
    });
    expect(p.some((x) => x.startsWith("PORT:"))).toBe(true);
    expect(p.some((x) => x.startsWith("ALLOWED_ORIGINS"))).toBe(true);
    expect(p.some((x) => x.startsWith("SPACES") && x.includes("menti, stimchat, dormparty"))).toBe(
      true,
    );
  });

  it("checks that the heartbeat detects a silent loss within 15 s", () => {
    const p = problems({ HEARTBEAT_INTERVAL_MS: "10000", HEARTBEAT_TIMEOUT_MS: "10000" });
    expect(p.join()).toMatch(/HEARTBEAT_INTERVAL_MS: .*at most 15000/);
  });

  it("enables any subset of the three spaces, without duplicates", () => {
    expect(loadConfig({ SPACES: "dormparty, stimchat,dormparty" }).spaces).toEqual([
      "dormparty",
      "stimchat",
    ]);
  });

  it("applies stimchat and dormparty overrides to their policies", () => {
    const c = loadConfig({
      SPACES: "menti,stimchat,dormparty",
      STIMCHAT_TOPICS: "night owls, music",
      STIMCHAT_TOPIC_FALLBACK_MS: "2000",
      STIMCHAT_SEARCH_TIMEOUT_MS: "5000",
      DORMPARTY_PAIR_COOLDOWN_MS: "1000",
      DORMPARTY_JOIN_TIMEOUT_MS: "3000",
    });
    const [, stim, dorm] = policiesFor(c);
    expect(stim?.pairing.topics).toMatchObject({
      list: ["night owls", "music"],
      preferSameForMs: 2000,
    });
    expect(stim?.searchTimeoutMs).toBe(5000);
    expect(dorm?.pairing.pairCooldownMs).toBe(1000);
    expect(dorm?.joinTimeoutMs).toBe(3000);
    expect(problems({ STIMCHAT_TOPICS: "Has Capitals" }).join()).toMatch(/STIMCHAT_TOPICS/);
  });

  it("applies per-space overrides to the policy", () => {
    const c = loadConfig({ MENTI_JOIN_TIMEOUT_MS: "4000" });
    expect(policiesFor(c)[0]?.joinTimeoutMs).toBe(4000);
    expect(policiesFor(loadConfig({}))[0]?.joinTimeoutMs).toBe(15_000);
  });

  it("reads a crisis resource list from a file, and rejects a malformed one clearly", () => {
    const dir = mkdtempSync(join(tmpdir(), "duet-config-"));
    const good = join(dir, "good.json");
    writeFileSync(good, JSON.stringify([{ region: "Testland", name: "Line", contact: "Call 1" }]));
    expect(loadConfig({ CRISIS_RESOURCES_FILE: good }).crisisResources).toEqual([
      { region: "Testland", name: "Line", contact: "Call 1" },
    ]);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify([{ region: "Testland" }]));
    expect(problems({ CRISIS_RESOURCES_FILE: bad }).join()).toMatch(/CRISIS_RESOURCES_FILE/);
    expect(problems({ CRISIS_RESOURCES_FILE: join(dir, "missing.json") }).join()).toMatch(
      /cannot read/,
    );
  });

  it("refuses a non-loopback HOST without METRICS_TOKEN, unless METRICS_PUBLIC=true says so", () => {
    for (const host of ["0.0.0.0", "::", "192.0.2.10", "duet.example"]) {
      const p = problems({ HOST: host }).join("\n");
      expect(p, host).toContain("METRICS_TOKEN");
      expect(p, host).toContain("METRICS_PUBLIC=true");
    }
    const token = "a-metrics-token-of-16+";
    expect(loadConfig({ HOST: "0.0.0.0", METRICS_TOKEN: token }).metricsToken).toBe(token);
    expect(loadConfig({ HOST: "0.0.0.0", METRICS_PUBLIC: "true" }).host).toBe("0.0.0.0");
    expect(problems({ HOST: "0.0.0.0", METRICS_PUBLIC: "false" }).join()).toContain(
      "METRICS_TOKEN",
    );
    expect(problems({ METRICS_PUBLIC: "yes" }).join()).toContain("METRICS_PUBLIC");
    // Admin sign-in takes per-address rules only: a global one would let anyone lock moderators out.
    const global = [{ scope: "global", points: 50, durationMs: 900_000 }];
    expect(problems({ RATE_LIMITS: JSON.stringify({ adminLogin: global }) }).join()).toContain(
      "adminLogin",
    );
    // Loopback needs neither: the default, the e2e servers and the benchmark listen there.
    for (const host of ["127.0.0.1", "127.8.9.10", "localhost", "::1", "[::1]"]) {
      expect(problems({ HOST: host }), host).toEqual([]);
    }
  });

  it("connection and waiting caps: generous defaults for a shared address, overridable, validated", () => {
    expect(loadConfig({}).caps).toEqual({
      maxConnections: 18_000,
      maxConnectionsPerAddress: 500,
      maxWaitingPerAddress: 100,
    });
    expect(
      loadConfig({
        MAX_CONNECTIONS: "5000",
        MAX_CONNECTIONS_PER_ADDRESS: "50",
        MAX_WAITING_PER_ADDRESS: "5",
      }).caps,
    ).toEqual({ maxConnections: 5000, maxConnectionsPerAddress: 50, maxWaitingPerAddress: 5 });
    expect(() => loadConfig({ MAX_CONNECTIONS_PER_ADDRESS: "0" })).toThrow(
      /MAX_CONNECTIONS_PER_ADDRESS/,
    );
    expect(() => loadConfig({ MAX_WAITING_PER_ADDRESS: "many" })).toThrow(
      /MAX_WAITING_PER_ADDRESS/,
    );
    const connect = [{ scope: "ip", points: 10, durationMs: 60_000 }];
    expect(loadConfig({ RATE_LIMITS: JSON.stringify({ connect }) }).rateLimits.connect).toEqual(
      connect,
    );
  });

  it("cluster mode: REDIS_URL needs TOKEN_SECRET and DATABASE_URL, and a crash must reach partners within 15 s", () => {
    expect(loadConfig({}).cluster).toBeUndefined();
    const secret = "a-token-secret-of-at-least-32-characters";
    const db = "postgres://duet@127.0.0.1:5432/duet";
    const alone = problems({ REDIS_URL: "redis://127.0.0.1:6379" });
    expect(alone.join("\n")).toMatch(/TOKEN_SECRET: REDIS_URL \(cluster mode\) needs TOKEN_SECRET/);
    expect(alone.join("\n")).toMatch(/DATABASE_URL: REDIS_URL \(cluster mode\) needs DATABASE_URL/);
    const c = loadConfig({
      REDIS_URL: "redis://127.0.0.1:6379",
      TOKEN_SECRET: secret,
      DATABASE_URL: db,
    });
    expect(c.cluster).toEqual({
      redisUrl: "redis://127.0.0.1:6379",
      prefix: "duet",
      heartbeatMs: 2000,
      deadAfterMs: 6000,
    });
    const base = { REDIS_URL: "rediss://h:6380/1", TOKEN_SECRET: secret, DATABASE_URL: db };
    expect(problems({ ...base, REDIS_URL: "http://h" })[0]).toMatch(/^REDIS_URL: expected redis:/);
    expect(problems({ ...base, REDIS_PREFIX: "a b" })[0]).toMatch(/^REDIS_PREFIX:/);
    expect(
      problems({ ...base, CLUSTER_HEARTBEAT_MS: "2000", CLUSTER_DEAD_AFTER_MS: "5000" }),
    ).toEqual([
      "CLUSTER_DEAD_AFTER_MS: CLUSTER_DEAD_AFTER_MS must be at least 3 × CLUSTER_HEARTBEAT_MS",
    ]);
    expect(
      problems({ ...base, CLUSTER_HEARTBEAT_MS: "3000", CLUSTER_DEAD_AFTER_MS: "9000" })[0],
    ).toMatch(/at most 14000/);
  });
});
