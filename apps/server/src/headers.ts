/**
 * Security headers on every HTTP response of the process (issue 15): the web app's pages, its
 * static files, error pages, Duet's JSON routes, /healthz, /readyz, /metrics and the 400 for a bad
 * request target. Set in the request listener (server.ts) before anything else answers, so no
 * handler can forget them. (Socket.IO's own long-polling responses are answered by Engine.IO
 * before this listener runs; they are not documents.)
 *
 * Content-Security-Policy. Pages get a nonce: a fresh random value per request, allowed in
 * `script-src` with 'strict-dynamic' (scripts those scripts load are trusted, nothing else is; no
 * inline script runs without the nonce). Next.js reads the policy from the REQUEST's
 * `Content-Security-Policy` header and puts its nonce on every script it renders (its bootstrap,
 * its inline flight data, its chunks). Next's documented way is a `proxy.ts` that sets that
 * request header; this custom server sets it itself, on the request it hands to Next, which has
 * the same effect without a second request pipeline, and covers responses Next never sees. The
 * pages render per request for it (apps/web/app/layout.tsx: `dynamic = "force-dynamic"`), since a
 * page rendered at build time cannot carry a per-request nonce.
 *
 * Styles keep 'unsafe-inline' (React style attributes; a nonce cannot cover attributes, and a
 * nonce in style-src would switch 'unsafe-inline' off): CSS cannot run script.
 *
 * Permissions-Policy. Camera and microphone only on dormparty's pages (`/dormparty`) and the
 * room pages (`/room/...`, shared by all spaces: a dormparty room is one of them); every other
 * page denies them. The policy belongs to the document the browser loaded, and a client-side
 * navigation keeps that document, so the landing page links to dormparty with a full page load
 * (apps/web/components/LandingSpaces.tsx).
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/** Paths (exactly, or with `/…` after) whose documents may use the camera and microphone. */
const MEDIA_PATHS = ["/dormparty", "/room"] as const;

// Only features every current Chromium recognizes: an unknown name is logged as a console error.
const DENIED_FEATURES = ["display-capture", "geolocation", "payment", "usb"].map((f) => `${f}=()`);

export const PERMISSIONS_DENY_MEDIA = ["camera=()", "microphone=()", ...DENIED_FEATURES].join(", ");
export const PERMISSIONS_ALLOW_MEDIA = [
  "camera=(self)",
  "microphone=(self)",
  ...DENIED_FEATURES,
].join(", ");

/** Whether documents at this path may use the camera and microphone. */
export function mayUseMedia(pathname: string): boolean {
  return MEDIA_PATHS.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

/** A fresh nonce: 16 random bytes, base64 (CSP's nonce-source). */
export function newNonce(): string {
  return randomBytes(16).toString("base64");
}

/** The policy of a page rendered by the web app, with this request's nonce. */
export function pagePolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    // Same-origin Socket.IO (WebSocket included: CSP3 'self' matches ws:/wss: on the same host).
    "connect-src 'self'",
    "media-src 'self' blob: mediastream:",
    // The proof-of-work Web Worker is a same-origin module.
    "worker-src 'self' blob:",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The policy of everything that is not a page Duet renders: nothing may run or load. */
export const NON_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/**
 * The policy of the web app's own files (`/_next/...`). A Web Worker runs under the policy of its
 * script's response, and the proof-of-work worker's bundle loads its other chunks from this
 * origin: under NON_PAGE_POLICY it could not, and the solving fell back to the page's main thread
 * (measured: passes slow enough on a busy machine that dormparty's Start stayed disabled).
 */
export const ASSET_POLICY =
  "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/**
 * Sets the headers every response carries. Returns the nonce when the request may be a page the
 * web app renders (then its request carries the page policy for Next to read), else undefined.
 * `pathname` is undefined when the request target could not be parsed.
 */
export function applySecurityHeaders(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string | undefined,
  options: { kind: "page" | "asset" | "other" },
): string | undefined {
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("X-Frame-Options", "DENY");
  res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
  res.setHeader("Cross-Origin-Resource-Policy", "same-origin");
  res.setHeader(
    "Permissions-Policy",
    pathname !== undefined && mayUseMedia(pathname)
      ? PERMISSIONS_ALLOW_MEDIA
      : PERMISSIONS_DENY_MEDIA,
  );
  if (options.kind !== "page") {
    res.setHeader(
      "Content-Security-Policy",
      options.kind === "asset" ? ASSET_POLICY : NON_PAGE_POLICY,
    );
    return undefined;
  }
  const nonce = newNonce();
  const policy = pagePolicy(nonce);
  res.setHeader("Content-Security-Policy", policy);
  // For Next.js: it takes the nonce from the request's policy (see the header comment). Any
  // policy the client sent is replaced, so a client cannot choose the nonce.
  req.headers["content-security-policy"] = policy;
  delete req.headers["content-security-policy-report-only"];
  return nonce;
}
