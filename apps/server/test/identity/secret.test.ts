import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadTokenSecret, TOKEN_SECRET_FILE } from "../../src/identity/secret";
import type { Logger } from "../../src/logger";

function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (obj: object, msg?: string) => lines.push(JSON.stringify({ ...obj, msg }));
  return { lines, debug: log, info: log, warn: log, error: log };
}

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "duet-secret-"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe("token secret", () => {
  it("is generated once into the data folder (created if missing), mode 0600, then reused", () => {
    const dataDir = join(root, "nested", "data");
    const logger = capturingLogger();
    const first = loadTokenSecret({ dataDir }, logger);
    expect(first.length).toBeGreaterThanOrEqual(32);

    const file = join(dataDir, TOKEN_SECRET_FILE);
    expect(readFileSync(file, "utf8").trim()).toBe(first.toString("utf8"));
    if (process.platform !== "win32") expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dataDir)).toEqual([TOKEN_SECRET_FILE]);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toContain("generated");
    expect(logger.lines[0]).not.toContain(first.toString("utf8"));

    const again = capturingLogger();
    const second = loadTokenSecret({ dataDir }, again);
    expect(second.equals(first)).toBe(true);
    expect(again.lines).toEqual([]);
  });

  it("two data folders get different secrets", () => {
    const a = loadTokenSecret({ dataDir: join(root, "a") }, capturingLogger());
    const b = loadTokenSecret({ dataDir: join(root, "b") }, capturingLogger());
    expect(a.equals(b)).toBe(false);
  });

  it("the configured secret wins and nothing is written", () => {
    const dataDir = join(root, "data");
    const configured = "x".repeat(40);
    const secret = loadTokenSecret({ dataDir, tokenSecret: configured }, capturingLogger());
    expect(secret.toString("utf8")).toBe(configured);
    expect(() => statSync(dataDir)).toThrow();
  });

  it("the file's text is the key, exactly like TOKEN_SECRET (the two are interchangeable)", () => {
    const dataDir = join(root, "data");
    const fromFile = loadTokenSecret({ dataDir }, capturingLogger());
    const text = readFileSync(join(dataDir, TOKEN_SECRET_FILE), "utf8").trim();
    const fromConfig = loadTokenSecret({ dataDir: root, tokenSecret: text }, capturingLogger());
    expect(fromConfig.equals(fromFile)).toBe(true);
  });

  it("a file too short to be a secret stops the start instead of being replaced", () => {
    writeFileSync(join(root, TOKEN_SECRET_FILE), "short\n", { mode: 0o600 });
    expect(() => loadTokenSecret({ dataDir: root }, capturingLogger())).toThrow(/fewer than 32/);
    expect(readFileSync(join(root, TOKEN_SECRET_FILE), "utf8")).toBe("short\n");
  });

  it.skipIf(process.platform === "win32")("warns when the file is readable by others", () => {
    writeFileSync(join(root, TOKEN_SECRET_FILE), `${"k".repeat(43)}\n`, { mode: 0o644 });
    const logger = capturingLogger();
    loadTokenSecret({ dataDir: root }, logger);
    expect(logger.lines.join("\n")).toContain("readable by other users");
    expect(logger.lines.join("\n")).not.toContain("k".repeat(43));
  });
});
