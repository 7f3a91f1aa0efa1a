"use client";

import {
  type Ref,
  useCallback,
  useEffect,
  useId,
  useImperativeHandle,
  useRef,
  useState,
} from "react";
import {
  type ApiResult,
  adminApi,
  type BanDuration,
  failureText,
  type ReportStatus,
  type ReportView,
} from "./api";
import { BAN_LABELS } from "./format";
import { ReportCard } from "./ReportCard";
import { useOneAtATime } from "./use-one-at-a-time";

const REPORTS_REFRESH_MS = 15_000;

const STATUS_LABELS: Record<ReportStatus, string> = {
  open: "Open",
  dismissed: "Dismissed",
  actioned: "Actioned",
};

export interface ReportsPanelHandle {
  reload(): void;
}

/** The report queue: open reports first (newest first), with a choice to see resolved ones. */
export function ReportsPanel({
  ref,
  onSignedOut,
  announce,
  onBansChanged,
}: {
  /** Lets the page reload the list (after an unban, the "banned" marks change). */
  ref?: Ref<ReportsPanelHandle>;
  onSignedOut: () => void;
  announce: (message: string, tone?: "done" | "problem") => void;
  onBansChanged: () => void;
}) {
  const titleId = useId();
  const selectId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [status, setStatus] = useState<ReportStatus>("open");
  const [reports, setReports] = useState<ReportView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { busy, run } = useOneAtATime();

  // Only the newest request's answer is shown (a slow one for another filter is dropped).
  const latest = useRef(0);
  const load = useCallback(async () => {
    const mine = ++latest.current;
    const result = await adminApi.reports(status);
    if (mine !== latest.current) return;
    if (result.ok) {
      setReports(result.data.reports);
      setError(null);
    } else if (result.status === 401) onSignedOut();
    else setError(failureText(result));
  }, [status, onSignedOut]);

  useImperativeHandle(ref, () => ({ reload: () => void load() }), [load]);

  useEffect(() => {
    let alive = true;
    setReports(null);
    const run = () => {
      if (alive && document.visibilityState !== "hidden") void load();
    };
    run();
    const timer = window.setInterval(run, REPORTS_REFRESH_MS);
    return () => {
      alive = false;
      window.clearInterval(timer);
    };
  }, [load]);

  async function act(work: () => Promise<ApiResult<unknown>>, done: string, bansChanged: boolean) {
    const result = await run(work);
    if (!result) return;
    if (result.status === 401) return onSignedOut();
    if (!result.ok) {
      announce(
        result.status === 409 ? "Someone already resolved this report." : failureText(result),
        "problem",
      );
    } else {
      announce(done);
      if (bansChanged) onBansChanged();
    }
    await load();
    headingRef.current?.focus();
  }

  const ban = (r: ReportView, duration: BanDuration, note: string) =>
    void act(
      () => adminApi.ban(r.id, duration, note),
      `${BAN_LABELS[duration].done} The report is closed.`,
      true,
    );
  const dismiss = (r: ReportView) =>
    void act(() => adminApi.dismiss(r.id), "Report dismissed.", false);

  const against = new Map<string, number>();
  for (const r of reports ?? []) {
    if (r.reportedRef) against.set(r.reportedRef, (against.get(r.reportedRef) ?? 0) + 1);
  }

  return (
    <section className="admin-section" aria-labelledby={titleId}>
      <h2 id={titleId} ref={headingRef} tabIndex={-1}>
        Reports
      </h2>
      <div className="admin-toolbar">
        <label htmlFor={selectId} className="admin-label admin-label-inline">
          Show
        </label>
        <select
          id={selectId}
          className="admin-select"
          value={status}
          onChange={(e) => setStatus(e.target.value as ReportStatus)}
        >
          {(Object.keys(STATUS_LABELS) as ReportStatus[]).map((s) => (
            <option key={s} value={s}>
              {STATUS_LABELS[s]}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="button button-secondary button-small"
          onClick={() => void load()}
        >
          Refresh reports
        </button>
      </div>
      {error ? <p className="admin-inline-error">{error}</p> : null}
      {reports === null ? (
        error ? null : (
          <p className="muted">Loading reports…</p>
        )
      ) : reports.length === 0 ? (
        <p className="muted">
          {status === "open"
            ? "No open reports. Nothing needs you right now."
            : `No ${STATUS_LABELS[status].toLowerCase()} reports.`}
        </p>
      ) : (
        <ol className="admin-reports">
          {reports.map((r) => (
            <li key={r.id}>
              <ReportCard
                report={r}
                reportsAgainst={r.reportedRef ? (against.get(r.reportedRef) ?? 0) : 0}
                busy={busy}
                onBan={ban}
                onDismiss={dismiss}
              />
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
