/**
 * SafetyRepo over drizzle-orm: one implementation for both drivers (PGlite and node-postgres), so
 * the contract suite holds both to the same behaviour. Every write that touches more than one row
 * is one transaction; every counter is changed by a single atomic statement (no read-modify-write
 * across an await), so concurrent servers sharing a PostgreSQL stay correct.
 *
 * Errors: every failure is rethrown as a PersistenceError whose message names the operation and
 * the database's own message only. Drizzle's errors quote the query *and its parameters* (notes,
 * transcripts, tokens), and callers log errors: those must never reach a log.
 */
import { randomUUID } from "node:crypto";
import type { SpaceId } from "@duet/protocol";
import { and, desc, eq, gte, isNotNull, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { bans, blockedPairs, reports, trust } from "./schema";
import type {
  Ban,
  NewBan,
  NewReport,
  PurgeResult,
  Report,
  ReportStatus,
  Retention,
  SafetyRepo,
  TranscriptLine,
} from "./types";

/** A drizzle PostgreSQL database without a relational schema, over any driver. */
export type Db<H extends PgQueryResultHKT = PgQueryResultHKT> = PgDatabase<H>;

/** A failed repo operation. The message never contains stored content (see the file comment). */
export class PersistenceError extends Error {
  override readonly name = "PersistenceError";
  /** PostgreSQL's SQLSTATE when the database refused (e.g. "23505"), else undefined. */
  readonly code: string | undefined;
  constructor(operation: string, err: unknown) {
    const root = rootCause(err);
    super(`persistence: ${operation} failed: ${root.message}`);
    this.code = root.code;
  }
}

/** The driver's error under drizzle's wrapper (whose message quotes the parameters). */
function rootCause(err: unknown): { message: string; code: string | undefined } {
  let e: unknown = err;
  while (e instanceof Error && e.name === "DrizzleQueryError" && e.cause !== undefined) e = e.cause;
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    // Drizzle's message is "Failed query: …\nparams: …": never pass it on.
    const message = e.message.startsWith("Failed query:") ? "query failed" : e.message;
    return { message, code: typeof code === "string" ? code : undefined };
  }
  return { message: String(e), code: undefined };
}

/** Integer bounds PostgreSQL's `integer` column can hold. */
const INT_MIN = -2_147_483_648;
const INT_MAX = 2_147_483_647;

function checkBounds(bounds: { min: number; max: number }): void {
  const { min, max } = bounds;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min > max || min < INT_MIN) {
    throw new RangeError(`trust bounds must be integers with min ≤ max (got ${min}, ${max})`);
  }
  if (max > INT_MAX) throw new RangeError(`trust bound ${max} exceeds the integer range`);
}

function checkDelta(name: string, value: number): void {
  if (!Number.isInteger(value) || Math.abs(value) > INT_MAX) {
    throw new RangeError(`${name} must be an integer within ±${INT_MAX} (got ${value})`);
  }
}

// Lone UTF-16 surrogates (not part of a pair).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text PostgreSQL can store. It refuses U+0000 in text and jsonb and lone surrogates in jsonb, so
 * one such character in a chat line would lose the whole report: both become U+FFFD instead.
 * Every other string is stored exactly.
 */
export function storable(text: string): string {
  return text.replaceAll("\u0000", "\ufffd").replace(LONE_SURROGATE, "\ufffd");
}

const DEFAULT_BOUNDS = { min: -1_000_000, max: 1_000_000 };
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** Keeps a score inside its bounds, computed in bigint so that no sum can overflow. */
const clamped = (value: SQL, min: number, max: number): SQL =>
  sql`LEAST(${max}::bigint, GREATEST(${min}::bigint, ${value}))::integer`;

const ordered = (x: string, y: string): { a: string; b: string } =>
  x < y ? { a: x, b: y } : { a: y, b: x };

type ReportRow = typeof reports.$inferSelect;
type BanRow = typeof bans.$inferSelect;

const line = (l: TranscriptLine): TranscriptLine => ({ from: l.from, text: l.text, at: l.at });

function toReport(r: ReportRow): Report {
  return {
    id: r.id,
    space: r.space as SpaceId,
    at: r.at,
    reason: r.reason as Report["reason"],
    note: r.note,
    reporter: r.reporter,
    reported: r.reported,
    // jsonb reorders object keys: rebuild each line in its declared shape.
    transcript: r.transcript ? r.transcript.map(line) : null,
    trustPenalty: r.trustPenalty,
    status: r.status as ReportStatus,
    resolvedAt: r.resolvedAt,
  };
}

