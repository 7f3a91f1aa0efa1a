/**
 * Request checks of the admin API: cross-site protection for state-changing requests, HTTPS
 * detection for the cookie's `Secure`, the session cookie, and the constant-time password check.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { firstHeader, isJson, isSameOrigin } from "../http";

/** The header every state-changing admin request carries; a cross-site page cannot send it
 * without a CORS preflight, which this server never grants. */
export const ADMIN_HEADER = "x-duet-admin";

export type CrossSiteVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 403 | 415; readonly error: string };

/**
 * A POST is accepted only when it is JSON, carries `x-duet-admin: 1`, and the browser does not
 * say it comes from elsewhere (Sec-Fetch-Site cross-site/same-site, or an Origin naming another
 * host than the one requested). With the SameSite=Strict cookie, that is four locks.
 */
export function checkStateChanging(req: IncomingMessage, trustProxy: boolean): CrossSiteVerdict {
  if (!isSameOrigin(req, trustProxy)) return { ok: false, status: 403, error: "cross_site" };
  if (firstHeader(req.headers[ADMIN_HEADER]) !== "1") {
    return { ok: false, status: 403, error: "missing_admin_header" };
  }
  if (!isJson(req)) return { ok: false, status: 415, error: "expected_json" };
  return { ok: true };
}

export const ADMIN_COOKIE = "duet_admin";
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** The admin session id in the Cookie header, if it has the right shape. */
export function adminCookieValue(header: string | undefined): string | undefined {
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== ADMIN_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    if (SESSION_ID.test(value)) return value;
  }
  return undefined;
}

export function adminCookie(value: string, options: { secure: boolean; maxAgeMs: number }): string {
  return [
    `${ADMIN_COOKIE}=${value}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Strict",
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeMs / 1000))}`,
    ...(options.secure ? ["Secure"] : []),
  ].join("; ");
}

export function clearedAdminCookie(secure: boolean): string {
  return adminCookie("", { secure, maxAgeMs: 0 });
}

/** Compares a password with the configured one in constant time (over fixed-length digests). */
export function passwordMatches(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}
