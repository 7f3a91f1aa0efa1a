import type { CloseActor, CloseReason, Intent, SpaceId, StateView } from "@duet/protocol";

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
  stimchat: {
    title: "Late-night chat",
    description: "A random text chat with someone else who is up at this hour and gets it.",
    href: "/stimchat",
  },
  dormparty: {
    title: "Video chat",
    description: "Quick random chats with other students. Skip to meet someone new.",
    href: "/dormparty",
  },
};

/** Where a space's flow lives, or home for a space this client has no screens for. */
export function spaceHref(space: SpaceId): string {
  return SPACE_COPY[space]?.href ?? "/";
}

/** The `presence` line of a space: `here` is already rounded by the server ("a few", "10", …). */
export function presenceHereText(here: string): string {
  if (here === "a few") return "a few people here";
  if (/^\d+$/.test(here)) return `about ${here} people here`;
  return `${here} people here`;
}

/** The estimated wait of a space (median of recent waits), in words. */
export function estimatedWaitText(ms: number): string {
  if (ms < 60_000) return "usually under a minute";
  if (ms < 90_000) return "usually about a minute";
  const minutes = Math.round(ms / 60_000);
  if (minutes <= 15) return `usually about ${minutes} minutes`;
  return "usually more than 15 minutes";
}

/** Words shared by the stranger-chat spaces (stimchat and dormparty). */
export const CHAT_COPY = {
  roomTitle: "Chat",
  you: "You",
  partner: "Stranger",
  typing: "Stranger is typing…",
  intro: "You're connected with a stranger. Say hi whenever you're ready.",
  newChat: "New chat",
  home: "Home",
  connecting: "Connecting you…",
  matchedTitle: "Someone is here",
  matchedLead: "Taking you to your chat…",
  notOpenLead: "This server does not offer this space right now.",
  nothingKept: "Nothing from this chat was kept.",
  movingOn: "Finding someone new…",
  leaving: "Leaving…",
} as const;

/** The "You both picked: …" line of a stimchat room. */
export function sharedTopicsText(topics: readonly string[]): string {
  return `You both picked: ${topics.join(", ")}`;
}

/** stimchat — late-night text roulette. */
export const STIMCHAT_COPY = {
  /** localStorage key remembering "Agree & continue" (any non-empty value counts). */
  consentKey: "duet.stimchat.consent",
  rulesTitle: "Before you chat",
  rulesIntro: "A few things to know first:",
  rules: [
    "Be kind. There is a real person on the other side, maybe having a rough night too.",
    "Share no personal details: not your name, school, socials or location.",
    "Chats vanish when they end, unless someone reports the chat. In that case that chat is kept for moderators to review.",
    "This is for adults (18+). It is a peer chat between strangers, not medical advice.",
  ],
  agree: "Agree & continue",
  notNow: "Not now",
  declinedLead: "Come back whenever you're ready. The rules will be here.",
  rulesAgain: "Read the rules again",
  entryTitle: "Late-night chat",
  entryLead:
    "A random text chat with someone else who is up at this hour. Pick a few topics if you like, or just start.",
  topicsLegend: "Topics (optional)",
  topicsHint: (chosen: number, max: number) =>
    chosen === 0
      ? `Pick up to ${max}. People with the same topic are matched first.`
      : `${chosen} of ${max} picked. People with the same topic are matched first.`,
  onlyMine: "Only people with my topics",
  onlyMineHintOff: "Pick a topic to use this.",
  onlyMineHintOn: "Otherwise anyone is welcome after a few seconds.",
  start: "Start chatting",
  searchingTitle: "Searching…",
  searchingLead: "Looking for someone to chat with.",
  searchingElapsed: "Time searching:",
  yourTopics: (topics: readonly string[]) => `Your topics: ${topics.join(", ")}`,
  onlyMineOn: "Only people with your topics.",
  stop: "Stop",
  timedOutTitle: "No one is available right now — try again?",
  timedOutLead: "Nobody else was looking just now. It often picks up in a few minutes.",
  tryAgain: "Try again",
  changeTopics: "Change topics",
  leave: "Leave chat",
  getHelp: "Get help",
  notOpenTitle: "Late-night chat is not open here",
} as const;

