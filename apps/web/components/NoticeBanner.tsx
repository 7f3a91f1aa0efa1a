"use client";

import { slowDownText } from "../lib/copy";
import { useDuetState } from "./DuetProvider";

/** Refusals whose calm "too fast" line is shown where they happened, not here. */
const SHOWN_IN_PLACE: ReadonlySet<string> = new Set(["send", "report", "typing"]);

/**
 * A polite live region that is always in the page, so that what is put in it is announced:
 * server notices (a restart, an interruption), a lost connection, and "You're … a little fast — wait N seconds"
 * after a `rate_limited` refusal (e.g. of a join), until the wait is over.
 */
export function NoticeBanner() {
  const { notice, status, slowDown } = useDuetState();
  return (
    <div className="notice-region" aria-live="polite">
      {notice?.kind === "server_restarting" || notice?.kind === "interrupted" ? (
        <p className="notice">{notice.message}</p>
      ) : null}
      {status === "offline" ? (
        <p className="notice notice-quiet">Lost connection to Duet. Trying to reconnect…</p>
      ) : null}
      {slowDown && !SHOWN_IN_PLACE.has(slowDown.event) ? (
        <p className="notice notice-quiet">{slowDownText(slowDown.event, slowDown.retryAfterMs)}</p>
      ) : null}
    </div>
  );
}
