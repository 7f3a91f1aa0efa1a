/**
 * The admin page's calls to the server's `/api/admin/` JSON API (apps/server/src/admin/routes.ts).
 * Every POST is JSON and carries `x-duet-admin: 1`, which the server requires of every
 * state-changing request (a cross-site page cannot send it without a CORS preflight).
 * The answers' shapes come from packages/protocol (shared with the server that sends them).
 */
import type {
  BanDuration,
  BanView,
  HealthSnapshot,
  ReportStatus,
  ReportView,
} from "@duet/protocol";

export type {
  BanDuration,
  BanView,
  HealthSnapshot,
  ReportStatus,
  ReportView,
  SpaceHealth,
  TranscriptLine,
} from "@duet/protocol";

/** An answer: the data, or why not (status 0: the server could not be reached). */
export type ApiResult<T> =
  | { readonly ok: true; readonly status: number; readonly data: T }
  | {
      readonly ok: false;
      readonly status: number;
      readonly error: string;
      readonly message?: string;
      readonly retryAfterMs?: number;
    };

const BASE = "/api/admin";

async function call<T>(
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<ApiResult<T>> {
  let res: Response;
  try {
    res = await fetch(`${BASE}${path}`, {
      method,
      credentials: "same-origin",
      cache: "no-store",
      headers:
        method === "POST"
          ? { "content-type": "application/json", "x-duet-admin": "1" }
          : { accept: "application/json" },
      ...(method === "POST" ? { body: JSON.stringify(body ?? {}) } : {}),
    });
  } catch {
    return { ok: false, status: 0, error: "unreachable" };
  }
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    json = undefined;
  }
  if (res.ok) return { ok: true, status: res.status, data: json as T };
  const o = typeof json === "object" && json !== null ? (json as Record<string, unknown>) : {};
  return {
    ok: false,
    status: res.status,
    error: typeof o.error === "string" ? o.error : `http_${res.status}`,
    ...(typeof o.message === "string" ? { message: o.message } : {}),
    ...(typeof o.retryAfterMs === "number" ? { retryAfterMs: o.retryAfterMs } : {}),
  };
}

export const adminApi = {
  session: () => call<{ enabled: boolean; signedIn: boolean }>("GET", "/session"),
  login: (password: string) => call<{ signedIn: true }>("POST", "/login", { password }),
  logout: () => call<{ signedIn: false }>("POST", "/logout"),
  reports: (status: ReportStatus) =>
    call<{ reports: ReportView[] }>("GET", `/reports?status=${encodeURIComponent(status)}`),
  dismiss: (id: string) =>
    call<{ report: ReportView }>("POST", `/reports/${encodeURIComponent(id)}/dismiss`),
  ban: (id: string, duration: BanDuration, note: string) =>
    call<{ ban: BanView; report: ReportView }>("POST", `/reports/${encodeURIComponent(id)}/ban`, {
      duration,
      note,
    }),
  bans: () => call<{ bans: BanView[] }>("GET", "/bans"),
  unban: (ref: string) =>
    call<{ unbanned: string }>("POST", `/bans/${encodeURIComponent(ref)}/unban`),
  health: () => call<HealthSnapshot>("GET", "/health"),
};

/** What to say when a call failed for a reason the caller does not handle itself. */
export function failureText(result: { status: number; message?: string }): string {
  if (result.status === 0)
    return "Could not reach the server. Check your connection and try again.";
  if (result.message) return result.message;
  return "Something went wrong on the server. Please try again.";
}
