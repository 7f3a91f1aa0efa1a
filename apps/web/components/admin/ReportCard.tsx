"use client";

import { useId, useState } from "react";
import type { BanDuration, ReportView } from "./api";
import {
  BAN_LABELS,
  BAN_ORDER,
  banUntilText,
  formatDateTime,
  formatTime,
  isoTime,
  reasonLabel,
  spaceLabel,
} from "./format";

/**
 * One report: what, where, when, the reporter's note, the transcript ("Reporter" / "Reported
 * person"), and while open the moderator's choices.
 */
export function ReportCard({
  report,
  reportsAgainst,
  busy,
  onBan,
  onDismiss,
}: {
  report: ReportView;
  /** Reports against the same person in the list on screen (repeat offenders stand out). */
  reportsAgainst: number;
  busy: boolean;
  onBan: (report: ReportView, duration: BanDuration, note: string) => void;
  onDismiss: (report: ReportView) => void;
}) {
  const titleId = useId();
  const personId = useId();
  const noteId = useId();
  const [note, setNote] = useState("");
  const r = report;

  return (
    <article className="admin-report" aria-labelledby={titleId}>
      <h3 id={titleId} className="admin-report-title">
        {reasonLabel(r.reason)} · {spaceLabel(r.space)}
      </h3>
      <dl className="admin-facts">
        <div>
          <dt>Reported at</dt>
          <dd>
            <time dateTime={isoTime(r.at)}>{formatDateTime(r.at)}</time>
          </dd>
        </div>
        <div>
          <dt>Space</dt>
          <dd>{spaceLabel(r.space)}</dd>
        </div>
        <div>
          <dt>Reason</dt>
          <dd>{reasonLabel(r.reason)}</dd>
        </div>
        <div>
          <dt>Reported person</dt>
          <dd id={personId}>
            {r.reportedRef === null ? (
              "Not known (this space keeps no identity)"
            ) : (
              <>
                <code className="admin-ref">{r.reportedRef}</code>
                {reportsAgainst > 1 ? ` · ${reportsAgainst} reports in this list` : ""}
                {r.reportedBanned ? ` · banned ${banUntilText(r.reportedBanUntil)}` : ""}
              </>
            )}
          </dd>
        </div>
        <div>
          <dt>Reporter's note</dt>
          <dd className="admin-note">{r.note ? r.note : <span className="muted">None</span>}</dd>
        </div>
        {r.status !== "open" ? (
          <div>
            <dt>{r.status === "dismissed" ? "Dismissed at" : "Actioned at"}</dt>
            <dd>
              {r.resolvedAt === null ? (
                "—"
              ) : (
                <time dateTime={isoTime(r.resolvedAt)}>{formatDateTime(r.resolvedAt)}</time>
              )}
            </dd>
          </div>
        ) : null}
      </dl>

      <h4 className="admin-subtitle">Transcript</h4>
      {r.transcript === null ? (
        <p className="muted">This space keeps no transcript.</p>
      ) : r.transcript.length === 0 ? (
        <p className="muted">No messages were sent before the report.</p>
      ) : (
        <ol className="admin-transcript" aria-label="Transcript">
          {r.transcript.map((line, i) => (
            <li
              // A stored transcript never changes, so a line's position is its identity.
              key={i}
              className={`admin-line admin-line-${line.from}`}
            >
              <span className="admin-who">
                {line.from === "reporter" ? "Reporter" : "Reported person"}
              </span>
              <time className="admin-line-time" dateTime={isoTime(line.at)}>
                {formatTime(line.at)}
              </time>
              <span className="admin-line-text">{line.text}</span>
            </li>
          ))}
        </ol>
      )}

      {r.status === "open" ? (
        <div className="admin-report-actions">
          {r.reportedRef !== null ? (
            <>
              <label htmlFor={noteId} className="admin-label">
                Note for the ban (optional)
              </label>
              <textarea
                id={noteId}
                className="admin-input admin-textarea"
                maxLength={500}
                rows={2}
                value={note}
                onChange={(e) => setNote(e.target.value)}
              />
              <div className="admin-buttons">
                {BAN_ORDER.map((d) => (
                  <button
                    key={d}
                    type="button"
                    className={`button ${d === "forever" ? "button-danger" : "button-secondary"}`}
                    aria-describedby={personId}
                    aria-disabled={busy || undefined}
                    onClick={() => onBan(r, d, note.trim())}
                  >
                    {BAN_LABELS[d].button}
                  </button>
                ))}
                <button
                  type="button"
                  className="button button-secondary"
                  aria-disabled={busy || undefined}
                  onClick={() => onDismiss(r)}
                >
                  Dismiss
                </button>
              </div>
            </>
          ) : (
            <>
              <p className="muted">
                No one can be banned for this report: this space keeps no identity and no text, so
                the reason is all there is. It counts in the space&apos;s report figures; dismiss it
                once read. (Worry for someone&apos;s safety is not filed here: in that space it
                shows the other person where to get help instead.)
              </p>
              <div className="admin-buttons">
                <button
                  type="button"
                  className="button button-secondary"
                  aria-disabled={busy || undefined}
                  onClick={() => onDismiss(r)}
                >
                  Dismiss
                </button>
              </div>
            </>
          )}
        </div>
      ) : null}
    </article>
  );
}
