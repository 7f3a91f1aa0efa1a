"use client";

import type {
  Ack,
  ChatMessage,
  ClientEventName,
  ClientPayload,
  ClientToServerEvents,
  CrisisResource,
  IdentityView,
  Intent,
  MediaSetup,
  Notice,
  Presence,
  Rejected,
  RelayedSignal,
  ReportReason,
  ServerToClientEvents,
  SignalPayload,
  SpaceId,
  SpaceSummary,
  StateView,
  VersionedStateView,
  Welcome,
} from "@duet/protocol";
import { CURRENT_PROTOCOL, LIMITS } from "@duet/protocol/constants";
import { DEFAULT_CRISIS_RESOURCES } from "@duet/protocol/crisis";
import { usePathname, useRouter } from "next/navigation";
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
import type { Socket } from "socket.io-client";
import { type AckEmitter, type Carried, emitWithAck } from "../lib/ack";
import { getBrowserId } from "../lib/browser-id";
import { spaceHref, tokenSpaceOfPath } from "../lib/copy";
import { type PassState, useTokenPass } from "../lib/use-token-pass";
import { nextShownVersion } from "../lib/view-version";

type DuetSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * `connecting`: the first connection is being opened. `connected`: the socket is open.
 * `offline`: the socket was lost (or could not be opened) and Socket.IO is trying again; a
 * socket that comes back is a brand-new visitor for the server.
 */
export type ConnectionStatus = "connecting" | "connected" | "offline";

export interface JoinChoice {
  space: SpaceId;
  intent?: Intent;
  /** Spaces with topics: the tags chosen (empty or absent: none). */
  topics?: string[];
  /** Spaces with topics: only ever pair with someone who shares a tag. */
  onlyMyTopics?: boolean;
}

/**
 * What the server last said about this connection and the app around it. Changes when the state
 * does (a few times per conversation), not with every message, presence tick or keystroke: those
 * have their own contexts (`useChat`, `usePresence`, `usePartnerTyping`), and the pass has its own
 * (`usePass`), so a screen re-renders only for what it shows.
 */
export interface DuetState {
  status: ConnectionStatus;
  /** WAITING: the local time (ms) this search started, from the server's `waitedMs`. */
  waitingSince: number | null;
  /** The connection's state as the server last said it; null before the first `state` or while offline. */
  state: StateView | null;
  welcome: Welcome | null;
  /** Enabled spaces, or null before `welcome`. */
  spaces: SpaceSummary[] | null;
  maxMessageLength: number;
  crisisResources: readonly CrisisResource[];
  notice: Notice | null;
  lastRejected: Rejected | null;
  /** The session this tab was in when its socket dropped: that conversation is over for good. */
  lostSessionId: string | null;
  /** The last join this tab asked for (with its topics), reused by "Talk to someone new" / "New chat". */
  lastJoin: JoinChoice | null;
  /** The last `rate_limited` refusal, until it has passed (typing refusals are left out). */
  slowDown: SlowDown | null;
  /** The last `report` this tab sent and how it went. */
  reportOutcome: ReportOutcome | null;
  /**
   * The conversation in which the partner offered this person the help resources (`care`), if
   * any: the room opens the help panel once for it.
   */
  partnerCare: string | null;
}

/** The current (or last) session's messages, oldest first; changes with every message. */
export interface ChatView {
  messages: ChatMessage[];
  /** The session `messages` belong to. */
  messagesSessionId: string | null;
}

/** This browser's token as far as this tab knows, and the work of earning one. */
export interface PassView {
  /**
   * This connection's token status as the server last said (`identity`); null before it came or
   * while offline. Only stimchat and dormparty look at it.
   */
  identity: IdentityView | null;
  /** Getting a pass for this browser (on stimchat and dormparty pages only). */
  pass: PassState;
}

/**
 * What the person can do. Every function is stable for the life of the tab, so the context value
 * never changes and a component that only acts never re-renders for the connection's sake.
 */
