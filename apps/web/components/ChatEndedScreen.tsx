"use client";

import type { SpaceId } from "@duet/protocol";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { CHAT_COPY, chatEndedText, type EndedInfo, spaceHref } from "../lib/copy";
import { useDuet } from "./DuetProvider";

/**
 * The end of a chat in the stranger-chat spaces: "Your partner has disconnected" / "You left the
 * chat." and a one-click "New chat" that looks again with the same topics.
 */
export function ChatEndedScreen({ info, space }: { info: EndedInfo; space: SpaceId }) {
  const router = useRouter();
  const { state, lastJoin, join, home } = useDuet();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { title, detail } = chatEndedText(info);
  const kept = info.kind === "server" && info.reason === "reported";

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  async function newChat() {
    if (pending) return;
    setPending(true);
    setError(null);
    const same = lastJoin?.space === space ? lastJoin : null;
    const ack = await join(space, same?.intent, same?.topics, same?.onlyMyTopics);
    if (!ack.ok) {
      setPending(false);
      setError(ack.message);
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
      {kept ? null : <p className="muted">{CHAT_COPY.nothingKept}</p>}
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
