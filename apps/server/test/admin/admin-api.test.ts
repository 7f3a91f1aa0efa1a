import type { Ban, NewReport } from "@duet/persistence";
import { afterEach, describe, expect, it } from "vitest";
import {
  type AdminDeps,
  adminRoutes,
  type BanView,
  LoginThrottle,
  type ReportView,
} from "../../src/admin";
import { tokenRef } from "../../src/admin/refs";
import { type HealthSnapshot, HealthStats, healthProvider } from "../../src/stats";
import { FakeSafetyRepo } from "./fake-repo";
import {
  type CapturingLogger,
  capturingLogger,
  type Reply,
  serve,
  type TestClock,
  type TestServer,
  testClock,
} from "./harness";

const PASSWORD = "correct horse battery staple";
const REPORTER = "tok-reporter-6a1f0c2b9d8e7f60a1b2c3d4e5f60718";
const REPORTED = "tok-reported-0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const OTHER = "tok-other-5566778899aabbccddeeff0011223344";
const TRANSCRIPT_TEXT = "you are the worst, give me your address";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

interface Setup {
  server: TestServer;
  repo: FakeSafetyRepo;
  clock: TestClock;
  logger: CapturingLogger;
  banned: Array<{ token: string; ban: Ban }>;
  unbanned: string[];
  /** The headers a same-origin admin page sends with a POST. */
  post(path: string, body?: unknown, extra?: Record<string, string>): Promise<Reply>;
  get(path: string, extra?: Record<string, string>): Promise<Reply>;
  signIn(): Promise<string>;
}

async function setup(overrides: Partial<AdminDeps> = {}, loginPoints = 3): Promise<Setup> {
  const repo = new FakeSafetyRepo();
  const clock = testClock();
  const logger = capturingLogger();
  const banned: Setup["banned"] = [];
  const unbanned: string[] = [];
  const stats = new HealthStats(["menti", "stimchat"]);
  stats.recordMatch("stimchat", [2000, 4000], clock.now());
  stats.recordReport("stimchat", clock.now());
  const health = healthProvider({
    stats,
    clock,
    store: {
      census: async () => ({ stimchat: { waiting: 3, matched: 2, active: 4, ended: 1 } }),
    },
  });
  const handler = adminRoutes({
    repo,
    adminPassword: PASSWORD,
    loginThrottle: new LoginThrottle(
      [{ scope: "ip", points: loginPoints, durationMs: 15 * 60_000 }],
      clock,
    ),
    ipHash: () => "ip-hash-of-test-client",
    trustProxy: false,
    health,
    onBanned: (token, ban) => {
      banned.push({ token, ban });
    },
    onUnbanned: (token) => {
      unbanned.push(token);
    },
    clock,
    logger,
    ...overrides,
  });
  const server = await serve([handler]);
  servers.push(server);
  let cookie: string | undefined;
  const post: Setup["post"] = (path, body = {}, extra = {}) =>
    server.call("POST", path, {
      headers: {
        "content-type": "application/json",
        "x-duet-admin": "1",
        origin: `http://${server.host}`,
        ...(cookie ? { cookie } : {}),
        ...extra,
      },
      body: JSON.stringify(body),
    });
  const get: Setup["get"] = (path, extra = {}) =>
    server.call("GET", path, { headers: { ...(cookie ? { cookie } : {}), ...extra } });
  const signIn = async (): Promise<string> => {
    const reply = await post("/api/admin/login", { password: PASSWORD });
    expect(reply.status).toBe(200);
    cookie = cookiePair(reply);
    return cookie;
  };
  return { server, repo, clock, logger, banned, unbanned, post, get, signIn };
}

function setCookie(reply: Reply): string {
  const raw = reply.headers["set-cookie"];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value) throw new Error("no Set-Cookie");
  return value;
}

function cookiePair(reply: Reply): string {
  return setCookie(reply).split(";")[0] as string;
}

