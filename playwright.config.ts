import { defineConfig } from "@playwright/test";
import { fakeCameraFile } from "./e2e/support/fake-camera";

/**
 * Browser tests (the *.spec.ts files under e2e/). Run them with `npm test` (everything) or
 * `npm run test:e2e [-- <playwright args>]` = `bash scripts/e2e.sh`, which runs Playwright inside a
 * private network namespace (loopback only). The app server is started here by `webServer`, inside
 * that namespace, from an app already built by `npm run build`.
 */
const PORT = 3107;
const BASE_URL = `http://127.0.0.1:${PORT}`;
/** The same app on a real PostgreSQL (scripts/serve-with-postgres.ts) for the database specs. */
const PG_PORT = 3108;
const PG_BASE_URL = `http://127.0.0.1:${PG_PORT}`;
/**
 * Browser tests that touch the database run on both the embedded PGlite and a real PostgreSQL:
 * safety.spec.ts's report → /admin → ban walk (reports, transcripts, bans). Its other tests (a
 * second tab, the admin sign-in limit) use no database, so they run once, on PGlite.
 */
const DATABASE_SPECS = ["**/safety.spec.ts"];
const DATABASE_TESTS = /the report in \/admin/;
/**
 * The app again, handing out TURN credentials for a coturn on 127.0.0.1:TURN_PORT that
 * video-turn.spec.ts starts (and restarts with a wrong secret), with relay-only ICE: the default
 * once TURN is configured, so ICE_TRANSPORT_POLICY is deliberately left unset.
 */
const TURN_APP_PORT = 3109;
const TURN_BASE_URL = `http://127.0.0.1:${TURN_APP_PORT}`;
const TURN_SPECS = ["**/video-turn.spec.ts"];
/**
 * The other half of the plain browser specs, on an app server of its own, so that two workers
 * can run the two halves side by side (each project one worker: the specs of one server still
 * run one at a time, since any two people waiting on one server may be paired). The halves are
 * balanced by measured time (about 12 minutes each on a 2-core machine busy with the two of them,
 * 2026-12-06; help.spec.ts moved to the first half then). Each spec file must sit in exactly one
 * half: "chromium" takes the rest.
 */
const SECOND_HALF_SPECS = [
  "**/video.spec.ts",
  "**/menti.spec.ts",
  "**/stimchat.spec.ts",
  "**/safety.spec.ts",
  "**/waiting.spec.ts",
  "**/care.spec.ts",
];
const SECOND_PORT = 3110;
/**
 * Every project runs with reduced motion, as some people's browsers ask: the waiting screen's
 * breathing circle otherwise animates at 60 frames a second in every waiting page, and a headless
 * Chromium composites each frame in software — about 15 % of Chromium's CPU time in a measured
 * dormparty run on this 2-core machine, where the browser tests are CPU-bound (screens.spec.ts
 * with dormparty.spec.ts: 202 → 170 CPU seconds, 2026-12-06). Nothing else checked depends on
 * motion: axe and the overlap measurements look at a screen's layout, and screenshots are taken
 * with animations stopped. keyboard.spec.ts checks both settings side by side (each of its users
 * says which it wants).
 */
const REDUCED_MOTION = { reducedMotion: "reduce" } as const;
/**
 * Cluster mode in the browser (e2e/cluster.spec.ts): two nodes over one Redis and one PostgreSQL
 * (scripts/serve-cluster.ts), each person on a different node.
 */
const CLUSTER_PORTS = [3111, 3112] as const;
export const CLUSTER_URLS = CLUSTER_PORTS.map((p) => `http://127.0.0.1:${p}`);
const CLUSTER_SPECS = ["**/cluster.spec.ts"];
const SECOND_BASE_URL = `http://127.0.0.1:${SECOND_PORT}`;
export const TURN_PORT = 34780;
export const TURN_SECRET = "e2e-turn-shared-secret-0123456789";
export const E2E_ADMIN_PASSWORD = "e2e-admin-password-0123";

const serverEnv = (port: number): Record<string, string> => ({
  PORT: String(port),
  HOST: "127.0.0.1",
  NODE_ENV: "production",
  NEXT_TELEMETRY_DISABLED: "1",
  // Space timers shortened so that specs can wait them out, yet long enough for what must happen
  // inside them on a busy machine (two CPU-bound loops beside `npm test`: npm run
  // test:under-load): menti's join limit (both pages of a pair reach the room and enter);
  // stimchat's search limit (every spec that expects a match gets one first; a searching person
  // looks at the landing page and comes back) and topic window; dormparty's pair cooldown (a
  // skipped pair is watched not meeting while a third person meets one of them). The specs that
  // rely on a value repeat it next to the test.
  MENTI_JOIN_TIMEOUT_MS: "20000",
  STIMCHAT_SEARCH_TIMEOUT_MS: "20000",
  // Long enough that "Anyone is fine" is clicked well inside it (stimchat.spec.ts), shorter than
  // the search limit so that the window's end is reached too.
  STIMCHAT_TOPIC_FALLBACK_MS: "15000",
  DORMPARTY_PAIR_COOLDOWN_MS: "45000",
  // The longest heartbeat the server allows (5 s + 10 s): at load average 20 a page in one
  // browser context answered a ping too late while another ran axe, and lost its conversation.
  HEARTBEAT_TIMEOUT_MS: "10000",
  ADMIN_PASSWORD: E2E_ADMIN_PASSWORD,
  // Every browser of every spec earns a token from 127.0.0.1: far more than one address would
  // in an hour. The admin login limit stays as shipped (a spec checks it).
  RATE_LIMITS: JSON.stringify({
    tokenIssue: [{ scope: "ip", points: 10000, durationMs: 3600000 }],
  }),
});

