"use client";

import { INTENTS, type Intent } from "@duet/protocol";
import Link from "next/link";
import { useState } from "react";
import { INTENT_COPY, INTENT_ORDER, MENTI_KEPT_NOTE, refusalText } from "../lib/copy";
import { useFocusedHeading } from "../lib/use-focused-heading";
import { useDuet } from "./DuetProvider";
import { EndedBanner } from "./EndedBanner";
import { ErrorLine } from "./ErrorLine";
import { Waiting } from "./Waiting";

/** `/menti`: choose Listen, Talk or Both; then the waiting screen until the server pairs us. */
export function MentiFlow({ ended = false }: { ended?: boolean }) {
  const { state, spaces, cancel } = useDuet();
  const [backFromWaiting, setBackFromWaiting] = useState(false);

  if (state?.state === "WAITING" && state.space === "menti") {
    return (
      <Waiting
        view={state}
        onCancel={async () => {
          const ack = await cancel();
          if (ack.ok) setBackFromWaiting(true);
          return ack;
        }}
      />
    );
  }

  if (state?.state === "MATCHED" || state?.state === "ACTIVE") {
    return (
      <div className="page page-center">
        <h1>Someone is here</h1>
        <p className="lead">Taking you to your conversation…</p>
      </div>
    );
  }

  const menti = spaces?.find((space) => space.id === "menti");
  if (spaces !== null && !menti) {
    return (
      <div className="page">
        <h1>Peer support is not open here</h1>
        <p className="lead">This server does not offer this space right now.</p>
        <p>
          <Link href="/" className="button button-secondary">
            Home
          </Link>
        </p>
      </div>
    );
  }

  const offered = menti?.intents?.length ? menti.intents : INTENTS;
  return (
    <IntentChoice
      intents={INTENT_ORDER.filter((intent) => offered.includes(intent))}
      focusHeading={backFromWaiting}
      banner={ended}
    />
  );
}

function IntentChoice({
  intents,
  focusHeading,
  banner,
}: {
  intents: Intent[];
  focusHeading: boolean;
  banner: boolean;
}) {
  const { join } = useDuet();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const headingRef = useFocusedHeading(focusHeading);

  async function choose(intent: Intent) {
    if (pending) return;
    setPending(true);
    setError(null);
    const ack = await join("menti", intent);
    setPending(false);
    if (!ack.ok) setError(refusalText(ack));
  }

  return (
    <div className="page">
      {banner ? <EndedBanner /> : null}
      <h1 ref={headingRef} tabIndex={-1}>
        How would you like to take part?
      </h1>
      <p className="lead">
        You will be paired with one person. Either of you can leave at any time, and nothing you
        write is kept.
      </p>
      <p className="muted">{MENTI_KEPT_NOTE}</p>
      <div className="intent-list">
        {intents.map((intent) => {
          const copy = INTENT_COPY[intent];
          return (
            <button
              key={intent}
              type="button"
              className="intent"
              aria-labelledby={`intent-${intent}-label`}
              aria-describedby={`intent-${intent}-description`}
              disabled={pending}
              onClick={() => void choose(intent)}
            >
              <span id={`intent-${intent}-label`} className="intent-label">
                {copy.label}
              </span>
              <span id={`intent-${intent}-description`} className="intent-description">
                {copy.description}
              </span>
            </button>
          );
        })}
      </div>
      <ErrorLine error={error} />
    </div>
  );
}
