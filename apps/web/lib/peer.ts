import type { IceServer, SignalPayload } from "@duet/protocol";

/**
 * One WebRTC peer connection to the partner of a video session, negotiated with the "perfect
 * negotiation" pattern (https://w3c.github.io/webrtc-pc/#perfect-negotiation-example): the server
 * says which side is polite. On a collision the impolite side ignores the partner's offer and the
 * polite side rolls its own back and takes the partner's, so either side may renegotiate at any
 * time without a deadlock. Signals go through `sendSignal` (the gateway relays them).
 *
 * The first offer comes from the impolite side only: the polite side attaches its camera and
 * microphone to the transceivers that offer creates, in its answer. Both offering at once would
 * also settle (that is what the pattern is for), but costs a round trip and a rollback; and
 * Chromium was seen to stop gathering candidates after rolling back a first offer whose gathering
 * had begun, leaving the call at "Connecting video…" (e2e/video.spec.ts's glare test pins that
 * a later collision still settles).
 */
export interface PeerOptions {
  iceServers: readonly IceServer[];
  /** "relay": TURN only (server configuration, or a test forcing it). */
  iceTransportPolicy?: RTCIceTransportPolicy;
  polite: boolean;
  /** The local camera and microphone; null: receive only. */
  localStream: MediaStream | null;
  sendSignal(payload: SignalPayload): void;
  /** The partner's media arrived (called again when a track is added). */
  onRemoteStream(stream: MediaStream): void;
  onConnectionState(state: RTCPeerConnectionState): void;
  /** What this side's camera and microphone are doing now (sent to the partner on open). */
  localMediaState(): MediaState;
  /** The partner said their camera or microphone changed (e.g. "Camera off"). */
  onRemoteMediaState(state: MediaState): void;
}

/** Whether one side's camera shows and microphone is heard (the other side shows "Camera off"). */
export interface MediaState {
  camera: boolean;
  mic: boolean;
}

/**
 * Reads a media state sent by the partner over the data channel: exactly two booleans, else
 * null (a partner's client may be anything; a wrong message is ignored).
 */
export function parseMediaState(data: unknown): MediaState | null {
  if (typeof data !== "string" || data.length > 100) return null;
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value !== "object" || value === null) return null;
    const { camera, mic } = value as Record<string, unknown>;
    if (typeof camera !== "boolean" || typeof mic !== "boolean") return null;
    return { camera, mic };
  } catch {
    return null;
  }
}

export interface Peer {
  readonly pc: RTCPeerConnection;
  /** A description or candidate from the partner. Handled one at a time, in order. */
  handleSignal(payload: SignalPayload): void;
  /** Tells the partner that this side's camera or microphone changed (once the channel is open). */
  sendMediaState(state: MediaState): void;
  /** Closes the connection (idempotent). The local tracks are left alone. */
  close(): void;
}

const KINDS = ["audio", "video"] as const;
/** The data channel's label: the media state messages of parseMediaState. */
const MEDIA_STATE_CHANNEL = "media-state";

