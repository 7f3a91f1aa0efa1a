/**
 * Every screen of menti, stimchat and dormparty, at a 360 px phone width and at a desktop: 0 axe
 * (WCAG 2.1 A/AA) violations, no horizontal scroll, and a screenshot of each in e2e/screenshots/
 * (SPEC §9). Also the README's screenshot of a conversation (e2e/screenshots/readme-room.png,
 * copied by hand to docs/screenshot.png).
 */
import type { Page } from "@playwright/test";
import {
  button,
  CHAT,
  endedReason,
  expect,
  expectActiveRoom,
  expectChatRoom,
  expectDormpartyWaiting,
  heading,
  intentButton,
  messageBox,
  messageItems,
  newStimchatUser,
  openDormparty,
  openMenti,
  openStimchat,
  PRESENCE_WORDS,
  pairTalkAndListen,
  pathOf,
  pickTopics,
  ROOM_PATH,
  SPACE_LINK,
  sendChat,
  sendWithEnter,
  startSearching,
  TEXT,
  test,
  typingStatus,
} from "./fixtures";
import { expectNoAxeViolations } from "./support/axe";
import { saveScreenshot } from "./support/screens";

const DESKTOP = { width: 1280, height: 800 } as const;
/** The phone width first, so that every check leaves the page at the desktop size it had. */
const VIEWPORTS = [
  { suffix: "-360", viewport: { width: 360, height: 740 } },
  { suffix: "", viewport: DESKTOP },
] as const;
const WIDTHS = "360 px and 1280 × 800";

/**
 * At each width in turn (the page resized, not reloaded: one walk through the flows serves both,
 * so the timeouts they wait out are waited once): axe, no horizontal scroll, a screenshot
 * (`name-360.png`, `name.png`) if screenshots are asked for (support/screens.ts).
 */
async function checkScreen(page: Page, name: string): Promise<void> {
  for (const { suffix, viewport } of VIEWPORTS) {
    await page.setViewportSize(viewport);
    const shot = `${name}${suffix}`;
    await expectNoAxeViolations(page, shot);
    const scrollWidth = await page.evaluate<number>("document.documentElement.scrollWidth");
    expect(scrollWidth, `"${shot}" scrolls sideways at ${viewport.width} px`).toBeLessThanOrEqual(
      viewport.width,
    );
    await saveScreenshot(page, shot);
  }
}

test(`every screen at ${WIDTHS}: no axe violations, no sideways scroll, a screenshot if asked for`, async ({
  newUser,
  rawClient,
}) => {
  // Two widths per screen on one walk: a generous ceiling for a loaded machine, not a measure.
  test.setTimeout(600_000);
  const person = await newUser({ viewport: DESKTOP });
  const page = person.page;
  // While `holdEnded` is set, an ENDED state from the server waits before reaching the page:
  // the join timeout cannot end "Connecting you…" in the middle of its checks, however long
  // they take on a busy machine. Every other frame passes as it is.
  let holdEnded = false;
  const heldEnded: string[] = [];
  let toPage: ((frame: string) => void) | undefined;
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    toPage = (frame) => ws.send(frame);
    server.onMessage((frame) => {
      const ended = typeof frame === "string" && /^42\["state",.*"ENDED"/.test(frame);
      if (holdEnded && ended) heldEnded.push(frame);
      else ws.send(frame);
    });
  });

  await page.goto("/");
  await expect(heading(page, "Duet")).toBeVisible();
  await expect(page.getByRole("link", { name: /^Peer support/ })).toBeVisible();
  await checkScreen(page, "landing");

  await page.goto("/?ended=1");
  await expect(page.getByRole("status").filter({ hasText: TEXT.endedHome })).toBeVisible();
  await expect(page.getByRole("link", { name: /^Peer support/ })).toBeVisible();
  await checkScreen(page, "landing-ended");

  await openMenti(page);
  await checkScreen(page, "menti");

  await intentButton(page, "talk").click();
  await expect(heading(page, TEXT.waitingTitle)).toBeVisible();
  await expect(page.getByText(/^Time waiting: \d+:\d\d$/)).toBeVisible();
  await checkScreen(page, "waiting");

  // "Connecting you…": a partner (a bare socket) that never enters keeps the room MATCHED
  // until the join timeout of playwright.config.ts, which this page hears after the checks.
  holdEnded = true;
  const absent = await rawClient();
  expect(await absent.emit("join", { space: "menti", intent: "listen" })).toEqual({ ok: true });
  await expect(page).toHaveURL(ROOM_PATH);
  const connecting = page.getByRole("status").filter({ hasText: TEXT.connecting });
  await expect(connecting).toBeVisible();
  await checkScreen(page, "room-connecting");
  // Still the same screen after the checks, so they were made on it.
  await expect(connecting).toBeVisible();
  holdEnded = false;
  for (const frame of heldEnded.splice(0)) toPage?.(frame);
  await expect(endedReason(page, TEXT.reason.partnerLate)).toBeVisible({ timeout: 60_000 });
  await checkScreen(page, "ended-join-timeout");
  absent.close();

  // An active conversation, with a partner in a browser.
  await button(page, "Talk to someone new").click();
  await expect(heading(page, TEXT.waitingTitle)).toBeVisible();
  const partner = await newUser({ viewport: DESKTOP });
  await openMenti(partner.page);
  await intentButton(partner.page, "listen").click();
  await expectActiveRoom(page);
  await expectActiveRoom(partner.page);
  await sendWithEnter(page, "Hi — I've had a hard week and could use someone to talk to.");
  await sendWithEnter(partner.page, "I'm here. Take your time; what's been going on?");
  await expect(messageItems(page)).toHaveCount(2);
  await checkScreen(page, "room-active");

  const help = page.getByRole("dialog", { name: TEXT.helpTitle, exact: true });
  await button(page, "I need help").click();
  await expect(help).toBeVisible();
  await checkScreen(page, "help-panel");
  await button(page, "Close").click();
  await expect(help).toBeHidden();

  const confirm = page.getByRole("dialog", { name: TEXT.exitQuestion, exact: true });
  await button(page, "Exit").click();
  await expect(confirm).toBeVisible();
  await checkScreen(page, "exit-confirm");
  await button(page, "Leave conversation").click();
  await expect(endedReason(page, TEXT.reason.youLeft)).toBeVisible();
  await checkScreen(page, "ended-you-left");
  await expect(endedReason(partner.page, TEXT.reason.partnerLeft)).toBeVisible();
  await checkScreen(partner.page, "ended-partner-left");

  // The 404 page: the browser logs the 404 response itself, as a console error.
  const visitor = await newUser({
    viewport: DESKTOP,
    allowConsole: [/status of 404 \(Not Found\)/],
  });
  const response = await visitor.page.goto("/no-such-page");
  expect(response?.status()).toBe(404);
  await expect(heading(visitor.page, "This page doesn't exist")).toBeVisible();
  await checkScreen(visitor.page, "not-found");
});

