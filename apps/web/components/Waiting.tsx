"use client";

import type { Ack, StateView } from "@duet/protocol";
import { useState } from "react";
import { BOTH_SUGGESTION, INTENT_COPY, refusalText } from "../lib/copy";
import { useDuetActions, usePresence } from "./DuetProvider";
import { ErrorLine } from "./ErrorLine";
import { SearchWaiting } from "./SearchWaiting";

type WaitingView = Extract<StateView, { state: "WAITING" }>;

/**
 * menti's calm waiting screen: no timeout, a quiet clock, how busy it is, the chosen intent, and a
 * way out. When everyone waiting chose this person's intent too (the server's presence says so,
 * without a count), it suggests Both, which pairs them at once with one of the others.
 */
export function Waiting({ view, onCancel }: { view: WaitingView; onCancel: () => Promise<Ack> }) {
  return (
    <SearchWaiting
      space="menti"
      title="Looking for someone…"
      lead="This can take a little while. You can leave at any time."
      elapsedLabel="Time waiting:"
      stopLabel="Cancel"
      notice={view.previous ? "Your last conversation has ended." : null}
      onStop={onCancel}
    >
      {view.intent ? <p className="muted">You chose: {INTENT_COPY[view.intent].label}</p> : null}
      <BothSuggestion intent={view.intent} />
    </SearchWaiting>
  );
}

function BothSuggestion({ intent }: { intent: WaitingView["intent"] }) {
  const { cancel, join } = useDuetActions();
  const presence = usePresence();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const only = presence?.spaces.find((s) => s.id === "menti")?.onlyIntentWaiting;
  if (!only || only !== intent) return null;
  const copy = BOTH_SUGGESTION[only];

  async function switchToBoth() {
    if (pending) return;
    setPending(true);
    setError(null);
    // A new search as Both: the others waiting can all be met by it, so the place in line that
    // this gives up is not worth keeping.
    const left = await cancel();
    const ack = left.ok ? await join("menti", "both") : left;
    setPending(false);
    if (!ack.ok) setError(refusalText(ack));
  }

  return (
    <div className="callout both-suggestion">
      <p>{copy.text}</p>
      <button
        type="button"
        className="button button-primary"
        disabled={pending}
        onClick={() => void switchToBoth()}
      >
        {copy.action}
      </button>
      <ErrorLine error={error} />
    </div>
  );
}
