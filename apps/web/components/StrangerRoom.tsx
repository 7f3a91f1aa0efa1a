"use client";

import type { StateView } from "@duet/protocol";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import {
  CHAT_COPY,
  DORMPARTY_COPY,
  REPORT_COPY,
  STIMCHAT_COPY,
  sharedTopicsText,
  VIDEO_SPACES,
} from "../lib/copy";
import { Conversation } from "./Conversation";
import { hasTypingIndicator, useDuetActions, useDuetState } from "./DuetProvider";
import { ErrorLine } from "./ErrorLine";
import { ReportDialog } from "./ReportDialog";
import { useVideo } from "./VideoProvider";
import { VideoStage } from "./VideoStage";

type RoomView = Extract<StateView, { state: "MATCHED" | "ACTIVE" }>;

/** The second Esc must come within this long of the first to skip. */
const ESC_CONFIRM_MS = 2_000;

/**
 * The room of the stranger-chat spaces: "You" / "Stranger", a typing indicator, and the space's
 * controls — "Leave chat" in stimchat; "Skip" (also Esc pressed twice) and "End" in dormparty.
 * Help is the banner's "I need help", on every screen (one name for one panel).
 */
export function StrangerRoom({
  view,
  onLeaving,
}: {
  view: RoomView;
  /** Tells the room that this person chose to go home (End), so IDLE is expected. */
  onLeaving: (leaving: boolean) => void;
}) {
  const router = useRouter();
  const { spaces } = useDuetState();
  const { exit, skip, end } = useDuetActions();
  const summary = spaces?.find((s) => s.id === view.space);
  const controls = summary?.controls ?? [];
  const canSkip = controls.includes("skip");
  const canEnd = controls.includes("end");
  const hasLeave = !canSkip && !canEnd;
  const typingOn = hasTypingIndicator(view.space, spaces);
  const isVideo = VIDEO_SPACES.has(view.space);
  const { release } = useVideo();

  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [reportOpen, setReportOpen] = useState(false);
  const [escArmed, setEscArmed] = useState(false);

  async function run(action: () => Promise<{ ok: boolean; message?: string }>) {
    if (pending) return false;
    setPending(true);
    setError(null);
    const ack = await action();
    setPending(false);
    if (!ack.ok) setError(ack.message ?? null);
    return ack.ok;
  }

  const doSkip = async () => {
    setEscArmed(false);
    await run(skip);
  };

  async function doEnd() {
    onLeaving(true);
    const ok = await run(end);
    if (ok) {
      // End: the camera and microphone are let go of at once (the camera light goes off).
      release();
      router.push("/");
    } else onLeaving(false);
  }

  // Esc, then Esc again within 2 s: Skip. An open dialog keeps its Esc.
  const skipRef = useRef(doSkip);
  skipRef.current = doSkip;
  useEffect(() => {
    if (!canSkip) return;
    let armedAt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== "Escape" || event.repeat || event.isComposing || event.defaultPrevented) {
        return;
      }
      if (document.querySelector("dialog[open]")) return;
      const now = Date.now();
      clearTimeout(timer);
      if (armedAt > 0 && now - armedAt <= ESC_CONFIRM_MS) {
        armedAt = 0;
        void skipRef.current();
        return;
      }
      armedAt = now;
      setEscArmed(true);
      timer = setTimeout(() => {
        armedAt = 0;
        setEscArmed(false);
      }, ESC_CONFIRM_MS);
    };
    window.addEventListener("keydown", onKeyDown);
    return () => {
      window.removeEventListener("keydown", onKeyDown);
      clearTimeout(timer);
    };
  }, [canSkip]);

  const shared = view.partner.sharedTopics ?? [];
  const chat =
    view.state === "ACTIVE" ? (
      <Conversation
        sessionId={view.sessionId}
        youLabel={CHAT_COPY.you}
        partnerLabel={CHAT_COPY.partner}
        typingIndicator={typingOn}
        intro={
          <div className="conversation-intro">
            <p>{CHAT_COPY.intro}</p>
            {shared.length > 0 ? <p className="shared-topics">{sharedTopicsText(shared)}</p> : null}
          </div>
        }
      />
    ) : null;

  return (
    <div
      className={`${view.state === "ACTIVE" ? "room room-active" : "room"}${isVideo ? " room-video" : ""}`}
    >
      <div className="room-bar">
        <h1 className="room-title">{CHAT_COPY.roomTitle}</h1>
        <div className="room-actions">
          <button
            type="button"
            className="button button-quiet"
            disabled={pending}
            onClick={() => setReportOpen(true)}
          >
            {REPORT_COPY.open}
          </button>
          {hasLeave ? (
            <button
              type="button"
              className="button button-secondary"
              disabled={pending}
              onClick={() => void run(exit)}
            >
              {STIMCHAT_COPY.leave}
            </button>
          ) : null}
          {canSkip ? (
            <button
              type="button"
              className="button button-primary"
              aria-keyshortcuts="Escape"
              aria-describedby="room-controls-hint"
              disabled={pending}
              onClick={() => void doSkip()}
            >
              {DORMPARTY_COPY.skip}
            </button>
          ) : null}
          {canEnd ? (
            <button
              type="button"
              className="button button-secondary"
              aria-describedby="room-controls-hint"
              disabled={pending}
              onClick={() => void doEnd()}
            >
              {DORMPARTY_COPY.end}
            </button>
          ) : null}
        </div>
      </div>
      {canSkip || canEnd ? (
        // While Esc is armed, its hint takes this line's place; the line still describes the
        // buttons (visually hidden, not removed).
        <p id="room-controls-hint" className={escArmed ? "visually-hidden" : "room-hint"}>
          {DORMPARTY_COPY.controlsHint}
        </p>
      ) : null}
      {canSkip ? (
        <p role="status" className={escArmed ? "room-hint esc-hint" : "esc-hint-idle"}>
          {escArmed ? DORMPARTY_COPY.escHint : ""}
        </p>
      ) : null}
      <ErrorLine error={error} className="error room-error" />
      {isVideo ? (
        // Wide screens: the call large, the side chat beside it; phones: the call on top, the chat
        // below (globals.css, "video room").
        <div className="video-room">
          <VideoStage sessionId={view.sessionId} />
          <div className="video-side">{chat}</div>
        </div>
      ) : (
        (chat ?? (
          <div className="room-waiting">
            <div className="breath breath-small" aria-hidden="true" />
            <p role="status" className="room-status">
              {CHAT_COPY.connecting}
            </p>
          </div>
        ))
      )}
      {reportOpen ? <ReportDialog space={view.space} onClose={() => setReportOpen(false)} /> : null}
    </div>
  );
}
