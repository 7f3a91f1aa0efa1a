"use client";

import type { Ack, SpaceId } from "@duet/protocol";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import {
  CHAT_COPY,
  chatEndedText,
  ENDED_COPY,
  type EndedInfo,
  endedReasonText,
  REPORT_COPY,
  refusalText,
  SPACE_COPY,
  spaceHref,
} from "../lib/copy";
import { useFocusedHeading } from "../lib/use-focused-heading";
import { type DuetActions, type JoinChoice, useDuetActions, useDuetState } from "./DuetProvider";
import { ErrorLine } from "./ErrorLine";
import { LastConversation } from "./LastConversation";

/** Spaces whose rooms are the stranger chat ("You" / "Stranger"); menti keeps its own words. */
export const STRANGER_SPACES: ReadonlySet<SpaceId> = new Set<SpaceId>(["stimchat", "dormparty"]);

/** What one space's ended screen says and offers; the skeleton around it is shared. */
interface EndedParts {
  title: string;
  detail: string | null;
  /** What was kept, if the screen can say so truthfully. */
  kept: string | null;
  again: string;
  partnerLabel: string;
  /** Starts again: joins with the same choices (if any) and says where to go. */
  startAgain(ctx: {
    lastJoin: JoinChoice | null;
    join: DuetActions["join"];
    home: () => Promise<unknown>;
    ended: boolean;
  }): Promise<{ ack: Ack | null; href: string }>;
}

/** menti: "This conversation is over", the reason, "Talk to someone new" with the same intent. */
function peerSupportParts(info: EndedInfo, failed: boolean): EndedParts {
  const reported = info.kind === "server" && info.reason === "reported" && info.by === "you";
  return {
    title: reported && !failed ? REPORT_COPY.mentiThanksTitle : ENDED_COPY.title,
    detail: failed ? REPORT_COPY.failedLead : endedReasonText(info),
    kept: reported && !failed ? REPORT_COPY.mentiThanksKept : ENDED_COPY.nothingKept,
    again: ENDED_COPY.again,
    partnerLabel: ENDED_COPY.partner,
    async startAgain({ lastJoin, join, home, ended }) {
      if (ended) await home();
      const space = lastJoin?.space ?? (info.kind === "server" ? info.space : "menti");
      const href = SPACE_COPY[space]?.href ?? "/";
      if (!lastJoin) return { ack: null, href };
      return { ack: await join(lastJoin.space, lastJoin.intent), href };
    },
  };
}

/** stimchat and dormparty: "Your partner has disconnected", and "New chat" with the same topics. */
function strangerChatParts(info: EndedInfo, space: SpaceId, failed: boolean): EndedParts {
  const reported = info.kind === "server" && info.reason === "reported" && info.by === "you";
  const { title, detail } = failed
    ? { title: REPORT_COPY.failedTitle, detail: REPORT_COPY.failedLead }
    : chatEndedText(info);
  // What this screen may say about what was kept. A reported chat was (the reporter knows). The
  // person reported is told "left" by their partner, like anyone whose partner left: after such
  // an end nobody can be told that nothing was kept.
  const kept = reported
    ? null
    : info.kind === "server" && info.by === "partner" && info.reason === "left"
      ? CHAT_COPY.keptOnlyIfReported
      : CHAT_COPY.nothingKept;
  return {
    title,
    detail,
    kept,
    again: CHAT_COPY.newChat,
    partnerLabel: CHAT_COPY.partner,
    async startAgain({ lastJoin, join }) {
      const same = lastJoin?.space === space ? lastJoin : null;
      const ack = await join(space, same?.intent, same?.topics, same?.onlyMyTopics);
      return { ack, href: spaceHref(space) };
    },
  };
}

/**
 * The end of a conversation in any space: the reason in plain words, what was kept, a way to
 * start again and Home; then the conversation itself, read-only, as it stood when it ended (kept
 * in this tab's memory only, gone when the person starts something new or leaves the page).
 */
export function EndedScreen({
  info,
  space,
  sessionId,
  reportError = null,
}: {
  info: EndedInfo;
  /** The room's space, if known (a connection lost before the room showed has none). */
  space: SpaceId | null;
  sessionId: string;
  /** This person reported the conversation and the server said the report failed: its words. */
  reportError?: string | null;
}) {
  const router = useRouter();
  const { state, lastJoin } = useDuetState();
  const { join, home } = useDuetActions();
  const headingRef = useFocusedHeading();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const reported = info.kind === "server" && info.reason === "reported" && info.by === "you";
  const failed = reported && reportError !== null;
  const parts =
    space && STRANGER_SPACES.has(space)
      ? strangerChatParts(info, space, failed)
      : peerSupportParts(info, failed);

  async function startAgain() {
    if (pending) return;
    setPending(true);
    setError(null);
    const { ack, href } = await parts.startAgain({
      lastJoin,
      join,
      home,
      ended: state?.state === "ENDED",
    });
    if (ack && !ack.ok) {
      setPending(false);
      setError(refusalText(ack));
      return;
    }
    router.push(href);
  }

  return (
    <div className="page page-center ended">
      <h1 ref={headingRef} tabIndex={-1}>
        {parts.title}
      </h1>
      {parts.detail ? <p className="lead ended-reason">{parts.detail}</p> : null}
      {failed ? (
        <p role="alert" className="error">
          {reportError}
        </p>
      ) : null}
      {parts.kept ? <p className="muted">{parts.kept}</p> : null}
      <div className="actions">
        <button
          type="button"
          className="button button-primary"
          disabled={pending}
          onClick={() => void startAgain()}
        >
          {parts.again}
        </button>
        <Link
          href="/"
          className="button button-secondary"
          onClick={() => {
            if (state?.state === "ENDED") void home();
          }}
        >
          {CHAT_COPY.home}
        </Link>
      </div>
      <ErrorLine error={error} />
      <LastConversation sessionId={sessionId} partnerLabel={parts.partnerLabel} />
    </div>
  );
}