/** dormparty — quick random chats with Skip and End (text side chat until video lands). */
export const DORMPARTY_COPY = {
  entryTitle: "Video chat",
  entryLead:
    "Quick random chats with other students. Skip to meet someone new, End when you're done.",
  entryNote: "Video is on its way. For now you chat by text.",
  start: "Start",
  waitingTitle: "Finding someone…",
  waitingLead: "You'll be connected with the next person who is free.",
  waitingElapsed: "Time waiting:",
  stop: "Stop",
  skip: "Skip",
  end: "End",
  controlsHint: "Skip meets someone new. End takes you home. Press Esc twice to skip.",
  escHint: "Press Esc again to skip",
  notOpenTitle: "Video chat is not open here",
} as const;

/** The line on dormparty's waiting screen after the server re-queued this person. */
export function requeuedText(previous: { reason: CloseReason; by: CloseActor }): string {
  const { reason, by } = previous;
  if (reason === "skipped") return "Skipped — finding someone new";
  if (by === "partner" && (reason === "ended" || reason === "left" || reason === "disconnected")) {
    return "Your partner left — finding someone new";
  }
  if (reason === "join_timeout") {
    return by === "partner"
      ? "Your partner didn't join in time — finding someone new"
      : "You didn't join in time — finding someone new";
  }
  if (reason === "media_failed") return "The connection failed — finding someone new";
  return "Your last chat ended — finding someone new";
}

/** What a WAITING state says about the session that just ended (dormparty's re-queue). */
export type WaitingPrevious = NonNullable<Extract<StateView, { state: "WAITING" }>["previous"]>;

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
  | { kind: "lost"; space?: SpaceId }
  /** The server moved this person on (e.g. home) without an ENDED state for this room. */
  | { kind: "gone"; space: SpaceId };

export function endedReasonText(info: EndedInfo): string {
  if (info.kind === "lost") return "Your connection was lost, so this conversation has ended.";
  if (info.kind === "gone") return "This conversation has ended.";
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
  if (reason === "skipped") {
    return by === "you"
      ? "You skipped this conversation."
      : "The other person skipped this conversation.";
  }
  if (reason === "ended") {
    return by === "you"
      ? "You ended the conversation."
      : "The other person ended the conversation.";
  }
  return "This conversation has ended.";
}

/** The ended screen of the stranger-chat spaces (stimchat, dormparty): a title and a sentence. */
export function chatEndedText(info: EndedInfo): { title: string; detail: string | null } {
  if (info.kind === "lost") {
    return {
      title: "You were disconnected",
      detail: "Your connection was lost, so this chat has ended.",
    };
  }
  if (info.kind === "gone") return { title: "This chat has ended", detail: null };
  const { reason, by } = info;
  if (by === "partner") {
    switch (reason) {
      case "left":
        return { title: "Your partner has disconnected", detail: "They left the chat." };
      case "disconnected":
        return { title: "Your partner has disconnected", detail: "Their connection closed." };
      case "join_timeout":
        return { title: "Your partner has disconnected", detail: "They didn't join in time." };
      case "skipped":
        return { title: "Your partner has disconnected", detail: "They skipped this chat." };
      case "ended":
        return { title: "Your partner has disconnected", detail: "They ended the chat." };
      default:
        break;
    }
  }
  if (by === "you") {
    switch (reason) {
      case "left":
        return { title: "You left the chat.", detail: null };
      case "skipped":
        return { title: "You skipped the chat.", detail: null };
      case "ended":
        return { title: "You ended the chat.", detail: null };
      case "join_timeout":
        return { title: "This chat has ended", detail: "You didn't join the chat in time." };
      default:
        break;
    }
  }
  if (reason === "server_shutdown") {
    return {
      title: "This chat has ended",
      detail: "The server is restarting, so this chat has ended.",
    };
  }
  if (reason === "reported") {
    return { title: "This chat has ended", detail: "This chat was reported and has ended." };
  }
  if (reason === "media_failed") {
    return { title: "This chat has ended", detail: "The connection between you failed." };
  }
  return { title: "This chat has ended", detail: null };
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
