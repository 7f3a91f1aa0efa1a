"use client";

import type { MediaSetup, RelayedSignal, SignalPayload, StateView } from "@duet/protocol";
import { usePathname } from "next/navigation";
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import { VIDEO_SPACES } from "../lib/copy";
import {
  createPeer,
  getCamera,
  getCameraAndMicrophone,
  type MediaProblem,
  type MediaState,
  mediaProblemOf,
  type Peer,
  stopStream,
} from "../lib/peer";
import { useDuetActions, useDuetState } from "./DuetProvider";

/**
 * The camera and microphone of this tab, and its peer connection to the partner of a video
 * session (dormparty). Sits inside `DuetProvider` in the root layout, so the camera stays on from
 * the entry screen through the waiting screen and the room (and from one Skip to the next), and
 * negotiation starts on the server's `media`, before the room page has even opened.
 *
 * A match alone starts nothing: on its MATCHED state this tab asks for the session's media
 * (`askMedia`), and the server answers both members with `media` only once both asked. Until then
 * it relays no signal either way, so a client that never asks never learns this tab's network
 * addresses from its ICE candidates (docs/protocol.md).
 *
 * The camera and microphone are released on End (`release()`) and whenever the tab leaves the
 * video space's pages. The peer connection closes when its session is no longer this tab's.
 */
export type LocalMedia =
  | { status: "off" }
  | { status: "asking" }
  | { status: "ready"; stream: MediaStream }
  | { status: "failed"; problem: MediaProblem };

export interface VideoContextValue {
  local: LocalMedia;
  /** Asks for the camera and microphone (again, after a refusal); no-op while asking or ready. */
  requestLocal(): void;
  /** Stops the camera and microphone (the camera light goes off) and closes any peer connection. */
  release(): void;
  muted: boolean;
  cameraOff: boolean;
  toggleMuted(): void;
  toggleCamera(): void;
  /**
   * What the partner says their camera and microphone are doing (over the call's own data
   * channel), for the current session; null until they said.
   */
  remoteMedia: ({ sessionId: string } & MediaState) | null;
  /** The partner's media of the current video session, once it arrived. */
  remote: { sessionId: string; stream: MediaStream } | null;
  /** The current video session's connection state. */
  connection: { sessionId: string; state: RTCPeerConnectionState } | null;
  /** The partner's video showed its first frame (for the test hook's timings). */
  firstFrame(sessionId: string): void;
  /** This device's cameras, once the camera is on (labels need the permission); [] before. */
  cameras: readonly { deviceId: string; label: string }[];
  /** The camera in use now (its deviceId), if known. */
  cameraId: string | null;
  /** Switches to another camera: the preview and any call move to it at once. */
  chooseCamera(deviceId: string): void;
}

const VideoContext = createContext<VideoContextValue | null>(null);

/**
 * Whether the camera stays on: on the video space's pages and in rooms, and anywhere while this
 * tab is still looking or talking in a video space (a search left running from another page
 * leads into a video call, which must not start with the camera off).
 */
function keepsCamera(pathname: string, state: StateView | null): boolean {
  if (pathname === "/dormparty" || pathname.startsWith("/room/")) return true;
  return (
    state !== null &&
    (state.state === "WAITING" || state.state === "MATCHED" || state.state === "ACTIVE") &&
    VIDEO_SPACES.has(state.space)
  );
}

/** What tests can read (only when a test set `window.__duetTestHooks = true` before loading). */
interface TestHooks {
  peers: RTCPeerConnection[];
  streams: MediaStream[];
  timings: { sessionId: string; media: number; connected?: number; firstFrame?: number }[];
  /** The peer connection of the current session, if any. */
  current: RTCPeerConnection | null;
}

function testHooks(): TestHooks | null {
  if (typeof window === "undefined") return null;
  const w = window as unknown as { __duetTestHooks?: unknown; __duetPeer?: TestHooks };
  if (w.__duetTestHooks !== true) return null;
  w.__duetPeer ??= { peers: [], streams: [], timings: [], current: null };
  return w.__duetPeer;
}