function report(overrides: Partial<NewReport> = {}): NewReport {
  return {
    space: "stimchat",
    at: 1_700_000_000_000 - 60_000,
    reason: "harassment",
    note: "they kept asking where I live",
    reporter: REPORTER,
    reported: REPORTED,
    transcript: [
      { from: "reported", text: "hi", at: 1_700_000_000_000 - 120_000 },
      { from: "reporter", text: "hello", at: 1_700_000_000_000 - 110_000 },
      { from: "reported", text: TRANSCRIPT_TEXT, at: 1_700_000_000_000 - 100_000 },
    ],
    trustPenalty: 30,
    ...overrides,
  };
}

describe("admin disabled (no ADMIN_PASSWORD)", () => {
  it("answers 503 admin_disabled on every admin route and warns once at creation", async () => {
    const { server, logger } = await setup({ adminPassword: undefined });
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toContain("ADMIN_PASSWORD");

    for (const [method, path] of [
      ["GET", "/api/admin/session"],
      ["POST", "/api/admin/login"],
      ["GET", "/api/admin/reports"],
      ["GET", "/api/admin/health"],
      ["POST", "/api/admin/bans/abcdefabcdef/unban"],
      ["GET", "/api/admin/anything"],
    ] as const) {
      const reply = await server.call(method, path, {
        headers: { "content-type": "application/json", "x-duet-admin": "1" },
        body: method === "POST" ? JSON.stringify({ password: PASSWORD }) : undefined,
      });
      expect(reply.status, `${method} ${path}`).toBe(503);
      const body = reply.json<{ error: string; message: string; enabled: boolean }>();
      expect(body.error).toBe("admin_disabled");
      expect(body.enabled).toBe(false);
      expect(body.message).toContain("set ADMIN_PASSWORD");
    }
    expect(logger.warnings).toHaveLength(1);
  });

  it("leaves other paths to the next handler", async () => {
    const { server } = await setup({ adminPassword: undefined });
    expect((await server.call("GET", "/api/token")).body).toBe("next");
    expect((await server.call("GET", "/api/administrator")).body).toBe("next");
  });
});

