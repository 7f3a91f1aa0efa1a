/**
 * stimchat (late-night text roulette), end to end in real browsers (SPEC §1 stimchat; issue 3):
 * the first-visit rules, two clicks from the landing page to a search, the chat with its typing
 * indicator and profanity masking, leaving and "New chat", topic preference, and the search limit.
 *
 * playwright.config.ts shortens the space's timers: STIMCHAT_SEARCH_TIMEOUT_MS = 20 s (long enough
 * for every other test here to be matched first) and STIMCHAT_TOPIC_FALLBACK_MS = 15 s.
 */

import type { Page } from "@playwright/test";
import {
  button,
  CHAT,
  conversationLog,
  expect,
  expectChatRoom,
  expectSearchTopics,
  heading,
  messageBox,
  messageItems,
  newStimchatUser,
  openStimchat,
  PRESENCE_WORDS,
  pathOf,
  pickTopics,
  ROOM_PATH,
  SPACE_LINK,
  STIMCHAT_CONSENT_KEY,
  sendChat,
  startSearching,
  TEXT,
  test,
  topicButton,
  typingStatus,
} from "./fixtures";

/** From playwright.config.ts's webServer env. */
const SEARCH_TIMEOUT_MS = 20_000;

/** The stored consent, read in the page (the specs compile without the DOM library). */
function storedConsent(page: Page): Promise<string | null> {
  return page.evaluate<string | null>(
    `localStorage.getItem(${JSON.stringify(STIMCHAT_CONSENT_KEY)})`,
  );
}

