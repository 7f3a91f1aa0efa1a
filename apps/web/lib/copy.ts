import type {
  Ack,
  CloseActor,
  CloseReason,
  Intent,
  ReportReason,
  SpaceId,
  StateView,
} from "@duet/protocol";

/**
 * Visible texts that tests and screen readers rely on. Keep them exactly as they are unless the
 * end-to-end tests change with them.
 */
export const DISCLAIMER =
  "Duet is peer support between strangers. It is not diagnosis, treatment or professional care.";

/**
 * The footer line of each part of Duet (SiteFooter): peer support's disclaimer belongs to menti
 * only; the other spaces and pages say what holds for them.
 */
export const FOOTER_COPY = {
  home: "Duet is not an emergency service. If you or someone else is in danger, call your local emergency number.",
  menti: DISCLAIMER,
  stimchat:
    "Late-night chat is a chat between adults (18+) who are strangers. It is not medical advice.",
  dormparty:
    "Video chat between strangers. Video goes only to the other person and is never recorded.",
  admin: "Moderation. Reports are kept only until they are reviewed or expire.",
} as const;

/** The help panel's keyboard shortcut (HelpProvider), as aria-keyshortcuts and in words. */
export const HELP_SHORTCUT = { keys: "Alt+Shift+H", words: "Alt + Shift + H" } as const;

/** "I need help": the one name of the help panel's openers, on every screen. */
export const HELP_COPY = {
  open: "I need help",
  shortcutNote: `Open this panel from any screen with ${HELP_SHORTCUT.words}.`,
  /** The panel opened because the partner chose "I'm worried about their safety" (`care`). */
  partnerCared:
    "The person you're talking with thought these might help. You can keep talking — close this whenever you like.",
} as const;

/** menti's care signpost (CareSignpost): shown in the browser only, nothing is sent. */
export const CARE_COPY = {
  writer: {
    text: "If you're thinking about suicide or self-harm, you can talk to someone now. It's free and confidential.",
  },
  reader: {
    text: "If the person you're talking with is thinking about suicide or self-harm, there are people who can help right now. You could share these with them.",
    action: "See help you can share",
  },
  notNow: "Not now",
  /** The report dialog's choice in spaces that offer care (menti), and what it does. */
  worried: "I'm worried about their safety",
  worriedWhat:
    "They'll see where to get help right now, with a kind line. Your conversation goes on; nothing is sent to moderators and nothing is kept.",
  worriedSend: "Show them help",
  /** The sender's line once the help reached the other person's screen. */
  sent: "We've shown them where to get help right now. Your conversation goes on.",
} as const;

export const INTENT_COPY: Record<Intent, { label: string; description: string }> = {
  listen: { label: "Listen", description: "Be there for someone who wants to talk." },
  talk: { label: "Talk", description: "Share what's on your mind with someone who will listen." },
  both: { label: "Both", description: "Happy to talk or to listen, whichever is needed." },
};

/** menti's entry screen: what a report sends there (SPEC §5, §6: nothing identifying, no text). */
export const MENTI_KEPT_NOTE =
  "Even if a conversation is reported, nothing from it is kept: only the reason is sent.";

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

/**
 * The `presence` line of a space: `here` is already rounded by the server ("a few" for 0–4, then
 * "5", "10", …). 0 to 4 all read "quiet right now": true of an empty space too, and nobody can
 * watch a count tick from 0 to 1 when someone arrives.
 */
export function presenceHereText(here: string): string {
  if (here === "a few") return "quiet right now";
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

/** menti's waiting screen when everyone waiting chose the same intent as this person. */
export const BOTH_SUGGESTION: Record<"talk" | "listen", { text: string; action: string }> = {
  talk: {
    text: "Others are waiting to talk right now too. If you'd also be happy to listen, choosing Both can connect you sooner.",
    action: "Switch to Both",
  },
  listen: {
    text: "Others are waiting to listen right now too. If you'd also like to talk, choosing Both can connect you sooner.",
    action: "Switch to Both",
  },
};

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
  /**
   * After the partner left: a reported chat reaches its reported side as a neutral "left", so
   * that person can't be told that nothing was kept. Every "left" reads the same.
   */
  keptOnlyIfReported: "Chats aren't kept unless someone reports them.",
  movingOn: "Finding someone new…",
  leaving: "Leaving…",
} as const;

