"use client";

import type { Ack, StateView } from "@duet/protocol";
import { INTENT_COPY } from "../lib/copy";
import { SearchWaiting } from "./SearchWaiting";

type WaitingView = Extract<StateView, { state: "WAITING" }>;

/** menti's calm waiting screen: no timeout, a quiet clock, the chosen intent, and a way out. */
export function Waiting({ view, onCancel }: { view: WaitingView; onCancel: () => Promise<Ack> }) {
  return (
    <SearchWaiting
      title="Looking for someone…"
      lead="This can take a little while. You can leave at any time."
      elapsedLabel="Time waiting:"
      stopLabel="Cancel"
      notice={view.previous ? "Your last conversation has ended." : null}
      onStop={onCancel}
    >
      {view.intent ? <p className="muted">You chose: {INTENT_COPY[view.intent].label}</p> : null}
    </SearchWaiting>
  );
}
