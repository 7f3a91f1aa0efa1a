"use client";

import type { StateView } from "@duet/protocol";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import type { EndedInfo } from "../lib/copy";
import { Conversation } from "./Conversation";
import { useDuet } from "./DuetProvider";
import { EndedScreen } from "./EndedScreen";
import { ExitDialog } from "./ExitDialog";

type RoomView = Extract<StateView, { state: "MATCHED" | "ACTIVE" }>;

function endedFor(
  sessionId: string,
  state: StateView | null,
  lostSessionId: string | null,
): EndedInfo | null {
  if (state?.state === "ENDED" && state.sessionId === sessionId) {
    return { kind: "server", space: state.space, reason: state.reason, by: state.by };
  }
  if (lostSessionId === sessionId) return { kind: "lost" };
  return null;
}

function roomView(sessionId: string, state: StateView | null): RoomView | null {
  if ((state?.state === "MATCHED" || state?.state === "ACTIVE") && state.sessionId === sessionId) {
    return state;
  }
  return null;
}

/**
 * `/room/{sessionId}`: claims the seat once per mount, then shows "Connecting you…", the
 * conversation, or — for good, once it happened — the ended screen.
 */
export function Room({ sessionId }: { sessionId: string }) {
  const router = useRouter();
  const { status, state, lostSessionId, enter } = useDuet();
  const stateRef = useRef(state);
  stateRef.current = state;

  // Once over, always over: later states (IDLE after `home`, a new visitor after a reconnect)
  // never bring this screen back to life.
  const [ended, setEnded] = useState<EndedInfo | null>(null);
  const endedNow = ended ?? endedFor(sessionId, state, lostSessionId);
  useEffect(() => {
    if (!ended && endedNow) setEnded(endedNow);
  }, [ended, endedNow]);

  const enteredRef = useRef(false);
  const isOver = endedNow !== null;
  useEffect(() => {
    if (status !== "connected" || enteredRef.current || isOver) return;
    enteredRef.current = true;
    // Back in a room we are already in (e.g. after the Back button): nothing to claim.
    if (stateRef.current?.state === "ACTIVE" && stateRef.current.sessionId === sessionId) return;
    void enter(sessionId).then((ack) => {
      if (ack.ok) return;
      const current = stateRef.current;
      // Refused because it is ours and already running or already over: the screen says so.
      if (current && "sessionId" in current && current.sessionId === sessionId) return;
      router.replace("/?ended=1");
    });
  }, [status, isOver, sessionId, enter, router]);

  const [exitOpen, setExitOpen] = useState(false);

  if (endedNow) return <EndedScreen info={endedNow} />;

  const view = roomView(sessionId, state);
  return (
    <div className={view?.state === "ACTIVE" ? "room room-active" : "room"}>
      <div className="room-bar">
        <h1 className="room-title">Conversation</h1>
        {view ? (
          <button
            type="button"
            className="button button-secondary"
            onClick={() => setExitOpen(true)}
          >
            Exit
          </button>
        ) : null}
      </div>
      {view?.state === "ACTIVE" ? (
        <Conversation sessionId={sessionId} partnerIntent={view.partner.intent} />
      ) : (
        <div className="room-waiting">
          <div className="breath breath-small" aria-hidden="true" />
          <p role="status" className="room-status">
            Connecting you…
          </p>
        </div>
      )}
      {exitOpen && view ? <ExitDialog onClose={() => setExitOpen(false)} /> : null}
    </div>
  );
}
