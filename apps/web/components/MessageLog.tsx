"use client";

import type { ChatMessage } from "@duet/protocol";
import { forwardRef, type UIEvent } from "react";

/**
 * The list of a conversation's messages, oldest first, labelled "You" / the partner's label. Used
 * live (Conversation, announced politely as they arrive) and read-only under an ended notice
 * (LastConversation, not announced again: the person has read them or can read them now).
 */
export const MessageLog = forwardRef<
  HTMLDivElement,
  {
    messages: readonly ChatMessage[];
    youLabel: string;
    partnerLabel: string;
    /** The log's accessible name. */
    label: string;
    /** Live: new messages are announced (aria-live polite). */
    live: boolean;
    empty?: string;
    onScroll?: (event: UIEvent<HTMLDivElement>) => void;
    className?: string;
  }
>(function MessageLog(
  { messages, youLabel, partnerLabel, label, live, empty, onScroll, className = "log" },
  ref,
) {
  return (
    <div
      ref={ref}
      className={className}
      role="log"
      aria-label={label}
      aria-live={live ? "polite" : "off"}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: the log scrolls; keyboard users must reach it
      tabIndex={0}
      onScroll={onScroll}
    >
      {messages.length === 0 ? (
        empty ? (
          <p className="log-empty">{empty}</p>
        ) : null
      ) : (
        <ol className="messages">
          {messages.map((message) => (
            <li
              key={message.id}
              className={message.from === "you" ? "message message-you" : "message message-them"}
            >
              <span className="message-who">
                {message.from === "you" ? youLabel : partnerLabel}
                <span className="visually-hidden">:</span>
              </span>{" "}
              <span className="message-text">{message.text}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
});
