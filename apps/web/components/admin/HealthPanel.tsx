"use client";

import { useEffect, useId, useState } from "react";
import { adminApi, failureText, type HealthSnapshot, type SpaceHealth } from "./api";
import { formatTime, formatWait, spaceTitle } from "./format";

export const HEALTH_REFRESH_MS = 5000;

/** One row per figure, one column per space: narrow enough for a phone with three spaces. */
const ROWS: readonly { label: string; value: (s: SpaceHealth) => string | number }[] = [
  { label: "Users waiting", value: (s) => s.users.waiting },
  { label: "Users matched", value: (s) => s.users.matched },
  { label: "Users active", value: (s) => s.users.active },
  { label: "Users ended", value: (s) => s.users.ended },
  { label: "Sessions", value: (s) => s.sessions },
  { label: "Matches per minute", value: (s) => s.matchesLastMinute },
  { label: "Wait p50", value: (s) => formatWait(s.waitP50Ms) },
  { label: "Wait p95", value: (s) => formatWait(s.waitP95Ms) },
  { label: "Reports per hour", value: (s) => s.reportsLastHour },
];

/** Live figures per space, refreshed every 5 s while the page is visible. Aggregates only. */
export function HealthPanel({ onSignedOut }: { onSignedOut: () => void }) {
  const titleId = useId();
  const [health, setHealth] = useState<HealthSnapshot | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    const load = async () => {
      if (document.visibilityState === "hidden") return;
      const result = await adminApi.health();
      if (!alive) return;
      if (result.ok) {
        setHealth(result.data);
        setError(null);
      } else if (result.status === 401) onSignedOut();
      else setError(failureText(result));
    };
    void load();
    const timer = window.setInterval(() => void load(), HEALTH_REFRESH_MS);
    const onVisible = () => {
      if (document.visibilityState === "visible") void load();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      alive = false;
      window.clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [onSignedOut]);

  const windowMinutes = health ? Math.round(health.waitWindowMs / 60_000) : 10;

  return (
    <section className="admin-section" aria-labelledby={titleId}>
      <h2 id={titleId}>Health</h2>
      <p className="hint">
        Live figures per space, refreshed every 5 seconds
        {health ? `; last update ${formatTime(health.at)}` : ""}. Waits are over the last{" "}
        {windowMinutes} minutes.
      </p>
      {error ? <p className="admin-inline-error">{error}</p> : null}
      {health === null ? (
        error ? null : (
          <p className="muted">Loading figures…</p>
        )
      ) : health.spaces.length === 0 ? (
        <p className="muted">No space is enabled on this server.</p>
      ) : (
        <div className="admin-table-wrap">
          <table className="admin-table">
            <caption className="visually-hidden">Figures per space</caption>
            <thead>
              <tr>
                <th scope="col">Figure</th>
                {health.spaces.map((s) => (
                  <th key={s.space} scope="col">
                    {spaceTitle(s.space)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {ROWS.map((row) => (
                <tr key={row.label}>
                  <th scope="row">{row.label}</th>
                  {health.spaces.map((s) => (
                    <td key={s.space}>{row.value(s)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