/** The ended screen of menti, and the conversation kept under every ended screen. */
export const ENDED_COPY = {
  title: "This conversation is over",
  nothingKept: "Nothing from it was kept. Thank you for being here.",
  again: "Talk to someone new",
  partner: "Them",
  lastTitle: "The conversation",
  lastNote:
    "Shown here only, in this tab: it goes when you start something new, leave this page or refresh it.",
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
  /** A topic search before it takes anyone: the countdown in whole seconds, never "0 s". */
  sharesTopicFor: (seconds: number) =>
    `Looking for someone who shares a topic — anyone in ${seconds} s.`,
  anyoneNow: "Now looking for anyone.",
  anyoneIsFine: "Anyone is fine",
  stop: "Stop",
  timedOutTitle: "No one is available right now — try again?",
  timedOutLead: "Nobody else was looking just now. It often picks up in a few minutes.",
  tryAgain: "Try again",
  changeTopics: "Change topics",
  leave: "Leave chat",
  notOpenTitle: "Late-night chat is not open here",
} as const;

/** dormparty — quick random chats with Skip and End (text side chat until video lands). */
export const DORMPARTY_COPY = {
  entryTitle: "Video chat",
  entryLead:
    "Quick random chats with other students. Skip to meet someone new, End when you're done.",
  entryNote:
    "Start turns your camera on (your browser may ask first), then finds someone. Video is never recorded.",
  /**
   * Shown before the camera is asked for when calls may connect directly (no TURN relay
   * configured): WebRTC's ICE candidates carry this device's addresses to the partner.
   */
  directNote:
    "Video goes straight between your device and the other person's, so their device can learn your network (IP) address, which can show roughly where you are. If that worries you, use a network you don't mind sharing, or a VPN.",
  /** The same place when every call goes through the server's relay (ICE_TRANSPORT_POLICY=relay). */
  relayNote:
    "Video goes through this site's relay server, so the other person's device doesn't learn your network address.",
  /** SPEC §5: said before the first chat, since dormparty keeps a reported chat's text. */
  keptNote:
    "Chats vanish when they end, unless someone reports the chat. In that case the chat's text (never video) is kept for moderators to review.",
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
  /** The entry screen while the browser is asked for the camera and microphone. */
  cameraAsking: "Turning on your camera and microphone… Your browser may ask you to allow them.",
  ownVideo: "Your camera",
  partnerVideo: "Stranger's video",
  mediaControls: "Your camera and microphone",
  cameraPicker: "Camera",
  /** The toggles say what they will do; the icon (slashed when off) and the badge say the state. */
  mute: "Mute",
  unmute: "Unmute",
  cameraOff: "Stop video",
  cameraOn: "Start video",
  /** Over the partner's video when they turned their camera off (never a black box). */
  partnerCameraOff: "Camera off",
  partnerMuted: "Stranger is muted",
  /** Shown on the own preview while the camera is off / the microphone is muted. */
  cameraOffNote: "Your camera is off",
  mutedNote: "You're muted",
  connectingVideo: "Connecting video…",
} as const;

/** The screen for a camera or microphone that can't be used (dormparty). */
export const CAMERA_COPY = {
  title: "Duet needs your camera and microphone for video chat",
  lead: "Video chat shows your face and voice to the person you meet, so it can only start once your browser lets Duet use them. Nothing is recorded.",
  problem: {
    denied:
      "Your browser is blocking the camera or microphone for this site. To allow them, select the camera icon or the site settings icon (the padlock or sliders) next to the address, set Camera and Microphone to Allow, then choose Try again. On a phone you may also need to allow them for your browser in the phone's settings.",
    missing:
      "No camera or microphone was found. Connect one (or check that it is switched on), then choose Try again.",
    busy: "Your camera or microphone is being used by another app or tab. Close it there, then choose Try again.",
    insecure: "This page can't use a camera: video chat needs a secure (https) connection to Duet.",
    other:
      "Your camera and microphone couldn't be started. Check your browser's settings for this site, then choose Try again.",
  },
  tryAgain: "Try again",
  home: "Home",
} as const;

/** Spaces whose rooms are video calls: the client enters once its peer connection is up. */
export const VIDEO_SPACES: ReadonlySet<SpaceId> = new Set<SpaceId>(["dormparty"]);

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
  // A reported person is told "left" by the server; a "reported" from the partner's side reads
  // the same, never "reported".
  if ((reason === "left" || reason === "reported") && by === "partner")
    return "The other person left. This conversation is over.";
  if (reason === "reported" && by === "you") return REPORT_COPY.mentiThanksDetail;
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
      // The server tells a reported person "left"; should a "reported" ever reach this side,
      // it reads the same, never "reported".
      case "reported":
        return { title: "Your partner has disconnected", detail: "They left the chat." };
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
      case "reported":
        return { title: REPORT_COPY.thanksTitle, detail: REPORT_COPY.chatThanksDetail };
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
  if (reason === "media_failed") {
    return { title: "This chat has ended", detail: "The connection between you failed." };
  }
  return { title: "This chat has ended", detail: null };
}

