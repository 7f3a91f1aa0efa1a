"use client";

import {
  type Ack,
  type ChatMessage,
  type ClientEventName,
  type ClientPayload,
  type ClientToServerEvents,
  type CrisisResource,
  DEFAULT_CRISIS_RESOURCES,
  type Intent,
  LIMITS,
  type Notice,
  type Rejected,
  type ServerToClientEvents,
  type SpaceId,
  type SpaceSummary,
  type StateView,
  type Welcome,
} from "@duet/protocol";
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
import { io, type Socket } from "socket.io-client";
import { getBrowserId } from "../lib/browser-id";

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
}

export interface DuetContextValue {
  status: ConnectionStatus;
  /** The connection's state as the server last said it; null before the first `state` or while offline. */
  state: StateView | null;
  welcome: Welcome | null;
  /** Enabled spaces, or null before `welcome`. */
  spaces: SpaceSummary[] | null;
  maxMessageLength: number;
  crisisResources: readonly CrisisResource[];
  /** Messages of the current (or last) session, oldest first. */
  messages: ChatMessage[];
  /** The session `messages` belong to. */
  messagesSessionId: string | null;
  notice: Notice | null;
  lastRejected: Rejected | null;
  /** The session this tab was in when its socket dropped: that conversation is over for good. */
  lostSessionId: string | null;
  /** The last join this tab asked for, reused by "Talk to someone new". */
  lastJoin: JoinChoice | null;
  join(space: SpaceId, intent?: Intent): Promise<Ack>;
  cancel(): Promise<Ack>;
  enter(sessionId: string): Promise<Ack>;
  send(text: string): Promise<Ack>;
  exit(): Promise<Ack>;
  home(): Promise<Ack>;
}

const DuetContext = createContext<DuetContextValue | null>(null);

/** How long to wait for the server to acknowledge an event. */
const ACK_TIMEOUT_MS = 10_000;
/** How long an action waits for a connection that is still opening. */
const CONNECT_WAIT_MS = 8_000;

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

type LooseEmitter = {
  emit(event: string, payload: unknown, callback: (err: Error | null, ack?: Ack) => void): void;
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

  const [status, setStatus] = useState<ConnectionStatus>("connecting");
  const [view, setView] = useState<StateView | null>(null);
  const [welcome, setWelcome] = useState<Welcome | null>(null);
  const [chat, setChat] = useState<{ sessionId: string | null; messages: ChatMessage[] }>({
    sessionId: null,
    messages: [],
  });
  const [notice, setNotice] = useState<Notice | null>(null);
  const [lastRejected, setLastRejected] = useState<Rejected | null>(null);
  const [lostSessionId, setLostSessionId] = useState<string | null>(null);
  const [lastJoin, setLastJoin] = useState<JoinChoice | null>(null);

  useEffect(() => {
    const socket: DuetSocket = io({
      auth: { browserId: getBrowserId() },
      transports: ["websocket"],
    });
    socketRef.current = socket;

    socket.on("connect", () => setStatus("connected"));
    socket.on("connect_error", () => setStatus("offline"));
    socket.on("disconnect", () => {
      setStatus("offline");
      // Whatever the server held for this connection is gone. A conversation in progress is
      // over for good: the next socket is a new visitor and is never carried back into it.
      const current = viewRef.current;
      if (inConversation(current)) setLostSessionId(current.sessionId);
      viewRef.current = null;
      setView(null);
    });
    socket.on("welcome", (payload) => {
      setWelcome(payload);
      // A fresh welcome means a server is (again) answering: an older restart notice is stale.
      setNotice(null);
    });
    socket.on("state", (payload) => {
      viewRef.current = payload;
      setView(payload);
      if ("sessionId" in payload) {
        const sessionId = payload.sessionId;
        setChat((prev) => (prev.sessionId === sessionId ? prev : { sessionId, messages: [] }));
      }
    });
    socket.on("message", (message) => {
      setChat((prev) => {
        if (prev.sessionId !== message.sessionId) {
          return { sessionId: message.sessionId, messages: [message] };
        }
        if (prev.messages.some((m) => m.id === message.id)) return prev;
        return { sessionId: prev.sessionId, messages: [...prev.messages, message] };
      });
    });
    socket.on("notice", (payload) => setNotice(payload));
    socket.on("rejected", (payload) => setLastRejected(payload));

    return () => {
      socket.removeAllListeners();
      socket.disconnect();
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

  const emit = useCallback(
    async <E extends ClientEventName>(event: E, payload: ClientPayload<E>): Promise<Ack> => {
      const socket = socketRef.current;
      if (!socket) return OFFLINE_ACK;
      if (!socket.connected && !(await waitForConnect(socket, CONNECT_WAIT_MS))) return OFFLINE_ACK;
      return new Promise<Ack>((resolve) => {
        const emitter = socket.timeout(ACK_TIMEOUT_MS) as unknown as LooseEmitter;
        emitter.emit(event, payload, (err, ack) => resolve(err || !ack ? NO_ANSWER_ACK : ack));
      });
    },
    [],
  );

  const join = useCallback(
    (space: SpaceId, intent?: Intent) => {
      setLastJoin(intent ? { space, intent } : { space });
      return emit("join", intent ? { space, intent } : { space });
    },
    [emit],
  );
  const cancel = useCallback(() => emit("cancel", {}), [emit]);
  const enter = useCallback((sessionId: string) => emit("enter", { sessionId }), [emit]);
  const send = useCallback((text: string) => emit("send", { text }), [emit]);
  const exit = useCallback(() => emit("exit", {}), [emit]);
  const home = useCallback(() => emit("home", {}), [emit]);

  const value = useMemo<DuetContextValue>(
    () => ({
      status,
      state: view,
      welcome,
      spaces: welcome?.spaces ?? null,
      maxMessageLength: welcome?.limits.maxMessageLength ?? LIMITS.maxMessageLength,
      crisisResources: welcome?.crisisResources ?? DEFAULT_CRISIS_RESOURCES,
      messages: chat.messages,
      messagesSessionId: chat.sessionId,
      notice,
      lastRejected,
      lostSessionId,
      lastJoin,
      join,
      cancel,
      enter,
      send,
      exit,
      home,
    }),
    [
      status,
      view,
      welcome,
      chat,
      notice,
      lastRejected,
      lostSessionId,
      lastJoin,
      join,
      cancel,
      enter,
      send,
      exit,
      home,
    ],
  );

  return <DuetContext.Provider value={value}>{children}</DuetContext.Provider>;
}

export function useDuet(): DuetContextValue {
  const value = useContext(DuetContext);
  if (!value) throw new Error("useDuet must be used inside <DuetProvider>");
  return value;
}
