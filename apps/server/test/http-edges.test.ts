/**
 * The request listener main.ts runs (server.ts startDuetProcess, here with the stub web app and
 * an in-memory database): invalid request targets and the security headers of Duet's own
 * responses. The web app's pages (nonces, Permissions-Policy per page) are checked against the
 * built app in e2e/headers.spec.ts.
 */
import { connect } from "node:net";
import { openSafetyRepo, type SafetyRepo } from "@duet/persistence";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config";
import {
  mayUseMedia,
  NON_PAGE_POLICY,
  PERMISSIONS_ALLOW_MEDIA,
  PERMISSIONS_DENY_MEDIA,
  pagePolicy,
} from "../src/headers";
import type { Logger } from "../src/logger";
import { type DuetProcess, startDuetProcess } from "../src/server";

const lines: string[] = [];
const log =
  (level: string) =>
  (obj: object, msg?: string): void => {
    lines.push(JSON.stringify({ level, ...obj, msg }));
  };
const logger: Logger = {
  debug: log("debug"),
  info: log("info"),
  warn: log("warn"),
  error: log("error"),
};

let repo: SafetyRepo;
let proc: DuetProcess;
beforeAll(async () => {
  repo = await openSafetyRepo({ dataDir: ":memory:" });
  const config = loadConfig({
    HOST: "127.0.0.1",
    PORT: "0",
    SHUTDOWN_GRACE_MS: "0",
    TOKEN_SECRET: "test-secret-that-is-at-least-32-characters-long",
    ADMIN_PASSWORD: "an-admin-password",
  });
  proc = await startDuetProcess({ config, logger, deps: { repo } });
  // PGlite (WebAssembly) takes tens of seconds to create on a loaded machine.
}, 180_000);
afterAll(async () => {
  await proc?.close();
  await repo?.close();
});

/** Sends raw bytes and returns everything the server answers until it closes (or 10 s). */
function raw(request: string): Promise<{ text: string; closed: boolean; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(proc.port, "127.0.0.1");
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false, ms: Date.now() - started });
    }, 10_000);
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      text += d;
    });
    socket.on("error", reject);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ text, closed: true, ms: Date.now() - started });
    });
    socket.write(request);
  });
}

describe("an invalid request target", () => {
  for (const target of ["//a:99999/", "http://[/"]) {
    it(`${target}: 400 at once, connection closed, one log line`, async () => {
      const before = lines.length;
      const reply = await raw(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(reply.text).toMatch(/^HTTP\/1\.1 400 /);
      expect(reply.closed).toBe(true);
      expect(reply.text.toLowerCase()).toContain("x-content-type-options: nosniff");
      const logged = lines.slice(before);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain("invalid target");
      // The server goes on answering.
      expect((await fetch(`http://127.0.0.1:${proc.port}/healthz`)).status).toBe(200);
    });
  }
});

describe("security headers on Duet's own responses", () => {
  const paths = [
    "/healthz",
    "/readyz",
    "/metrics",
    "/api/admin/session",
    "/api/token/challenge",
    "/no-such-page",
  ];
  for (const path of paths) {
    it(path, async () => {
      const res = await fetch(`http://127.0.0.1:${proc.port}${path}`);
      await res.arrayBuffer();
      const h = res.headers;
      expect(h.get("x-content-type-options")).toBe("nosniff");
      expect(h.get("referrer-policy")).toBe("no-referrer");
      expect(h.get("x-frame-options")).toBe("DENY");
      expect(h.get("cross-origin-opener-policy")).toBe("same-origin");
      expect(h.get("content-security-policy")).toBe(NON_PAGE_POLICY);
      expect(h.get("permissions-policy")).toBe(PERMISSIONS_DENY_MEDIA);
    });
  }

  it("camera and microphone only on dormparty and room pages", () => {
    for (const p of ["/dormparty", "/dormparty/", "/room/abc", "/room"]) {
      expect(mayUseMedia(p), p).toBe(true);
    }
    for (const p of ["/", "/menti", "/stimchat", "/admin", "/dormpartyx", "/roomy", "/api/room"]) {
      expect(mayUseMedia(p), p).toBe(false);
    }
    expect(PERMISSIONS_ALLOW_MEDIA).toMatch(/camera=\(self\).*microphone=\(self\)/);
    expect(PERMISSIONS_DENY_MEDIA).toMatch(/camera=\(\).*microphone=\(\)/);
  });

  it("the page policy allows scripts only with the nonce (no 'unsafe-inline' for scripts)", () => {
    const policy = pagePolicy("abc123");
    const script = policy.split("; ").find((d) => d.startsWith("script-src "));
    expect(script).toBe("script-src 'self' 'nonce-abc123' 'strict-dynamic'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("object-src 'none'");
  });
});
