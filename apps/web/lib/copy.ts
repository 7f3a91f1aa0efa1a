import type { CloseActor, CloseReason, Intent, SpaceId } from "@duet/protocol";

/**
 * Visible texts that tests and screen readers rely on. Keep them exactly as they are unless the
 * end-to-end tests change with them.
 */
export const DISCLAIMER =
  "Duet is peer support between strangers. It is not diagnosis, treatment or professional care.";

export const INTENT_COPY: Record<Intent, { label: string; description: string }> = {
  listen: { label: "Listen", description: "Be there for someone who wants to talk." },
  talk: { label: "Talk", description: "Share what's on your mind with someone who will listen." },
  both: { label: "Both", description: "Happy to talk or to listen, whichever is needed." },
};

/** The order the intents are offered in. */
export const INTENT_ORDER: readonly Intent[] = ["listen", "talk", "both"];

/** Spaces this client has screens for, with their landing-page card. */
export const SPACE_COPY: Partial<
  Record<SpaceId, { title: string; description: string; href: string }>
> = {
  menti: {
    title: "Peer support",
    description: "Talk about what's on your mind, or listen to someone who needs it.",
    href: "/menti",
  },
};

/** What the other person came for, as a sentence ending for "You're connected with someone who …". */
export function partnerIntentText(intent: Intent | undefined): string {
  switch (intent) {
    case "listen":
      return "You're connected with someone who is here to listen.";
    case "talk":
      return "You're connected with someone who would like to talk.";
    case "both":
      return "You're connected with someone who is happy to talk or to listen.";
    default:
      return "You're connected with someone.";
  }
}

/** How a conversation ended, as seen by the person reading the ended screen. */
export type EndedInfo =
  | { kind: "server"; space: SpaceId; reason: CloseReason; by: CloseActor }
  | { kind: "lost" };

export function endedReasonText(info: EndedInfo): string {
  if (info.kind === "lost") return "Your connection was lost, so this conversation has ended.";
  const { reason, by } = info;
  if (reason === "left" && by === "partner")
    return "The other person left. This conversation is over.";
  if (reason === "left" && by === "you") return "You left the conversation.";
  if (reason === "disconnected" && by === "partner") {
    return "The other person's connection closed. This conversation is over.";
  }
  if (reason === "join_timeout") {
    return by === "you"
      ? "You didn't join the conversation in time."
      : "The other person didn't join in time.";
  }
  if (reason === "server_shutdown")
    return "The server is restarting, so this conversation has ended.";
  return "This conversation has ended.";
}

/** m:ss, or h:mm:ss after an hour. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  if (hours > 0) return `${hours}:${String(minutes).padStart(2, "0")}:${seconds}`;
  return `${minutes}:${seconds}`;
}
