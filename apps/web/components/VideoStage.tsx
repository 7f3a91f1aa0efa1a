"use client";

import { useEffect, useRef, useState } from "react";
import { DORMPARTY_COPY } from "../lib/copy";
import { useVideo } from "./VideoProvider";

/** Shows `stream` in a video element (autoplay, inline); `muted` for one's own preview. */
function useStreamOn(video: HTMLVideoElement | null, stream: MediaStream | null) {
  useEffect(() => {
    if (!video) return;
    if (video.srcObject !== stream) video.srcObject = stream;
    if (stream) {
      // Autoplay may be held back by the browser; the element keeps trying when it can.
      video.play().catch(() => {});
    }
  }, [video, stream]);
}

/** The person's own camera, small and muted (mirrored, like a mirror). */
export function OwnPreview({ className = "video-self" }: { className?: string }) {
  const { local, muted, cameraOff } = useVideo();
  const [video, setVideo] = useState<HTMLVideoElement | null>(null);
  useStreamOn(video, local.status === "ready" ? local.stream : null);
  return (
    <div className={className}>
      <video
        ref={setVideo}
        className="video-element video-mirrored"
        aria-label={DORMPARTY_COPY.ownVideo}
        autoPlay
        playsInline
        muted
      />
      {cameraOff || muted ? (
        <p className="video-badge">
          {cameraOff ? DORMPARTY_COPY.cameraOffNote : DORMPARTY_COPY.mutedNote}
        </p>
      ) : null}
    </div>
  );
}

/**
 * The room's video: the partner large, one's own preview small in a corner, and the Mute and
 * Camera off toggles.
 */
export function VideoStage({ sessionId }: { sessionId: string }) {
  const { remote, muted, cameraOff, toggleMuted, toggleCamera, firstFrame } = useVideo();
  const stream = remote?.sessionId === sessionId ? remote.stream : null;
  const [video, setVideo] = useState<HTMLVideoElement | null>(null);
  const [showing, setShowing] = useState(false);
  useStreamOn(video, stream);

  // The first frame of the partner's video: the "Connecting video…" line goes away.
  const reported = useRef(false);
  useEffect(() => {
    if (!video || !stream) return;
    let done = false;
    const shown = () => {
      if (done) return;
      done = true;
      setShowing(true);
      if (!reported.current) {
        reported.current = true;
        firstFrame(sessionId);
      }
    };
    const withFrames = video as HTMLVideoElement & {
      requestVideoFrameCallback?: (cb: () => void) => number;
      cancelVideoFrameCallback?: (handle: number) => void;
    };
    let handle: number | undefined;
    if (typeof withFrames.requestVideoFrameCallback === "function") {
      handle = withFrames.requestVideoFrameCallback(shown);
    }
    video.addEventListener("loadeddata", shown);
    return () => {
      done = true;
      video.removeEventListener("loadeddata", shown);
      if (handle !== undefined) withFrames.cancelVideoFrameCallback?.(handle);
    };
  }, [video, stream, sessionId, firstFrame]);

  const waiting = !showing || !stream;

  return (
    <div className="video-call">
      <div className="video-stage">
        {/* biome-ignore lint/a11y/useMediaCaption: a live call has no caption track; the text side chat is its alternative */}
        <video
          ref={setVideo}
          className="video-element video-partner"
          aria-label={DORMPARTY_COPY.partnerVideo}
          autoPlay
          playsInline
        />
        <p role="status" className={waiting ? "video-status" : "visually-hidden"}>
          {waiting ? DORMPARTY_COPY.connectingVideo : ""}
        </p>
        <OwnPreview />
      </div>
      <fieldset className="video-controls">
        <legend className="visually-hidden">{DORMPARTY_COPY.mediaControls}</legend>
        <button
          type="button"
          className="button button-secondary"
          aria-pressed={muted}
          onClick={toggleMuted}
        >
          {DORMPARTY_COPY.mute}
        </button>
        <button
          type="button"
          className="button button-secondary"
          aria-pressed={cameraOff}
          onClick={toggleCamera}
        >
          {DORMPARTY_COPY.cameraOff}
        </button>
      </fieldset>
    </div>
  );
}