export function createPeer(options: PeerOptions): Peer {
  const { polite, sendSignal, localStream } = options;
  const pc = new RTCPeerConnection({
    iceServers: options.iceServers.map((server) => ({
      urls: [...server.urls],
      ...(server.username !== undefined ? { username: server.username } : {}),
      ...(server.credential !== undefined ? { credential: server.credential } : {}),
    })),
    iceTransportPolicy: options.iceTransportPolicy ?? "all",
  });
  let closed = false;
  let makingOffer = false;
  let ignoreOffer = false;
  let settingRemoteAnswer = false;
  /** The polite side's tracks wait for the partner's first offer (see above). */
  let tracksAttached = false;
  const remote = new MediaStream();

  const sendDescription = () => {
    const local = pc.localDescription;
    if (closed || !local || local.type === "pranswer") return;
    sendSignal({ description: { type: local.type, sdp: local.sdp } });
  };

  /** Our camera and microphone on the connection's transceivers (one per kind). */
  const attachTracks = async () => {
    if (tracksAttached) return;
    tracksAttached = true;
    for (const kind of KINDS) {
      const track = localStream?.getTracks().find((t) => t.kind === kind) ?? null;
      const existing = pc
        .getTransceivers()
        .find(
          (t) =>
            t.currentDirection !== "stopped" &&
            t.receiver.track.kind === kind &&
            t.sender.track === null,
        );
      if (existing) {
        // The partner's offer made this transceiver: send on it too.
        if (track && localStream) {
          await existing.sender.replaceTrack(track);
          existing.sender.setStreams(localStream);
          existing.direction = "sendrecv";
        }
      } else if (track && localStream) {
        pc.addTransceiver(track, { direction: "sendrecv", streams: [localStream] });
      } else {
        pc.addTransceiver(kind, { direction: "recvonly" });
      }
    }
  };

  pc.onnegotiationneeded = async () => {
    try {
      makingOffer = true;
      await pc.setLocalDescription();
      sendDescription();
    } catch {
      // A closed connection or a collision settled by the other side: nothing to do.
    } finally {
      makingOffer = false;
    }
  };

  pc.onicecandidate = ({ candidate }) => {
    if (closed) return;
    if (!candidate) {
      sendSignal({ candidate: null });
      return;
    }
    const json = candidate.toJSON();
    sendSignal({
      candidate: {
        candidate: json.candidate ?? "",
        ...(json.sdpMid != null ? { sdpMid: json.sdpMid } : {}),
        ...(json.sdpMLineIndex != null ? { sdpMLineIndex: json.sdpMLineIndex } : {}),
        ...(json.usernameFragment != null ? { usernameFragment: json.usernameFragment } : {}),
      },
    });
  };

  pc.ontrack = ({ track }) => {
    if (!remote.getTracks().includes(track)) remote.addTrack(track);
    options.onRemoteStream(remote);
  };

  pc.onconnectionstatechange = () => {
    options.onConnectionState(pc.connectionState);
  };

  // A small data channel, straight between the two browsers (never through the server), on which
  // each side says when its camera or microphone goes off, so the other shows "Camera off"
  // rather than a black picture. The impolite side opens it before its first offer (so that
  // offer carries it); the polite side receives it, and offers nothing of its own first.
  let channel: RTCDataChannel | null = null;
  const useChannel = (dc: RTCDataChannel) => {
    channel = dc;
    dc.onopen = () => {
      if (!closed && dc.readyState === "open") dc.send(JSON.stringify(options.localMediaState()));
    };
    dc.onmessage = ({ data }) => {
      const state = parseMediaState(data);
      if (state && !closed) options.onRemoteMediaState(state);
    };
  };
  pc.ondatachannel = ({ channel: dc }) => {
    if (channel === null && dc.label === MEDIA_STATE_CHANNEL) useChannel(dc);
  };

  // The impolite side offers first (its transceivers fire negotiationneeded).
  if (!polite) {
    useChannel(pc.createDataChannel(MEDIA_STATE_CHANNEL));
    void attachTracks();
  }

  /**
   * Sets each sending track again on its own sender. Why: after the polite side's implicit
   * rollback (below), Chromium 150 (150.0.7871.100, Debian's) was seen to leave a sending
   * transceiver's video without a running encoder — the track live, `outbound-rtp` bytesSent and
   * framesEncoded at 0, no quality limitation — for as long as the call lasted, so the partner's
   * picture froze (e2e/video.spec.ts, glare). Setting the same track again starts it; it needs no
   * renegotiation and changes nothing where the encoder was running.
   */
  const restartSenders = async () => {
    for (const t of pc.getTransceivers()) {
      const track = t.sender.track;
      if (closed || t.currentDirection === "stopped" || !track || track.readyState !== "live") {
        continue;
      }
      await t.sender.replaceTrack(track).catch(() => {});
    }
  };

  async function onSignal(payload: SignalPayload): Promise<void> {
    if (closed) return;
    if ("description" in payload) {
      const description = payload.description;
      const readyForOffer = !makingOffer && (pc.signalingState === "stable" || settingRemoteAnswer);
      const collision = description.type === "offer" && !readyForOffer;
      ignoreOffer = !polite && collision;
      if (ignoreOffer) return;
      // The polite side gives way: the offer it made (or is making) is rolled back when the
      // partner's is set (see restartSenders).
      const rollingBack = collision;
      settingRemoteAnswer = description.type === "answer";
      try {
        // On a collision the polite side gives way: setting the partner's offer rolls our own
        // back (implicit rollback), queued behind any setLocalDescription still running.
        await pc.setRemoteDescription(description);
      } finally {
        settingRemoteAnswer = false;
      }
      if (description.type === "offer") {
        // Our tracks go into the answer (the polite side's first one) instead of an offer.
        await attachTracks();
        await pc.setLocalDescription();
        sendDescription();
        if (rollingBack) await restartSenders();
      }
      return;
    }
    try {
      await pc.addIceCandidate(payload.candidate ?? undefined);
    } catch (err) {
      // Candidates of an offer we ignored fail to apply: expected.
      if (!ignoreOffer && !closed) throw err;
    }
  }

  let queue: Promise<void> = Promise.resolve();
  return {
    pc,
    handleSignal(payload) {
      queue = queue.then(() => onSignal(payload)).catch(() => {});
    },
    sendMediaState(state) {
      if (!closed && channel?.readyState === "open") channel.send(JSON.stringify(state));
    },
    close() {
      if (closed) return;
      closed = true;
      if (channel) {
        channel.onopen = null;
        channel.onmessage = null;
      }
      pc.ondatachannel = null;
      pc.onnegotiationneeded = null;
      pc.onicecandidate = null;
      pc.ontrack = null;
      pc.onconnectionstatechange = null;
      pc.close();
      // `close()` fires no connectionstatechange: say it here.
      options.onConnectionState("closed");
    },
  };
}

/** Why the camera and microphone could not be used, from getUserMedia's error. */
export type MediaProblem = "denied" | "missing" | "busy" | "insecure" | "other";

export function mediaProblemOf(error: unknown): MediaProblem {
  const name = error instanceof Error || error instanceof DOMException ? error.name : "";
  if (name === "InsecureContext") return "insecure";
  if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
    return "denied";
  }
  if (
    name === "NotFoundError" ||
    name === "OverconstrainedError" ||
    name === "DevicesNotFoundError"
  ) {
    return "missing";
  }
  if (name === "NotReadableError" || name === "AbortError" || name === "TrackStartError") {
    return "busy";
  }
  return "other";
}

/** Asks for the camera and microphone. */
export async function getCameraAndMicrophone(): Promise<MediaStream> {
  if (typeof navigator === "undefined" || !navigator.mediaDevices?.getUserMedia) {
    const error = new Error("no mediaDevices");
    error.name = "InsecureContext";
    throw error;
  }
  return navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: true, noiseSuppression: true },
    video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
  });
}

/** Asks for one particular camera (the picker): video only, the microphone stays as it is. */
export async function getCamera(deviceId: string): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({
    video: { deviceId: { exact: deviceId }, width: { ideal: 640 }, height: { ideal: 480 } },
  });
}

export function stopStream(stream: MediaStream | null): void {
  if (!stream) return;
  for (const track of stream.getTracks()) track.stop();
}
