/**
 * Help one step away by keyboard (issue 16): the first tab stop of every page opens the help
 * panel; Alt+Shift+H opens it from any screen, inside a room's message box and over a modal
 * dialog; the stimchat rules dialog has its own "I need help". And each part of Duet has its own
 * footer line (peer support's disclaimer only in menti).
 */
import {
  button,
  CHAT,
  expect,
  expectActiveRoom,
  messageBox,
  pairTalkAndListen,
  TEXT,
  test,
} from "./fixtures";

const HELP_SHORTCUT = "Alt+Shift+KeyH";

test("the first Tab on a page is 'I need help'; Enter opens the panel, Esc gives focus back", async ({
  newUser,
}) => {
  const { page } = await newUser();
  for (const path of ["/", "/menti", "/dormparty"]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await page.keyboard.press("Tab");
    const skip = page.getByRole("button", { name: /^I need help \(Alt \+ Shift \+ H\)$/ });
    await expect(skip).toBeFocused();
    await expect(skip).toBeInViewport();
    await page.keyboard.press("Enter");
    const help = page.getByRole("dialog", { name: TEXT.helpTitle, exact: true });
    await expect(help).toBeVisible();
    await expect(
      help.getByText("Open this panel from any screen with Alt + Shift + H."),
    ).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(help).toHaveCount(0);
    await expect(skip).toBeFocused();
  }
});

test("Alt+Shift+H opens help from a room's message box, and the draft is untouched", async ({
  newUser,
}) => {
  const { talker } = await pairTalkAndListen(newUser);
  const page = talker.page;
  await messageBox(page).fill("half a thought");
  await messageBox(page).focus();
  await page.keyboard.press(HELP_SHORTCUT);
  const help = page.getByRole("dialog", { name: TEXT.helpTitle, exact: true });
  await expect(help).toBeVisible();
  await button(page, "Close").click();
  await expect(help).toHaveCount(0);
  await expect(messageBox(page)).toBeFocused();
  await expect(messageBox(page)).toHaveValue("half a thought");
  await expectActiveRoom(page);
});

test("over the stimchat rules dialog: Alt+Shift+H and the dialog's own 'I need help' both open help", async ({
  newUser,
}) => {
  const { page } = await newUser(); // a first visit: the rules dialog opens
  await page.goto("/stimchat");
  const rules = page.getByRole("dialog", { name: CHAT.stimchat.consentTitle, exact: true });
  await expect(rules).toBeVisible();
  const help = page.getByRole("dialog", { name: TEXT.helpTitle, exact: true });

  await page.keyboard.press(HELP_SHORTCUT);
  await expect(help).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(help).toHaveCount(0);
  // Esc closed the help panel only: the rules are still there to answer.
  await expect(rules).toBeVisible();

  await rules.getByRole("button", { name: "I need help", exact: true }).click();
  await expect(help).toBeVisible();
  await help.getByRole("button", { name: "Close", exact: true }).click();
  await expect(help).toHaveCount(0);
  await expect(rules).toBeVisible();
  await expect(rules.getByRole("button", { name: "I need help", exact: true })).toBeFocused();
});

test("each part of Duet has its own footer line; peer support's disclaimer only in menti", async ({
  newUser,
}) => {
  const { page } = await newUser();
  const footer = page.getByRole("contentinfo");
  const lines: Record<string, RegExp> = {
    "/": /^Duet is not an emergency service\./,
    "/menti": new RegExp(`^${TEXT.disclaimer.replace(/\./g, "\\.")}$`),
    "/stimchat": /^Late-night chat is a chat between adults/,
    "/dormparty": /^Video chat between strangers\./,
    "/admin": /^Moderation\./,
  };
  for (const [path, line] of Object.entries(lines)) {
    await page.goto(path);
    await expect(footer).toHaveText(line);
    if (path !== "/menti") await expect(page.getByText(TEXT.disclaimer)).toHaveCount(0);
  }
});
