"use client";

import type { StateView, VideoPath } from "@duet/protocol";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import {
  CAMERA_COPY,
  DORMPARTY_COPY,
  refusalText,
  requeuedText,
  type WaitingPrevious,
} from "../lib/copy";
import type { MediaProblem } from "../lib/peer";
import { useFocusedHeading } from "../lib/use-focused-heading";
import { useDuetActions, useDuetState } from "./DuetProvider";
import { EndedBanner } from "./EndedBanner";
import { ErrorLine } from "./ErrorLine";
import { PassStatus } from "./PassScreens";
import { PresenceLine } from "./PresenceLine";
import { SearchWaiting } from "./SearchWaiting";
import { SpaceFlow } from "./SpaceFlow";
import { StillWaiting } from "./StillWaiting";
import { useVideo } from "./VideoProvider";
import { CameraPicker, OwnPreview } from "./VideoStage";

/**
 * `/dormparty`: one sentence and "Start" (which turns the camera on, then searches); then "Finding someone…" until the server pairs us. After
 * a Skip, an End by the partner or a lost partner, the server re-queues this person at once and
 * the waiting screen says why ("Skipped — finding someone new").
 */
export function DormpartyFlow({
  ended = false,
  videoPath = null,
}: {
  ended?: boolean;
  /** How calls connect, as the server told the page's first render (lib/page-facts.ts). */
  videoPath?: VideoPath | null;
}) {
  const { spaces } = useDuetState();
  return (
    <SpaceFlow
      space="dormparty"
      notOpenTitle={DORMPARTY_COPY.notOpenTitle}
      waiting={(view, stop) => <RequeueAwareWaiting view={view} onStop={stop} />}
      entry={({ summary, focusHeading, ready }) => (
        <Entry
          focusHeading={focusHeading}
          banner={ended}
          ready={ready}
          transport={spaces === null ? null : (summary?.iceTransportPolicy ?? "all")}
          videoPath={videoPath}
        />
      )}
    />
  );
}

/** The camera or microphone can't be used: why, how to allow them, "Try again" and "Home". */
function CameraProblem({ problem, onRetry }: { problem: MediaProblem; onRetry(): void }) {
  const headingRef = useFocusedHeading();
  return (
    <div className="page">
      <h1 ref={headingRef} tabIndex={-1}>
        {CAMERA_COPY.title}
      </h1>
      <p className="lead">{CAMERA_COPY.lead}</p>
      <p>{CAMERA_COPY.problem[problem]}</p>
      <p className="actions">
        {problem === "insecure" ? null : (
          <button type="button" className="button button-primary" onClick={onRetry}>
            {CAMERA_COPY.tryAgain}
          </button>
        )}{" "}
        <Link href="/" className="button button-secondary">
          {CAMERA_COPY.home}
        </Link>
      </p>
    </div>
  );
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
      space="dormparty"
      title={DORMPARTY_COPY.waitingTitle}
      lead={DORMPARTY_COPY.waitingLead}
      elapsedLabel={DORMPARTY_COPY.waitingElapsed}
      stopLabel={DORMPARTY_COPY.stop}
      notice={previous ? requeuedText(previous) : null}
      onStop={onStop}
    >
      {/* The camera is on while searching anyway: the person sees what the next one will. */}
      <OwnPreview className="video-preview" />
      <CameraPicker />
    </SearchWaiting>
  );
}

function Entry({
  focusHeading,
  banner,
  ready,
  transport,
  videoPath,
}: {
  focusHeading: boolean;
  banner: boolean;
  /** This browser's pass is ready (identity "ok"); until then Start waits. */
  ready: boolean;
  /** How calls connect (the server's `welcome`); null until it arrived. */
  transport: VideoPath | null;
  /** The same as the page's first render knew it: the note is there in the first paint. */
  videoPath: VideoPath | null;
}) {
  const { join } = useDuetActions();
  const { local, requestLocal } = useVideo();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Start was pressed: once the camera and microphone are on, the search starts by itself.
  const [startWanted, setStartWanted] = useState(false);
  const headingRef = useFocusedHeading(focusHeading);
  const cameraReady = local.status === "ready";
  // The camera is asked for when the person presses Start, never on page load: the screen has
  // said by then how calls connect (a direct call lets the other person's device learn this
  // one's network address), and nobody's camera light comes on just for looking at the page.
  const canStart = ready && transport !== null && !pending;
  // What the note says: the server's `welcome` once here, the page's first render before it.
  const path = transport ?? videoPath;

  const joinRef = useRef(join);
  joinRef.current = join;
  useEffect(() => {
    if (!startWanted || !cameraReady) return;
    setStartWanted(false);
    setPending(true);
    setError(null);
    void joinRef.current("dormparty").then((ack) => {
      setPending(false);
      if (!ack.ok) setError(refusalText(ack));
    });
  }, [startWanted, cameraReady]);

  if (local.status === "failed") {
    return <CameraProblem problem={local.problem} onRetry={requestLocal} />;
  }

  function start() {
    if (!canStart || startWanted) return;
    setStartWanted(true);
    if (!cameraReady) requestLocal();
  }

  return (
    <div className="page">
      {banner ? <EndedBanner /> : null}
      <h1 ref={headingRef} tabIndex={-1}>
        {DORMPARTY_COPY.entryTitle}
      </h1>
      <p className="lead">{DORMPARTY_COPY.entryLead}</p>
      <p className="muted">{DORMPARTY_COPY.entryNote}</p>
      {path === null ? null : (
        <p className={path === "all" ? "notice" : "muted"}>
          {path === "all" ? DORMPARTY_COPY.directNote : DORMPARTY_COPY.relayNote}
        </p>
      )}
      <p className="muted">{DORMPARTY_COPY.keptNote}</p>
      <PresenceLine space="dormparty" />
      <StillWaiting here="dormparty" />
      {cameraReady ? (
        <>
          <OwnPreview className="video-preview" />
          <CameraPicker />
        </>
      ) : null}
      <p role="status" className="muted">
        {local.status === "asking" ? DORMPARTY_COPY.cameraAsking : ""}
      </p>
      <p>
        <button
          type="button"
          className="button button-primary button-large"
          disabled={!canStart || startWanted}
          onClick={start}
        >
          {DORMPARTY_COPY.start}
        </button>
      </p>
      <PassStatus />
      <ErrorLine error={error} />
    </div>
  );
}
