/**
 * The rooms hold on every screen (issue 16): in each space's room, at a desktop, a phone, a phone
 * with its keyboard open, 200 % and 400 % zoom and 320 px, in the light and the dark theme,
 * nothing overlaps (footer, header, log, message box, controls, call), nothing scrolls sideways,
 * every control is reachable and uncovered, and while there is the height for it the room is one
 * screen with its message box and controls on it (support/layout.ts). axe runs on each room in
 * the dark theme (screens.spec.ts runs it on every screen in the light one). And a conversation stays on screen, read-only, once it ended.
 */
import type { Page } from "@playwright/test";
import {
  button,
  CHAT,
  endedReason,
  expect,
  expectChatRoom,
  heading,
  intentButton,
  messageBox,
  type NewUserFn,
  newStimchatUser,
  openStimchat,
  pairTalkAndListen,
  sendChat,
  sendWithEnter,
  startSearching,
  TEXT,
  test,
  type User,
} from "./fixtures";
import { expectNoAxeViolations } from "./support/axe";
import {
  ACTIVE_ROOM,
  ENDED_WITH_CONVERSATION,
  expectLayoutHolds,
  VIDEO_ROOM,
} from "./support/layout";
import { saveScreenshot } from "./support/screens";
import { expectVideoFlows, pairTwo } from "./support/video";

const DESKTOP = { width: 1280, height: 800 };

/** A conversation long enough to scroll, with a long word and a multi-line draft left typed. */
async function fillConversation(a: Page, b: Page, send: typeof sendChat): Promise<void> {
  const lines = [
    "hey, are you around?",
    "yes, hi! how's your night going",
    "long day. exams all week and I can't sleep",
    "same here honestly. what are you studying?",
    "biology — the kind of word you only need once: pneumonoultramicroscopicsilicovolcanoconiosis",
    "ha, I hope that's not on the exam",
  ];
  for (const [i, line] of lines.entries()) await send(i % 2 === 0 ? a : b, line);
  await messageBox(a).fill("a draft\nthat runs over\nthree lines");
}

/** Two stimchat users (rules agreed before) in one active room. */
async function pairInStimchat(newUser: NewUserFn): Promise<[User, User]> {
  const a = await newStimchatUser(newUser, { viewport: DESKTOP });
  const b = await newStimchatUser(newUser, { viewport: DESKTOP });
  await openStimchat(a.page);
  await startSearching(a.page);
  await openStimchat(b.page);
  await button(b.page, CHAT.stimchat.start).click();
  for (const user of [a, b]) await expectChatRoom(user.page);
  return [a, b];
}

/**
 * The room in the dark theme at a desktop and a phone: no axe violations (contrast included).
 * The light theme's rooms are axe-checked at both sizes by screens.spec.ts.
 */
