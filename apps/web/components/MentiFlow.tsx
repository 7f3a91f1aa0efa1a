"use client";

import type { Intent } from "@duet/protocol";
import { INTENTS } from "@duet/protocol/constants";
import { useState } from "react";
import { INTENT_COPY, INTENT_ORDER, MENTI_KEPT_NOTE, refusalText } from "../lib/copy";
import { useFocusedHeading } from "../lib/use-focused-heading";
import { useDuetActions } from "./DuetProvider";
import { EndedBanner } from "./EndedBanner";
import { ErrorLine } from "./ErrorLine";
import { SpaceFlow } from "./SpaceFlow";
import { Waiting } from "./Waiting";

/** `/menti`: choose Listen, Talk or Both; then the waiting screen until the server pairs us. */
export function MentiFlow({ ended = false }: { ended?: boolean }) {
  return (
    <SpaceFlow
      space="menti"
      notOpenTitle="Peer support is not open here"
      matchedLead="Taking you to your conversation…"
      waiting={(view, stop) => <Waiting view={view} onCancel={stop} />}
      entry={({ summary, focusHeading }) => {
        const offered = summary?.intents?.length ? summary.intents : INTENTS;
        return (
          <IntentChoice
            intents={INTENT_ORDER.filter((intent) => offered.includes(intent))}
            focusHeading={focusHeading}
            banner={ended}
          />
        );
      }}
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
  const { join } = useDuetActions();
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
