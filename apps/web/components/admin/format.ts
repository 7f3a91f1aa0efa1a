/** Words and numbers of the admin page. */
import type { ReportReason, SpaceId } from "@duet/protocol";
import { SPACE_COPY } from "../../lib/copy";
import type { BanDuration } from "./api";

export const ADMIN_COPY = {
  title: "Moderation",
  disabled:
    "Admin is disabled on this server: set ADMIN_PASSWORD in the server's environment (at least 12 characters) and restart it.",
  signInLead: "Sign in with the admin password set for this server.",
  wrongPassword: "That password is not right.",
  signedOut: "You have signed out.",
  sessionEnded: "Your session has ended. Sign in again to continue.",
} as const;

export const REASON_LABELS: Record<ReportReason, string> = {
  harassment: "Harassment",
  sexual: "Sexual content",
  hate: "Hate",
  spam: "Spam",
  minor: "May be under 18",
  other: "Something else",
};

export function reasonLabel(reason: string): string {
  return (REASON_LABELS as Record<string, string>)[reason] ?? reason;
}

/** The space's title ("Late-night chat"), or its id for a space this client has no copy for. */
export function spaceTitle(space: SpaceId): string {
  return SPACE_COPY[space]?.title ?? space;
}

export function spaceLabel(space: SpaceId): string {
  const title = SPACE_COPY[space]?.title;
  return title ? `${title} (${space})` : space;
}

export const BAN_LABELS: Record<BanDuration, { button: string; done: string }> = {
  "1d": { button: "Ban 1 day", done: "Banned for 1 day." },
  "7d": { button: "Ban 7 days", done: "Banned for 7 days." },
  forever: { button: "Ban for good", done: "Banned for good." },
};

export const BAN_ORDER: readonly BanDuration[] = ["1d", "7d", "forever"];

export function tooManyAttemptsText(retryAfterMs: number | undefined): string {
  const minutes = Math.max(1, Math.ceil((retryAfterMs ?? 60_000) / 60_000));
  return `Too many attempts — try again in ${minutes} ${minutes === 1 ? "minute" : "minutes"}.`;
}

/**
 * The formatters are made on first use, not when this module loads: a browser's first
 * `Intl.DateTimeFormat` loads its locale data, about 60 ms of the main thread on this machine
 * (240 ms under Lighthouse's 4× slowdown: the largest single piece of /admin's load, measured
 * 2026-12-06), and the signed-out page shows no date at all.
 */
let dateTime: Intl.DateTimeFormat | undefined;
let timeOnly: Intl.DateTimeFormat | undefined;

export function formatDateTime(ms: number): string {
  dateTime ??= new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  return dateTime.format(ms);
}

export function formatTime(ms: number): string {
  timeOnly ??= new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });
  return timeOnly.format(ms);
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** A wait: "—" without data, "under 1 s", "42 s", "3 min 5 s" (a number never parts from its unit). */
export function formatWait(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return "under 1\u00a0s";
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}\u00a0s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return rest === 0 ? `${minutes}\u00a0min` : `${minutes}\u00a0min ${rest}\u00a0s`;
}

export function banUntilText(until: number | null): string {
  return until === null ? "for good" : `until ${formatDateTime(until)}`;
}
