/**
 * Shared pieces of Duet's browser specs: the `test` of support/users.ts extended with a raw
 * Socket.IO client fixture (a "person" who is not a browser), and the few flows most specs need
 * (choosing an intent, pairing two people, finding things on a screen).
 *
 * Every wait here is bounded by a Playwright timeout or by an explicit one.
 */
import { randomBytes } from "node:crypto";
import type {
  Ack,
  ChatMessage,
  ClientEventName,
  ClientPayload,
  ClientToServerEvents,
  Intent,
  ServerToClientEvents,
  StateView,
} from "@duet/protocol";
import type { Locator, Page } from "@playwright/test";
import { io, type Socket } from "socket.io-client";
import { expect, type NewUserOptions, type User, test as usersTest } from "./support/users";

export type { NewUserOptions, User };
export { expect };

/** The `newUser` fixture's function. */
export type NewUserFn = (options?: NewUserOptions) => Promise<User>;

/** Exact visible texts from apps/web/lib/copy.ts, apps/web/README.md and the protocol's ERRORS. */
export const TEXT = {
  disclaimer:
    "Duet is peer support between strangers. It is not diagnosis, treatment or professional care.",
  mentiTitle: "How would you like to take part?",
  waitingTitle: "Looking for someone…",
  connecting: "Connecting you…",
  endedTitle: "This conversation is over",
  endedHome: "This conversation has ended",
  exitQuestion: "Leave this conversation? It will end for both of you and can't be resumed.",
  helpTitle: "If you need help now",
  notEmergency: "Duet is not an emergency service.",
  reason: {
    partnerLeft: "The other person left. This conversation is over.",
    youLeft: "You left the conversation.",
    partnerDisconnected: "The other person's connection closed. This conversation is over.",
    partnerLate: "The other person didn't join in time.",
    youLate: "You didn't join the conversation in time.",
  },
  alreadyWaitingElsewhere: "You are already looking for someone in another tab.",
} as const;

const INTENT_LABEL: Record<Intent, string> = { listen: "Listen", talk: "Talk", both: "Both" };

/** A space's coarse presence words (apps/web/lib/copy.ts presenceHereText): "quiet right now" for
 * 0–4 people, else "about 10 people here". */
export const PRESENCE_WORDS = /people here|quiet right now/;

/** A room URL's path, e.g. /room/AbC…; the session id is 22+ base64url characters. */
export const ROOM_PATH = /\/room\/[A-Za-z0-9_-]{22,64}$/;

/** A made-up session id shaped like a real one (128 random bits, base64url). */
export function randomSessionId(): string {
  return randomBytes(16).toString("base64url");
}

// ------------------------------------------------------------------ raw Socket.IO clients

export type RawSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * A person who talks to the server with a bare socket.io-client from this Node process (not a
 * browser): it does only what the test tells it to, e.g. join and then never enter the room.
 */
export interface RawClient {
  socket: RawSocket;
  /** Every `state` the server sent, oldest first. */
  states: StateView[];
  /** Every `message` the server sent. */
  messages: ChatMessage[];
  /** Emits an event and resolves with the server's acknowledgement (bounded). */
  emit<E extends ClientEventName>(
    event: E,
    payload: ClientPayload<E>,
    timeoutMs?: number,
  ): Promise<Ack>;
  /** Resolves with the first state (already received or to come) that matches; bounded. */
  waitForState<S extends StateView["state"]>(
    state: S,
    timeoutMs?: number,
  ): Promise<Extract<StateView, { state: S }>>;
  close(): void;
}

type LooseEmit = {
  emit(event: string, payload: unknown, callback: (err: Error | null, ack?: Ack) => void): void;
};

