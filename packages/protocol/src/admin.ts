/**
 * The answers of the moderators' JSON API under `/api/admin/` (apps/server/src/admin/routes.ts),
 * shared by the server that sends them and the admin page that reads them
 * (apps/web/components/admin/api.ts), so the two cannot drift apart. Types only: the admin API
 * is same-origin and cookie-authenticated, and its answers come from our own server.
 */
import type { ReportReason, SpaceId } from "./index";

export type ReportStatus = "open" | "dismissed" | "actioned";

/** How long a ban from a report lasts. */
export type BanDuration = "1d" | "7d" | "forever";

export interface TranscriptLine {
  readonly from: "reporter" | "reported";
  readonly text: string;
  readonly at: number;
}

/** A report as moderators see it: no token, only references. */
export interface ReportView {
  readonly id: string;
  readonly space: SpaceId;
  readonly at: number;
  readonly reason: ReportReason;
  readonly note: string | null;
  readonly status: ReportStatus;
  readonly resolvedAt: number | null;
  readonly transcript: readonly TranscriptLine[] | null;
  /** The reported person's reference; null when the space has no identity (menti). */
  readonly reportedRef: string | null;
  readonly reporterRef: string | null;
  /** Whether the reported person has a ban in force now, and until when (null = for good). */
  readonly reportedBanned: boolean;
  readonly reportedBanUntil: number | null;
}

export interface BanView {
  readonly ref: string;
  readonly at: number;
  readonly until: number | null;
  readonly note: string;
  readonly reportId: string | null;
}

/** One space's live figures (`GET /api/admin/health`). */
export interface SpaceHealth {
  readonly space: SpaceId;
  /** Users per state right now (IDLE users belong to no space). */
  readonly users: {
    readonly waiting: number;
    readonly matched: number;
    readonly active: number;
    readonly ended: number;
  };
  /** Open sessions right now. */
  readonly sessions: number;
  /** Matches made in the last minute. */
  readonly matchesLastMinute: number;
  /** Median and 95th percentile wait (join to match) over the window; null with no sample. */
  readonly waitP50Ms: number | null;
  readonly waitP95Ms: number | null;
  /** How many waits the percentiles were taken over. */
  readonly waitSamples: number;
  /** Reports filed in the last hour. */
  readonly reportsLastHour: number;
  /** Since the answering process started (its Prometheus counters). */
  readonly matchesTotal: number;
  readonly reportsTotal: number;
}

export interface HealthSnapshot {
  /** When the snapshot was taken (ms since the epoch). */
  readonly at: number;
  /** The window wait percentiles are taken over. */
  readonly waitWindowMs: number;
  /** One entry per enabled space, in configuration order. */
  readonly spaces: readonly SpaceHealth[];
}
