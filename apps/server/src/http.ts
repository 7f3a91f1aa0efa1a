/**
 * The small HTTP seam Duet's own endpoints share (token issuance, admin API, metrics). Each area
 * exports an HttpHandler; app.ts chains them before Next.js (main.ts) or a 404 (tests), so the
 * integration tests exercise the very same routes as production.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** Handles the request and returns true, or returns false to let the next handler try. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

/** The outcome of consuming one point of a rate limit. */
export type LimitResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly retryAfterMs: number };

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
    })
    .end(JSON.stringify(body));
}

/** Reads a JSON body of at most `maxBytes`; undefined when it is too large or not JSON. */
export async function readJson(req: IncomingMessage, maxBytes = 4096): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBytes) return undefined;
    chunks.push(buf);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return undefined;
  }
}

/** The first value of a header (comma lists and repeats: the first one). */
export function firstHeader(value: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(value) ? value[0] : value;
  const first = joined?.split(",")[0]?.trim();
  return first ? first : undefined;
}

/** The request says its body is JSON. */
export function isJson(req: IncomingMessage): boolean {
  const type = req.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  return type === "application/json";
}

/** Over TLS here, or (behind a trusted proxy) over HTTPS at the proxy: the cookie gets `Secure`. */
export function isSecureRequest(req: IncomingMessage, trustProxy: boolean): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted === true) return true;
  return trustProxy && firstHeader(req.headers["x-forwarded-proto"])?.toLowerCase() === "https";
}

/**
 * False when the browser says the request comes from another site: Sec-Fetch-Site is cross-site
 * or same-site, or Origin is present and names another host than the one requested (Host, or
 * X-Forwarded-Host behind a trusted proxy). Requests without either header (non-browser clients)
 * pass; they carry no ambient cookies to abuse.
 */
export function isSameOrigin(req: IncomingMessage, trustProxy: boolean): boolean {
  const site = firstHeader(req.headers["sec-fetch-site"])?.toLowerCase();
  if (site === "cross-site" || site === "same-site") return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const host = (trustProxy && firstHeader(req.headers["x-forwarded-host"])) || req.headers.host;
  if (!host) return false;
  try {
    const o = new URL(origin);
    if (o.protocol !== "http:" && o.protocol !== "https:") return false;
    return o.host === new URL(`${o.protocol}//${host}`).host;
  } catch {
    return false;
  }
}
