/**
 * The user token of SPEC §6: a random 128-bit id and its issue time, signed with HMAC-SHA256 under
 * the server's token secret. It lives only in an httpOnly, SameSite=Strict cookie; it is never
 * sent in an event, logged or shown to anyone.
 *
 * Cookie value: `v1.<id>.<issuedAt>.<sig>` where
 * - `id` is 16 random bytes, base64url (22 characters),
 * - `issuedAt` is the issue time in milliseconds since the epoch, base36, no leading zeros,
 * - `sig` is HMAC-SHA256(secret, "v1.<id>.<issuedAt>"), base64url (43 characters).
 *
 * Verification compares the signature as text (not as decoded bytes), so every single-character
 * change of a valid value fails, including the unused low bits of the last base64url character.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { parseCookie, stringifySetCookie } from "cookie";

export const TOKEN_COOKIE = "duet_token";

const VERSION = "v1";
/** A token issued up to this far in the future (another server's clock) is still accepted. */
export const TOKEN_CLOCK_SKEW_MS = 5 * 60_000;
/** Longer cookie values are refused before any parsing. A real one is 78 characters. */
const MAX_COOKIE_VALUE_LENGTH = 128;

const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
const ISSUED_AT_PATTERN = /^[1-9a-z][0-9a-z]{0,10}$/;
const SIG_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface IssuedToken {
  /** The token id: what the server keys bans, trust and reports on. */
  readonly id: string;
  /** The signed value for the cookie. */
  readonly cookieValue: string;
}

export interface VerifiedToken {
  readonly id: string;
  /** Issue time, milliseconds since the epoch. */
  readonly issuedAt: number;
}

function sign(secret: Buffer, body: string): string {
  return createHmac("sha256", secret).update(body, "utf8").digest("base64url");
}

export function issueToken(secret: Buffer, now: number): IssuedToken {
  const id = randomBytes(16).toString("base64url");
  const body = `${VERSION}.${id}.${Math.floor(now).toString(36)}`;
  return { id, cookieValue: `${body}.${sign(secret, body)}` };
}

/**
 * The token a cookie value holds, or undefined when it is malformed, signed under another
 * secret, tampered with, expired (`now >= issuedAt + lifetimeMs`) or issued in the future beyond
 * TOKEN_CLOCK_SKEW_MS. Never throws.
 */
export function verifyToken(
  secret: Buffer,
  cookieValue: unknown,
  now: number,
  lifetimeMs: number,
): VerifiedToken | undefined {
  try {
    if (typeof cookieValue !== "string" || cookieValue.length > MAX_COOKIE_VALUE_LENGTH) {
      return undefined;
    }
    const parts = cookieValue.split(".");
    if (parts.length !== 4) return undefined;
    const [version, id, issuedAtText, sig] = parts as [string, string, string, string];
    if (
      version !== VERSION ||
      !ID_PATTERN.test(id) ||
      !ISSUED_AT_PATTERN.test(issuedAtText) ||
      !SIG_PATTERN.test(sig)
    ) {
      return undefined;
    }
    const expected = Buffer.from(sign(secret, `${version}.${id}.${issuedAtText}`), "ascii");
    const given = Buffer.from(sig, "ascii");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const issuedAt = Number.parseInt(issuedAtText, 36);
    if (!Number.isSafeInteger(issuedAt)) return undefined;
    if (issuedAt > now + TOKEN_CLOCK_SKEW_MS) return undefined;
    if (now >= issuedAt + lifetimeMs) return undefined;
    return { id, issuedAt };
  } catch {
    return undefined;
  }
}

export interface TokenCookieOptions {
  /** Adds `Secure`: the request came over HTTPS (directly or through a trusted proxy). */
  readonly secure: boolean;
  readonly maxAgeMs: number;
}

/** The Set-Cookie header value carrying a token. */
export function tokenCookie(value: string, options: TokenCookieOptions): string {
  return stringifySetCookie({
    name: TOKEN_COOKIE,
    value,
    httpOnly: true,
    sameSite: "strict",
    path: "/",
    maxAge: Math.max(0, Math.floor(options.maxAgeMs / 1000)),
    secure: options.secure,
  });
}

/**
 * The verified token a request's (or Socket.IO handshake's) headers carry, if any. A missing,
 * forged, tampered or expired cookie all read as no token.
 */
export function tokenFromHeaders(
  headers: { readonly cookie?: string | undefined },
  secret: Buffer,
  now: number,
  lifetimeMs: number,
): VerifiedToken | undefined {
  const value = readTokenCookie(headers.cookie);
  return value === undefined ? undefined : verifyToken(secret, value, now, lifetimeMs);
}

/** The raw token cookie value from a Cookie header, if any. Never throws; does not verify. */
export function readTokenCookie(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  try {
    return parseCookie(cookieHeader)[TOKEN_COOKIE] || undefined;
  } catch {
    return undefined;
  }
}