describe("sign-in", () => {
  it("answers 401 to a wrong password, then 429 with Retry-After once the limit is spent", async () => {
    const { post, clock, logger } = await setup({}, 3);
    for (let i = 0; i < 3; i++) {
      const reply = await post("/api/admin/login", { password: "not the password" });
      expect(reply.status).toBe(401);
      expect(reply.json()).toEqual({ error: "wrong_password" });
      expect(reply.headers["set-cookie"]).toBeUndefined();
    }
    const limited = await post("/api/admin/login", { password: "still not it" });
    expect(limited.status).toBe(429);
    const body = limited.json<{ error: string; retryAfterMs: number }>();
    expect(body.error).toBe("rate_limited");
    expect(body.retryAfterMs).toBe(15 * 60_000);
    expect(limited.headers["retry-after"]).toBe("900");

    // Even the right password waits while limited.
    expect((await post("/api/admin/login", { password: PASSWORD })).status).toBe(429);
    clock.advance(15 * 60_000);
    expect((await post("/api/admin/login", { password: PASSWORD })).status).toBe(200);
    expect(logger.lines.join("\n")).not.toContain("not the password");
    expect(logger.lines.join("\n")).not.toContain(PASSWORD);
  });

  it("sets an httpOnly, SameSite=Strict session cookie for the whole site", async () => {
    const { post, get } = await setup();
    const reply = await post("/api/admin/login", { password: PASSWORD });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ signedIn: true });
    const cookie = setCookie(reply);
    expect(cookie).toMatch(/^duet_admin=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/");
    expect(cookie).toContain("Max-Age=43200");
    expect(cookie).not.toContain("Secure");

    expect((await get("/api/admin/session")).json()).toEqual({ enabled: true, signedIn: false });
    const pair = cookiePair(reply);
    expect((await get("/api/admin/session", { cookie: pair })).json()).toEqual({
      enabled: true,
      signedIn: true,
    });
  });

  it("marks the cookie Secure behind a trusted HTTPS proxy", async () => {
    const { post } = await setup({ trustProxy: true });
    const reply = await post(
      "/api/admin/login",
      { password: PASSWORD },
      { "x-forwarded-proto": "https" },
    );
    expect(setCookie(reply)).toContain("Secure");
  });

  it("refuses a malformed body with 400 without spending an attempt", async () => {
    const { post } = await setup({}, 1);
    expect((await post("/api/admin/login", { pass: PASSWORD })).status).toBe(400);
    expect((await post("/api/admin/login", { password: 42 })).status).toBe(400);
    expect((await post("/api/admin/login", { password: PASSWORD })).status).toBe(200);
  });

  it("signs out: the cookie is cleared and the session no longer works", async () => {
    const s = await setup();
    const cookie = await s.signIn();
    expect((await s.get("/api/admin/reports")).status).toBe(200);
    const out = await s.post("/api/admin/logout");
    expect(out.status).toBe(200);
    expect(setCookie(out)).toMatch(/^duet_admin=;.*Max-Age=0/);
    expect((await s.get("/api/admin/reports", { cookie })).status).toBe(401);
    expect((await s.get("/api/admin/session", { cookie })).json()).toEqual({
      enabled: true,
      signedIn: false,
    });
  });

  it("ends a session after an hour idle, and after 12 hours in any case", async () => {
    const s = await setup();
    await s.signIn();
    s.clock.advance(HOUR - 1000);
    expect((await s.get("/api/admin/reports")).status).toBe(200);
    s.clock.advance(HOUR - 1000);
    expect((await s.get("/api/admin/reports")).status).toBe(200);
    s.clock.advance(HOUR);
    expect((await s.get("/api/admin/reports")).status).toBe(401);

    await s.signIn();
    for (let i = 0; i < 12; i++) {
      s.clock.advance(HOUR - 60_000);
      expect((await s.get("/api/admin/session")).json()).toMatchObject({ signedIn: true });
    }
    s.clock.advance(13 * 60_000);
    expect((await s.get("/api/admin/session")).json()).toMatchObject({ signedIn: false });
  });
});