test(`stimchat and dormparty screens at ${WIDTHS}: no axe violations, no sideways scroll, a screenshot if asked for`, async ({
  newUser,
}) => {
  // Two widths per screen on one walk: a generous ceiling for a loaded machine, not a measure.
  test.setTimeout(600_000);
  const person = await newUser({ viewport: DESKTOP }); // a first visit: the rules dialog will show
  const partner = await newStimchatUser(newUser, { viewport: DESKTOP });
  const page = person.page;

  // ---- landing: three spaces, each with how busy it is
  await page.goto("/");
  await expect(heading(page, "Duet")).toBeVisible();
  for (const name of Object.values(SPACE_LINK)) {
    await expect(page.getByRole("link", { name })).toHaveAccessibleName(PRESENCE_WORDS);
  }
  await checkScreen(page, "landing-spaces");

  // ---- stimchat: rules, entry with topics, searching, the search limit
  await page.getByRole("link", { name: SPACE_LINK.stimchat }).click();
  const rules = page.getByRole("dialog", { name: CHAT.stimchat.consentTitle, exact: true });
  await expect(rules).toBeVisible();
  await checkScreen(page, "stimchat-consent");
  await button(page, CHAT.stimchat.agree).click();
  await expect(rules).toHaveCount(0);
  await expect(heading(page, CHAT.stimchat.title)).toBeFocused();
  await pickTopics(page, ["cant sleep", "music"]);
  await checkScreen(page, "stimchat-entry");

  await startSearching(page);
  await expect(page.getByText(/^Time searching: \d+:\d\d$/)).toBeVisible();
  await checkScreen(page, "stimchat-searching");
  // STIMCHAT_SEARCH_TIMEOUT_MS is 20 s in playwright.config.ts.
  const timedOut = heading(page, CHAT.stimchat.timedOut);
  await expect(timedOut).toBeVisible({ timeout: 40_000 });
  await checkScreen(page, "stimchat-timed-out");

  // ---- a stimchat room, the partner typing
  await openStimchat(partner.page);
  await pickTopics(partner.page, ["music"]);
  await button(page, CHAT.stimchat.tryAgain).click();
  await expect(heading(page, CHAT.stimchat.searching)).toBeVisible();
  await button(partner.page, CHAT.stimchat.start).click();
  await expectChatRoom(page);
  await expectChatRoom(partner.page);
  await expect(page.getByText("You both picked: music", { exact: true })).toBeVisible();
  await sendChat(page, "hey — can't sleep either?");
  await sendChat(partner.page, "nope. 3 am and wide awake. what are you listening to?");
  await expect(messageItems(page)).toHaveCount(2);
  // The partner keeps typing for a few seconds; and the page's 4 s timers (the one that hides
  // the indicator after the partner's last keystroke) are held back while the checks run, which
  // can take longer on a busy machine, so the indicator stays up during them. Its own timing is
  // stimchat.spec.ts's business.
  type Timers = {
    setTimeout: (fn: () => void, ms?: number, ...rest: unknown[]) => unknown;
    __duetTimersBack?: () => void;
  };
  await page.evaluate(() => {
    const w = globalThis as unknown as Timers;
    const original = w.setTimeout;
    w.setTimeout = (fn, ms, ...rest) => (ms === 4_000 ? 0 : original(fn, ms, ...rest));
    w.__duetTimersBack = () => {
      w.setTimeout = original;
    };
  });
  const typing = messageBox(partner.page).pressSequentially("some lo-fi playlist on repeat", {
    delay: 120,
  });
  await expect(typingStatus(page)).toBeVisible();
  await checkScreen(page, "stimchat-room-typing");
  await expect(typingStatus(page)).toBeVisible();
  await typing;
  await page.evaluate(() => (globalThis as unknown as Timers).__duetTimersBack?.());

  // ---- stimchat ended: the partner left
  await button(partner.page, CHAT.stimchat.leave).click();
  await expect(heading(page, CHAT.partnerGoneTitle)).toBeVisible();
  await checkScreen(page, "stimchat-ended-partner-left");
  await expect(heading(partner.page, CHAT.youLeftTitle)).toBeVisible();
  await checkScreen(partner.page, "stimchat-ended-you-left");

  // ---- dormparty: entry, room, the Esc hint, waiting after a skip
  await openDormparty(page);
  await checkScreen(page, "dormparty-entry");
  await button(page, CHAT.dormparty.start).click();
  await expectDormpartyWaiting(page);
  await openDormparty(partner.page);
  await button(partner.page, CHAT.dormparty.start).click();
  await expectChatRoom(page);
  await expectChatRoom(partner.page);
  expect(pathOf(page)).toBe(pathOf(partner.page));
  await sendChat(partner.page, "hey! which dorm are you in? jk, no personal details");
  await sendChat(page, "ha. good rule. how's finals week going?");
  await checkScreen(page, "dormparty-room");

  // The hint stays up for 2 s, and the checks (axe, screenshot) of a page with live video can
  // take longer on a busy machine. So the page's next 2 s timer (the hint's) is held back
  // while the hint is checked, then run; a quick Esc Esc then skips. The hint's own timing is
  // dormparty.spec.ts's business. (Pausing the page clock instead hangs the checks.)
  const escHint = page.getByRole("status").filter({ hasText: CHAT.dormparty.escHint });
  await page.evaluate(() => {
    type Timers = {
      setTimeout: (fn: () => void, ms?: number, ...rest: unknown[]) => unknown;
      __releaseHeldTimer?: () => void;
    };
    const w = globalThis as unknown as Timers;
    const original = w.setTimeout;
    w.setTimeout = (fn, ms, ...rest) => {
      if (ms !== 2_000) return original(fn, ms, ...rest);
      w.setTimeout = original;
      w.__releaseHeldTimer = fn;
      return 0;
    };
  });
  await page.keyboard.press("Escape");
  await expect(escHint).toBeVisible();
  await checkScreen(page, "dormparty-esc-hint");
  await expect(escHint).toBeVisible();
  await page.evaluate(() =>
    (globalThis as unknown as { __releaseHeldTimer?: () => void }).__releaseHeldTimer?.(),
  );
  await expect(escHint).toHaveCount(0);
  await page.keyboard.press("Escape");
  await page.keyboard.press("Escape");
  await expectDormpartyWaiting(page, CHAT.dormparty.skipped);
  await expectDormpartyWaiting(partner.page, CHAT.dormparty.skipped);
  await checkScreen(page, "dormparty-waiting-skipped");
});

test("a calm conversation at 1280 × 800 (the README screenshot, if asked for)", async ({
  newUser,
}) => {
  const { talker, listener } = await pairTalkAndListen(newUser, { viewport: DESKTOP });
  await sendWithEnter(talker.page, "Hi — I've had a hard week and could use someone to talk to.");
  await sendWithEnter(listener.page, "I'm here. Take your time; what's been going on?");
  await expect(messageItems(talker.page)).toHaveText([
    "You: Hi — I've had a hard week and could use someone to talk to.",
    "Them: I'm here. Take your time; what's been going on?",
  ]);
  await expect(messageBox(talker.page)).toHaveValue("");
  await saveScreenshot(talker.page, "readme-room");
});
