"use client";

import type { StateView } from "@duet/protocol";
import { useEffect, useRef, useState } from "react";
import { DORMPARTY_COPY, requeuedText, type WaitingPrevious } from "../lib/copy";
import { useDuet } from "./DuetProvider";
import { EndedBanner } from "./EndedBanner";
import { PresenceLine } from "./PresenceLine";
import { SearchWaiting } from "./SearchWaiting";
import { MatchedInterlude, SpaceNotOpen } from "./SpaceNotOpen";
import { StillWaiting } from "./StillWaiting";

/**
 * `/dormparty`: one sentence and "Start"; then "Finding someone…" until the server pairs us. After
 * a Skip, an End by the partner or a lost partner, the server re-queues this person at once and
 * the waiting screen says why ("Skipped — finding someone new").
 */
export function DormpartyFlow({ ended = false }: { ended?: boolean }) {
  const { state, spaces, cancel } = useDuet();
  const [returned, setReturned] = useState(false);

  if (state?.state === "WAITING" && state.space === "dormparty") {
    return (
      <RequeueAwareWaiting
        view={state}
        onStop={async () => {
          const ack = await cancel();
          if (ack.ok) setReturned(true);
          return ack;
        }}
      />
    );
  }

  if (state?.state === "MATCHED" || state?.state === "ACTIVE") return <MatchedInterlude />;

  const summary = spaces?.find((space) => space.id === "dormparty");
  if (spaces !== null && !summary) return <SpaceNotOpen title={DORMPARTY_COPY.notOpenTitle} />;

  return <Entry focusHeading={returned} banner={ended} />;
}

function RequeueAwareWaiting({
  view,
  onStop,
}: {
  view: Extract<StateView, { state: "WAITING" }>;
  onStop: Parameters<typeof SearchWaiting>[0]["onStop"];
}) {
  // A later WAITING state (e.g. a repeated join) no longer carries `previous`: keep the line.
  const [previous, setPrevious] = useState<WaitingPrevious | undefined>(view.previous);
  useEffect(() => {
    if (view.previous) setPrevious(view.previous);
  }, [view.previous]);

  return (
    <SearchWaiting
      title={DORMPARTY_COPY.waitingTitle}
      lead={DORMPARTY_COPY.waitingLead}
      elapsedLabel={DORMPARTY_COPY.waitingElapsed}
      stopLabel={DORMPARTY_COPY.stop}
      notice={previous ? requeuedText(previous) : null}
      onStop={onStop}
    />
  );
}

function Entry({ focusHeading, banner }: { focusHeading: boolean; banner: boolean }) {
  const { join } = useDuet();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (focusHeading) headingRef.current?.focus();
  }, [focusHeading]);

  async function start() {
    if (pending) return;
    setPending(true);
    setError(null);
    const ack = await join("dormparty");
    setPending(false);
    if (!ack.ok) setError(ack.message);
  }

  return (
    <div className="page">
      {banner ? <EndedBanner /> : null}
      <h1 ref={headingRef} tabIndex={-1}>
        {DORMPARTY_COPY.entryTitle}
      </h1>
      <p className="lead">{DORMPARTY_COPY.entryLead}</p>
      <p className="muted">{DORMPARTY_COPY.entryNote}</p>
      <PresenceLine space="dormparty" />
      <StillWaiting here="dormparty" />
      <p>
        <button
          type="button"
          className="button button-primary button-large"
          disabled={pending}
          onClick={() => void start()}
        >
          {DORMPARTY_COPY.start}
        </button>
      </p>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </div>
  );
}
