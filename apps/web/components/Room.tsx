"use client";

import type { SpaceId, StateView } from "@duet/protocol";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import {
  CHAT_COPY,
  type EndedInfo,
  HELP_COPY,
  partnerIntentText,
  REPORT_COPY,
  spaceHref,
  TOKEN_SPACES,
  VIDEO_SPACES,
} from "../lib/copy";
import { useLeaveGuard } from "../lib/use-leave-guard";
import { Conversation } from "./Conversation";
import { useDuetActions, useDuetState, usePass } from "./DuetProvider";
import { EndedScreen, STRANGER_SPACES } from "./EndedScreen";
import { ExitDialog } from "./ExitDialog";
import { useHelp } from "./HelpProvider";
import { BannedScreen } from "./PassScreens";
import { ReportDialog } from "./ReportDialog";
import { StrangerRoom } from "./StrangerRoom";

type RoomView = Extract<StateView, { state: "MATCHED" | "ACTIVE" }>;

function endedFor(
  sessionId: string,
  state: StateView | null,
  lostSessionId: string | null,
  seenSpace: SpaceId | null,
  leaving: boolean,
): EndedInfo | null {
  if (state?.state === "ENDED" && state.sessionId === sessionId) {
    return { kind: "server", space: state.space, reason: state.reason, by: state.by };
  }
  if (lostSessionId === sessionId)
    return seenSpace ? { kind: "lost", space: seenSpace } : { kind: "lost" };
  // We were in this room and the server now says IDLE without an ENDED for it (a space that sends
  // its leaver straight home): it is over, and the screen must say so rather than hang.
  if (seenSpace && state?.state === "IDLE" && !leaving) return { kind: "gone", space: seenSpace };
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
 * conversation, or — for good, once it happened — the ended screen. The space comes from the
 * server's state: menti's room, or the stranger chat of stimchat and dormparty.
 */
export function Room({ sessionId }: { sessionId: string }) {
  const router = useRouter();
  const { status, state, spaces, lostSessionId, reportOutcome, partnerCare } = useDuetState();
  const { enter, care } = useDuetActions();
  const { identity } = usePass();
  // With one space enabled, home is that space's page: go there directly.
  const refusedHref =
    spaces?.length === 1 && spaces[0] ? `${spaceHref(spaces[0].id)}?ended=1` : "/?ended=1";
  const stateRef = useRef(state);
  stateRef.current = state;

  const view = roomView(sessionId, state);
  // The space of this room, once the server has shown it to us as ours.
  const seenRef = useRef<SpaceId | null>(null);
  if (view) seenRef.current = view.space;
  const seenSpace = seenRef.current;

  // End (dormparty) sends this person home: the IDLE that follows is not an unexplained end.
  const [leaving, setLeaving] = useState(false);

  // Once over, always over: later states (IDLE after `home`, a new visitor after a reconnect)
  // never bring this screen back to life.
  const [ended, setEnded] = useState<EndedInfo | null>(null);
  const endedNow = ended ?? endedFor(sessionId, state, lostSessionId, seenSpace, leaving);
  useEffect(() => {
    if (!ended && endedNow) setEnded(endedNow);
  }, [ended, endedNow]);

  // The server already moved this person on from this room (re-queued, or into a new session):
  // the provider is taking them there.
  const movedOn =
    endedNow === null &&
    ((state?.state === "WAITING" &&
      (state.previous?.sessionId === sessionId || seenSpace !== null)) ||
      (seenSpace !== null &&
        (state?.state === "MATCHED" || state?.state === "ACTIVE") &&
        state.sessionId !== sessionId));

  const enteredRef = useRef(false);
  const isOver = endedNow !== null || movedOn;
  useEffect(() => {
    if (status !== "connected" || enteredRef.current || isOver) return;
    enteredRef.current = true;
    // Back in a room we are already in (e.g. after the Back button): nothing to claim.
    if (stateRef.current?.state === "ACTIVE" && stateRef.current.sessionId === sessionId) return;
    // A video room is entered by the peer connection, once the media paths are up (VideoProvider).
    if (
      stateRef.current?.state === "MATCHED" &&
      stateRef.current.sessionId === sessionId &&
      VIDEO_SPACES.has(stateRef.current.space)
    ) {
      return;
    }
    void enter(sessionId).then((ack) => {
      if (ack.ok) return;
      const current = stateRef.current;
      // Refused because it is ours and already running or already over: the screen says so.
      if (current && "sessionId" in current && current.sessionId === sessionId) return;
      if (current?.state === "WAITING" && current.previous?.sessionId === sessionId) return;
      router.replace(refusedHref);
    });
  }, [status, isOver, sessionId, enter, router, refusedHref]);

  const [exitOpen, setExitOpen] = useState(false);
  const [reportOpen, setReportOpen] = useState(false);
  // The conversation in which this person showed the other where to get help ("worried").
  const [caredIn, setCaredIn] = useState<string | null>(null);
  // The partner did that for this person: the help panel opens, once per conversation, saying why.
  const { openHelp } = useHelp();
  const shownCare = useRef<string | null>(null);
  useEffect(() => {
    if (partnerCare !== sessionId || shownCare.current === sessionId) return;
    shownCare.current = sessionId;
    openHelp(HELP_COPY.partnerCared);
  }, [partnerCare, sessionId, openHelp]);
  // A refresh or a closed tab would end the conversation for both: the browser asks first.
  useLeaveGuard(view?.state === "ACTIVE" && !endedNow);

  // A browser banned while in a stimchat or dormparty room: the server took it out of the chat;
  // the ban screen says why, rather than an ended screen that doesn't.
  if (identity?.status === "banned" && seenSpace && TOKEN_SPACES.has(seenSpace)) {
    return <BannedScreen space={seenSpace} />;
  }

  if (endedNow) {
    const space = endedNow.kind === "lost" ? (endedNow.space ?? null) : endedNow.space;
    // Only the reporter's own report of this room counts (it may have failed after the end).
    const reportError = reportOutcome?.sessionId === sessionId ? reportOutcome.error : null;
    return (
      <EndedScreen info={endedNow} space={space} sessionId={sessionId} reportError={reportError} />
    );
  }

  if (movedOn || (leaving && !view)) {
    return (
      <div className="room">
        <div className="room-waiting">
          <div className="breath breath-small" aria-hidden="true" />
          <p role="status" className="room-status">
            {leaving ? CHAT_COPY.leaving : CHAT_COPY.movingOn}
          </p>
        </div>
      </div>
    );
  }

  const space = view?.space ?? seenSpace;
  if (view && space && STRANGER_SPACES.has(space)) {
    return <StrangerRoom view={view} onLeaving={setLeaving} />;
  }

  return (
    <div className={view?.state === "ACTIVE" ? "room room-active" : "room"}>
      <div className="room-bar">
        <h1 className="room-title">Conversation</h1>
        {view ? (
          <div className="room-actions">
            <button
              type="button"
              className="button button-quiet"
              onClick={() => setReportOpen(true)}
            >
              {REPORT_COPY.open}
            </button>
            <button
              type="button"
              className="button button-secondary"
              onClick={() => setExitOpen(true)}
            >
              Exit
            </button>
          </div>
        ) : null}
      </div>
      {view?.state === "ACTIVE" ? (
        <Conversation
          sessionId={sessionId}
          careSignposting
          careSent={caredIn === sessionId}
          onCare={async () => {
            const ack = await care();
            if (ack.ok) setCaredIn(sessionId);
            return ack;
          }}
          intro={
            <p className="conversation-intro">
              {partnerIntentText(view.partner.intent)} Say hello whenever you're ready.
            </p>
          }
        />
      ) : (
        <div className="room-waiting">
          <div className="breath breath-small" aria-hidden="true" />
          <p role="status" className="room-status">
            Connecting you…
          </p>
        </div>
      )}
      {exitOpen && view ? <ExitDialog onClose={() => setExitOpen(false)} /> : null}
      {reportOpen && view ? (
        <ReportDialog
          space={view.space}
          onClose={(done) => {
            setReportOpen(false);
            if (done === "cared") setCaredIn(sessionId);
          }}
        />
      ) : null}
    </div>
  );
}
