"use client";

import { useDuet } from "./DuetProvider";

/**
 * A polite live region that is always in the page, so that what is put in it is announced:
 * server notices (a restart) and a lost connection.
 */
export function NoticeBanner() {
  const { notice, status } = useDuet();
  return (
    <div className="notice-region" aria-live="polite">
      {notice?.kind === "server_restarting" ? <p className="notice">{notice.message}</p> : null}
      {status === "offline" ? (
        <p className="notice notice-quiet">Lost connection to Duet. Trying to reconnect…</p>
      ) : null}
    </div>
  );
}
