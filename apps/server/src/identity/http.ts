/**
 * Token issuance over HTTP (SPEC §6):
 *
 * - `GET /api/token` → `{ hasToken }`: whether the request's cookie holds a valid token (scripts
 *   cannot see the httpOnly cookie).
 * - `GET /api/token/challenge` → an altcha challenge (limit `challenge`, per IP hash).
 * - `POST /api/token` with `{ "payload": "<altcha payload>" }` → 204 and Set-Cookie: the proof of
 *   work is verified (once), then limit `tokenIssue` is spent for the IP hash, then a token is
 *   issued. Refusals: 400 malformed, 403 cross-site or failed proof of work, 415 not JSON,
 *   429 limited (`Retry-After` in seconds, `{ retryAfterMs }`).
 *
 * The POST must be JSON (a cross-site form cannot send that without a CORS preflight) and, when
 * the browser says where it came from (Origin, Sec-Fetch-Site), same-origin.
 *
 * Never logs the IP, the token or the cookie.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type HttpHandler,
  isJson,
  isSameOrigin,
  isSecureRequest,
  type LimitResult,
  readJson,
  sendJson,
} from "../http";
import { type Clock, clientIp, type IpHasher, type Limits } from "../limits";
import type { Logger } from "../logger";
import {
  checkPow,
  createPowChallenge,
  DEFAULT_POW_TTL_MS,
  powHmacKey,
  type SpentChallengeStore,
  SpentChallenges,
} from "./pow";
import { issueToken, tokenCookie, tokenFromHeaders } from "./token";

export const TOKEN_PATH = "/api/token";
export const CHALLENGE_PATH = "/api/token/challenge";

export interface TokenRoutesDeps {
  readonly secret: Buffer;
  readonly lifetimeMs: number;
  /** altcha maxNumber (config powMaxNumber). */
  readonly maxNumber: number;
  readonly limits: Limits;
  readonly ipHasher: IpHasher;
  readonly trustProxy: boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long a challenge stays solvable; DEFAULT_POW_TTL_MS. */
  readonly powTtlMs?: number;
  /** Spent-challenge memory; by default one per tokenRoutes instance. */
  readonly spent?: SpentChallengeStore;
}

export function tokenRoutes(deps: TokenRoutesDeps): HttpHandler {
  const hmacKey = powHmacKey(deps.secret);
  const spent = deps.spent ?? new SpentChallenges();
  const ttlMs = deps.powTtlMs ?? DEFAULT_POW_TTL_MS;
  const ipHashOf = (req: IncomingMessage): string =>
    deps.ipHasher.hash(clientIp(req, deps.trustProxy));

  async function hasToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = tokenFromHeaders(req.headers, deps.secret, deps.clock.now(), deps.lifetimeMs);
    sendJson(res, 200, { hasToken: token !== undefined });
  }

  async function challenge(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const limited = await deps.limits.consume("challenge", { ipHash: ipHashOf(req) });
    if (!limited.ok) return sendLimited(res, limited);
    const body = await createPowChallenge({
      hmacKey,
      maxNumber: deps.maxNumber,
      ttlMs,
      now: deps.clock.now(),
    });
    sendJson(res, 200, body);
  }

  async function issue(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isSameOrigin(req, deps.trustProxy)) {
      deps.logger.debug({ route: "token" }, "refused a cross-site token request");
      return sendJson(res, 403, { error: "cross_site" });
    }
    if (!isJson(req)) return sendJson(res, 415, { error: "expected_json" });
    const body = await readJson(req, 8192);
    const payload =
      typeof body === "object" && body !== null && "payload" in body ? body.payload : undefined;
    if (typeof payload !== "string") return sendJson(res, 400, { error: "bad_payload" });

    const verdict = await checkPow(payload, hmacKey, deps.clock.now(), spent);
    if (verdict === "malformed") return sendJson(res, 400, { error: "bad_payload" });
    if (verdict !== "ok") {
      deps.logger.debug({ route: "token", verdict }, "refused a proof of work");
      return sendJson(res, 403, { error: "pow_failed" });
    }

    const limited = await deps.limits.consume("tokenIssue", { ipHash: ipHashOf(req) });
    if (!limited.ok) return sendLimited(res, limited);

    const token = issueToken(deps.secret, deps.clock.now());
    res
      .writeHead(204, {
        "set-cookie": tokenCookie(token.cookieValue, {
          secure: isSecureRequest(req, deps.trustProxy),
          maxAgeMs: deps.lifetimeMs,
        }),
        "cache-control": "no-store",
      })
      .end();
    deps.logger.debug({ route: "token" }, "issued a token");
  }

  type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  const routes = new Map<string, { GET?: Route; POST?: Route }>([
    [TOKEN_PATH, { GET: hasToken, POST: issue }],
    [CHALLENGE_PATH, { GET: challenge }],
  ]);

  return async (req, res, url) => {
    const route = routes.get(url.pathname);
    if (!route) return false;
    const handler =
      req.method === "GET" ? route.GET : req.method === "POST" ? route.POST : undefined;
    if (!handler) {
      res.setHeader("allow", Object.keys(route).join(", "));
      sendJson(res, 405, { error: "method_not_allowed" });
      return true;
    }
    try {
      await handler(req, res);
    } catch (err) {
      deps.logger.error(
        { route: "token", err: err instanceof Error ? err.message : String(err) },
        "token route failed",
      );
      if (!res.headersSent) sendJson(res, 500, { error: "internal" });
      else res.end();
    }
    return true;
  };
}

function sendLimited(res: ServerResponse, limited: LimitResult & { ok: false }): void {
  res.setHeader("retry-after", String(Math.max(1, Math.ceil(limited.retryAfterMs / 1000))));
  sendJson(res, 429, { error: "rate_limited", retryAfterMs: limited.retryAfterMs });
}
