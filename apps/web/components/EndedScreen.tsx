"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { type EndedInfo, endedReasonText, REPORT_COPY, refusalText, SPACE_COPY } from "../lib/copy";
import { useFocusedHeading } from "../lib/use-focused-heading";
import { useDuet } from "./DuetProvider";

/**
 * The end of a conversation, with the reason in plain words and two ways on. The person who
 * reported it reads "Thank you — …" instead.
 */
export function EndedScreen({
  info,
  reportError = null,
}: {
  info: EndedInfo;
  /** This person reported the conversation and the server said the report failed: its words. */
  reportError?: string | null;
}) {
  const router = useRouter();
  const { state, lastJoin, join, home } = useDuet();
  const headingRef = useFocusedHeading();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const reported = info.kind === "server" && info.reason === "reported" && info.by === "you";
  const failed = reported && reportError !== null;
  const title = reported && !failed ? REPORT_COPY.thanksTitle : "This conversation is over";

  async function talkToSomeoneNew() {
    if (pending) return;
    setPending(true);
    setError(null);
    if (state?.state === "ENDED") await home();
    const space = lastJoin?.space ?? (info.kind === "server" ? info.space : "menti");
    const href = SPACE_COPY[space]?.href ?? "/";
    if (lastJoin) {
      const ack = await join(lastJoin.space, lastJoin.intent);
      if (!ack.ok) {
        setPending(false);
        setError(refusalText(ack));
        return;
      }
    }
    router.push(href);
  }

  return (
    <div className="page page-center ended">
      <h1 ref={headingRef} tabIndex={-1}>
        {title}
      </h1>
      <p className="lead ended-reason">{failed ? REPORT_COPY.failedLead : endedReasonText(info)}</p>
      {failed ? (
        <p role="alert" className="error">
          {reportError}
        </p>
      ) : null}
      <p className="muted">
        {reported && !failed
          ? REPORT_COPY.mentiThanksKept
          : "Nothing from it was kept. Thank you for being here."}
      </p>
      <div className="actions">
        <button
          type="button"
          className="button button-primary"
          onClick={() => void talkToSomeoneNew()}
        >
          Talk to someone new
        </button>
        <Link
          href="/"
          className="button button-secondary"
          onClick={() => {
            if (state?.state === "ENDED") void home();
          }}
        >
          Home
        </Link>
      </div>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </div>
  );
}
