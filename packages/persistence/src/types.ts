/**
 * What Duet keeps on disk, and the one interface through which the server reads and writes it.
 *
 * Only safety records live here (SPEC §6): reports, bans, trust scores and blocked pairs. Nothing
 * about an unreported conversation is ever written. "Token" below always means the token's random
 * id (the part before the signature): without the server's secret it cannot be turned back into a
 * working cookie, so a leaked database does not let anyone act as a user.
 *
 * Times are milliseconds since the epoch (numbers), as everywhere else in Duet.
 */
import type { ReportReason, SpaceId } from "@duet/protocol";

export { REPORT_REASONS, type ReportReason } from "@duet/protocol";

/** One line of a kept transcript, as the moderator reads it. Never media. */
export interface TranscriptLine {
  readonly from: "reporter" | "reported";
  readonly text: string;
  /** Server time the message was relayed. */
  readonly at: number;
}

export type ReportStatus = "open" | "dismissed" | "actioned";

export interface NewReport {
  readonly space: SpaceId;
  readonly at: number;
  readonly reason: ReportReason;
  /** The reporter's optional words (≤ 500 characters); null in spaces that keep no text. */
  readonly note: string | null;
  /** Token ids; null in identity-free spaces (menti keeps nothing identifying). */
  readonly reporter: string | null;
  readonly reported: string | null;
  /**
   * The kept transcript; null where the space keeps none. Stored exactly, except that U+0000 and
   * lone UTF-16 surrogates (which PostgreSQL cannot hold) become U+FFFD, here and in `note`.
   */
  readonly transcript: readonly TranscriptLine[] | null;
  /**
   * Trust lost by the reported token (a positive number, subtracted); 0 for identity-free reports.
   * Applied in the same transaction as the report and the blocked pair, only when both tokens are
   * known. An integer (RangeError otherwise).
   */
  readonly trustPenalty: number;
  /** Bounds the reported token's score is clamped to (the engine's TRUST.min/max). */
  readonly trustBounds?: { readonly min: number; readonly max: number };
}

export interface Report extends Omit<NewReport, "trustBounds"> {
  readonly id: string;
  readonly status: ReportStatus;
  /** When a moderator dismissed or acted on it; null while open. */
  readonly resolvedAt: number | null;
}

export interface Ban {
  readonly token: string;
  /** When the ban was made. */
  readonly at: number;
  /** End of the ban; null = for good (for the token's whole life). */
  readonly until: number | null;
  readonly note: string;
  /** The report that led to it, if any. */
  readonly reportId: string | null;
}

export interface NewBan {
  readonly token: string;
  readonly at: number;
  readonly until: number | null;
  readonly note: string;
  readonly reportId?: string | null;
}

/** How long things are kept (see docs/operations.md, "What is stored where"). */
export interface Retention {
  /** Dismissed or actioned reports (with their transcripts) are deleted this long after. */
  readonly resolvedReportsMs: number;
  /**
   * Trust scores and blocked pairs untouched this long are deleted, and bans "for good" this long
   * after they were made: set it to the token lifetime, after which those tokens no longer work.
   */
  readonly tokenLifetimeMs: number;
}

export interface PurgeResult {
  readonly reports: number;
  readonly bans: number;
  readonly trust: number;
  readonly blockedPairs: number;
}

/**
 * The safety records. Every method is one transaction; implementations run the same code over
 * PGlite (embedded default) and node-postgres (DATABASE_URL), and the same contract suite.
 */
export interface SafetyRepo {
  /**
   * Stores a report and, when both tokens are known, in the same transaction: the blocked pair
   * (reporter, reported) and the reported token's trust penalty. Returns the stored report.
   */
  addReport(report: NewReport): Promise<Report>;
  getReport(id: string): Promise<Report | undefined>;
  /** Newest first. `status` filters; `limit` defaults to 100 (at most 1000). */
  listReports(options?: { status?: ReportStatus; limit?: number }): Promise<Report[]>;
  /** open → dismissed/actioned. False when unknown or already resolved (nothing changes). */
  resolveReport(id: string, status: "dismissed" | "actioned", at: number): Promise<boolean>;
  /** Reports made at or after `since`, per space (for "reports per hour"). */
  countReportsSince(since: number): Promise<Partial<Record<SpaceId, number>>>;

  /** Bans a token (replacing any ban it had). */
  ban(ban: NewBan): Promise<Ban>;
  /** Lifts a token's ban. False when it had none. */
  unban(token: string): Promise<boolean>;
  /** The token's ban in force at `now`, if any. */
  activeBan(token: string, now: number): Promise<Ban | undefined>;
  /** Bans in force at `now`, newest first. */
  listBans(now: number): Promise<Ban[]>;

  /** The token's trust score (0 when it has none). */
  trust(token: string): Promise<number>;
  /**
   * Adds `delta` to the token's score, clamped to [min, max]; returns the new score. One atomic
   * statement: concurrent adjustments all count. Integers only (RangeError otherwise).
   */
  adjustTrust(
    token: string,
    delta: number,
    now: number,
    bounds: { min: number; max: number },
  ): Promise<number>;

  /** Tokens this token must never be paired with (it reported them, or they reported it). */
  blockedWith(token: string): Promise<string[]>;

  /** Deletes what retention says is no longer kept. Returns how many rows went, per table. */
  purge(now: number, retention: Retention): Promise<PurgeResult>;

  /** True when the database answers (for /readyz). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
