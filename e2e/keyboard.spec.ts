/**
 * Keyboard only, the help panel, and reduced motion (SPEC §9: "keyboard only works everywhere",
 * "reduced-motion respected", "I need help" always within reach).
 */
import {
  button,
  conversationLog,
  endedReason,
  expect,
  expectActiveRoom,
  heading,
  intentButton,
  messageBox,
  messageItems,
  openMenti,
  pairTalkAndListen,
  pressUntilFocused,
  sendWithEnter,
  startWaiting,
  TEXT,
  test,
} from "./fixtures";

test("the whole flow by keyboard: landing → Talk → a message → Exit → Leave", async ({
  newUser,
}) => {
  const person = await newUser();
  const other = await newUser();
  const page = person.page;

  // From here on `person` only gets key presses: Tab, Shift+Tab, Enter, Space and typing.
  await page.goto("/");
  const peerSupport = page.getByRole("link", { name: /^Peer support/ });
  await expect(peerSupport).toBeVisible();
  await pressUntilFocused(page, peerSupport);
  await page.keyboard.press("Enter");

  await expect(heading(page, TEXT.mentiTitle)).toBeVisible();
  await expect(intentButton(page, "talk")).toBeEnabled();
  await pressUntilFocused(page, intentButton(page, "talk"));
  await page.keyboard.press("Space");
  await expect(heading(page, TEXT.waitingTitle)).toBeVisible();
  await expect(heading(page, TEXT.waitingTitle)).toBeFocused();
  await expect(page.getByText("You chose: Talk", { exact: true })).toBeVisible();

  // Someone else (with a mouse) listens.
  await openMenti(other.page);
  await intentButton(other.page, "listen").click();
  await expectActiveRoom(other.page);
  await expectActiveRoom(page);

  // The conversation puts the cursor in the message box.
  await expect(messageBox(page)).toBeFocused();
  await page.keyboard.type("Hi. I typed this without a mouse.");
  await page.keyboard.press("Enter");
  await expect(messageItems(page)).toHaveText(["You: Hi. I typed this without a mouse."]);
  await expect(messageItems(other.page)).toHaveText(["Them: Hi. I typed this without a mouse."]);

  const exit = button(page, "Exit");
  await pressUntilFocused(page, exit, "Shift+Tab");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("dialog", { name: TEXT.exitQuestion, exact: true })).toBeVisible();
  await expect(button(page, "Stay")).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(button(page, "Leave conversation")).toBeFocused();
  await page.keyboard.press("Enter");

  await expect(heading(page, TEXT.endedTitle)).toBeFocused();
  await expect(endedReason(page, TEXT.reason.youLeft)).toBeVisible();
  await expect(endedReason(other.page, TEXT.reason.partnerLeft)).toBeVisible();
});

test("'I need help' opens from the room by keyboard, Esc closes it, the conversation goes on", async ({
  newUser,
}) => {
  const { talker, listener } = await pairTalkAndListen(newUser);
  const page = talker.page;
  await expect(messageBox(page)).toBeFocused();
  await page.keyboard.type("Something I am still writing");

  const help = button(page, "I need help");
  const panel = page.getByRole("dialog", { name: TEXT.helpTitle, exact: true });
  await pressUntilFocused(page, help, "Shift+Tab");
  await page.keyboard.press("Enter");
  await expect(panel).toBeVisible();
  await expect(panel.getByRole("heading", { name: TEXT.helpTitle })).toBeFocused();
  for (const text of ["Samaritans", "116 123", "988", TEXT.notEmergency]) {
    await expect(panel.getByText(text).first()).toBeVisible();
  }
  await expect(button(page, "Close")).toBeVisible();

  // While the panel is open the partner's words still arrive.
  await sendWithEnter(listener.page, "Take your time, I'm here.");

  await page.keyboard.press("Escape");
  await expect(panel).toBeHidden();
  await expect(help).toBeFocused();

  // Opened again, "Close" (reached with Tab) closes it too, and focus comes back again.
  await page.keyboard.press("Enter");
  await expect(panel).toBeVisible();
  await pressUntilFocused(page, button(page, "Close"));
  await page.keyboard.press("Enter");
  await expect(panel).toBeHidden();
  await expect(help).toBeFocused();

  // The conversation is untouched: the message arrived, the draft is still there and sends.
  await expect(conversationLog(page)).toBeVisible();
  await expect(messageItems(page)).toHaveText(["Them: Take your time, I'm here."]);
  await expect(messageBox(page)).toHaveValue("Something I am still writing");
  await pressUntilFocused(page, messageBox(page));
  await page.keyboard.press("Enter");
  await expect(messageItems(listener.page)).toHaveText([
    "You: Take your time, I'm here.",
    "Them: Something I am still writing",
  ]);
  await expect(heading(listener.page, "Conversation")).toBeVisible();
});

test("reduced motion: the waiting screen's breathing circle stands still", async ({ newUser }) => {
  // Two talkers are never paired, so both stay on the waiting screen.
  const calm = await newUser({ reducedMotion: "reduce" });
  const moving = await newUser({ reducedMotion: "no-preference" });
  await startWaiting(calm.page, "talk");
  await startWaiting(moving.page, "talk");

  const circle = (u: typeof calm) => u.page.locator(".waiting .breath");
  await expect(circle(calm)).toHaveCount(1);
  await expect(circle(calm)).toHaveCSS("animation-name", "none");
  // The same element does animate without the preference: the check above can fail.
  await expect(circle(moving)).toHaveCount(1);
  await expect(circle(moving)).toHaveCSS("animation-name", "breathe");
});
