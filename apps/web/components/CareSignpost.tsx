"use client";

import type { Ack, ChatMessage } from "@duet/protocol";
import { useMemo, useState } from "react";
import { CARE_COPY, HELP_COPY } from "../lib/copy";
import { mentionsCrisis } from "../lib/crisis-language";
import { ErrorLine } from "./ErrorLine";
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
  onCare,
}: {
  draft: string;
  messages: readonly ChatMessage[];
  /** This person showed the other where to get help: said here, in place of the offer. */
  sent?: boolean;
  /** Spaces that offer care: the reader can show the writer where to get help in one tap. */
  onCare?: () => Promise<Ack>;
}) {
  const { openHelp } = useHelp();
  const [dismissed, setDismissed] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function showThem(care: () => Promise<Ack>) {
    setPending(true);
    setError(null);
    const ack = await care();
    setPending(false);
    if (!ack.ok) setError(ack.message);
  }
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
            {who === "reader" && onCare ? (
              <button
                type="button"
                className="button button-primary"
                disabled={pending}
                onClick={() => void showThem(onCare)}
              >
                {CARE_COPY.worriedSend}
              </button>
            ) : null}
            <button
              type="button"
              className={
                who === "reader" && onCare ? "button button-secondary" : "button button-primary"
              }
              onClick={() => openHelp()}
            >
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
          <ErrorLine error={error} />
        </div>
      ) : null}
    </div>
  );
}