describe("cross-site protection", () => {
  it("refuses a state-changing request without x-duet-admin, from a foreign Origin, or cross-site", async () => {
    const s = await setup();
    await s.signIn();
    const { id } = await s.repo.addReport(report());
    const path = `/api/admin/reports/${id}/dismiss`;

    const noHeader = await s.post(path, {}, { "x-duet-admin": "" });
    expect(noHeader.status).toBe(403);
    expect(noHeader.json()).toEqual({ error: "missing_admin_header" });

    const foreign = await s.post(path, {}, { origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    expect(foreign.json()).toEqual({ error: "cross_site" });

    const otherPort = await s.post(path, {}, { origin: "http://127.0.0.1:1" });
    expect(otherPort.status).toBe(403);

    const fetchSite = await s.post(path, {}, { "sec-fetch-site": "cross-site" });
    expect(fetchSite.status).toBe(403);

    const form = await s.post(path, {}, { "content-type": "application/x-www-form-urlencoded" });
    expect(form.status).toBe(415);

    expect((await s.repo.getReport(id))?.status).toBe("open");
    expect((await s.post(path)).status).toBe(200);
    expect((await s.repo.getReport(id))?.status).toBe("dismissed");
  });

  it("guards sign-in the same way", async () => {
    const s = await setup();
    const login = (extra: Record<string, string>) =>
      s.post("/api/admin/login", { password: PASSWORD }, extra);
    expect((await login({ "x-duet-admin": "0" })).status).toBe(403);
    expect((await login({ origin: "https://evil.example" })).status).toBe(403);
    expect((await login({ "content-type": "text/plain" })).status).toBe(415);
  });

  it("needs a session for everything but session, login and logout", async () => {
    const s = await setup();
    for (const path of ["/api/admin/reports", "/api/admin/bans", "/api/admin/health"]) {
      expect((await s.get(path)).status, path).toBe(401);
      expect((await s.get(path, { cookie: `duet_admin=${"A".repeat(43)}` })).status).toBe(401);
    }
    expect((await s.post("/api/admin/reports/r1/dismiss")).status).toBe(401);
    expect((await s.post("/api/admin/reports/r1/ban", { duration: "1d" })).status).toBe(401);
    expect((await s.post("/api/admin/bans/abcdefabcdef/unban")).status).toBe(401);
  });

  it("answers 405 to a wrong method and 404 to an unknown admin path", async () => {
    const s = await setup();
    await s.signIn();
    const wrong = await s.server.call("DELETE", "/api/admin/reports");
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe("GET");
    expect((await s.get("/api/admin/login")).status).toBe(405);
    expect((await s.get("/api/admin/nothing-here")).status).toBe(404);
  });
});

describe("moderation with a session", () => {
  it("lists open reports with transcript and a reference instead of the token", async () => {
    const s = await setup();
    await s.signIn();
    const older = await s.repo.addReport(report({ at: 1_700_000_000_000 - 5 * 60_000 }));
    const menti = await s.repo.addReport(
      report({
        space: "menti",
        reporter: null,
        reported: null,
        note: null,
        transcript: null,
        trustPenalty: 0,
      }),
    );
    const reply = await s.get("/api/admin/reports");
    expect(reply.status).toBe(200);
    const { reports } = reply.json<{ reports: ReportView[] }>();
    expect(reports.map((r) => r.id)).toEqual([menti.id, older.id]);
    const r = reports[1] as ReportView;
    expect(r).toEqual({
      id: older.id,
      space: "stimchat",
      at: older.at,
      reason: "harassment",
      note: "they kept asking where I live",
      status: "open",
      resolvedAt: null,
      transcript: older.transcript,
      reportedRef: tokenRef(REPORTED),
      reporterRef: tokenRef(REPORTER),
      reportedBanned: false,
      reportedBanUntil: null,
    });
    expect(r.reportedRef).toMatch(/^[0-9a-f]{12}$/);
    expect(reports[0]).toMatchObject({ reportedRef: null, reporterRef: null, transcript: null });

    expect((await s.get("/api/admin/reports?status=dismissed")).json()).toEqual({ reports: [] });
    expect((await s.get("/api/admin/reports?status=deleted")).status).toBe(400);
    expect(
      (await s.get("/api/admin/reports?limit=1")).json<{ reports: unknown[] }>().reports,
    ).toHaveLength(1);
  });

  it("bans the reported token: onBanned gets it, the report is actioned, the ban is listed by reference", async () => {
    const s = await setup();
    await s.signIn();
    const first = await s.repo.addReport(report());
    const second = await s.repo.addReport(report({ at: first.at + 1000, reason: "spam" }));

    const reply = await s.post(`/api/admin/reports/${first.id}/ban`, {
      duration: "1d",
      note: "  threats  ",
    });
    expect(reply.status).toBe(200);
    const now = s.clock.now();
    const { ban, report: after } = reply.json<{ ban: BanView; report: ReportView }>();
    expect(ban).toEqual({
      ref: tokenRef(REPORTED),
      at: now,
      until: now + DAY,
      note: "threats",
      reportId: first.id,
    });
    expect(after).toMatchObject({ status: "actioned", resolvedAt: now, reportedBanned: true });
    expect(after.reportedBanUntil).toBe(now + DAY);

    expect(s.banned).toEqual([
      {
        token: REPORTED,
        ban: { token: REPORTED, at: now, until: now + DAY, note: "threats", reportId: first.id },
      },
    ]);
    expect((await s.repo.getReport(first.id))?.status).toBe("actioned");
    expect(await s.repo.activeBan(REPORTED, now)).toBeDefined();

    // The other open report against the same person shows the ban.
    const open = (await s.get("/api/admin/reports")).json<{ reports: ReportView[] }>().reports;
    expect(open.map((r) => r.id)).toEqual([second.id]);
    expect(open[0]).toMatchObject({ reportedBanned: true, reportedBanUntil: now + DAY });
    const actioned = (await s.get("/api/admin/reports?status=actioned")).json<{
      reports: ReportView[];
    }>().reports;
    expect(actioned.map((r) => r.id)).toEqual([first.id]);

    const bans = (await s.get("/api/admin/bans")).json<{ bans: BanView[] }>().bans;
    expect(bans).toEqual([ban]);

    // A ban for good on the second report replaces the first.
    const forever = await s.post(`/api/admin/reports/${second.id}/ban`, { duration: "forever" });
    expect(forever.status).toBe(200);
    expect(forever.json<{ ban: BanView }>().ban).toMatchObject({ until: null, note: "" });
    const sevenDays = await s.repo.addReport(report({ reported: OTHER }));
    const seven = await s.post(`/api/admin/reports/${sevenDays.id}/ban`, { duration: "7d" });
    expect(seven.json<{ ban: BanView }>().ban.until).toBe(now + 7 * DAY);
    expect(s.banned.map((b) => b.token)).toEqual([REPORTED, REPORTED, OTHER]);
  });

  it("refuses to ban without a token (menti), with a bad duration, or an unknown report", async () => {
    const s = await setup();
    await s.signIn();
    const menti = await s.repo.addReport(
      report({ space: "menti", reporter: null, reported: null, transcript: null, note: null }),
    );
    const noToken = await s.post(`/api/admin/reports/${menti.id}/ban`, { duration: "1d" });
    expect(noToken.status).toBe(400);
    expect(noToken.json()).toMatchObject({ error: "no_token" });
    expect((await s.repo.getReport(menti.id))?.status).toBe("open");

    const ok = await s.repo.addReport(report());
    expect((await s.post(`/api/admin/reports/${ok.id}/ban`, { duration: "3d" })).status).toBe(400);
    expect(
      (await s.post(`/api/admin/reports/${ok.id}/ban`, { duration: "1d", note: "x".repeat(501) }))
        .status,
    ).toBe(400);
    expect((await s.post("/api/admin/reports/nope/ban", { duration: "1d" })).status).toBe(404);
    expect((await s.post("/api/admin/reports/%E0%A4%A/ban", { duration: "1d" })).status).toBe(404);
    expect(s.banned).toEqual([]);
  });

  it("unbans by reference", async () => {
    const s = await setup();
    await s.signIn();
    const r = await s.repo.addReport(report());
    await s.post(`/api/admin/reports/${r.id}/ban`, { duration: "forever" });
    const ref = tokenRef(REPORTED);

    expect((await s.post("/api/admin/bans/000000000000/unban")).status).toBe(404);
    expect((await s.post("/api/admin/bans/not-a-ref/unban")).status).toBe(404);

    const reply = await s.post(`/api/admin/bans/${ref}/unban`);
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ unbanned: ref });
    expect(s.unbanned).toEqual([REPORTED]);
    expect(await s.repo.activeBan(REPORTED, s.clock.now())).toBeUndefined();
    expect((await s.get("/api/admin/bans")).json()).toEqual({ bans: [] });
    expect((await s.post(`/api/admin/bans/${ref}/unban`)).status).toBe(404);
  });

  it("does not list or unban an expired ban", async () => {
    const s = await setup();
    await s.signIn();
    const r = await s.repo.addReport(report());
    await s.post(`/api/admin/reports/${r.id}/ban`, { duration: "1d" });
    s.clock.advance(DAY);
    await s.signIn();
    expect((await s.get("/api/admin/bans")).json()).toEqual({ bans: [] });
    expect((await s.post(`/api/admin/bans/${tokenRef(REPORTED)}/unban`)).status).toBe(404);
  });

  it("dismisses a report once", async () => {
    const s = await setup();
    await s.signIn();
    const r = await s.repo.addReport(report());
    const reply = await s.post(`/api/admin/reports/${r.id}/dismiss`);
    expect(reply.status).toBe(200);
    expect(reply.json<{ report: ReportView }>().report).toMatchObject({
      id: r.id,
      status: "dismissed",
      resolvedAt: s.clock.now(),
    });
    const again = await s.post(`/api/admin/reports/${r.id}/dismiss`);
    expect(again.status).toBe(409);
    expect(again.json()).toEqual({ error: "already_resolved", status: "dismissed" });
    expect((await s.post("/api/admin/reports/r999/dismiss")).status).toBe(404);
    expect(s.banned).toEqual([]);
    expect((await s.get("/api/admin/reports")).json()).toEqual({ reports: [] });
  });

  it("answers the health snapshot", async () => {
    const s = await setup();
    await s.signIn();
    const reply = await s.get("/api/admin/health");
    expect(reply.status).toBe(200);
    const health = reply.json<HealthSnapshot>();
    expect(health).toEqual({
      at: s.clock.now(),
      waitWindowMs: 600_000,
      spaces: [
        {
          space: "menti",
          users: { waiting: 0, matched: 0, active: 0, ended: 0 },
          sessions: 0,
          matchesLastMinute: 0,
          waitP50Ms: null,
          waitP95Ms: null,
          waitSamples: 0,
          reportsLastHour: 0,
          matchesTotal: 0,
          reportsTotal: 0,
        },
        {
          space: "stimchat",
          users: { waiting: 3, matched: 2, active: 4, ended: 1 },
          sessions: 3,
          matchesLastMinute: 1,
          waitP50Ms: 2000,
          waitP95Ms: 4000,
          waitSamples: 2,
          reportsLastHour: 1,
          matchesTotal: 1,
          reportsTotal: 1,
        },
      ],
    });
  });

  it("answers 500 without leaking details when the database fails", async () => {
    const s = await setup();
    await s.signIn();
    s.repo.listReports = async () => {
      throw new Error(`duplicate key value (token)=(${REPORTED})`);
    };
    const reply = await s.get("/api/admin/reports");
    expect(reply.status).toBe(500);
    expect(reply.json()).toEqual({ error: "internal" });
    expect(s.logger.lines.join("\n")).not.toContain(REPORTED);
  });
});

