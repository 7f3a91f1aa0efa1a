/**
 * SafetyRepo over drizzle-orm: one implementation for both drivers (PGlite and node-postgres), so
 * the contract suite holds both to the same behaviour. Every write that touches more than one row
 * is one transaction; every counter is changed by a single atomic statement (no read-modify-write
 * across an await), so concurrent servers sharing a PostgreSQL stay correct.
 */
import { randomUUID } from "node:crypto";
import type { SpaceId } from "@duet/protocol";
import { and, desc, eq, gte, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
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
} from "./types";

// biome-ignore lint/complexity/noBannedTypes: drizzle's schema-less database type parameter
export type Db = PgDatabase<PgQueryResultHKT, {}>;

/** Keeps a score inside its bounds as SQL (PostgreSQL's LEAST/GREATEST). */
const clamp = (value: ReturnType<typeof sql>, min: number, max: number) =>
  sql`LEAST(${max}::integer, GREATEST(${min}::integer, ${value}))`;

const pair = (x: string, y: string): { a: string; b: string } =>
  x < y ? { a: x, b: y } : { a: y, b: x };

type ReportRow = typeof reports.$inferSelect;
type BanRow = typeof bans.$inferSelect;

function toReport(r: ReportRow): Report {
  return {
    id: r.id,
    space: r.space as SpaceId,
    at: r.at,
    reason: r.reason as Report["reason"],
    note: r.note,
    reporter: r.reporter,
    reported: r.reported,
    transcript: r.transcript ?? null,
    trustPenalty: r.trustPenalty,
    status: r.status as ReportStatus,
    resolvedAt: r.resolvedAt,
  };
}

function toBan(b: BanRow): Ban {
  return { token: b.token, at: b.at, until: b.until, note: b.note, reportId: b.reportId };
}

const DEFAULT_BOUNDS = { min: -1_000_000, max: 1_000_000 };

export class DrizzleSafetyRepo implements SafetyRepo {
  constructor(
    private readonly db: Db,
    private readonly closeClient: () => Promise<void>,
  ) {}

  async addReport(report: NewReport): Promise<Report> {
    const row = {
      id: randomUUID(),
      space: report.space,
      at: report.at,
      reason: report.reason,
      note: report.note,
      reporter: report.reporter,
      reported: report.reported,
      transcript: report.transcript ? [...report.transcript] : null,
      trustPenalty: report.trustPenalty,
      status: "open" as const,
      resolvedAt: null,
    };
    await this.db.transaction(async (tx) => {
      await tx.insert(reports).values(row);
      const { reporter, reported } = report;
      if (reporter && reported && reporter !== reported) {
        await tx
          .insert(blockedPairs)
          .values({ ...pair(reporter, reported), at: report.at })
          .onConflictDoUpdate({
            target: [blockedPairs.a, blockedPairs.b],
            set: { at: report.at },
          });
      }
      if (reported && report.trustPenalty > 0) {
        const { min, max } = report.trustBounds ?? DEFAULT_BOUNDS;
        await tx
          .insert(trust)
          .values({
            token: reported,
            score: Math.max(min, Math.min(max, -report.trustPenalty)),
            updatedAt: report.at,
          })
          .onConflictDoUpdate({
            target: trust.token,
            set: {
              score: clamp(sql`${trust.score} - ${report.trustPenalty}`, min, max),
              updatedAt: report.at,
            },
          });
      }
    });
    return toReport(row);
  }

  async getReport(id: string): Promise<Report | undefined> {
    const [row] = await this.db.select().from(reports).where(eq(reports.id, id)).limit(1);
    return row ? toReport(row) : undefined;
  }

  async listReports(options: { status?: ReportStatus; limit?: number } = {}): Promise<Report[]> {
    const limit = Math.max(1, Math.min(options.limit ?? 100, 1000));
    const rows = await this.db
      .select()
      .from(reports)
      .where(options.status ? eq(reports.status, options.status) : undefined)
      .orderBy(desc(reports.at), desc(reports.id))
      .limit(limit);
    return rows.map(toReport);
  }

  async resolveReport(id: string, status: "dismissed" | "actioned", at: number): Promise<boolean> {
    const changed = await this.db
      .update(reports)
      .set({ status, resolvedAt: at })
      .where(and(eq(reports.id, id), eq(reports.status, "open")))
      .returning({ id: reports.id });
    return changed.length === 1;
  }

  async countReportsSince(since: number): Promise<Partial<Record<SpaceId, number>>> {
    const rows = await this.db
      .select({ space: reports.space, n: sql<number>`count(*)::integer` })
      .from(reports)
      .where(gte(reports.at, since))
      .groupBy(reports.space);
    const out: Partial<Record<SpaceId, number>> = {};
    for (const r of rows) out[r.space as SpaceId] = Number(r.n);
    return out;
  }

  async ban(ban: NewBan): Promise<Ban> {
    const row = {
      token: ban.token,
      at: ban.at,
      until: ban.until,
      note: ban.note,
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
  }

  async unban(token: string): Promise<boolean> {
    const gone = await this.db
      .delete(bans)
      .where(eq(bans.token, token))
      .returning({ token: bans.token });
    return gone.length === 1;
  }

  async activeBan(token: string, now: number): Promise<Ban | undefined> {
    const [row] = await this.db
      .select()
      .from(bans)
      .where(and(eq(bans.token, token), or(isNull(bans.until), gte(bans.until, now + 1))))
      .limit(1);
    return row ? toBan(row) : undefined;
  }

  async listBans(now: number): Promise<Ban[]> {
    const rows = await this.db
      .select()
      .from(bans)
      .where(or(isNull(bans.until), gte(bans.until, now + 1)))
      .orderBy(desc(bans.at), desc(bans.token));
    return rows.map(toBan);
  }

  async trust(token: string): Promise<number> {
    const [row] = await this.db
      .select({ score: trust.score })
      .from(trust)
      .where(eq(trust.token, token))
      .limit(1);
    return row?.score ?? 0;
  }

  async adjustTrust(
    token: string,
    delta: number,
    now: number,
    bounds: { min: number; max: number },
  ): Promise<number> {
    const [row] = await this.db
      .insert(trust)
      .values({
        token,
        score: Math.max(bounds.min, Math.min(bounds.max, delta)),
        updatedAt: now,
      })
      .onConflictDoUpdate({
        target: trust.token,
        set: {
          score: clamp(sql`${trust.score} + ${delta}`, bounds.min, bounds.max),
          updatedAt: now,
        },
      })
      .returning({ score: trust.score });
    return row?.score ?? 0;
  }

  async blockedWith(token: string): Promise<string[]> {
    const rows = await this.db
      .select({ a: blockedPairs.a, b: blockedPairs.b })
      .from(blockedPairs)
      .where(or(eq(blockedPairs.a, token), eq(blockedPairs.b, token)));
    return rows.map((r) => (r.a === token ? r.b : r.a));
  }

  async purge(now: number, retention: Retention): Promise<PurgeResult> {
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
  }

  async ping(): Promise<boolean> {
    try {
      await this.db.execute(sql`select 1`);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.closeClient();
  }
}
