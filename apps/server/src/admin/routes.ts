/**
 * The moderators' JSON API under `/api/admin/` (SPEC §6 "Admin"; the page is apps/web/app/admin).
 *
 * | route | answer |
 * | --- | --- |
 * | `GET /api/admin/session` | `{ enabled, signedIn }` |
 * | `POST /api/admin/login` `{ password }` | 200 `{ signedIn: true }` + cookie; 401 wrong; 429 limited |
 * | `POST /api/admin/logout` | 200 `{ signedIn: false }`, cookie cleared |
 * | `GET /api/admin/reports?status=open\|dismissed\|actioned&limit=N` | `{ reports: ReportView[] }` |
 * | `POST /api/admin/reports/:id/dismiss` | `{ report: ReportView }` |
 * | `POST /api/admin/reports/:id/ban` `{ duration: "1d"\|"7d"\|"forever", note? }` | `{ ban: BanView, report: ReportView }` |
 * | `GET /api/admin/bans` | `{ bans: BanView[] }` (bans in force) |
 * | `POST /api/admin/bans/:ref/unban` | `{ unbanned: ref }` |
 * | `GET /api/admin/health` | HealthSnapshot (stats.ts) |
 *
 * - Without `adminPassword` every route answers 503 `{ error: "admin_disabled", message, enabled:
 *   false, signedIn: false }` (and creation logs a warning saying how to enable it).
 * - Every route but session and login/logout needs the session cookie (`duet_admin`: httpOnly,
 *   SameSite=Strict, Path=/, Secure over HTTPS): 401 `signed_out` otherwise.
 * - Every POST must be JSON, carry `x-duet-admin: 1`, and not come from another site (guards.ts):
 *   403 `cross_site` / `missing_admin_header`, 415 `expected_json`. GETs change nothing.
 * - Sign-in: an address that has used up its failed attempts (`loginThrottle`, throttle.ts) gets
 *   429 `rate_limited` with Retry-After (seconds) and `{ retryAfterMs }` before the password is
 *   compared (in constant time); only a wrong password counts, and no address's failures can
 *   refuse another address.
 * - Tokens never leave the server: a report or ban names the person by `ref` (refs.ts).
 * - Logs carry no password, token, reference, IP address or transcript text.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Ban, Report, SafetyRepo } from "@duet/persistence";
import { z } from "zod";
import { type HttpHandler, isSecureRequest, readJson, sendJson } from "../http";
import type { Logger } from "../logger";
import type { HealthSnapshot } from "../stats";
import {
  adminCookie,
  adminCookieValue,
  checkStateChanging,
  clearedAdminCookie,
  passwordMatches,
} from "./guards";
import { REF_PATTERN, tokenRef } from "./refs";
import { type AdminSessionOptions, type AdminSessionStore, AdminSessions } from "./sessions";
import type { LoginThrottle } from "./throttle";

export const ADMIN_PREFIX = "/api/admin";

export const ADMIN_DISABLED_MESSAGE =
  "Admin is disabled on this server: set ADMIN_PASSWORD (at least 12 characters) and restart to enable /admin.";

/** The repository methods the admin API uses (a SafetyRepo has them all). */
export type AdminRepo = Pick<
  SafetyRepo,
  "getReport" | "listReports" | "resolveReport" | "ban" | "unban" | "listBans"
>;

export interface AdminDeps {
  readonly repo: AdminRepo;
  /** config.adminPassword; unset disables the admin API. */
  readonly adminPassword?: string | undefined;
  /** Failed sign-ins per IP hash (throttle.ts; the `ip` rules of limit `adminLogin`). */
  readonly loginThrottle: Pick<LoginThrottle, "check" | "failed">;
  /** The salted, rotating hash of the request's client IP (IpHasher + clientIp). */
  readonly ipHash: (req: IncomingMessage) => string;
  /** Behind a reverse proxy: X-Forwarded-Proto/-Host count for Secure and the Origin check. */
  readonly trustProxy: boolean;
  /** The health figures (stats.ts healthProvider). */
  readonly health: () => Promise<HealthSnapshot>;
  /** A token was banned: the gateway shows its live connections the banned screen. */
  readonly onBanned: (token: string, ban: Ban) => void | Promise<void>;
  /** A token's ban was lifted. */
  readonly onUnbanned?: (token: string) => void | Promise<void>;
  readonly clock: { now(): number };
  readonly logger: Logger;
  /** The session store, or options for a new one (12 h at most, 1 h idle by default). */
  readonly sessions?: AdminSessionStore | AdminSessionOptions;
}