export interface DuetActions {
  join(space: SpaceId, intent?: Intent, topics?: string[], onlyMyTopics?: boolean): Promise<Ack>;
  cancel(): Promise<Ack>;
  enter(sessionId: string): Promise<Ack>;
  send(text: string): Promise<Ack>;
  exit(): Promise<Ack>;
  home(): Promise<Ack>;
  /** Spaces with Skip: end this session; both look again at once. */
  skip(): Promise<Ack>;
  /** Spaces with End: end this session and go home; the partner looks again. */
  end(): Promise<Ack>;
  /** Spaces with topics, while searching: "Anyone is fine", stop waiting for a shared topic. */
  widen(): Promise<Ack>;
  /** Spaces that offer care (menti), ACTIVE: show the partner where to get help (`care`). */
  care(): Promise<Ack>;
  /** Report the current conversation (MATCHED/ACTIVE); the server ends it for both. */
  report(reason: ReportReason, note?: string): Promise<Ack>;
  /** "Try again" after a limited or failed pass. */
  retryPass(): void;
  /**
   * Closes this tab's connection and opens a new one (the server sees a new visitor, with
   * whatever cookie the browser holds now). Never while searching or in a conversation: then it
   * does nothing and returns false.
   */
  reconnect(): boolean;
  /**
   * "I am typing": call on every change of the message box. Sent at most every 2 s, only while
   * ACTIVE and only in spaces with a typing indicator; everything else is a silent no-op.
   */
  typing(): void;
  /**
   * Video spaces: hears the server's `media` (a new session's negotiation role and ICE servers)
   * and `signal` (the partner's description or candidate) events. Returns the unsubscribe.
   */
  subscribeMedia(listener: MediaListener): () => void;
  /**
   * Video spaces: asks for the media of session `sessionId` (MATCHED). The server sends `media`
   * once both members asked, and relays no `signal` before. A refusal (an ask that crossed a
   * Skip) is harmless.
   */
  askMedia(sessionId: string): Promise<Ack>;
  /**
   * Video spaces: a WebRTC signal for the partner. Fire and forget: a refusal (e.g. a late
   * candidate after the session ended) is harmless and is ignored.
   */
  signal(payload: SignalPayload): void;
}

/** Receives the video events of the tab's socket (see `subscribeMedia`). */
export interface MediaListener {
  media(payload: MediaSetup): void;
  signal(payload: RelayedSignal): void;
}

export type { PassState } from "../lib/use-token-pass";

/** A `rate_limited` refusal: which event, and when trying again can succeed (local ms). */
export interface SlowDown {
  event: string;
  retryAfterMs: number;
  until: number;
}

/**
 * The "slow down" a refusal asks for, if any. The server answers a refused event once: in its ack
 * when the client asked for one, else with a `rejected` event (docs/protocol.md), so both paths
 * come here. Typing is best-effort and throttled already: a refused one is not worth a word.
 */
function slowDownFor(
  event: string,
  refusal: { code: string; retryAfterMs?: number | undefined },
): SlowDown | null {
  if (refusal.code !== "rate_limited" || event === "typing") return null;
  const retryAfterMs = refusal.retryAfterMs ?? 1_000;
  return { event, retryAfterMs, until: Date.now() + retryAfterMs };
}

/** The outcome of this tab's `report` for a session, for the reporter's ended screen. */
export interface ReportOutcome {
  sessionId: string;
  /** null while the acknowledgement is awaited or once it said ok. */
  error: string | null;
}

const StateContext = createContext<DuetState | null>(null);
const ActionsContext = createContext<DuetActions | null>(null);
const ChatContext = createContext<ChatView>({ messages: [], messagesSessionId: null });
const PassContext = createContext<PassView>({ identity: null, pass: { phase: "idle" } });

/** How long to wait for the server to acknowledge an event. */
const ACK_TIMEOUT_MS = 10_000;
/** How long an action waits for a connection that is still opening. */
const CONNECT_WAIT_MS = 8_000;
/** At most one `typing` event per this long (the protocol asks for at most every 2 s). */
const TYPING_EVERY_MS = 2_000;
/** The partner's typing indicator goes away by itself after this long without a new `typing`. */
const TYPING_SHOWN_MS = 4_000;
/** The connection opens when the browser is idle after the page loaded, or this long after. */
const IDLE_WAIT_MS = 1_000;

/** Whether a space's rooms have a typing indicator, as the server's `welcome` says. */
export function hasTypingIndicator(
  space: SpaceId,
  spaces: readonly SpaceSummary[] | null,
): boolean {
  return spaces?.find((s) => s.id === space)?.typingIndicator === true;
}

