"use client";

import type { Ack, SpaceId } from "@duet/protocol";
import { type ReactNode, useState } from "react";
import { formatElapsed } from "../lib/copy";
import { useFocusedHeading } from "../lib/use-focused-heading";
import { useWaitingElapsed } from "./DuetProvider";
import { ErrorLine } from "./ErrorLine";
import { PresenceLine } from "./PresenceLine";

/**
 * The waiting screen of every space ("Looking for someone…", "Searching…", "Finding someone…"): a
 * quiet clock, how busy the space is and its usual wait in coarse words,
 * an optional line about what just happened (`notice`, e.g. "Skipped — finding someone new"), and
 * a way out. Focus lands on the heading, which also carries the notice as its description.
 */
export function SearchWaiting({
  space,
  title,
  lead,
  elapsedLabel,
  stopLabel,
  notice,
  children,
  onStop,
}: {
  /** The space being searched: its coarse presence line shows under the clock. */
  space: SpaceId;
  title: string;
  lead: string;
  elapsedLabel: string;
  stopLabel: string;
  notice?: string | null;
  children?: ReactNode;
  onStop: () => Promise<Ack>;
}) {
  const headingRef = useFocusedHeading();
  const elapsed = useWaitingElapsed();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function stop() {
    if (pending) return;
    setPending(true);
    setError(null);
    const ack = await onStop();
    setPending(false);
    if (!ack.ok) setError(ack.message);
  }

  return (
    <div className="page page-center waiting">
      <div role="status" className={notice ? "waiting-notice" : "waiting-notice-empty"}>
        {notice ? <p id="waiting-notice">{notice}</p> : null}
      </div>
      <div className="breath" aria-hidden="true" />
      <h1 ref={headingRef} tabIndex={-1} aria-describedby={notice ? "waiting-notice" : undefined}>
        {title}
      </h1>
      <p className="lead">{lead}</p>
      <p className="elapsed">
        {elapsedLabel} <span className="timer">{formatElapsed(elapsed)}</span>
      </p>
      <PresenceLine space={space} />
      {children}
      <p>
        <button type="button" className="button button-secondary" onClick={() => void stop()}>
          {stopLabel}
        </button>
      </p>
      <ErrorLine error={error} />
    </div>
  );
}
