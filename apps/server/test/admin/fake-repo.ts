/**
 * A tiny in-memory SafetyRepo for the admin tests: enough behaviour for the admin API (reports,
 * resolution, bans in force), none of the transactions or retention of the real one.
 */
import type {
  Ban,
  NewBan,
  NewReport,
  PurgeResult,
  Report,
  ReportStatus,
  SafetyRepo,
} from "@duet/persistence";
import type { SpaceId } from "@duet/protocol";

export class FakeSafetyRepo implements SafetyRepo {
  readonly reports = new Map<string, Report>();
  readonly bans = new Map<string, Ban>();
  private readonly trustScores = new Map<string, number>();
  private readonly blocked = new Map<string, Set<string>>();
  private nextId = 1;

  async addReport(report: NewReport): Promise<Report> {
    const stored: Report = {
      ...report,
      id: `r${this.nextId++}`,
      status: "open",
      resolvedAt: null,
    };
    this.reports.set(stored.id, stored);
    if (report.reporter !== null && report.reported !== null) {
      this.block(report.reporter, report.reported);
      this.block(report.reported, report.reporter);
      this.trustScores.set(
        report.reported,
        (this.trustScores.get(report.reported) ?? 0) - report.trustPenalty,
      );
    }
    return stored;
  }

  async getReport(id: string): Promise<Report | undefined> {
    return this.reports.get(id);
  }

  async listReports(options: { status?: ReportStatus; limit?: number } = {}): Promise<Report[]> {
    return [...this.reports.values()]
      .filter((r) => options.status === undefined || r.status === options.status)
      .sort((a, b) => b.at - a.at)
      .slice(0, options.limit ?? 100);
  }

  async resolveReport(id: string, status: "dismissed" | "actioned", at: number): Promise<boolean> {
    const r = this.reports.get(id);
    if (!r || r.status !== "open") return false;
    this.reports.set(id, { ...r, status, resolvedAt: at });
    return true;
  }

  async countReportsSince(since: number): Promise<Partial<Record<SpaceId, number>>> {
    const out: Partial<Record<SpaceId, number>> = {};
    for (const r of this.reports.values()) {
      if (r.at >= since) out[r.space] = (out[r.space] ?? 0) + 1;
    }
    return out;
  }

  async ban(ban: NewBan): Promise<Ban> {
    const stored: Ban = {
      token: ban.token,
      at: ban.at,
      until: ban.until,
      note: ban.note,
      reportId: ban.reportId ?? null,
    };
    this.bans.set(ban.token, stored);
    return stored;
  }

  async unban(token: string): Promise<boolean> {
    return this.bans.delete(token);
  }

  async activeBan(token: string, now: number): Promise<Ban | undefined> {
    const b = this.bans.get(token);
    return b && (b.until === null || b.until > now) ? b : undefined;
  }

  async listBans(now: number): Promise<Ban[]> {
    return [...this.bans.values()]
      .filter((b) => b.until === null || b.until > now)
      .sort((a, b) => b.at - a.at);
  }

  async trust(token: string): Promise<number> {
    return this.trustScores.get(token) ?? 0;
  }

  async adjustTrust(
    token: string,
    delta: number,
    _now: number,
    bounds: { min: number; max: number },
  ): Promise<number> {
    const next = Math.min(
      bounds.max,
      Math.max(bounds.min, (this.trustScores.get(token) ?? 0) + delta),
    );
    this.trustScores.set(token, next);
    return next;
  }

  async blockedWith(token: string): Promise<string[]> {
    return [...(this.blocked.get(token) ?? [])];
  }

  async purge(): Promise<PurgeResult> {
    return { reports: 0, bans: 0, trust: 0, blockedPairs: 0 };
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}

  private block(a: string, b: string): void {
    const set = this.blocked.get(a) ?? new Set<string>();
    set.add(b);
    this.blocked.set(a, set);
  }
}
