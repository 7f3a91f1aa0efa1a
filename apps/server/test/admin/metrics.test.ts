import { afterEach, describe, expect, it } from "vitest";
import { createMetricsRegistry, type MetricsOptions, metricsRoute } from "../../src/metrics";
import { type HealthSnapshot, HealthStats } from "../../src/stats";
import { serve, type TestServer } from "./harness";

const T0 = 60_000 * 28_000_000;
const TOKEN = "a-metrics-token-of-some-length";

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function snapshot(): HealthSnapshot {
  const stats = new HealthStats(["menti", "stimchat"]);
  stats.recordMatch("stimchat", [2000, 4000], T0);
  stats.recordMatch("stimchat", [6000, 8000], T0);
  stats.recordReport("stimchat", T0);
  return stats.snapshot({ stimchat: { waiting: 3, matched: 2, active: 4, ended: 1 } }, T0);
}

async function start(
  token?: string,
  options: Partial<MetricsOptions> = {},
): Promise<{ server: TestServer; calls: () => number }> {
  let calls = 0;
  const registry = createMetricsRegistry({
    health: async () => {
      calls++;
      return snapshot();
    },
    defaultMetrics: false,
    ...options,
  });
  const server = await serve([metricsRoute({ registry, token })]);
  servers.push(server);
  return { server, calls: () => calls };
}

describe("/metrics", () => {
  it("serves the health figures in the Prometheus text format, one provider call per scrape", async () => {
    const { server, calls } = await start();
    const reply = await server.call("GET", "/metrics");
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = reply.body;
    expect(text).toContain('duet_users{space="stimchat",state="waiting"} 3');
    expect(text).toContain('duet_users{space="stimchat",state="matched"} 2');
    expect(text).toContain('duet_users{space="stimchat",state="active"} 4');
    expect(text).toContain('duet_users{space="stimchat",state="ended"} 1');
    expect(text).toContain('duet_users{space="menti",state="waiting"} 0');
    expect(text).toContain('duet_sessions{space="stimchat"} 3');
    expect(text).toContain("# TYPE duet_matches_total counter");
    expect(text).toContain('duet_matches_total{space="stimchat"} 2');
    expect(text).toContain('duet_matches_last_minute{space="stimchat"} 2');
    expect(text).toContain('duet_wait_seconds{space="stimchat",quantile="0.5"} 4');
    expect(text).toContain('duet_wait_seconds{space="stimchat",quantile="0.95"} 8');
    expect(text).not.toContain('duet_wait_seconds{space="menti"');
    expect(text).toContain('duet_wait_samples{space="stimchat"} 4');
    expect(text).toContain("# TYPE duet_reports_total counter");
    expect(text).toContain('duet_reports_total{space="stimchat"} 1');
    expect(text).toContain('duet_reports_last_hour{space="stimchat"} 1');
    expect(calls()).toBe(1);

    // Counters are set, not accumulated, on every scrape.
    const again = await server.call("GET", "/metrics");
    expect(again.body).toContain('duet_matches_total{space="stimchat"} 2');
    expect(calls()).toBe(2);
  });

  it("adds gateway counters and Node's default metrics when asked", async () => {
    const { server } = await start(undefined, {
      defaultMetrics: true,
      gateway: () => ({
        connections: 12,
        rejected: { malformed: 3, illegal: 1 },
        abusiveDisconnects: 2,
      }),
    });
    const text = (await server.call("GET", "/metrics")).body;
    expect(text).toContain("duet_connections 12");
    expect(text).toContain('duet_rejected_events_total{reason="malformed"} 3');
    expect(text).toContain('duet_rejected_events_total{reason="illegal"} 1');
    expect(text).toContain("duet_abusive_disconnects_total 2");
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toContain("nodejs_eventloop_lag_seconds");
  });

  it("keeps separate registries apart (never the global one)", async () => {
    const a = createMetricsRegistry({ health: snapshot, defaultMetrics: false });
    const b = createMetricsRegistry({ health: snapshot, defaultMetrics: false });
    expect(a).not.toBe(b);
    expect(await a.metrics()).toContain("duet_users");
    expect(await b.metrics()).toContain("duet_users");
  });

  it("is open to anyone without a token configured", async () => {
    const { server } = await start();
    expect((await server.call("GET", "/metrics")).status).toBe(200);
    expect((await server.call("GET", "/metricsx")).body).toBe("next");
  });

  it("requires the bearer token when one is configured", async () => {
    const { server, calls } = await start(TOKEN);
    const none = await server.call("GET", "/metrics");
    expect(none.status).toBe(401);
    expect(none.headers["www-authenticate"]).toBe('Bearer realm="metrics"');
    expect(none.body).not.toContain("duet_users");
    for (const authorization of [
      "Bearer wrong-token-of-some-length",
      `Bearer ${TOKEN}x`,
      `Basic ${TOKEN}`,
      TOKEN,
      "Bearer ",
    ]) {
      const reply = await server.call("GET", "/metrics", { headers: { authorization } });
      expect(reply.status, authorization).toBe(401);
    }
    expect(calls()).toBe(0);

    const ok = await server.call("GET", "/metrics", {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain("duet_users");
  });

  it("answers 405 to other methods", async () => {
    const { server } = await start();
    const reply = await server.call("POST", "/metrics");
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe("GET, HEAD");
  });
});