// The answers' shapes are shared with the admin page: packages/protocol/src/admin.ts.
import type { BanView, ReportView } from "@duet/protocol";

export type { BanView, ReportView };

export const BAN_DURATIONS = {
  "1d": 86_400_000,
  "7d": 7 * 86_400_000,
  forever: null,
} as const satisfies Record<string, number | null>;

const LoginBody = z.object({ password: z.string().min(1).max(1024) });
const BanBody = z.object({
  duration: z.enum(["1d", "7d", "forever"]),
  note: z.string().trim().max(500).optional().default(""),
});
const ReportsQuery = z.object({
  status: z.enum(["open", "dismissed", "actioned"]).default("open"),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const REPORT_ID = /^[A-Za-z0-9_-]{1,100}$/;

type Method = "GET" | "POST";
interface Ctx {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly params: readonly string[];
}
interface Route {
  readonly method: Method;
  readonly pattern: RegExp;
  /** Needs a signed-in moderator. */
  readonly auth: boolean;
  readonly run: (ctx: Ctx) => Promise<void>;
}

export function adminRoutes(deps: AdminDeps): HttpHandler {
  const { repo, logger, clock } = deps;
  const password = deps.adminPassword;
  const sessions: AdminSessionStore =
    deps.sessions !== undefined && "touch" in deps.sessions
      ? deps.sessions
      : new AdminSessions(deps.sessions);

  if (password === undefined || password === "") {
    logger.warn(
      { area: "admin" },
      "admin is disabled: set ADMIN_PASSWORD (at least 12 characters) and restart to enable /admin",
    );
    return async (_req, res, url) => {
      if (!isAdminPath(url.pathname)) return false;
      sendJson(res, 503, {
        error: "admin_disabled",
        message: ADMIN_DISABLED_MESSAGE,
        enabled: false,
        signedIn: false,
      });
      return true;
    };
  }

  const signedIn = async (req: IncomingMessage): Promise<boolean> =>
    sessions.touch(adminCookieValue(req.headers.cookie), clock.now());

  const reportView = (r: Report, bans: ReadonlyMap<string, Ban>): ReportView => {
    const ban = r.reported === null ? undefined : bans.get(r.reported);
    return {
      id: r.id,
      space: r.space,
      at: r.at,
      reason: r.reason,
      note: r.note,
      status: r.status,
      resolvedAt: r.resolvedAt,
      transcript: r.transcript
        ? r.transcript.map((l) => ({ from: l.from, text: l.text, at: l.at }))
        : null,
      reportedRef: r.reported === null ? null : tokenRef(r.reported),
      reporterRef: r.reporter === null ? null : tokenRef(r.reporter),
      reportedBanned: ban !== undefined,
      reportedBanUntil: ban?.until ?? null,
    };
  };
  const banView = (b: Ban): BanView => ({
    ref: tokenRef(b.token),
    at: b.at,
    until: b.until,
    note: b.note,
    reportId: b.reportId,
  });
  const bansByToken = async (): Promise<Map<string, Ban>> =>
    new Map((await repo.listBans(clock.now())).map((b) => [b.token, b]));

  const reportId = (ctx: Ctx): string | undefined => {
    const id = safeDecode(ctx.params[0]);
    return id !== undefined && REPORT_ID.test(id) ? id : undefined;
  };

  const routes: Route[] = [
    {
      method: "GET",
      pattern: /^\/session$/,
      auth: false,
      run: async ({ req, res }) =>
        sendJson(res, 200, { enabled: true, signedIn: await signedIn(req) }),
    },
    {
      method: "POST",
      pattern: /^\/login$/,
      auth: false,
      run: async ({ req, res }) => {
        const body = LoginBody.safeParse(await readJson(req));
        if (!body.success) return sendJson(res, 400, { error: "bad_request" });
        const ipHash = deps.ipHash(req);
        const limited = deps.loginThrottle.check(ipHash);
        if (!limited.ok) {
          logger.warn({ area: "admin" }, "admin sign-in limited");
          return sendLimited(res, limited.retryAfterMs);
        }
        if (!passwordMatches(body.data.password, password)) {
          deps.loginThrottle.failed(ipHash);
          logger.warn({ area: "admin" }, "admin sign-in with a wrong password");
          return sendJson(res, 401, { error: "wrong_password" });
        }
        await sessions.end(adminCookieValue(req.headers.cookie));
        const id = await sessions.create(clock.now());
        res.setHeader(
          "set-cookie",
          adminCookie(id, {
            secure: isSecureRequest(req, deps.trustProxy),
            maxAgeMs: sessions.maxAgeMs,
          }),
        );
        logger.info({ area: "admin" }, "moderator signed in");
        sendJson(res, 200, { signedIn: true });
      },
    },
    {
      method: "POST",
      pattern: /^\/logout$/,
      auth: false,
      run: async ({ req, res }) => {
        await readJson(req);
        await sessions.end(adminCookieValue(req.headers.cookie));
        res.setHeader("set-cookie", clearedAdminCookie(isSecureRequest(req, deps.trustProxy)));
        sendJson(res, 200, { signedIn: false });
      },
    },
    {
      method: "GET",
      pattern: /^\/reports$/,
      auth: true,
      run: async ({ res, url }) => {
        const query = ReportsQuery.safeParse(
          Object.fromEntries(
            ["status", "limit"].flatMap((k) => {
              const v = url.searchParams.get(k);
              return v === null || v === "" ? [] : [[k, v]];
            }),
          ),
        );
        if (!query.success) return sendJson(res, 400, { error: "bad_request" });
        const [reports, bans] = await Promise.all([
          repo.listReports({ status: query.data.status, limit: query.data.limit }),
          bansByToken(),
        ]);
        sendJson(res, 200, { reports: reports.map((r) => reportView(r, bans)) });
      },
    },
    {
      method: "POST",
      pattern: /^\/reports\/([^/]+)\/dismiss$/,
      auth: true,
      run: async (ctx) => {
        const { req, res } = ctx;
        await readJson(req);
        const id = reportId(ctx);
        const report = id === undefined ? undefined : await repo.getReport(id);
        if (id === undefined || !report) return sendJson(res, 404, { error: "no_such_report" });
        const done = await repo.resolveReport(id, "dismissed", clock.now());
        if (!done) return sendJson(res, 409, { error: "already_resolved", status: report.status });
        logger.info({ area: "admin", reportId: id }, "report dismissed");
        const after = (await repo.getReport(id)) ?? report;
        sendJson(res, 200, { report: reportView(after, await bansByToken()) });
      },
    },
    {
      method: "POST",
      pattern: /^\/reports\/([^/]+)\/ban$/,
      auth: true,
      run: async (ctx) => {
        const { req, res } = ctx;
        const body = BanBody.safeParse(await readJson(req));
        if (!body.success) return sendJson(res, 400, { error: "bad_request" });
        const id = reportId(ctx);
        const report = id === undefined ? undefined : await repo.getReport(id);
        if (id === undefined || !report) return sendJson(res, 404, { error: "no_such_report" });
        if (report.reported === null) {
          return sendJson(res, 400, {
            error: "no_token",
            message: "This report names no one who can be banned (the space keeps no identity).",
          });
        }
        const now = clock.now();
        const span = BAN_DURATIONS[body.data.duration];
        const ban = await repo.ban({
          token: report.reported,
          at: now,
          until: span === null ? null : now + span,
          note: body.data.note,
          reportId: id,
        });
        await repo.resolveReport(id, "actioned", now);
        logger.info(
          { area: "admin", reportId: id, duration: body.data.duration },
          "reported person banned",
        );
        try {
          await deps.onBanned(report.reported, ban);
        } catch (err) {
          logger.error({ area: "admin", err: errorName(err) }, "acting on a new ban failed");
        }
        const after = (await repo.getReport(id)) ?? report;
        const bans = await bansByToken();
        sendJson(res, 200, { ban: banView(ban), report: reportView(after, bans) });
      },
    },
    {
      method: "GET",
      pattern: /^\/bans$/,
      auth: true,
      run: async ({ res }) => {
        const bans = await repo.listBans(clock.now());
        sendJson(res, 200, { bans: bans.map(banView) });
      },
    },
    {
      method: "POST",
      pattern: /^\/bans\/([^/]+)\/unban$/,
      auth: true,
      run: async ({ req, res, params }) => {
        await readJson(req);
        const ref = safeDecode(params[0]);
        if (ref === undefined || !REF_PATTERN.test(ref)) {
          return sendJson(res, 404, { error: "no_such_ban" });
        }
        const ban = (await repo.listBans(clock.now())).find((b) => tokenRef(b.token) === ref);
        if (!ban || !(await repo.unban(ban.token))) {
          return sendJson(res, 404, { error: "no_such_ban" });
        }
        logger.info({ area: "admin" }, "ban lifted");
        try {
          await deps.onUnbanned?.(ban.token);
        } catch (err) {
          logger.error({ area: "admin", err: errorName(err) }, "acting on a lifted ban failed");
        }
        sendJson(res, 200, { unbanned: ref });
      },
    },
    {
      method: "GET",
      pattern: /^\/health$/,
      auth: true,
      run: async ({ res }) => sendJson(res, 200, await deps.health()),
    },
  ];

  return async (req, res, url) => {
    if (!isAdminPath(url.pathname)) return false;
    res.setHeader("x-content-type-options", "nosniff");
    const rest = url.pathname.slice(ADMIN_PREFIX.length);
    const matching = routes.filter((r) => r.pattern.test(rest));
    if (matching.length === 0) {
      sendJson(res, 404, { error: "not_found" });
      return true;
    }
    const route = matching.find((r) => r.method === req.method);
    if (!route) {
      res.setHeader("allow", [...new Set(matching.map((r) => r.method))].join(", "));
      sendJson(res, 405, { error: "method_not_allowed" });
      return true;
    }
    if (route.method === "POST") {
      const verdict = checkStateChanging(req, deps.trustProxy);
      if (!verdict.ok) {
        logger.debug({ area: "admin", refused: verdict.error }, "refused an admin request");
        req.resume();
        sendJson(res, verdict.status, { error: verdict.error });
        return true;
      }
    }
    if (route.auth && !(await signedIn(req))) {
      req.resume();
      sendJson(res, 401, { error: "signed_out" });
      return true;
    }
    try {
      const params = route.pattern.exec(rest)?.slice(1) ?? [];
      await route.run({ req, res, url, params });
    } catch (err) {
      logger.error({ area: "admin", err: errorName(err) }, "admin route failed");
      if (!res.headersSent) sendJson(res, 500, { error: "internal" });
      else res.end();
    }
    return true;
  };
}

function isAdminPath(pathname: string): boolean {
  return pathname === ADMIN_PREFIX || pathname.startsWith(`${ADMIN_PREFIX}/`);
}

function sendLimited(res: ServerResponse, retryAfterMs: number): void {
  res.setHeader("retry-after", String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  sendJson(res, 429, { error: "rate_limited", retryAfterMs });
}

function safeDecode(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * What a log line may say about an error: its name and code, never its message (a database
 * error's message can quote the values it was given, tokens among them).
 */
function errorName(err: unknown): string {
  if (!(err instanceof Error)) return "unknown";
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? `${err.name} (${code})` : err.name;
}
