"use client";

import type { Ack, StateView } from "@duet/protocol";
import { useEffect, useRef, useState } from "react";
import { formatElapsed, INTENT_COPY } from "../lib/copy";
import { useWaitingElapsed } from "./DuetProvider";

type WaitingView = Extract<StateView, { state: "WAITING" }>;

/** The calm waiting screen: no timeout, a quiet clock, and a way out. */
export function Waiting({ view, onCancel }: { view: WaitingView; onCancel: () => Promise<Ack> }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  const elapsed = useWaitingElapsed();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  async function cancel() {
    if (pending) return;
    setPending(true);
    setError(null);
    const ack = await onCancel();
    setPending(false);
    if (!ack.ok) setError(ack.message);
  }

  return (
    <div className="page page-center waiting">
      <div className="breath" aria-hidden="true" />
      <h1 ref={headingRef} tabIndex={-1}>
        Looking for someone…
      </h1>
      {view.previous ? <p>Your last conversation has ended.</p> : null}
      <p className="lead">This can take a little while. You can leave at any time.</p>
      <p className="elapsed">
        Time waiting: <span className="timer">{formatElapsed(elapsed)}</span>
      </p>
      {view.intent ? <p className="muted">You chose: {INTENT_COPY[view.intent].label}</p> : null}
      <p>
        <button type="button" className="button button-secondary" onClick={() => void cancel()}>
          Cancel
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