const OFFLINE_ACK: Ack = {
  ok: false,
  code: "internal",
  message: "Duet can't be reached right now. Check your connection and try again.",
};
const NO_ANSWER_ACK: Ack = {
  ok: false,
  code: "internal",
  message: "Duet didn't answer in time. Please try again.",
};

function waitForConnect(socket: DuetSocket, timeoutMs: number): Promise<boolean> {
  if (socket.connected) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onConnect = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      socket.off("connect", onConnect);
      resolve(false);
    }, timeoutMs);
    socket.once("connect", onConnect);
  });
}

/**
 * Runs `work` once the page has loaded and the browser has a moment (at most `IDLE_WAIT_MS` after
 * `load`): what a page shows first never waits for it, and it does not lengthen the long tasks of
 * loading and hydrating the page. Returns the cancel.
 */
function whenSettled(work: () => void): () => void {
  let done = false;
  let idleHandle: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    if (done) return;
    done = true;
    work();
  };
  const idle = () => {
    if (typeof window.requestIdleCallback === "function") {
      idleHandle = window.requestIdleCallback(run, { timeout: IDLE_WAIT_MS });
    } else {
      timer = setTimeout(run, 0);
    }
  };
  if (document.readyState === "complete") idle();
  else window.addEventListener("load", idle, { once: true });
  return () => {
    done = true;
    window.removeEventListener("load", idle);
    if (idleHandle !== undefined) window.cancelIdleCallback?.(idleHandle);
    clearTimeout(timer);
  };
}

function inConversation(
  view: StateView | null,
): view is Extract<StateView, { state: "MATCHED" | "ACTIVE" }> {
  return view?.state === "MATCHED" || view?.state === "ACTIVE";
}

/**
 * Holds the one Socket.IO connection of this tab, for as long as the tab lives (it sits in the
 * root layout, so client-side navigation keeps it). It renders what the server says and sends
 * the person's intents; every decision is the server's.
 */
