import type { Ack, ChatMessage, VersionedStateView } from "@duet/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type AckEmitter, type Carried, emitWithAck } from "../lib/ack";

const NO_ANSWER: Ack = { ok: false, code: "internal", message: "no answer" };
const VIEW: VersionedStateView = {
  state: "ENDED",
  space: "menti",
  sessionId: "s".repeat(22),
  reason: "left",
  by: "you",
  version: 7,
};
const COPY: ChatMessage = { sessionId: "s".repeat(22), id: "m1", from: "you", text: "hi", at: 1 };

/** A socket whose acks the test sends by hand, when it likes. */
function fakeSocket(): AckEmitter & { answer(ack?: Ack): void; sent: string[] } {
  const callbacks: ((ack?: Ack) => void)[] = [];
  const sent: string[] = [];
  return {
    sent,
    emit(event, _payload, callback) {
      sent.push(event);
      callbacks.push(callback);
    },
    answer(ack) {
      callbacks.shift()?.(ack);
    },
  };
}

function recorder(): Carried & { views: VersionedStateView[]; copies: ChatMessage[] } {
  const views: VersionedStateView[] = [];
  const copies: ChatMessage[] = [];
  return { views, copies, state: (v) => views.push(v), message: (m) => copies.push(m) };
}

/** One event through emitWithAck with a 10 s deadline; `carried` is asked when an ack comes. */
const send = (socket: AckEmitter, event: string, carried: () => Carried): Promise<Ack> =>
  emitWithAck(socket, event, {}, { timeoutMs: 10_000, noAnswer: NO_ANSWER, carried });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("an event's ack (protocol 2)", () => {
  it("answers with the ack and hands what it carries to the socket's handlers", async () => {
    const socket = fakeSocket();
    const carried = recorder();
    const answer = send(socket, "exit", () => carried);
    socket.answer({ ok: true, state: VIEW });
    expect(await answer).toEqual({ ok: true, state: VIEW });
    expect(carried.views).toEqual([VIEW]);
    const sent = send(socket, "send", () => carried);
    socket.answer({ ok: true, copy: COPY });
    await sent;
    expect(carried.copies).toEqual([COPY]);
  });

  it("answers 'no answer' at the deadline, and still shows a view that comes later", async () => {
    const socket = fakeSocket();
    const carried = recorder();
    const answer = send(socket, "exit", () => carried);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await answer).toBe(NO_ANSWER);
    expect(carried.views).toEqual([]);
    // The late ack: its view is this screen's new state, shown although the action was answered.
    socket.answer({ ok: true, state: VIEW });
    expect(carried.views).toEqual([VIEW]);
  });

  it("a refusal carries nothing; no ack at all is 'no answer'; handlers are looked up when used", async () => {
    const socket = fakeSocket();
    let carried = recorder();
    const refused = send(socket, "enter", () => carried);
    socket.answer({ ok: false, code: "room_unavailable", message: "This conversation has ended." });
    expect(await refused).toMatchObject({ ok: false, code: "room_unavailable" });
    const empty = send(socket, "home", () => carried);
    socket.answer(undefined);
    expect(await empty).toBe(NO_ANSWER);
    // A new connection's handlers replace the old ones between the emit and its ack.
    const later = send(socket, "join", () => carried);
    const first = carried;
    carried = recorder();
    socket.answer({ ok: true, state: VIEW });
    await later;
    expect(first.views).toEqual([]);
    expect(carried.views).toEqual([VIEW]);
    expect(socket.sent).toEqual(["enter", "home", "join"]);
  });
});
