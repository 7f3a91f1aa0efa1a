/**
 * Duet's production process (server.ts, with the 404 web app) behind a pretend reverse proxy
 * (TRUST_PROXY=true), so each test client can come from an address of its own through
 * X-Forwarded-For while every byte stays on 127.0.0.1. `behindProxy()` registers the hooks that
 * open one in-memory database for the file and close what each test started.
 */
import { openSafetyRepo, type SafetyRepo } from "@duet/persistence";
import { afterAll, afterEach, beforeAll } from "vitest";
import { loadConfig } from "../../src/config";
import { type Logger, silentLogger } from "../../src/logger";
import { type DuetProcess, startDuetProcess } from "../../src/server";
import { TEST_TOKEN_SECRET, TestClient } from "../harness";

export interface BehindProxy {
  start(env?: Record<string, string>): Promise<DuetProcess>;
  /** A client connecting from `address` (and with `cookie`, if given). */
  from(p: DuetProcess, address: string, cookie?: string): Promise<TestClient>;
  /** The clients connected so far in this test. */
  readonly clients: TestClient[];
}

export function behindProxy(logger: Logger = silentLogger): BehindProxy {
  let repo: SafetyRepo | undefined;
  let proc: DuetProcess | undefined;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    repo = await openSafetyRepo({ dataDir: ":memory:" });
  }, 60_000);
  afterAll(async () => {
    await repo?.close();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await proc?.close();
    proc = undefined;
  });
  return {
    clients,
    async start(env = {}) {
      const config = loadConfig({
        HOST: "127.0.0.1",
        PORT: "0",
        SHUTDOWN_GRACE_MS: "0",
        TOKEN_SECRET: TEST_TOKEN_SECRET,
        TRUST_PROXY: "true",
        SPACES: "menti,stimchat,dormparty",
        ...env,
      });
      proc = await startDuetProcess({ config, logger, deps: { ...(repo ? { repo } : {}) } });
      return proc;
    },
    async from(p, address, cookie) {
      const c = await TestClient.connect(
        { url: `http://127.0.0.1:${p.port}` },
        { extraHeaders: { "x-forwarded-for": address, ...(cookie ? { cookie } : {}) } },
      );
      clients.push(c);
      return c;
    },
  };
}