function toBan(b: BanRow): Ban {
  return { token: b.token, at: b.at, until: b.until, note: b.note, reportId: b.reportId };
}

/** In force at `now`: for good, or ending after `now`. */
const inForce = (now: number): SQL | undefined => or(isNull(bans.until), gte(bans.until, now + 1));

export class DrizzleSafetyRepo<H extends PgQueryResultHKT> implements SafetyRepo {
  private closing: Promise<void> | undefined;

  /** `closeClient` ends the driver; it is called at most once. */
  constructor(
    private readonly db: Db<H>,
    private readonly closeClient: () => Promise<void>,
  ) {}

  /** Runs one operation, turning any failure into a PersistenceError. */
  private async run<T>(operation: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      if (err instanceof RangeError || err instanceof PersistenceError) throw err;
      throw new PersistenceError(operation, err);
    }
  }

  /**
   * The single statement that adds `delta` to a score (creating the row at the clamped delta),
   * clamped to the bounds: atomic under any concurrency, on the database or in a transaction.
   */
  private upsertTrust(
    db: Pick<Db<H>, "insert">,
    token: string,
    delta: number,
    now: number,
    bounds: { min: number; max: number },
  ) {
    return db
      .insert(trust)
      .values({
        token,
        score: Math.max(bounds.min, Math.min(bounds.max, delta)),
        updatedAt: now,
      })
      .onConflictDoUpdate({
        target: trust.token,
        set: {
          score: clamped(sql`${trust.score}::bigint + ${delta}::bigint`, bounds.min, bounds.max),
          updatedAt: sql`GREATEST(${trust.updatedAt}, excluded.updated_at)`,
        },
      })
      .returning({ score: trust.score });
  }

  addReport(report: NewReport): Promise<Report> {
    return this.run("addReport", async () => {
      const bounds = report.trustBounds ?? DEFAULT_BOUNDS;
      checkBounds(bounds);
      checkDelta("trustPenalty", report.trustPenalty);
      if (report.trustPenalty < 0) throw new RangeError("trustPenalty must not be negative");
      const row = {
        id: randomUUID(),
        space: report.space,
        at: report.at,
        reason: report.reason,
        note: report.note === null ? null : storable(report.note),
        reporter: report.reporter,
        reported: report.reported,
        transcript: report.transcript
          ? report.transcript.map((l) => line({ ...l, text: storable(l.text) }))
          : null,
        trustPenalty: report.trustPenalty,
        status: "open" as const,
        resolvedAt: null,
      };
      const { reporter, reported } = report;
      await this.db.transaction(async (tx) => {
        await tx.insert(reports).values(row);
        if (reporter === null || reported === null) return;
        if (reporter !== reported) {
          await tx
            .insert(blockedPairs)
            .values({ ...ordered(reporter, reported), at: report.at })
            .onConflictDoUpdate({
              target: [blockedPairs.a, blockedPairs.b],
              set: { at: sql`GREATEST(${blockedPairs.at}, excluded.at)` },
            });
        }
        if (report.trustPenalty > 0) {
          await this.upsertTrust(tx, reported, -report.trustPenalty, report.at, bounds);
        }
      });
      return toReport(row);
    });
  }

  getReport(id: string): Promise<Report | undefined> {
    return this.run("getReport", async () => {
      const [row] = await this.db.select().from(reports).where(eq(reports.id, id)).limit(1);
      return row ? toReport(row) : undefined;
    });
  }

  listReports(options: { status?: ReportStatus; limit?: number } = {}): Promise<Report[]> {
    return this.run("listReports", async () => {
      const wanted = Math.floor(options.limit ?? DEFAULT_LIMIT);
      const limit = Math.max(1, Math.min(Number.isFinite(wanted) ? wanted : 1, MAX_LIMIT));
      const rows = await this.db
        .select()
        .from(reports)
        .where(options.status ? eq(reports.status, options.status) : undefined)
        .orderBy(desc(reports.at), desc(reports.id))
        .limit(limit);
      return rows.map(toReport);
    });
  }

  resolveReport(id: string, status: "dismissed" | "actioned", at: number): Promise<boolean> {
    return this.run("resolveReport", async () => {
      const changed = await this.db
        .update(reports)
        .set({ status, resolvedAt: at })
        .where(and(eq(reports.id, id), eq(reports.status, "open")))
        .returning({ id: reports.id });
      return changed.length === 1;
    });
  }

  countReportsSince(since: number): Promise<Partial<Record<SpaceId, number>>> {
    return this.run("countReportsSince", async () => {
      const rows = await this.db
        .select({ space: reports.space, n: sql<number>`count(*)::integer` })
        .from(reports)
        .where(gte(reports.at, since))
        .groupBy(reports.space);
      const out: Partial<Record<SpaceId, number>> = {};
      for (const r of rows) out[r.space as SpaceId] = Number(r.n);
      return out;
    });
  }

  ban(ban: NewBan): Promise<Ban> {
    return this.run("ban", async () => {
      const row = {
        token: ban.token,
        at: ban.at,
        until: ban.until,
        note: storable(ban.note),
        reportId: ban.reportId ?? null,
      };
      await this.db
        .insert(bans)
        .values(row)
        .onConflictDoUpdate({
          target: bans.token,
          set: { at: row.at, until: row.until, note: row.note, reportId: row.reportId },
        });
      return toBan(row);
    });
  }

  unban(token: string): Promise<boolean> {
    return this.run("unban", async () => {
      const gone = await this.db
        .delete(bans)
        .where(eq(bans.token, token))
        .returning({ token: bans.token });
      return gone.length === 1;
    });
  }

  activeBan(token: string, now: number): Promise<Ban | undefined> {
    return this.run("activeBan", async () => {
      const [row] = await this.db
        .select()
        .from(bans)
        .where(and(eq(bans.token, token), inForce(now)))
        .limit(1);
      return row ? toBan(row) : undefined;
    });
  }

  listBans(now: number): Promise<Ban[]> {
    return this.run("listBans", async () => {
      const rows = await this.db
        .select()
        .from(bans)
        .where(inForce(now))
        .orderBy(desc(bans.at), desc(bans.token));
      return rows.map(toBan);
    });
  }

  trust(token: string): Promise<number> {
    return this.run("trust", async () => {
      const [row] = await this.db
        .select({ score: trust.score })
        .from(trust)
        .where(eq(trust.token, token))
        .limit(1);
      return row?.score ?? 0;
    });
  }

  adjustTrust(
    token: string,
    delta: number,
    now: number,
    bounds: { min: number; max: number },
  ): Promise<number> {
    return this.run("adjustTrust", async () => {
      checkBounds(bounds);
      checkDelta("delta", delta);
      const [row] = await this.upsertTrust(this.db, token, delta, now, bounds);
      if (!row) throw new Error("the trust upsert returned no row");
      return row.score;
    });
  }

  blockedWith(token: string): Promise<string[]> {
    return this.run("blockedWith", async () => {
      const rows = await this.db
        .select({ a: blockedPairs.a, b: blockedPairs.b })
        .from(blockedPairs)
        .where(or(eq(blockedPairs.a, token), eq(blockedPairs.b, token)));
      return rows.map((r) => (r.a === token ? r.b : r.a));
    });
  }

  purge(now: number, retention: Retention): Promise<PurgeResult> {
    return this.run("purge", async () => {
      const resolvedBefore = now - retention.resolvedReportsMs;
      const tokenBefore = now - retention.tokenLifetimeMs;
      return this.db.transaction(async (tx) => {
        const r = await tx
          .delete(reports)
          .where(and(isNotNull(reports.resolvedAt), lt(reports.resolvedAt, resolvedBefore)))
          .returning({ id: reports.id });
        const b = await tx
          .delete(bans)
          .where(
            or(
              and(isNotNull(bans.until), lt(bans.until, now)),
              and(isNull(bans.until), lt(bans.at, tokenBefore)),
            ),
          )
          .returning({ token: bans.token });
        const t = await tx
          .delete(trust)
          .where(lt(trust.updatedAt, tokenBefore))
          .returning({ token: trust.token });
        const p = await tx
          .delete(blockedPairs)
          .where(lt(blockedPairs.at, tokenBefore))
          .returning({ a: blockedPairs.a });
        return { reports: r.length, bans: b.length, trust: t.length, blockedPairs: p.length };
      });
    });
  }

  async ping(): Promise<boolean> {
    if (this.closing) return false;
    try {
      await this.db.execute(sql`select 1`);
      return true;
    } catch {
      return false;
    }
  }

  /** Ends the driver; calling it again waits for the same close. */
  close(): Promise<void> {
    this.closing ??= this.closeClient();
    return this.closing;
  }
}