/** Reporting a conversation (every space), and the reporter's ended screen. */
export const REPORT_COPY = {
  open: "Report",
  title: "Report this conversation",
  reasonsLegend: "What happened?",
  reasons: {
    harassment: "Harassment or bullying",
    sexual: "Sexual content",
    hate: "Hate or threats",
    spam: "Spam or scams",
    minor: "They seem to be under 18",
    other: "Something else",
  } satisfies Record<ReportReason, string>,
  /** What a report sends, per space: menti keeps no text at all. */
  whatIsSent: {
    menti: "Nothing from this conversation is kept; only the reason is sent.",
    stimchat: "The messages of this chat will be sent to the moderators with your report.",
    dormparty: "The messages of this chat will be sent to the moderators with your report.",
  } satisfies Record<SpaceId, string>,
  endsNote: "Sending it ends the conversation for both of you. The other person isn't told why.",
  noteLabel: "Anything you want to add (optional)",
  noteLeft: (left: number) => (left === 1 ? "1 character left" : `${left} characters left`),
  chooseReason: "Choose what happened first.",
  send: "Send report",
  cancel: "Cancel",
  thanksTitle: "Thank you — this chat has been sent to the moderators",
  chatThanksDetail: "The chat has ended for both of you. You won't be matched with them again.",
  /** menti keeps no text: the report is its reason alone, and the title must not say more. */
  mentiThanksTitle: "Thank you — your report was sent",
  mentiThanksDetail: "The conversation has ended for both of you.",
  mentiThanksKept: "Only the reason went to the moderators. Nothing either of you wrote was kept.",
  /** The conversation ended, but the server said the report itself failed (then its message). */
  failedTitle: "This chat has ended",
  failedLead: "It has ended for both of you, but your report may not have reached the moderators.",
} as const;

/** The spaces that use a browser token (SPEC §6); menti never does. */
export const TOKEN_SPACES: ReadonlySet<SpaceId> = new Set<SpaceId>(["stimchat", "dormparty"]);

/** The token space whose page `pathname` is (its entry, waiting and timed-out screens), if any. */
export function tokenSpaceOfPath(pathname: string): SpaceId | null {
  for (const space of TOKEN_SPACES) {
    const href = SPACE_COPY[space]?.href;
    if (href && (pathname === href || pathname.startsWith(`${href}/`))) return space;
  }
  return null;
}

/** Plain words for a wait, e.g. "5 seconds", "about 3 minutes". */
export function waitText(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return seconds === 1 ? "1 second" : `${seconds} seconds`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return minutes === 1 ? "about a minute" : `about ${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  return hours === 1 ? "about an hour" : `about ${hours} hours`;
}

/**
 * The words for a refused acknowledgement on a screen's own error line, or null for
 * `rate_limited`, which the calm line at the top of the page already says (with the wait).
 */
export function refusalText(ack: Extract<Ack, { ok: false }>): string | null {
  return ack.code === "rate_limited" ? null : ack.message;
}

/** The calm line after a `rate_limited` refusal, by the event that was refused. */
export function slowDownText(event: string, retryAfterMs: number): string {
  const wait = waitText(retryAfterMs);
  if (event === "send") return `You're sending messages a little fast — wait ${wait}`;
  if (event === "join") return `You're starting chats a little fast — wait ${wait}`;
  if (event === "report") return `You're sending reports a little fast — wait ${wait}`;
  return `You're going a little fast — wait ${wait}`;
}

/** The browser's pass (token) for stimchat and dormparty, and the two screens it can lead to. */
export const PASS_COPY = {
  settingUp: "Setting up a private, anonymous pass for this browser…",
  limited: (retryAfterMs: number) =>
    `Lots of new passes are being set up from this network right now. Please try again in ${waitText(retryAfterMs)}.`,
  failed:
    "The pass for this browser couldn't be set up just now. Check your connection and try again.",
  notKept:
    "This browser didn't keep its pass. This space needs cookies from this site — allow them, then try again.",
  tryAgain: "Try again",
  bannedTitle: (spaceTitle: string) => `This browser can't use ${spaceTitle} right now`,
  bannedUntil: (when: string) => `This lasts until ${when}.`,
  bannedForGood: "This ban does not end.",
  bannedLead: "A moderator has stopped this browser from joining chats here.",
  bannedOver: "The ban has ended. Getting this browser ready again…",
  elsewhereTitle: "Duet is already open in another tab",
  elsewhereLead: "Use that tab, or close it — this one will be ready by itself when it's closed.",
} as const;

/** A ban's end in plain local words: "24 November, 14:05" (with the year when it is not this year). */
export function banEndText(at: number, now: number = Date.now()): string {
  const date = new Date(at);
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  const day = new Intl.DateTimeFormat(undefined, {
    day: "numeric",
    month: "long",
    ...(sameYear ? {} : { year: "numeric" }),
  }).format(date);
  const time = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" }).format(
    date,
  );
  return `${day}, ${time}`;
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
