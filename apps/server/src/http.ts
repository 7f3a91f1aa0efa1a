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