export function DuetProvider({ children }: { children: ReactNode }) {
  const router = useRouter();
  const pathname = usePathname();
  const socketRef = useRef<DuetSocket | null>(null);
  const viewRef = useRef<StateView | null>(null);
  /**
   * The highest `version` of a view shown on this connection: an older one arriving later (views
   * computed at the same moment, on two nodes) is dropped. Reset on `welcome`: a new connection's
   * versions are a new sequence (docs/protocol.md, "Versions").
   */
  const shownVersionRef = useRef(-1);
  /** How a view or a message carried in an ack is shown: the socket's own handlers (listen). */
  const carriedRef = useRef<Carried>({ state: () => {}, message: () => {} });
  const welcomeRef = useRef<Welcome | null>(null);
  const lastTypingSentRef = useRef(0);
  const typingTrailRef = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const cancelTypingTrail = useCallback(() => {
    clearTimeout(typingTrailRef.current);
    typingTrailRef.current = undefined;
  }, []);

  const [status, setStatus] = useState<ConnectionStatus>("connecting");
  const [view, setView] = useState<StateView | null>(null);
  const [waitingSince, setWaitingSince] = useState<number | null>(null);
  const [welcome, setWelcome] = useState<Welcome | null>(null);
  const [chat, setChat] = useState<{ sessionId: string | null; messages: ChatMessage[] }>({
    sessionId: null,
    messages: [],
  });
  const [notice, setNotice] = useState<Notice | null>(null);
  const [lastRejected, setLastRejected] = useState<Rejected | null>(null);
  const [lostSessionId, setLostSessionId] = useState<string | null>(null);
  const [lastJoin, setLastJoin] = useState<JoinChoice | null>(null);
  const [presence, setPresence] = useState<Presence | null>(null);
  const [partnerTyping, setPartnerTyping] = useState(false);
  const [identity, setIdentity] = useState<IdentityView | null>(null);
  const [slowDown, setSlowDown] = useState<SlowDown | null>(null);
  const [reportOutcome, setReportOutcome] = useState<ReportOutcome | null>(null);
  const [partnerCare, setPartnerCare] = useState<string | null>(null);
  /** This tab closed its own connection to open a new one: not a lost connection. */
  const reconnectingRef = useRef(false);
  const mediaListenersRef = useRef(new Set<MediaListener>());
  /** Actions waiting for the socket to exist (it is created once the page has settled). */
  const socketWaitersRef = useRef(new Set<(socket: DuetSocket) => void>());
  const noteIdentityRef = useRef<(identity: IdentityView) => void>(() => {});
  const abortPassRef = useRef<() => void>(() => {});

  useEffect(() => {
    let typingTimer: ReturnType<typeof setTimeout> | undefined;
    const stopTyping = () => {
      clearTimeout(typingTimer);
      typingTimer = undefined;
      setPartnerTyping(false);
    };

    const listen = (socket: DuetSocket) => {
      socket.on("connect", () => {
        reconnectingRef.current = false;
        setStatus("connected");
      });
      socket.on("connect_error", () => {
        reconnectingRef.current = false;
        setStatus("offline");
      });
      socket.on("disconnect", () => {
        // A connection this tab closed on purpose (to carry a new cookie) is not "lost".
        setStatus(reconnectingRef.current ? "connecting" : "offline");
        setIdentity(null);
        // Whatever the server held for this connection is gone. A conversation in progress is
        // over for good: the next socket is a new visitor and is never carried back into it.
        const current = viewRef.current;
        if (inConversation(current)) setLostSessionId(current.sessionId);
        viewRef.current = null;
        setView(null);
        stopTyping();
      });
      socket.on("welcome", (payload) => {
        shownVersionRef.current = -1;
        welcomeRef.current = payload;
        setWelcome(payload);
        // A fresh welcome means a server is (again) answering: an older restart notice is stale.
        setNotice(null);
      });
      const applyState = ({ version, ...payload }: VersionedStateView) => {
        const shown = nextShownVersion(version, shownVersionRef.current);
        if (shown === null) return;
        shownVersionRef.current = shown;
        const before = viewRef.current;
        viewRef.current = payload;
        setView(payload);
        // The local moment this search started: the server says how long it had waited when it
        // sent this state. Kept here, not in a screen, so a waiting screen shown again later (after
        // a look at the landing page) still counts the whole wait.
        setWaitingSince(payload.state === "WAITING" ? Date.now() - payload.waitedMs : null);
        if ("sessionId" in payload) {
          const sessionId = payload.sessionId;
          setChat((prev) => (prev.sessionId === sessionId ? prev : { sessionId, messages: [] }));
        }
        if (payload.state !== "ACTIVE") stopTyping();
        const beforeSession = before && "sessionId" in before ? before.sessionId : null;
        if (!("sessionId" in payload) || payload.sessionId !== beforeSession) {
          lastTypingSentRef.current = 0;
          cancelTypingTrail();
        }
      };
      socket.on("state", applyState);
      socket.on("typing", (payload) => {
        const current = viewRef.current;
        if (current?.state !== "ACTIVE" || current.sessionId !== payload.sessionId) return;
        setPartnerTyping(true);
        clearTimeout(typingTimer);
        typingTimer = setTimeout(stopTyping, TYPING_SHOWN_MS);
      });
      socket.on("care", (payload) => {
        const current = viewRef.current;
        if (current?.state !== "ACTIVE" || current.sessionId !== payload.sessionId) return;
        // The same id again (a repeat) changes nothing: the panel opens once per conversation.
        setPartnerCare(payload.sessionId);
      });
      socket.on("presence", (payload) => setPresence(payload));
      const applyMessage = (message: ChatMessage) => {
        // Their message is here: they are no longer "typing" it.
        if (message.from === "partner") stopTyping();
        setChat((prev) => {
          if (prev.sessionId !== message.sessionId) {
            return { sessionId: message.sessionId, messages: [message] };
          }
          if (prev.messages.some((m) => m.id === message.id)) return prev;
          return { sessionId: prev.sessionId, messages: [...prev.messages, message] };
        });
      };
      socket.on("message", applyMessage);
      // Protocol 2: this connection's own view and its own message's copy come in acks (emit).
      carriedRef.current = { state: applyState, message: applyMessage };
      socket.on("notice", (payload) => setNotice(payload));
      socket.on("media", (payload) => {
        for (const listener of mediaListenersRef.current) listener.media(payload);
      });
      socket.on("signal", (payload) => {
        for (const listener of mediaListenersRef.current) listener.signal(payload);
      });
      socket.on("rejected", (payload) => {
        // Late signals (a candidate after the session ended) and asks for media that crossed the
        // end of their session are refused harmlessly.
        if (payload.event === "signal" || payload.event === "media") return;
        setLastRejected(payload);
        const slow = slowDownFor(payload.event, payload);
        if (slow) setSlowDown(slow);
      });
      socket.on("identity", (payload) => {
        setIdentity(payload);
        noteIdentityRef.current(payload);
      });
    };

    // The connection waits until the page has loaded and painted, and Socket.IO's client code is
    // fetched only then: neither is in the way of the page showing and becoming usable, and the
    // server's first events (welcome, state, presence, identity: each a re-render of what reads
    // them) do not land in the middle of loading and hydrating it. Until then `status` is
    // "connecting", as for any connection being opened, and an action waits for the socket
    // (`socketCreated`, then `waitForConnect`) as it waited for a connection being opened.
    let closed = false;
    let socket: DuetSocket | null = null;
    const cancelOpen = whenSettled(() => {
      import("socket.io-client").then(
        ({ io }) => {
          if (closed) return;
          const opened: DuetSocket = io({
            // Protocol 2: views and copies that answer this tab's own events come in their acks.
            auth: { browserId: getBrowserId(), protocol: CURRENT_PROTOCOL },
            transports: ["websocket"],
          });
          socket = opened;
          socketRef.current = opened;
          listen(opened);
          for (const waiter of socketWaitersRef.current) waiter(opened);
          socketWaitersRef.current.clear();
        },
        () => {
          // Its code could not be fetched (offline at that moment): said as a connection that
          // could not be opened. Reloading the page tries again.
          if (!closed) setStatus("offline");
        },
      );
    });

    return () => {
      closed = true;
      cancelOpen();
      clearTimeout(typingTimer);
      cancelTypingTrail();
      abortPassRef.current();
      socket?.removeAllListeners();
      socket?.disconnect();
      socketRef.current = null;
    };
  }, []);

  // The server pairs people; when it has, take this tab to the room.
  const pushedRef = useRef<{ target: string; from: string } | null>(null);
  useEffect(() => {
    if (!inConversation(view)) return;
    const target = `/room/${view.sessionId}`;
    if (pathname === target) {
      pushedRef.current = null;
      return;
    }
    const last = pushedRef.current;
    if (last && last.target === target && last.from === pathname) return;
    pushedRef.current = { target, from: pathname };
    router.push(target);
  }, [view, pathname, router]);

  // A space that re-queues at once (dormparty's Skip, End, a partner lost) moves this person
  // from the room that just ended to that space's waiting screen.
  useEffect(() => {
    if (view?.state !== "WAITING" || !view.previous) return;
    if (pathname !== `/room/${view.previous.sessionId}`) return;
    router.replace(spaceHref(view.space));
  }, [view, pathname, router]);

  // A `rate_limited` line goes away by itself once trying again can succeed.
  useEffect(() => {
    if (!slowDown) return;
    const timer = setTimeout(
      () => setSlowDown((current) => (current === slowDown ? null : current)),
      Math.max(0, slowDown.until - Date.now()),
    );
    return () => clearTimeout(timer);
  }, [slowDown]);

  const reconnect = useCallback(() => {
    const socket = socketRef.current;
    if (!socket) return false;
    const current = viewRef.current;
    if (current?.state === "WAITING" || inConversation(current)) return false;
    reconnectingRef.current = true;
    socket.disconnect();
    socket.connect();
    return true;
  }, []);

  // On a stimchat or dormparty page, a connection without a token earns one once, by itself.
  const tokenPass = useTokenPass({
    tokenPage: tokenSpaceOfPath(pathname) !== null,
    busy: view?.state === "WAITING" || inConversation(view),
    connected: status === "connected",
    identity,
    reconnect,
  });
  // The socket's handlers are set up once: they reach the pass through refs (both stable anyway).
  noteIdentityRef.current = tokenPass.noteIdentity;
  abortPassRef.current = tokenPass.abort;

  /** The socket once it exists (it is opened after the page settled), or null after `timeoutMs`. */
  const socketCreated = useCallback((timeoutMs: number) => {
    return new Promise<DuetSocket | null>((resolve) => {
      const waiter = (socket: DuetSocket) => {
        clearTimeout(timer);
        resolve(socket);
      };
      const timer = setTimeout(() => {
        socketWaitersRef.current.delete(waiter);
        resolve(null);
      }, timeoutMs);
      socketWaitersRef.current.add(waiter);
    });
  }, []);

  const emit = useCallback(
    async <E extends ClientEventName>(event: E, payload: ClientPayload<E>): Promise<Ack> => {
      const started = Date.now();
      const socket = socketRef.current ?? (await socketCreated(CONNECT_WAIT_MS));
      if (!socket) return OFFLINE_ACK;
      const left = Math.max(0, CONNECT_WAIT_MS - (Date.now() - started));
      if (!socket.connected && !(await waitForConnect(socket, left))) return OFFLINE_ACK;
      const answer = await emitWithAck(socket as unknown as AckEmitter, event, payload, {
        timeoutMs: ACK_TIMEOUT_MS,
        noAnswer: NO_ANSWER_ACK,
        carried: () => carriedRef.current,
      });
      const slow = answer.ok ? null : slowDownFor(event, answer);
      if (slow) setSlowDown(slow);
      return answer;
    },
    [socketCreated],
  );

  const join = useCallback(
    (space: SpaceId, intent?: Intent, topics?: string[], onlyMyTopics?: boolean) => {
      const chosen = topics && topics.length > 0 ? [...topics] : undefined;
      const choice: JoinChoice = {
        space,
        ...(intent ? { intent } : {}),
        ...(chosen ? { topics: chosen } : {}),
        ...(chosen && onlyMyTopics ? { onlyMyTopics: true } : {}),
      };
      setLastJoin(choice);
      return emit("join", choice);
    },
    [emit],
  );
  const cancel = useCallback(() => emit("cancel", {}), [emit]);
  const enter = useCallback((sessionId: string) => emit("enter", { sessionId }), [emit]);
  const askMedia = useCallback((sessionId: string) => emit("media", { sessionId }), [emit]);
  const send = useCallback(
    (text: string) => {
      // The message is on its way: what was being typed has arrived. The next keystroke starts a
      // new "typing" at once rather than waiting out the throttle.
      cancelTypingTrail();
      lastTypingSentRef.current = 0;
      return emit("send", { text });
    },
    [emit],
  );
  const exit = useCallback(() => emit("exit", {}), [emit]);
  const home = useCallback(() => emit("home", {}), [emit]);
  const skip = useCallback(() => emit("skip", {}), [emit]);
  const end = useCallback(() => emit("end", {}), [emit]);
  const widen = useCallback(() => emit("widen", {}), [emit]);
  const care = useCallback(() => emit("care", {}), [emit]);
  const report = useCallback(
    async (reason: ReportReason, note?: string) => {
      const current = viewRef.current;
      const sessionId = inConversation(current) ? current.sessionId : null;
      if (sessionId) setReportOutcome({ sessionId, error: null });
      const ack = await emit("report", note ? { reason, note } : { reason });
      if (sessionId && !ack.ok) {
        setReportOutcome((prev) =>
          prev?.sessionId === sessionId ? { sessionId, error: ack.message } : prev,
        );
      }
      return ack;
    },
    [emit],
  );
  const typing = useCallback(() => {
    const current = viewRef.current;
    if (current?.state !== "ACTIVE") return;
    if (!hasTypingIndicator(current.space, welcomeRef.current?.spaces ?? null)) return;
    const sessionId = current.sessionId;
    const fire = () => {
      const socket = socketRef.current;
      const now = viewRef.current;
      if (!socket?.connected || now?.state !== "ACTIVE" || now.sessionId !== sessionId) return;
      lastTypingSentRef.current = Date.now();
      socket.emit("typing", {});
    };
    const since = Date.now() - lastTypingSentRef.current;
    if (since >= TYPING_EVERY_MS) {
      cancelTypingTrail();
      fire();
    } else if (typingTrailRef.current === undefined) {
      // Still typing inside the throttle window: one more at its end keeps the partner's
      // indicator alive without ever sending more than one per window.
      typingTrailRef.current = setTimeout(() => {
        typingTrailRef.current = undefined;
        fire();
      }, TYPING_EVERY_MS - since);
    }
  }, []);

  const subscribeMedia = useCallback((listener: MediaListener) => {
    mediaListenersRef.current.add(listener);
    return () => {
      mediaListenersRef.current.delete(listener);
    };
  }, []);
  const signal = useCallback((payload: SignalPayload) => {
    const socket = socketRef.current;
    if (socket?.connected) socket.emit("signal", payload);
  }, []);

  const state = useMemo<DuetState>(
    () => ({
      status,
      state: view,
      waitingSince,
      welcome,
      spaces: welcome?.spaces ?? null,
      maxMessageLength: welcome?.limits.maxMessageLength ?? LIMITS.maxMessageLength,
      crisisResources: welcome?.crisisResources ?? DEFAULT_CRISIS_RESOURCES,
      notice,
      lastRejected,
      lostSessionId,
      lastJoin,
      slowDown,
      reportOutcome,
      partnerCare,
    }),
    [
      status,
      view,
      waitingSince,
      welcome,
      notice,
      lastRejected,
      lostSessionId,
      lastJoin,
      slowDown,
      reportOutcome,
      partnerCare,
    ],
  );
  const { retryPass } = tokenPass;
  const actions = useMemo<DuetActions>(
    () => ({
      join,
      cancel,
      enter,
      send,
      exit,
      home,
      skip,
      end,
      widen,
      care,
      report,
      retryPass,
      reconnect,
      typing,
      subscribeMedia,
      askMedia,
      signal,
    }),
    [
      join,
      cancel,
      enter,
      send,
      exit,
      home,
      skip,
      end,
      widen,
      care,
      report,
      retryPass,
      reconnect,
      typing,
      subscribeMedia,
      askMedia,
      signal,
    ],
  );
  const chatView = useMemo<ChatView>(
    () => ({ messages: chat.messages, messagesSessionId: chat.sessionId }),
    [chat],
  );
  const passView = useMemo<PassView>(
    () => ({ identity, pass: tokenPass.pass }),
    [identity, tokenPass.pass],
  );

  // Presence (every few seconds), the partner's typing (every few seconds while they type) and
  // messages change often: each has its own context, so a tick re-renders only the parts that
  // show it, not every screen that reads the connection's state.
  return (
    <ActionsContext.Provider value={actions}>
      <StateContext.Provider value={state}>
        <PassContext.Provider value={passView}>
          <ChatContext.Provider value={chatView}>
            <PresenceContext.Provider value={presence}>
              <PartnerTypingContext.Provider value={partnerTyping}>
                {children}
              </PartnerTypingContext.Provider>
            </PresenceContext.Provider>
          </ChatContext.Provider>
        </PassContext.Provider>
      </StateContext.Provider>
    </ActionsContext.Provider>
  );
}