export default defineConfig({
  testDir: "e2e",
  testMatch: "**/*.spec.ts",
  outputDir: "test-results",
  // Ceilings, not speed limits: generous enough for a machine under heavy load. Speeds are
  // measured by the benchmarks (bench/, and the video timing test's printout).
  timeout: 180_000,
  expect: { timeout: 15_000 },
  // Two workers, one per project at a time: a matchmaking server may pair users of two specs
  // running at once on it, so each server's specs run one after another, and the servers (the
  // two halves, the database and the TURN projects) run side by side.
  workers: 2,
  fullyParallel: false,
  // Flakiness is fixed, not hidden: no retries (scripts/test.mjs also counts "flaky" as failed).
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"], ["json", { outputFile: ".reports/playwright.json" }]],
  use: {
    baseURL: BASE_URL,
    browserName: "chromium",
    headless: true,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      // Debian's Chromium (scripts/ensure-chromium.sh installs it); Playwright downloads nothing.
      executablePath: "/usr/bin/chromium",
      // No --user-data-dir here: Playwright gives every launch a fresh profile and throws on it.
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // WebRTC between two pages over 127.0.0.1 with fake camera/microphone and no prompt.
        "--use-fake-device-for-media-stream",
        // A small, slow clip instead of the built-in 640 × 480 at 30 fps (e2e/support/fake-camera.ts).
        `--use-file-for-fake-video-capture=${fakeCameraFile(".reports")}`,
        "--use-fake-ui-for-media-stream",
        "--allow-loopback-in-peer-connection",
      ],
    },
  },
  projects: [
    {
      name: "chromium",
      testIgnore: [...TURN_SPECS, ...SECOND_HALF_SPECS, ...CLUSTER_SPECS],
      use: { baseURL: BASE_URL, ...REDUCED_MOTION },
      workers: 1,
    },
    {
      name: "chromium-2",
      testMatch: SECOND_HALF_SPECS,
      use: { baseURL: SECOND_BASE_URL, ...REDUCED_MOTION },
      workers: 1,
    },
    {
      name: "chromium-postgres",
      testMatch: DATABASE_SPECS,
      grep: DATABASE_TESTS,
      use: { baseURL: PG_BASE_URL, ...REDUCED_MOTION },
      workers: 1,
    },
    {
      name: "chromium-turn",
      testMatch: TURN_SPECS,
      use: { baseURL: TURN_BASE_URL, ...REDUCED_MOTION },
      workers: 1,
    },
    {
      name: "chromium-cluster",
      testMatch: CLUSTER_SPECS,
      use: { baseURL: CLUSTER_URLS[0], ...REDUCED_MOTION },
      workers: 1,
    },
  ],
  webServer: [
    {
      // A fresh data folder (embedded PGlite, token secret) for every run.
      command: 'DATA_DIR="$(mktemp -d)" exec node --import tsx apps/server/src/main.ts',
      url: `${BASE_URL}/healthz`,
      env: serverEnv(PORT),
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
      stderr: "pipe",
      gracefulShutdown: { signal: "SIGTERM", timeout: 5_000 },
    },
    {
      // The second half's server: the same app, its own data folder and port.
      command: 'DATA_DIR="$(mktemp -d)" exec node --import tsx apps/server/src/main.ts',
      url: `${SECOND_BASE_URL}/healthz`,
      env: serverEnv(SECOND_PORT),
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
      stderr: "pipe",
      gracefulShutdown: { signal: "SIGTERM", timeout: 5_000 },
    },
    {
      command: 'DATA_DIR="$(mktemp -d)" exec node --import tsx scripts/serve-with-postgres.ts',
      url: `${PG_BASE_URL}/healthz`,
      env: serverEnv(PG_PORT),
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "ignore",
      stderr: "pipe",
      gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
    },
    {
      // Two nodes; the second's /readyz answers once both serve (scripts/serve-cluster.ts).
      command: 'DATA_DIR="$(mktemp -d)" exec node --import tsx scripts/serve-cluster.ts',
      url: `${CLUSTER_URLS[1]}/readyz`,
      env: { ...serverEnv(CLUSTER_PORTS[0]), CLUSTER_PORTS: CLUSTER_PORTS.join(",") },
      reuseExistingServer: false,
      timeout: 180_000,
      stdout: "ignore",
      stderr: "pipe",
      gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
    },
    {
      command: 'DATA_DIR="$(mktemp -d)" exec node --import tsx apps/server/src/main.ts',
      url: `${TURN_BASE_URL}/healthz`,
      env: {
        ...serverEnv(TURN_APP_PORT),
        TURN_URLS: `turn:127.0.0.1:${TURN_PORT}?transport=udp`,
        TURN_SECRET,
      },
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
      stderr: "pipe",
      gracefulShutdown: { signal: "SIGTERM", timeout: 5_000 },
    },
  ],
});
