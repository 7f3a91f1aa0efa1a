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
import { adminApi, type BanView, failureText } from "./api";
import { banUntilText, formatDateTime, isoTime } from "./format";
import { useOneAtATime } from "./use-one-at-a-time";

export interface BansPanelHandle {
  reload(): void;
}

/** Bans in force, newest first, each with "Unban". */
export function BansPanel({
  ref,
  onSignedOut,
  announce,
  onUnbanned,
}: {
  /** Lets the page reload the list after a ban made from a report. */
  ref?: Ref<BansPanelHandle>;
  onSignedOut: () => void;
  announce: (message: string, tone?: "done" | "problem") => void;
  onUnbanned: () => void;
}) {
  const titleId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [bans, setBans] = useState<BanView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { busy, run } = useOneAtATime();

  const load = useCallback(async () => {
    const result = await adminApi.bans();
    if (result.ok) {
      setBans(result.data.bans);
      setError(null);
    } else if (result.status === 401) onSignedOut();
    else setError(failureText(result));
  }, [onSignedOut]);

  useImperativeHandle(ref, () => ({ reload: () => void load() }), [load]);

  useEffect(() => {
    void load();
  }, [load]);

  async function unban(ban: BanView) {
    const result = await run(() => adminApi.unban(ban.ref));
    if (!result) return;
    if (result.status === 401) return onSignedOut();
    if (result.ok) {
      announce(`Ban lifted for ${ban.ref}.`);
      onUnbanned();
    } else if (result.status === 404) {
      announce(`${ban.ref} was no longer banned.`, "problem");
    } else {
      announce(failureText(result), "problem");
    }
    await load();
    headingRef.current?.focus();
  }

  return (
    <section className="admin-section" aria-labelledby={titleId}>
      <h2 id={titleId} ref={headingRef} tabIndex={-1}>
        Bans
      </h2>
      {error ? <p className="admin-inline-error">{error}</p> : null}
      {bans === null ? (
        error ? null : (
          <p className="muted">Loading bans…</p>
        )
      ) : bans.length === 0 ? (
        <p className="muted">No bans in force.</p>
      ) : (
        <ul className="admin-bans">
          {bans.map((b) => (
            <BanItem key={b.ref} ban={b} busy={busy} onUnban={(x) => void unban(x)} />
          ))}
        </ul>
      )}
    </section>
  );
}

function BanItem({
  ban,
  busy,
  onUnban,
}: {
  ban: BanView;
  busy: boolean;
  onUnban: (ban: BanView) => void;
}) {
  const whoId = useId();
  return (
    <li className="admin-ban">
      <div className="admin-ban-text">
        <p id={whoId} className="admin-ban-who">
          Person <code className="admin-ref">{ban.ref}</code>, banned {banUntilText(ban.until)}
        </p>
        <p className="muted">
          Since <time dateTime={isoTime(ban.at)}>{formatDateTime(ban.at)}</time>
          {ban.reportId ? ` · from report ${ban.reportId}` : ""}
        </p>
        {ban.note ? <p className="admin-note">Note: {ban.note}</p> : null}
      </div>
      <button
        type="button"
        className="button button-secondary"
        aria-describedby={whoId}
        aria-disabled={busy || undefined}
        onClick={() => onUnban(ban)}
      >
        Unban
      </button>
    </li>
  );
}