function connectRaw(baseURL: string): Promise<RawClient> {
  const origin = new URL(baseURL).origin;
  const socket: RawSocket = io(origin, {
    transports: ["websocket"],
    // The same Origin a page of this server sends: the gateway's origin check lets it in.
    extraHeaders: { Origin: origin },
    auth: { browserId: randomSessionId() },
    reconnection: false,
    forceNew: true,
    timeout: 20_000,
  });
  const states: StateView[] = [];
  const messages: ChatMessage[] = [];
  const waiters = new Set<() => void>();
  socket.on("state", (s) => {
    states.push(s);
    for (const w of waiters) w();
  });
  socket.on("message", (m) => messages.push(m));

  const client: RawClient = {
    socket,
    states,
    messages,
    emit(event, payload, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        (socket.timeout(timeoutMs) as unknown as LooseEmit).emit(event, payload, (err, ack) => {
          if (err || !ack) reject(err ?? new Error(`no ack for ${event}`));
          else resolve(ack);
        });
      });
    },
    waitForState<S extends StateView["state"]>(state: S, timeoutMs = 30_000) {
      type Found = Extract<StateView, { state: S }>;
      const find = (): Found | undefined =>
        states.find((s): s is Found => s.state === state) as Found | undefined;
      return new Promise<Found>((resolve, reject) => {
        const now = find();
        if (now) return resolve(now);
        const check = () => {
          const found = find();
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `raw client: no ${state} state within ${timeoutMs} ms; got ${JSON.stringify(states)}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close() {
      socket.removeAllListeners();
      socket.disconnect();
    },
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.disconnect();
      reject(new Error(`raw client: could not connect to ${origin} within 20 s`));
    }, 20_000);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve(client);
    });
    socket.once("connect_error", (err) => {
      clearTimeout(timer);
      socket.disconnect();
      reject(err);
    });
  });
}

/**
 * `test` with `newUser` (support/users.ts) and `rawClient`: `const bot = await rawClient();`
 * connects a bare socket.io-client to the app server; every one made is closed at the end of
 * the test, even a failed one.
 */
export const test = usersTest.extend<{ rawClient: () => Promise<RawClient> }>({
  rawClient: async ({ baseURL }, use) => {
    const made: RawClient[] = [];
    await use(async () => {
      if (!baseURL) throw new Error("rawClient needs the config's baseURL");
      const client = await connectRaw(baseURL);
      made.push(client);
      return client;
    });
    for (const client of made) client.close();
  },
});

// ------------------------------------------------------------------ screens and flows

/** An ordinary button by its exact accessible name. */
export function button(page: Page, name: string): Locator {
  return page.getByRole("button", { name, exact: true });
}

/** The intent buttons of /menti are named by their label only (aria-labelledby). */
export function intentButton(page: Page, intent: Intent): Locator {
  return button(page, INTENT_LABEL[intent]);
}

/** An `alert` that carries `text` (never the empty route announcer Next.js adds). */
export function alertWith(page: Page, text: string): Locator {
  return page.getByRole("alert").filter({ hasText: text });
}

export function heading(page: Page, name: string): Locator {
  return page.getByRole("heading", { level: 1, name, exact: true });
}

export function conversationLog(page: Page): Locator {
  return page.getByRole("log", { name: "Conversation" });
}

export function messageBox(page: Page): Locator {
  return page.getByRole("textbox", { name: "Message", exact: true });
}

/** The messages shown in the conversation log, oldest first. */
export function messageItems(page: Page): Locator {
  return conversationLog(page).getByRole("listitem");
}

/** The ended screen's reason sentence. */
export function endedReason(page: Page, reason: string): Locator {
  return page.getByRole("main").getByText(reason, { exact: true });
}

/** Opens /menti and waits until the intent choice is on screen and the socket is welcomed. */
export async function openMenti(page: Page): Promise<void> {
  await page.goto("/menti");
  await expect(heading(page, TEXT.mentiTitle)).toBeVisible();
  await expect(intentButton(page, "talk")).toBeEnabled();
}

/** Chooses an intent on /menti and waits for the waiting screen. */
export async function startWaiting(page: Page, intent: Intent): Promise<void> {
  await openMenti(page);
  await intentButton(page, intent).click();
  await expect(heading(page, TEXT.waitingTitle)).toBeVisible();
  await expect(page.getByText(`You chose: ${INTENT_LABEL[intent]}`, { exact: true })).toBeVisible();
}

/** Waits until `page` is in an ACTIVE room: the conversation log and the composer are there. */
export async function expectActiveRoom(page: Page): Promise<void> {
  await expect(page).toHaveURL(ROOM_PATH);
  await expect(heading(page, "Conversation")).toBeVisible();
  await expect(conversationLog(page)).toBeVisible();
  await expect(messageBox(page)).toBeEditable();
}

/**
 * Pairs a Talk user with a Listen user (two isolated contexts, made by `newUser`): the talker
 * waits first, the listener arrives; both land on the same room and it becomes ACTIVE.
 */
export async function pairTalkAndListen(
  newUser: NewUserFn,
  options: NewUserOptions = {},
): Promise<{ talker: User; listener: User; roomPath: string }> {
  const talker = await newUser(options);
  const listener = await newUser(options);
  await startWaiting(talker.page, "talk");
  await openMenti(listener.page);
  await intentButton(listener.page, "listen").click();
  await expectActiveRoom(listener.page);
  await expectActiveRoom(talker.page);
  const roomPath = new URL(listener.page.url()).pathname;
  expect(new URL(talker.page.url()).pathname).toBe(roomPath);
  return { talker, listener, roomPath };
}

/** Sends `text` from `page` with Enter and waits until it shows as the sender's own message. */
export async function sendWithEnter(page: Page, text: string): Promise<void> {
  const box = messageBox(page);
  await box.fill(text);
  await box.press("Enter");
  await expect(messageItems(page).last()).toHaveText(`You: ${text}`);
  await expect(box).toHaveValue("");
}

/** Runs in the page. The specs compile without the DOM library, hence the small local type. */
function isFocused(el: unknown): boolean {
  return (el as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement === el;
}

/**
 * Presses `key` (Tab or Shift+Tab) until `target` has focus; fails after `max` presses. Only
 * keyboard input reaches the page.
 */
export async function pressUntilFocused(
  page: Page,
  target: Locator,
  key: "Tab" | "Shift+Tab" = "Tab",
  max = 25,
): Promise<void> {
  for (let i = 0; i < max; i += 1) {
    if (await target.evaluate(isFocused)) return;
    await page.keyboard.press(key);
  }
  await expect(target, `${key} × ${max} never reached the target`).toBeFocused({ timeout: 1 });
}

// ------------------------------------------------------------------ stimchat and dormparty

/** Exact visible texts of the stranger-chat spaces (apps/web/README.md, apps/web/lib/copy.ts). */
export const CHAT = {
  roomTitle: "Chat",
  intro: "You're connected with a stranger. Say hi whenever you're ready.",
  typing: "Stranger is typing…",
  partnerGoneTitle: "Your partner has disconnected",
  partnerLeftDetail: "They left the chat.",
  youLeftTitle: "You left the chat.",
  nothingKept: "Nothing from this chat was kept.",
  // After "the other person left" (which a reported person also reads), "nothing was kept" could
  // be untrue: the other side may have reported it.
  notKeptUnlessReported: "Chats aren't kept unless someone reports them.",
  newChat: "New chat",
  stimchat: {
    title: "Late-night chat",
    consentTitle: "Before you chat",
    rules: [
      "Share no personal details: not your name, school, socials or location.",
      "Chats vanish when they end, unless someone reports the chat. In that case that chat is kept for moderators to review.",
      "This is for adults (18+). It is a peer chat between strangers, not medical advice.",
    ],
    agree: "Agree & continue",
    notNow: "Not now",
    topics: "Topics (optional)",
    onlyMine: "Only people with my topics",
    start: "Start chatting",
    searching: "Searching…",
    anyoneIsFine: "Anyone is fine",
    anyoneNow: "Now looking for anyone.",
    timedOut: "No one is available right now — try again?",
    tryAgain: "Try again",
    leave: "Leave chat",
  },
  dormparty: {
    title: "Video chat",
    start: "Start",
    waiting: "Finding someone…",
    skipped: "Skipped — finding someone new",
    partnerLeft: "Your partner left — finding someone new",
    escHint: "Press Esc again to skip",
    controlsHint: "Skip meets someone new. End takes you home. Press Esc twice to skip.",
  },
} as const;

/** The landing page's link into each space, matched by the start of its name (README). */
export const SPACE_LINK = {
  menti: /^Peer support/,
  stimchat: /^Late-night chat/,
  dormparty: /^Video chat/,
} as const;

/** localStorage key of stimchat's "Agree & continue" (any non-empty value counts as agreed). */
export const STIMCHAT_CONSENT_KEY = "duet.stimchat.consent";

/**
 * Marks this user's browser as having agreed to stimchat's rules before any page loads, so the
 * first-visit dialog stays away (every spec but the one about the dialog itself).
 */
export async function presetStimchatConsent(user: User): Promise<void> {
  await user.context.addInitScript({
    // about:blank has no storage of its own: reading it there throws, which is fine.
    content: `try { localStorage.setItem(${JSON.stringify(STIMCHAT_CONSENT_KEY)}, "1"); } catch {}`,
  });
}

/** A new user whose browser already agreed to stimchat's rules. */
export async function newStimchatUser(
  newUser: NewUserFn,
  options: NewUserOptions = {},
): Promise<User> {
  const user = await newUser(options);
  await presetStimchatConsent(user);
  return user;
}

/** A topic toggle button of stimchat's entry screen. */
export function topicButton(page: Page, topic: string): Locator {
  return page
    .getByRole("group", { name: CHAT.stimchat.topics, exact: true })
    .getByRole("button", { name: topic, exact: true });
}

/** Opens /stimchat (consent already given) and waits for the topics the server offers. */
export async function openStimchat(page: Page): Promise<void> {
  await page.goto("/stimchat");
  await expect(heading(page, CHAT.stimchat.title)).toBeVisible();
  await expect(topicButton(page, "music")).toBeEnabled();
  await expect(button(page, CHAT.stimchat.start)).toBeEnabled();
}

/** Picks `topics` on the open entry screen; each toggle ends up pressed. */
export async function pickTopics(page: Page, topics: readonly string[]): Promise<void> {
  for (const topic of topics) {
    await topicButton(page, topic).click();
    await expect(topicButton(page, topic)).toHaveAttribute("aria-pressed", "true");
  }
}

/** On the open entry screen: "Start chatting", then the "Searching…" screen. */
export async function startSearching(page: Page): Promise<void> {
  await button(page, CHAT.stimchat.start).click();
  await expect(heading(page, CHAT.stimchat.searching)).toBeVisible();
  await expect(page).toHaveURL(/\/stimchat$/);
}

/**
 * The "Searching…" screen's line about the chosen topics: "Your topics: music, games", and on
 * its next line "Only people with your topics." when that switch was on.
 */
export async function expectSearchTopics(
  page: Page,
  topics: readonly string[],
  onlyMine = false,
): Promise<void> {
  const line = `Your topics: ${topics.join(", ")}`;
  await expect(page.getByText(/^Your topics: /)).toHaveText(
    onlyMine ? `${line} Only people with your topics.` : line,
    { useInnerText: true },
  );
}

/** The partner's typing line while it says "Stranger is typing…" (empty otherwise). */
export function typingStatus(page: Page): Locator {
  return page.getByRole("status").filter({ hasText: CHAT.typing });
}

/** Waits until `page` is in an ACTIVE stranger-chat room (stimchat, dormparty). */
export async function expectChatRoom(page: Page): Promise<void> {
  await expect(page).toHaveURL(ROOM_PATH);
  await expect(heading(page, CHAT.roomTitle)).toBeVisible();
  await expect(page.getByText(CHAT.intro, { exact: true })).toBeVisible();
  await expect(conversationLog(page)).toBeVisible();
  await expect(messageBox(page)).toBeEditable();
}

/** The path of the page's current URL, e.g. /room/AbC…. */
export function pathOf(page: Page): string {
  return new URL(page.url()).pathname;
}

/** Sends `text` with Enter and waits until the box is empty and the message is in the log. */
export async function sendChat(page: Page, text: string, shownAs = text): Promise<void> {
  const box = messageBox(page);
  await box.fill(text);
  await box.press("Enter");
  await expect(box).toHaveValue("");
  await expect(messageItems(page).last()).toHaveText(`You: ${shownAs}`);
}

/** Opens /dormparty's entry screen, ready to "Start". */
export async function openDormparty(page: Page): Promise<void> {
  await page.goto("/dormparty");
  await expect(heading(page, CHAT.dormparty.title)).toBeVisible();
  // The presence line comes from the server: the socket is up.
  await expect(page.getByText(PRESENCE_WORDS)).toBeVisible();
  await expect(button(page, CHAT.dormparty.start)).toBeEnabled();
}

/** dormparty's waiting screen, with the re-queue line `notice` when given. */
export async function expectDormpartyWaiting(page: Page, notice?: string): Promise<void> {
  await expect(page).toHaveURL(/\/dormparty$/);
  await expect(heading(page, CHAT.dormparty.waiting)).toBeVisible();
  if (notice) await expect(page.getByRole("status").filter({ hasText: notice })).toBeVisible();
}