test("first visit: rules, Agree & continue (remembered), 2 clicks to a search, chat with typing, Leave, New chat", async ({
  newUser,
}) => {
  const person = await newUser(); // a first visit: no consent stored
  const stranger = await newStimchatUser(newUser);
  const page = person.page;

  // ---- the rules and consent dialog, the first time only
  await page.goto("/");
  const stimchatLink = page.getByRole("link", { name: SPACE_LINK.stimchat });
  await expect(stimchatLink).toHaveAttribute("href", "/stimchat");
  await stimchatLink.click();
  await expect(page).toHaveURL(/\/stimchat$/);
  const rules = page.getByRole("dialog", { name: CHAT.stimchat.consentTitle, exact: true });
  await expect(rules).toBeVisible();
  await expect(rules.getByRole("heading", { name: CHAT.stimchat.consentTitle })).toBeFocused();
  await expect(rules.getByText(/^Be kind\./)).toBeVisible();
  for (const rule of CHAT.stimchat.rules) {
    await expect(rules.getByText(rule, { exact: true })).toBeVisible();
  }
  expect(await storedConsent(page)).toBeNull();

  // "Not now" goes home and agrees to nothing; Esc does the same; the next visit asks again.
  await rules.getByRole("link", { name: CHAT.stimchat.notNow, exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(heading(page, "Duet")).toBeVisible();
  await stimchatLink.click();
  await expect(rules).toBeVisible();
  await expect(rules.getByRole("heading", { name: CHAT.stimchat.consentTitle })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(page).toHaveURL(/\/$/);
  await expect(heading(page, "Duet")).toBeVisible();
  expect(await storedConsent(page)).toBeNull();
  await stimchatLink.click();
  await expect(rules).toBeVisible();

  await button(page, CHAT.stimchat.agree).click();
  await expect(rules).toHaveCount(0);
  await expect(heading(page, CHAT.stimchat.title)).toBeFocused();
  expect(await storedConsent(page)).toBe("1");

  // Remembered in this browser: after a reload the entry screen comes without the dialog.
  await page.reload();
  await expect(topicButton(page, "music")).toBeEnabled();
  await expect(page.getByRole("dialog")).toHaveCount(0);

  // ---- landing → searching in two clicks
  await openStimchat(stranger.page);
  await page.goto("/");
  // The link carries how busy the space is once the server's presence arrived (page is live).
  await expect(stimchatLink).toHaveAccessibleName(PRESENCE_WORDS);
  await stimchatLink.click(); // click 1
  await expect(topicButton(page, "music")).toBeEnabled();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await button(page, CHAT.stimchat.start).click(); // click 2
  await expect(heading(page, CHAT.stimchat.searching)).toBeVisible();
  await expect(heading(page, CHAT.stimchat.searching)).toBeFocused();
  await expect(page.getByText(/^Time searching: \d+:\d\d$/)).toBeVisible();

  // ---- a stranger starts too: one room for both
  await button(stranger.page, CHAT.stimchat.start).click();
  await expectChatRoom(stranger.page);
  await expectChatRoom(page);
  const firstRoom = pathOf(page);
  expect(pathOf(stranger.page)).toBe(firstRoom);
  // No topics picked, so none shared.
  await expect(page.getByText(/^You both picked/)).toHaveCount(0);
  await expect(button(page, CHAT.stimchat.leave)).toBeVisible();

  // ---- the typing indicator: seen by the partner while typing, gone when the message arrives
  await expect(typingStatus(stranger.page)).toHaveCount(0);
  await messageBox(page).pressSequentially("hey, anyone else up at this hour?");
  await expect(typingStatus(stranger.page)).toBeVisible();
  // Nobody sees their own typing.
  await expect(typingStatus(page)).toHaveCount(0);
  await messageBox(page).press("Enter");
  await expect(messageItems(stranger.page)).toHaveText([
    "Stranger: hey, anyone else up at this hour?",
  ]);
  // Cleared by the message itself: gone in the same render that shows the message (read once,
  // at once; a retried check would also pass once it cleared by itself, 4 s after typing).
  expect(await typingStatus(stranger.page).count(), "typing shown with the message").toBe(0);
  await expect(messageItems(page)).toHaveText(["You: hey, anyone else up at this hour?"]);

  // ---- profanity is masked by the server; innocent words that contain a listed term are not
  const raw =
    "ugh, this essay is sh1t. what the fuck. at least the cocktails in Scunthorpe were good";
  const masked =
    "ugh, this essay is ****. what the ****. at least the cocktails in Scunthorpe were good";
  await sendChat(stranger.page, raw, masked);
  await expect(messageItems(page)).toHaveText([
    "You: hey, anyone else up at this hour?",
    `Stranger: ${masked}`,
  ]);
  await expect(conversationLog(page)).not.toContainText("fuck");

  // ---- the typing indicator also clears by itself when the partner stops typing
  await messageBox(stranger.page).fill("haha same");
  await expect(typingStatus(page)).toBeVisible();
  await expect(typingStatus(page)).toHaveCount(0, { timeout: 30_000 });
  await expect(messageBox(stranger.page)).toHaveValue("haha same");
  await expect(messageItems(page)).toHaveCount(2);

  // ---- "I need help" (the one name of the help panel, on every screen) opens the crisis
  // resources and leaves the chat as it was; the room has no second help button of its own
  const help = page.getByRole("dialog", { name: TEXT.helpTitle, exact: true });
  await expect(button(page, "Get help")).toHaveCount(0);
  await button(page, "I need help").click();
  await expect(help).toBeVisible();
  await expect(help.getByText(TEXT.notEmergency)).toBeVisible();
  await button(page, "Close").click();
  await expect(help).toBeHidden();
  await expect(messageBox(page)).toBeEditable();

  // ---- "Leave chat" (no confirm): the partner sees "Your partner has disconnected"
  await button(page, CHAT.stimchat.leave).click();
  await expect(heading(page, CHAT.youLeftTitle)).toBeFocused();
  await expect(heading(stranger.page, CHAT.partnerGoneTitle)).toBeVisible();
  await expect(heading(stranger.page, CHAT.partnerGoneTitle)).toBeFocused();
  const main = stranger.page.getByRole("main");
  await expect(main.getByText(CHAT.partnerLeftDetail, { exact: true })).toBeVisible();
  await expect(main.getByText(CHAT.notKeptUnlessReported, { exact: true })).toBeVisible();
  await expect(stranger.page.getByRole("link", { name: "Home", exact: true })).toBeVisible();
  for (const p of [page, stranger.page]) {
    await expect(messageBox(p)).toHaveCount(0);
    await expect(p).toHaveURL(ROOM_PATH);
  }

  // ---- "New chat": searching again in one click; both do it and meet in a new room
  await button(stranger.page, CHAT.newChat).click();
  await expect(stranger.page).toHaveURL(/\/stimchat$/);
  await expect(heading(stranger.page, CHAT.stimchat.searching)).toBeVisible();
  await button(page, CHAT.newChat).click();
  await expectChatRoom(page);
  await expectChatRoom(stranger.page);
  expect(pathOf(page)).toBe(pathOf(stranger.page));
  expect(pathOf(page)).not.toBe(firstRoom);
  await expect(messageItems(page)).toHaveCount(0);
});

test("topics: 'music' meets 'music' while 'games' keeps searching", async ({ newUser }) => {
  const a = await newStimchatUser(newUser);
  const b = await newStimchatUser(newUser);
  const c = await newStimchatUser(newUser);
  const picks = [
    [a, "music"],
    [b, "games"],
    [c, "music"],
  ] as const;
  for (const [user, topic] of picks) {
    await openStimchat(user.page);
    const onlyMine = user.page.getByRole("switch", { name: CHAT.stimchat.onlyMine, exact: true });
    await expect(onlyMine).toBeDisabled();
    await pickTopics(user.page, [topic]);
    await expect(onlyMine).toBeEnabled();
    await expect(onlyMine).toHaveAttribute("aria-checked", "false");
  }
  // a wants only its topics, so a and b can never meet, however long c takes to arrive (after
  // the 15 s topic window b would accept anyone). c arrives with its own window open: it takes
  // only someone who shares a topic, i.e. a, not b.
  const onlyMineA = a.page.getByRole("switch", { name: CHAT.stimchat.onlyMine, exact: true });
  await onlyMineA.click();
  await expect(onlyMineA).toHaveAttribute("aria-checked", "true");

  await startSearching(a.page);
  await expectSearchTopics(a.page, ["music"], true);
  await startSearching(b.page);
  await expectSearchTopics(b.page, ["games"]);
  await button(c.page, CHAT.stimchat.start).click();

  await expectChatRoom(c.page);
  await expectChatRoom(a.page);
  expect(pathOf(a.page)).toBe(pathOf(c.page));
  for (const user of [a, c]) {
    await expect(user.page.getByText("You both picked: music", { exact: true })).toBeVisible();
  }

  // b was not taken along: still searching, with its own topic.
  await expect(heading(b.page, CHAT.stimchat.searching)).toBeVisible();
  await expect(b.page).toHaveURL(/\/stimchat$/);
  await expectSearchTopics(b.page, ["games"]);
});

test("'Anyone is fine': a topic search counts down to anyone, and the button pairs it at once with someone without topics", async ({
  newUser,
}) => {
  const a = await newStimchatUser(newUser);
  const b = await newStimchatUser(newUser);
  await openStimchat(a.page);
  await pickTopics(a.page, ["music"]);
  await startSearching(a.page);
  await expectSearchTopics(a.page, ["music"]);
  // STIMCHAT_TOPIC_FALLBACK_MS is 15 s (playwright.config.ts): the countdown starts near 15.
  const countdown = a.page.getByText(
    /^Looking for someone who shares a topic — anyone in \d+ s\.$/,
  );
  await expect(countdown).toBeVisible();
  const anyone = button(a.page, CHAT.stimchat.anyoneIsFine);
  await expect(anyone).toBeVisible();

  // b has no topics: b takes anyone, but a does not yet, so both keep searching.
  await openStimchat(b.page);
  await startSearching(b.page);
  await expect(b.page.getByText(/^Your topics: /)).toHaveCount(0);
  await expect(button(b.page, CHAT.stimchat.anyoneIsFine)).toHaveCount(0);
  await expect(heading(a.page, CHAT.stimchat.searching)).toBeVisible();

  await anyone.click();
  await expectChatRoom(a.page);
  await expectChatRoom(b.page);
  expect(pathOf(a.page)).toBe(pathOf(b.page));
  // No topic in common, so none is named.
  await expect(a.page.getByText(/^You both picked/)).toHaveCount(0);
});

test("'Anyone is fine' alone: the search says it now takes anyone, focus on that line", async ({
  newUser,
}) => {
  const a = await newStimchatUser(newUser);
  // The newcomer gets its pass first: minting one (proof of work) can take longer on a loaded
  // machine than a's search limit (20 s here) leaves.
  const b = await newStimchatUser(newUser);
  await openStimchat(b.page);
  await openStimchat(a.page);
  await pickTopics(a.page, ["games"]);
  await startSearching(a.page);
  const anyone = button(a.page, CHAT.stimchat.anyoneIsFine);
  await anyone.focus();
  await a.page.keyboard.press("Enter");
  const line = a.page.getByText(CHAT.stimchat.anyoneNow, { exact: true });
  await expect(line).toBeFocused();
  await expect(anyone).toHaveCount(0);
  await expectSearchTopics(a.page, ["games"]);
  // A newcomer without topics is paired with a at once.
  await button(b.page, CHAT.stimchat.start).click();
  await expectChatRoom(b.page);
  await expectChatRoom(a.page);
});

test("search timeout: 'No one is available right now — try again?', Try again searches again", async ({
  newUser,
}) => {
  const person = await newStimchatUser(newUser);
  const page = person.page;
  await openStimchat(page);
  await pickTopics(page, ["cant sleep"]);
  // "Only my topics": nobody else is here anyway; Try again must keep it.
  const onlyMine = page.getByRole("switch", { name: CHAT.stimchat.onlyMine, exact: true });
  await onlyMine.click();
  await expect(onlyMine).toHaveAttribute("aria-checked", "true");

  const started = Date.now();
  await startSearching(page);
  await expectSearchTopics(page, ["cant sleep"], true);

  const timedOut = heading(page, CHAT.stimchat.timedOut);
  await expect(timedOut).toBeVisible({ timeout: SEARCH_TIMEOUT_MS + 20_000 });
  expect(Date.now() - started).toBeGreaterThanOrEqual(SEARCH_TIMEOUT_MS);
  await expect(timedOut).toBeFocused();
  await expect(page).toHaveURL(/\/stimchat$/);
  await expect(button(page, "Change topics")).toBeVisible();
  await expect(page.getByRole("link", { name: "Home", exact: true })).toBeVisible();

  // One click: searching again, with the same topics and switch.
  await button(page, CHAT.stimchat.tryAgain).click();
  await expect(heading(page, CHAT.stimchat.searching)).toBeVisible();
  await expectSearchTopics(page, ["cant sleep"], true);
  await expect(timedOut).toHaveCount(0);
});

test("a partner whose tab closes: 'Your partner has disconnected', 'Their connection closed.'", async ({
  newUser,
}) => {
  const a = await newStimchatUser(newUser);
  const b = await newStimchatUser(newUser);
  await openStimchat(a.page);
  await openStimchat(b.page);
  await startSearching(a.page);
  await button(b.page, CHAT.stimchat.start).click();
  await expectChatRoom(b.page);
  await expectChatRoom(a.page);

  await b.close();
  await expect(heading(a.page, CHAT.partnerGoneTitle)).toBeVisible();
  await expect(heading(a.page, CHAT.partnerGoneTitle)).toBeFocused();
  await expect(
    a.page.getByRole("main").getByText("Their connection closed.", { exact: true }),
  ).toBeVisible();
  await expect(messageBox(a.page)).toHaveCount(0);
  await expect(button(a.page, CHAT.newChat)).toBeVisible();
});
