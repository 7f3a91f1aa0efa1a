"use client";

import { ENDED_COPY } from "../lib/copy";
import { useChat } from "./DuetProvider";
import { MessageLog } from "./MessageLog";

/**
 * The messages of a conversation that has just ended, read-only under its ended notice, so that
 * last words sent just before the end (or in the same instant) are read. They live only in this
 * tab's memory (DuetProvider's chat, replaced by the next session's, gone on a refresh): nothing
 * is stored anywhere for this. Shows nothing if no message was exchanged.
 */
export function LastConversation({
  sessionId,
  partnerLabel,
}: {
  sessionId: string;
  partnerLabel: string;
}) {
  const { messages, messagesSessionId } = useChat();
  if (messagesSessionId !== sessionId || messages.length === 0) return null;
  return (
    <section className="last-conversation" aria-labelledby="last-conversation-title">
      <h2 id="last-conversation-title" className="last-conversation-title">
        {ENDED_COPY.lastTitle}
      </h2>
      <p className="muted last-conversation-note">{ENDED_COPY.lastNote}</p>
      <MessageLog
        messages={messages}
        youLabel="You"
        partnerLabel={partnerLabel}
        label={ENDED_COPY.lastTitle}
        live={false}
        className="log log-ended"
      />
    </section>
  );
}
