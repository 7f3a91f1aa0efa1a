"use client";

import type { Ack } from "@duet/protocol";
import {
  type FormEvent,
  type KeyboardEvent,
  type ReactNode,
  useEffect,
  useRef,
  useState,
} from "react";
import { CHAT_COPY, slowDownText } from "../lib/copy";
import { TOUCH_ONLY_QUERY } from "../lib/use-leave-guard";
import { CareSignpost } from "./CareSignpost";
import { useChat, useDuetActions, useDuetState, usePartnerTyping } from "./DuetProvider";
import { ErrorLine } from "./ErrorLine";
import { MessageLog } from "./MessageLog";

/** Show the count once this few characters are left. */
const COUNT_FROM_REMAINING = 200;

/**
 * The live conversation: the message log and the composer. `intro` sits above the log; the
 * labels name the two sides ("You" / "Them" in menti, "You" / "Stranger" elsewhere). With
 * `typingIndicator`, typing is reported to the partner (throttled by the provider) and the
 * partner's typing is shown in a polite status line under the log.
 */
export function Conversation({
  sessionId,
  intro,
  youLabel = "You",
  partnerLabel = "Them",
  typingIndicator = false,
  careSignposting = false,
  careSent = false,
  onCare,
}: {
  sessionId: string;
  intro: ReactNode;
  youLabel?: string;
  partnerLabel?: string;
  typingIndicator?: boolean;
  /** menti: offer the help panel when words suggest crisis (CareSignpost; browser only). */
  careSignposting?: boolean;
  /** menti: this person showed the other where to get help (the report dialog's "worried"). */
  careSent?: boolean;
  /** menti: show the other person where to get help (`care`), from the reader's signpost. */
  onCare?: () => Promise<Ack>;
}) {
  const { maxMessageLength } = useDuetState();
  const { send, typing } = useDuetActions();
  const { messages, messagesSessionId } = useChat();
  const partnerTyping = usePartnerTyping();
  const shown = messagesSessionId === sessionId ? messages : [];
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<string | null>(null);
  // A message refused as too fast: a calm line under the composer until trying again can work.
  const [slow, setSlow] = useState<{ text: string; until: number } | null>(null);
  const logRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const stickToBottom = useRef(true);
  // Known only in the browser; until then (and on a computer) Enter sends.
  const [touchOnly, setTouchOnly] = useState(false);
  useEffect(() => setTouchOnly(window.matchMedia(TOUCH_ONLY_QUERY).matches), []);

  // The conversation has just begun: put the cursor where the person will type.
  useEffect(() => {
    inputRef.current?.focus();
  }, []);

  const count = shown.length;
  const lastFromYou = shown[count - 1]?.from === "you";
  useEffect(() => {
    const log = logRef.current;
    if (!log || count === 0) return;
    if (stickToBottom.current || lastFromYou) log.scrollTop = log.scrollHeight;
  }, [count, lastFromYou]);

  useEffect(() => {
    if (!slow) return;
    const timer = setTimeout(
      () => setSlow((current) => (current === slow ? null : current)),
      Math.max(0, slow.until - Date.now()),
    );
    return () => clearTimeout(timer);
  }, [slow]);

  function onScroll() {
    const log = logRef.current;
    if (!log) return;
    stickToBottom.current = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
  }

  async function submit() {
    const text = draft;
    if (text.trim() === "") return;
    setDraft("");
    setError(null);
    const ack = await send(text);
    if (!ack.ok) {
      if (ack.code === "rate_limited") {
        const wait = ack.retryAfterMs ?? 1_000;
        setSlow({ text: slowDownText("send", wait), until: Date.now() + wait });
      } else {
        setError(ack.message);
      }
      // Give the words back, ahead of anything typed meanwhile: a refused message is never lost.
      setDraft((current) => (current === "" ? text : `${text}\n${current}`));
    } else {
      setSlow(null);
    }
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    void submit();
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
    // A phone's Enter starts a new line; its Send button sends (the hint is hidden there).
    if (touchOnly) return;
    event.preventDefault();
    void submit();
  }

  const remaining = maxMessageLength - draft.length;
  const showCount = remaining <= COUNT_FROM_REMAINING;
  const describedBy =
    [touchOnly ? null : "message-hint", showCount ? "message-count" : null]
      .filter(Boolean)
      .join(" ") || undefined;

  return (
    <div className="conversation">
      {intro}
      <MessageLog
        ref={logRef}
        messages={shown}
        youLabel={youLabel}
        partnerLabel={partnerLabel}
        label="Conversation"
        live
        empty="Messages appear here. Nothing is saved."
        onScroll={onScroll}
      />
      {typingIndicator ? (
        // Always in the page, so that the line is announced when it appears (and only then).
        <p role="status" className="typing-line">
          {partnerTyping ? CHAT_COPY.typing : ""}
        </p>
      ) : null}
      {careSignposting ? (
        <CareSignpost draft={draft} messages={shown} sent={careSent} onCare={onCare} />
      ) : null}
      <form
        className={typingIndicator ? "composer composer-after-typing" : "composer"}
        onSubmit={onSubmit}
      >
        <label htmlFor="message" className="visually-hidden">
          Message
        </label>
        <div className="composer-row">
          <textarea
            ref={inputRef}
            id="message"
            name="message"
            className="composer-input"
            rows={2}
            maxLength={maxMessageLength}
            placeholder="Write a message…"
            aria-describedby={describedBy}
            value={draft}
            onChange={(event) => {
              const next = event.target.value;
              setDraft(next);
              if (typingIndicator && next.trim() !== "") typing();
            }}
            onKeyDown={onKeyDown}
          />
          <button type="submit" className="button button-primary composer-send">
            Send
          </button>
        </div>
        <div className="composer-meta">
          {touchOnly ? null : (
            <p id="message-hint" className="hint">
              Enter sends. Shift+Enter starts a new line.
            </p>
          )}
          {showCount ? (
            <p id="message-count" className={remaining <= 0 ? "count count-full" : "count"}>
              {remaining} of {maxMessageLength} characters left
            </p>
          ) : null}
        </div>
        {/* Always in the page, so that the line is announced when it appears. */}
        <p role="status" className="slow-line">
          {slow ? slow.text : ""}
        </p>
        <ErrorLine error={error} />
      </form>
    </div>
  );
}
