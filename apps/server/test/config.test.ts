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
      spaces: ["menti"],
      heartbeat: { intervalMs: 5000, timeoutMs: 5000 },
    });
    expect(c.crisisResources.length).toBeGreaterThan(3);
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

  it("refuses spaces this version cannot serve yet", () => {
    expect(problems({ SPACES: "stimchat" }).join()).toMatch(/only menti can be enabled/);
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
});
