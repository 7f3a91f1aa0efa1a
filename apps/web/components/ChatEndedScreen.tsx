"use client";

import type { SpaceId } from "@duet/protocol";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import {
  CHAT_COPY,
  chatEndedText,
  type EndedInfo,
  REPORT_COPY,
  refusalText,
  spaceHref,
} from "../lib/copy";
import { useFocusedHeading } from "../lib/use-focused-heading";
import { useDuet } from "./DuetProvider";

/**
 * The end of a chat in the stranger-chat spaces: "Your partner has disconnected" / "You left the
 * chat." / the reporter's "Thank you — …", and a one-click "New chat" that looks again with the
 * same topics.
 */
export function ChatEndedScreen({
  info,
  space,
  reportError = null,
}: {
  info: EndedInfo;
  space: SpaceId;
  /** This person reported the chat and the server said the report failed: its words. */
  reportError?: string | null;
}) {
  const router = useRouter();
  const { state, lastJoin, join, home } = useDuet();
  const headingRef = useFocusedHeading();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const reported = info.kind === "server" && info.reason === "reported" && info.by === "you";
  const failed = reported && reportError !== null;
  const { title, detail } = failed
    ? { title: REPORT_COPY.failedTitle, detail: REPORT_COPY.failedLead }
    : chatEndedText(info);
  // What this screen may say about what was kept. A reported chat was (the reporter knows). The
  // person reported is told "left" by their partner, like anyone whose partner left: after such
  // an end nobody can be told that nothing was kept.
  const keptLine = reported
    ? null
    : info.kind === "server" && info.by === "partner" && info.reason === "left"
      ? CHAT_COPY.keptOnlyIfReported
      : CHAT_COPY.nothingKept;

  async function newChat() {
    if (pending) return;
    setPending(true);
    setError(null);
    const same = lastJoin?.space === space ? lastJoin : null;
    const ack = await join(space, same?.intent, same?.topics, same?.onlyMyTopics);
    if (!ack.ok) {
      setPending(false);
      setError(refusalText(ack));
      return;
    }
    router.push(spaceHref(space));
  }

  return (
    <div className="page page-center ended">
      <h1 ref={headingRef} tabIndex={-1}>
        {title}
      </h1>
      {detail ? <p className="lead ended-reason">{detail}</p> : null}
      {failed ? (
        <p role="alert" className="error">
          {reportError}
        </p>
      ) : null}
      {keptLine ? <p className="muted">{keptLine}</p> : null}
      <div className="actions">
        <button
          type="button"
          className="button button-primary"
          disabled={pending}
          onClick={() => void newChat()}
        >
          {CHAT_COPY.newChat}
        </button>
        <Link
          href="/"
          className="button button-secondary"
          onClick={() => {
            if (state?.state === "ENDED") void home();
          }}
        >
          {CHAT_COPY.home}
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