describe("privacy", () => {
  it("never puts a raw token in any response, nor a token, password or transcript in the logs", async () => {
    const s = await setup();
    await s.signIn();
    const a = await s.repo.addReport(report());
    const b = await s.repo.addReport(report({ reported: OTHER, reporter: REPORTED }));
    const c = await s.repo.addReport(report({ reason: "spam" }));
    await s.get("/api/admin/reports");
    await s.post(`/api/admin/reports/${a.id}/ban`, { duration: "7d", note: "repeat" });
    await s.post(`/api/admin/reports/${b.id}/dismiss`);
    await s.get("/api/admin/reports?status=actioned");
    await s.get("/api/admin/reports?status=dismissed");
    await s.get("/api/admin/reports");
    await s.get("/api/admin/bans");
    await s.post(`/api/admin/reports/${c.id}/ban`, { duration: "forever" });
    await s.post(`/api/admin/bans/${tokenRef(REPORTED)}/unban`);
    await s.get("/api/admin/health");

    const responses = s.server.bodies.join("\n");
    expect(responses).toContain(tokenRef(REPORTED));
    expect(responses).toContain(TRANSCRIPT_TEXT);
    for (const token of [REPORTER, REPORTED, OTHER]) {
      expect(responses).not.toContain(token);
      expect(responses).not.toContain(token.slice(4, 20));
    }

    const logs = s.logger.lines.join("\n");
    expect(logs).toContain("reported person banned");
    for (const secret of [REPORTER, REPORTED, OTHER, PASSWORD, TRANSCRIPT_TEXT, "ip-hash-of"]) {
      expect(logs).not.toContain(secret);
    }
  });
});