const PresenceContext = createContext<Presence | null>(null);
const PartnerTypingContext = createContext(false);

/** How busy each space is, as the server last said (rounded); null before the first `presence`. */
export function usePresence(): Presence | null {
  return useContext(PresenceContext);
}

/** The partner of the current ACTIVE session is typing (clears itself after a few seconds). */
export function usePartnerTyping(): boolean {
  return useContext(PartnerTypingContext);
}

/** The connection's state and what the server last said around it (see `DuetState`). */
export function useDuetState(): DuetState {
  const value = useContext(StateContext);
  if (!value) throw new Error("useDuetState must be used inside <DuetProvider>");
  return value;
}

/** What the person can do; a value that never changes (see `DuetActions`). */
export function useDuetActions(): DuetActions {
  const value = useContext(ActionsContext);
  if (!value) throw new Error("useDuetActions must be used inside <DuetProvider>");
  return value;
}

/** The current (or last) session's messages. */
export function useChat(): ChatView {
  return useContext(ChatContext);
}

/** This browser's token status and the work of earning one. */
export function usePass(): PassView {
  return useContext(PassContext);
}

/** Milliseconds this search has been waiting, ticking once a second; 0 when not waiting. */
export function useWaitingElapsed(): number {
  const { waitingSince } = useDuetState();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    setNow(Date.now());
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, []);
  return waitingSince === null ? 0 : Math.max(0, now - waitingSince);
}
