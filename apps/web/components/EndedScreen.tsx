"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { type EndedInfo, endedReasonText, SPACE_COPY } from "../lib/copy";
import { useDuet } from "./DuetProvider";

/** The end of a conversation, with the reason in plain words and two ways on. */
export function EndedScreen({ info }: { info: EndedInfo }) {
  const router = useRouter();
  const { state, lastJoin, join, home } = useDuet();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

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
        setError(ack.message);
        return;
      }
    }
    router.push(href);
  }

  return (
    <div className="page page-center ended">
      <h1 ref={headingRef} tabIndex={-1}>
        This conversation is over
      </h1>
      <p className="lead ended-reason">{endedReasonText(info)}</p>
      <p className="muted">Nothing from it was kept. Thank you for being here.</p>
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
