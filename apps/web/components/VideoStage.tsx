"use client";

import { type ReactNode, useEffect, useRef, useState } from "react";
import { DORMPARTY_COPY } from "../lib/copy";
import { CameraIcon, MicIcon } from "./Icons";
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

/** "Camera: [this one ▾]" when the device has more than one camera; nothing otherwise. */
export function CameraPicker() {
  const { cameras, cameraId, chooseCamera } = useVideo();
  if (cameras.length < 2) return null;
  // The camera in use may not be one the list names (yet): then nothing is shown as chosen.
  const chosen = cameras.some((camera) => camera.deviceId === cameraId) ? cameraId : null;
  return (
    <p className="camera-picker">
      <label htmlFor="camera-picker">{DORMPARTY_COPY.cameraPicker}</label>{" "}
      <select
        id="camera-picker"
        value={chosen ?? ""}
        onChange={(event) => chooseCamera(event.target.value)}
      >
        {chosen === null ? <option value="">—</option> : null}
        {cameras.map((camera) => (
          <option key={camera.deviceId} value={camera.deviceId}>
            {camera.label}
          </option>
        ))}
      </select>
    </p>
  );
}

/** A call toggle: its label says what pressing it will do; its icon shows the state. */
function MediaToggle({
  onClick,
  icon,
  label,
}: {
  onClick(): void;
  icon: ReactNode;
  label: string;
}) {
  return (
    <button type="button" className="button button-secondary button-media" onClick={onClick}>
      {icon}
      {label}
    </button>
  );
}

/**
 * The room's video: the partner large (or a calm "Camera off" panel when they turned it off), one's
 * own preview small in a corner, and over the picture's lower left the Mute and video toggles,
 * which say in words what they will do and show the current state with an icon (a slash when
 * off) and the preview's badge.
 */
export function VideoStage({ sessionId }: { sessionId: string }) {
  const { remote, remoteMedia, muted, cameraOff, toggleMuted, toggleCamera, firstFrame } =
    useVideo();
  const stream = remote?.sessionId === sessionId ? remote.stream : null;
  const partnerMedia = remoteMedia?.sessionId === sessionId ? remoteMedia : null;
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
  const partnerCameraOff = !waiting && partnerMedia?.camera === false;
  const status = waiting
    ? DORMPARTY_COPY.connectingVideo
    : partnerCameraOff
      ? DORMPARTY_COPY.partnerCameraOff
      : "";

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
        <div
          className={status ? "video-status" : "visually-hidden"}
          data-camera-off={partnerCameraOff ? "true" : undefined}
        >
          {partnerCameraOff ? <CameraIcon off /> : null}
          <p role="status" className="video-status-text">
            {status}
          </p>
        </div>
        {!waiting && partnerMedia?.mic === false ? (
          <p className="video-badge video-badge-partner">{DORMPARTY_COPY.partnerMuted}</p>
        ) : null}
        <OwnPreview />
        <fieldset className="video-controls">
          <legend className="visually-hidden">{DORMPARTY_COPY.mediaControls}</legend>
          <MediaToggle
            onClick={toggleMuted}
            icon={<MicIcon off={muted} />}
            label={muted ? DORMPARTY_COPY.unmute : DORMPARTY_COPY.mute}
          />
          <MediaToggle
            onClick={toggleCamera}
            icon={<CameraIcon off={cameraOff} />}
            label={cameraOff ? DORMPARTY_COPY.cameraOn : DORMPARTY_COPY.cameraOff}
          />
        </fieldset>
      </div>
    </div>
  );
}