async function axeInDarkTheme(page: Page, screen: string): Promise<void> {
  await page.emulateMedia({ colorScheme: "dark" });
  for (const viewport of [DESKTOP, { width: 390, height: 844 }]) {
    await page.setViewportSize(viewport);
    await expectNoAxeViolations(page, `${screen}-dark-${viewport.width}`);
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize(DESKTOP);
}

test("menti: the room and its ended screen hold at every size and in both themes", async ({
  newUser,
}) => {
  // Twelve layouts and four axe runs: minutes on a loaded machine (a quiet one: under a minute).
  test.setTimeout(600_000);
  const { talker, listener } = await pairTalkAndListen(newUser, { viewport: DESKTOP });
  await fillConversation(talker.page, listener.page, (page, text) => sendWithEnter(page, text));
  await expectLayoutHolds(talker.page, "menti room", ACTIVE_ROOM);
  await axeInDarkTheme(talker.page, "layout-menti-room");

  await button(listener.page, "Exit").click();
  await button(listener.page, "Leave conversation").click();
  await expect(endedReason(talker.page, TEXT.reason.partnerLeft)).toBeVisible();
  await expect(endedLog(talker.page).getByRole("listitem")).toHaveCount(6);
  await expectLayoutHolds(talker.page, "menti ended", ENDED_WITH_CONVERSATION);
});

test("stimchat: the room holds at every size and in both themes", async ({ newUser }) => {
  // Twelve layouts and four axe runs: minutes on a loaded machine (a quiet one: under a minute).
  test.setTimeout(600_000);
  const [a, b] = await pairInStimchat(newUser);
  await fillConversation(a.page, b.page, (page, text) => sendChat(page, text));
  await expectLayoutHolds(a.page, "stimchat room", ACTIVE_ROOM);
  await axeInDarkTheme(a.page, "layout-stimchat-room");
});

test("dormparty: the video room holds at every size and in both themes", async ({ newUser }) => {
  // Twelve layouts and four axe runs: minutes on a loaded machine (a quiet one: under a minute).
  test.setTimeout(600_000);
  const [a, b] = await pairTwo(newUser);
  await a.page.setViewportSize(DESKTOP);
  await expectVideoFlows(a.page);
  await fillConversation(a.page, b.page, (page, text) => sendChat(page, text));
  await expectLayoutHolds(a.page, "dormparty room", VIDEO_ROOM);
  await axeInDarkTheme(a.page, "layout-dormparty-room");
  // The README's picture of the video room (e2e/screenshots/readme-dormparty-room.png, copied
  // by hand to docs/screenshot-dormparty.png).
  await a.page.setViewportSize(DESKTOP);
  await saveScreenshot(a.page, "readme-dormparty-room");
  await a.page.setViewportSize({ width: 390, height: 844 });
  await saveScreenshot(a.page, "dormparty-room-phone");
});

/** The read-only conversation under an ended notice. */
function endedLog(page: Page) {
  return page.getByRole("log", { name: "The conversation", exact: true });
}

test("menti: last words sent just before leaving are read on the ended screen, until something new", async ({
  newUser,
  rawClient,
}) => {
  const { talker, listener } = await pairTalkAndListen(newUser, { viewport: DESKTOP });
  await sendWithEnter(talker.page, "thank you for listening tonight");
  // The listener's last words, and Exit at once (the confirm dialog is right there).
  await messageBox(listener.page).fill("Take care of yourself… you matter.");
  await messageBox(listener.page).press("Enter");
  await button(listener.page, "Exit").click();
  await button(listener.page, "Leave conversation").click();

  await expect(endedReason(talker.page, TEXT.reason.partnerLeft)).toBeVisible();
  await expect(endedLog(talker.page).getByRole("listitem")).toHaveText([
    "You: thank you for listening tonight",
    "Them: Take care of yourself… you matter.",
  ]);
  // The composer is gone: the conversation is read-only.
  await expect(messageBox(talker.page)).toHaveCount(0);
  // The leaver sees it too.
  await expect(endedLog(listener.page).getByRole("listitem")).toHaveCount(2);

  // A message and the end in the same instant (a bare client sends, then leaves, in one tick).
  const other = await newUser({ viewport: DESKTOP });
  await other.page.goto("/menti");
  await expect(heading(other.page, TEXT.mentiTitle)).toBeVisible();
  await button(other.page, "Talk").click();
  await expect(heading(other.page, TEXT.waitingTitle)).toBeVisible();
  const raw = await rawClient();
  expect(await raw.emit("join", { space: "menti", intent: "listen" })).toEqual({ ok: true });
  const matched = await raw.waitForState("MATCHED");
  expect(await raw.emit("enter", { sessionId: matched.sessionId })).toEqual({ ok: true });
  await expect(messageBox(other.page)).toBeEditable();
  await raw.waitForState("ACTIVE");
  raw.socket.emit("send", { text: "last words, same instant" }, () => {});
  raw.socket.emit("exit", {}, () => {});
  await expect(endedReason(other.page, TEXT.reason.partnerLeft)).toBeVisible();
  await expect(endedLog(other.page).getByRole("listitem")).toHaveText([
    "Them: last words, same instant",
  ]);

  // Starting something new lets it go.
  await button(other.page, "Talk to someone new").click();
  await expect(heading(other.page, TEXT.waitingTitle)).toBeVisible();
  await expect(other.page.getByText("last words, same instant")).toHaveCount(0);

  // And a refresh clears it: nothing was kept anywhere to bring it back.
  await talker.page.reload();
  await expect(talker.page.getByText("you matter.", { exact: false })).toHaveCount(0);
});

test("stimchat: the partner's last message before leaving is shown under the ended notice", async ({
  newUser,
}) => {
  const [a, b] = await pairInStimchat(newUser);
  await messageBox(b.page).fill("gotta go, good luck tomorrow!");
  await messageBox(b.page).press("Enter");
  await button(b.page, CHAT.stimchat.leave).click();
  await expect(heading(a.page, CHAT.partnerGoneTitle)).toBeVisible();
  await expect(endedLog(a.page).getByRole("listitem")).toHaveText([
    "Stranger: gotta go, good luck tomorrow!",
  ]);
  await expect(heading(b.page, CHAT.youLeftTitle)).toBeVisible();
  await expect(endedLog(b.page).getByRole("listitem")).toHaveText([
    "You: gotta go, good luck tomorrow!",
  ]);
});

test("on a phone: no 'Enter sends' line, Enter starts a new line, Send sends; leaving asks first", async ({
  newUser,
}) => {
  const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
  const { talker, listener } = await pairTalkAndListen(newUser, phone);
  const page = talker.page;
  expect(await page.evaluate("matchMedia('(hover: none) and (pointer: coarse)').matches")).toBe(
    true,
  );
  await expect(page.getByText("Enter sends. Shift+Enter starts a new line.")).toHaveCount(0);
  await messageBox(page).fill("first line");
  await messageBox(page).press("Enter");
  await messageBox(page).pressSequentially("second line");
  await expect(messageBox(page)).toHaveValue("first line\nsecond line");
  await button(page, "Send").tap();
  await expect(page.getByRole("log", { name: "Conversation" }).getByRole("listitem")).toHaveText([
    "You: first line\nsecond line",
  ]);

  // Leaving the page mid-conversation: the browser's own prompt; staying keeps the conversation.
  const asked: string[] = [];
  page.once("dialog", (dialog) => {
    asked.push(dialog.type());
    void dialog.dismiss();
  });
  // The reload never happens (the person stayed): its promise is left to fail with the page.
  void page.reload().catch(() => {});
  await expect.poll(() => asked).toEqual(["beforeunload"]);
  await expect(messageBox(page)).toBeEditable();
  // (The partner is on a phone too: Send, not Enter.)
  await messageBox(listener.page).fill("still here?");
  await button(listener.page, "Send").tap();
  await expect(page.getByRole("log", { name: "Conversation" }).getByRole("listitem")).toHaveCount(
    2,
  );
});

/** Sums the page's layout shifts not caused by input into `__shift`, from before its own code. */
const SUM_LAYOUT_SHIFT = `
  globalThis.__shift = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) globalThis.__shift += e.value;
  }).observe({ type: "layout-shift", buffered: true });
`;

/**
 * Layout shift on a first visit to each space's entry screen, as Lighthouse loads it: the
 * browser's own measure (`layout-shift` entries, none caused by input), summed from the start of
 * the load until the connection's first figures are on screen and Start can be pressed. What the
 * server sends once the connection opens (the presence line, stimchat's topics) must not push
 * the screen down: stimchat's topics are in the first HTML (a page fact) and the presence line's
 * place is kept until its words come.
 */
test("the spaces' entry screens do not move when the connection opens (layout shift)", async ({
  newUser,
}) => {
  const entries = [
    { path: "/menti", ready: (page: Page) => intentButton(page, "talk") },
    { path: "/stimchat", ready: (page: Page) => button(page, CHAT.stimchat.start) },
    { path: "/dormparty", ready: (page: Page) => button(page, CHAT.dormparty.start) },
  ];
  for (const { path, ready } of entries) {
    const { page } = await newUser({ viewport: DESKTOP });
    await page.addInitScript(SUM_LAYOUT_SHIFT);
    // The server's first figures (`presence`, after `welcome`) reached the page.
    let presenceCame = false;
    page.on("websocket", (ws) =>
      ws.on("framereceived", ({ payload }) => {
        if (typeof payload === "string" && payload.startsWith('42["presence"')) presenceCame = true;
      }),
    );
    await page.goto(path);
    await expect.poll(() => presenceCame, { timeout: 30_000 }).toBe(true);
    await expect(ready(page)).toBeEnabled();
    // Two frames: what those events changed has been laid out (and any shift reported).
    await page.evaluate(
      "new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))",
    );
    const shift = await page.evaluate<number>("globalThis.__shift");
    // Lighthouse calls < 0.1 good; a screen that waits for nothing to settle should be ~0.
    expect(shift, `layout shift on ${path}`).toBeLessThan(0.01);
  }
});