export function VideoProvider({ children }: { children: ReactNode }) {
  const { state } = useDuetState();
  const { subscribeMedia, askMedia, signal, enter } = useDuetActions();
  const pathname = usePathname();
  const [local, setLocal] = useState<LocalMedia>({ status: "off" });
  const localRef = useRef<MediaStream | null>(null);
  const askingRef = useRef(false);
  const [muted, setMuted] = useState(false);
  const [cameraOff, setCameraOff] = useState(false);
  const [remote, setRemote] = useState<VideoContextValue["remote"]>(null);
  const [remoteMedia, setRemoteMedia] = useState<VideoContextValue["remoteMedia"]>(null);
  const [cameras, setCameras] = useState<VideoContextValue["cameras"]>([]);
  const [connection, setConnection] = useState<VideoContextValue["connection"]>(null);
  const peerRef = useRef<{ sessionId: string; peer: Peer; seen: boolean; entered: boolean } | null>(
    null,
  );
  // Kept in refs so the socket listener (subscribed once) sees the latest.
  const signalRef = useRef(signal);
  signalRef.current = signal;
  const enterRef = useRef(enter);
  enterRef.current = enter;
  const mutedRef = useRef(muted);
  mutedRef.current = muted;
  const cameraOffRef = useRef(cameraOff);
  cameraOffRef.current = cameraOff;
  const stateRef = useRef(state);
  stateRef.current = state;
  /** The last session this tab asked media for: one ask per session. */
  const askedRef = useRef<string | null>(null);

  const closePeer = useCallback(() => {
    const current = peerRef.current;
    if (!current) return;
    peerRef.current = null;
    current.peer.close();
    const hooks = testHooks();
    if (hooks && hooks.current === current.peer.pc) hooks.current = null;
    setRemote(null);
    setRemoteMedia(null);
  }, []);

  const release = useCallback(() => {
    closePeer();
    askingRef.current = false;
    stopStream(localRef.current);
    localRef.current = null;
    setLocal({ status: "off" });
    setMuted(false);
    setCameraOff(false);
  }, [closePeer]);

  const requestLocal = useCallback(() => {
    if (askingRef.current || localRef.current) return;
    askingRef.current = true;
    setLocal({ status: "asking" });
    getCameraAndMicrophone().then(
      (stream) => {
        if (!askingRef.current) {
          // Released while the browser was asking: let go at once.
          stopStream(stream);
          return;
        }
        askingRef.current = false;
        localRef.current = stream;
        testHooks()?.streams.push(stream);
        for (const track of stream.getAudioTracks()) track.enabled = !mutedRef.current;
        for (const track of stream.getVideoTracks()) track.enabled = !cameraOffRef.current;
        setLocal({ status: "ready", stream });
      },
      (error: unknown) => {
        if (!askingRef.current) return;
        askingRef.current = false;
        setLocal({ status: "failed", problem: mediaProblemOf(error) });
      },
    );
  }, []);

  /** Applies the toggles to the tracks and tells the partner (the call's data channel). */
  const applyMediaState = useCallback((next: { muted: boolean; cameraOff: boolean }) => {
    mutedRef.current = next.muted;
    cameraOffRef.current = next.cameraOff;
    for (const track of localRef.current?.getAudioTracks() ?? []) track.enabled = !next.muted;
    for (const track of localRef.current?.getVideoTracks() ?? []) track.enabled = !next.cameraOff;
    peerRef.current?.peer.sendMediaState({ camera: !next.cameraOff, mic: !next.muted });
    setMuted(next.muted);
    setCameraOff(next.cameraOff);
  }, []);
  const toggleMuted = useCallback(() => {
    applyMediaState({ muted: !mutedRef.current, cameraOff: cameraOffRef.current });
  }, [applyMediaState]);
  const toggleCamera = useCallback(() => {
    applyMediaState({ muted: mutedRef.current, cameraOff: !cameraOffRef.current });
  }, [applyMediaState]);

  // The cameras, listed once the camera is on (before that the browser hides their names), and
  // again when one is plugged in or out.
  const cameraOn = local.status === "ready";
  useEffect(() => {
    const devices = typeof navigator !== "undefined" ? navigator.mediaDevices : undefined;
    if (!cameraOn || !devices?.enumerateDevices) return;
    let current = true;
    const list = () => {
      devices.enumerateDevices().then(
        (all) => {
          if (!current) return;
          const found = all.filter((d) => d.kind === "videoinput" && d.deviceId !== "");
          setCameras(
            found.map((d, i) => ({ deviceId: d.deviceId, label: d.label || `Camera ${i + 1}` })),
          );
        },
        () => {},
      );
    };
    list();
    devices.addEventListener?.("devicechange", list);
    return () => {
      current = false;
      devices.removeEventListener?.("devicechange", list);
    };
  }, [cameraOn]);

  const chooseCamera = useCallback((deviceId: string) => {
    const stream = localRef.current;
    if (!stream) return;
    getCamera(deviceId).then(
      (fresh) => {
        const track = fresh.getVideoTracks()[0];
        // Released (or switched again) meanwhile: let go of what just came.
        if (!track || localRef.current !== stream) {
          stopStream(fresh);
          return;
        }
        track.enabled = !cameraOffRef.current;
        // A new stream (the microphone as it was, the new camera): the preview's <video> takes
        // it, and the old one is left as it was, its camera stopped (its light goes off).
        const next = new MediaStream([...stream.getAudioTracks(), track]);
        for (const old of stream.getVideoTracks()) old.stop();
        // The call sends the new camera at once (no renegotiation: same kind, same transceiver).
        const sender = peerRef.current?.peer.pc.getSenders().find((s) => s.track?.kind === "video");
        void sender?.replaceTrack(track).catch(() => {});
        localRef.current = next;
        testHooks()?.streams.push(next);
        setLocal({ status: "ready", stream: next });
      },
      () => {
        // That camera could not start (busy, unplugged): the current one stays.
      },
    );
  }, []);

  // The server's `media` starts a peer connection for its session; `signal`s feed it.
  useEffect(() => {
    return subscribeMedia({
      media(setup: MediaSetup) {
        closePeer();
        const { sessionId } = setup;
        const hooks = testHooks();
        const timing: TestHooks["timings"][number] = { sessionId, media: performance.now() };
        hooks?.timings.push(timing);
        const entry = {
          sessionId,
          seen: false,
          entered: false,
          peer: createPeer({
            iceServers: setup.iceServers,
            iceTransportPolicy: setup.iceTransportPolicy,
            polite: setup.polite,
            localStream: localRef.current,
            sendSignal: (payload: SignalPayload) => {
              if (peerRef.current?.sessionId === sessionId) signalRef.current(payload);
            },
            onRemoteStream: (stream) => {
              if (peerRef.current?.sessionId === sessionId) setRemote({ sessionId, stream });
            },
            localMediaState: () => ({ camera: !cameraOffRef.current, mic: !mutedRef.current }),
            onRemoteMediaState: (media) => {
              if (peerRef.current?.sessionId === sessionId) setRemoteMedia({ sessionId, ...media });
            },
            onConnectionState: (connectionState) => {
              setConnection((prev) =>
                prev?.sessionId === sessionId || peerRef.current?.sessionId === sessionId
                  ? { sessionId, state: connectionState }
                  : prev,
              );
              const current = peerRef.current;
              if (connectionState !== "connected" || current?.sessionId !== sessionId) return;
              timing.connected ??= performance.now();
              // Both media paths are up: claim the seat (the session turns ACTIVE once both did).
              if (!current.entered) {
                current.entered = true;
                void enterRef.current(sessionId);
              }
            },
          }),
        };
        // Its MATCHED state may already have been rendered (the server sends it first): then no
        // later render would mark the session as seen, and a batched ENDED → WAITING that never
        // renders ENDED would leave this connection open.
        const now = stateRef.current;
        if ((now?.state === "MATCHED" || now?.state === "ACTIVE") && now.sessionId === sessionId) {
          entry.seen = true;
        }
        peerRef.current = entry;
        setConnection({ sessionId, state: entry.peer.pc.connectionState });
        if (hooks) {
          hooks.peers.push(entry.peer.pc);
          hooks.current = entry.peer.pc;
        }
      },
      signal(payload: RelayedSignal) {
        const current = peerRef.current;
        if (!current || current.sessionId !== payload.sessionId) return;
        const { sessionId: _sessionId, ...rest } = payload;
        current.peer.handleSignal(rest as SignalPayload);
      },
    });
  }, [subscribeMedia, closePeer]);

  // Matched in a video space: ask for the session's media (the server's `media` follows once
  // the partner asked too; the peer connection, and with it every signal, starts only then).
  useEffect(() => {
    if (state?.state !== "MATCHED" || !VIDEO_SPACES.has(state.space)) return;
    if (askedRef.current === state.sessionId) return;
    askedRef.current = state.sessionId;
    void askMedia(state.sessionId);
  }, [state, askMedia]);

  // The session ended (or this tab moved on to another): close its peer connection.
  useEffect(() => {
    const current = peerRef.current;
    if (!current) return;
    const ours =
      (state?.state === "MATCHED" || state?.state === "ACTIVE") &&
      state.sessionId === current.sessionId;
    if (ours) {
      current.seen = true;
      return;
    }
    const elsewhere =
      state !== null && "sessionId" in state && state.sessionId !== current.sessionId;
    // Re-queued straight after this session (its ENDED may not have rendered on its own).
    const after = state?.state === "WAITING" && state.previous?.sessionId === current.sessionId;
    // `media` may come just before its MATCHED state: only a state after that one closes it.
    if (current.seen || elsewhere || after || state === null || state.state === "ENDED")
      closePeer();
  }, [state, closePeer]);

  // Leaving the video space (its pages, and any search or call in it) lets go of the camera.
  const keep = keepsCamera(pathname, state);
  useEffect(() => {
    if (!keep && (localRef.current || askingRef.current)) release();
  }, [keep, release]);

  // The tab goes away: let go of everything.
  useEffect(
    () => () => {
      peerRef.current?.peer.close();
      stopStream(localRef.current);
    },
    [],
  );

  const firstFrame = useCallback((sessionId: string) => {
    const hooks = testHooks();
    const timing = hooks?.timings.find((t) => t.sessionId === sessionId);
    if (timing) timing.firstFrame ??= performance.now();
  }, []);

  const value = useMemo<VideoContextValue>(
    () => ({
      local,
      requestLocal,
      release,
      muted,
      cameraOff,
      toggleMuted,
      toggleCamera,
      remote,
      remoteMedia,
      connection,
      firstFrame,
      cameras,
      cameraId:
        local.status === "ready"
          ? (local.stream.getVideoTracks()[0]?.getSettings().deviceId ?? null)
          : null,
      chooseCamera,
    }),
    [
      local,
      requestLocal,
      release,
      muted,
      cameraOff,
      toggleMuted,
      toggleCamera,
      remote,
      remoteMedia,
      connection,
      firstFrame,
      cameras,
      chooseCamera,
    ],
  );

  return <VideoContext.Provider value={value}>{children}</VideoContext.Provider>;
}

export function useVideo(): VideoContextValue {
  const value = useContext(VideoContext);
  if (!value) throw new Error("useVideo must be used inside <VideoProvider>");
  return value;
}
