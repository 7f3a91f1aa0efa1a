"use client";

import type { ChatMessage } from "@duet/protocol";
import { useMemo, useState } from "react";
import { CARE_COPY, HELP_COPY } from "../lib/copy";
import { mentionsCrisis } from "../lib/crisis-language";
import { useHelp } from "./HelpProvider";

/**
 * menti's gentle signpost: when the words being typed, or the messages of this conversation,
 * suggest crisis or self-harm (lib/crisis-language.ts, in the browser only), one calm line offers
 * the help panel. Nothing about it is sent or kept anywhere; it never blocks or changes a message;
 * "Not now" puts it away for this conversation. Said to the writer in the first person and to the
 * reader about the other person.
 */
export function CareSignpost({
  draft,
  messages,
  sent = false,
}: {
  draft: string;
  messages: readonly ChatMessage[];
  /** This person showed the other where to get help: said here, in place of the offer. */
  sent?: boolean;
}) {
  const { openHelp } = useHelp();
  const [dismissed, setDismissed] = useState(false);
  // Each message is checked once per change of the list, not on every keystroke.
  const fromMessages = useMemo(() => {
    let you = false;
    let partner = false;
    for (const message of messages) {
      if (!mentionsCrisis(message.text)) continue;
      if (message.from === "you") you = true;
      else partner = true;
    }
    return { you, partner };
  }, [messages]);
  const writer = fromMessages.you || mentionsCrisis(draft);
  const who = writer ? "writer" : fromMessages.partner ? "reader" : null;

  return (
    // Always in the page, so the line is announced (politely) when it appears.
    <div role="status" className="care-signpost-region">
      {sent ? (
        <div className="care-signpost">
          <p>{CARE_COPY.sent}</p>
        </div>
      ) : who && !dismissed ? (
        <div className="care-signpost">
          <p>{CARE_COPY[who].text}</p>
          <p className="care-signpost-actions">
            <button type="button" className="button button-primary" onClick={() => openHelp()}>
              {who === "writer" ? HELP_COPY.open : CARE_COPY.reader.action}
            </button>
            <button
              type="button"
              className="button button-quiet"
              onClick={() => setDismissed(true)}
            >
              {CARE_COPY.notNow}
            </button>
          </p>
        </div>
      ) : null}
    </div>
  );
}
