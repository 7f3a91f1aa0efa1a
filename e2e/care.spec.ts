/**
 * menti's care (issue 16): words that suggest crisis or self-harm, typed or read, bring a calm
 * line with one tap to the help panel, in the browser only: the message is sent as written, and
 * the page sends the server nothing it would not send anyway. "I'm worried about their safety"
 * shows the other person the help panel with a kind line, and the conversation goes on; a menti
 * report's ended screen says what was sent.
 */
import {
  button,
  expect,
  expectActiveRoom,
  heading,
  intentButton,
  messageBox,
  messageItems,
  type NewUserFn,
  openMenti,
  sendWithEnter,
  startWaiting,
  TEXT,
  test,
} from "./fixtures";
import { expectNoAxeViolations } from "./support/axe";

const WRITER_LINE = /^If you're thinking about suicide or self-harm, you can talk to someone now\./;
const READER_LINE = /^If the person you're talking with is thinking about suicide or self-harm/;

test("typing or reading crisis words offers help, changes nothing, and tells the server nothing", async ({
  newUser,
}) => {
  const talker = await newUser();
  const page = talker.page;
  // Every Socket.IO event the talker's page sends, by name (listening before its socket opens).
  const events: string[] = [];
  page.on("websocket", (ws) => {
    ws.on("framesent", ({ payload }) => {
      const match = /^42(?:\d+)?\["([^"]+)"/.exec(String(payload));
      if (match?.[1]) events.push(match[1]);
    });
  });
  await startWaiting(page, "talk");
  const listener = await newUser();
  const other = listener.page;
  await openMenti(other);
  await intentButton(other, "listen").click();
  await expectActiveRoom(other);
  await expectActiveRoom(page);
  const before = events.length;

  // An ordinary conversation: nothing is shown.
  await sendWithEnter(page, "exams are killing me this week");
  await expect(page.getByText(WRITER_LINE)).toHaveCount(0);
  await expect(other.getByText(READER_LINE)).toHaveCount(0);

  // Typing the words (not yet sent) already offers help to the writer.
  const words = "honestly I don't want to live anymore";
  await messageBox(page).fill(words);
  await expect(page.getByText(WRITER_LINE)).toBeVisible();
  await messageBox(page).press("Enter");
  // Sent exactly as written; the reader is offered help to share.
  await expect(messageItems(other).last()).toHaveText(`Them: ${words}`);
  await expect(other.getByText(READER_LINE)).toBeVisible();

  // One tap to the help panel (the writer's button is "I need help").
  await page
    .locator(".care-signpost")
    .getByRole("button", { name: "I need help", exact: true })
    .click();
  const help = page.getByRole("dialog", { name: TEXT.helpTitle, exact: true });
  await expect(help).toBeVisible();
  await button(page, "Close").click();
  await expect(help).toHaveCount(0);

  // "Not now" puts it away for this conversation; the conversation goes on.
  await other
    .locator(".care-signpost")
    .getByRole("button", { name: "Not now", exact: true })
    .click();
  await expect(other.getByText(READER_LINE)).toHaveCount(0);
  await sendWithEnter(other, "I'm really glad you told me. I'm here.");

  // In the room, the talker's page sent only its messages: nothing about the signpost.
  expect(events.slice(before)).toEqual(["send", "send"]);
});

/** A talker and a listener in one menti room, both ACTIVE. */
async function talkerAndListener(newUser: NewUserFn) {
  const talker = await newUser();
  const listener = await newUser();
  await startWaiting(talker.page, "talk");
  await openMenti(listener.page);
  await intentButton(listener.page, "listen").click();
  await expectActiveRoom(listener.page);
  await expectActiveRoom(talker.page);
  return { talker, listener };
}

const WORRIED = {
  choice: "I'm worried about their safety",
  what: /^They'll see where to get help right now, with a kind line\. Your conversation goes on/,
  send: "Show them help",
  kindLine:
    "The person you're talking with thought these might help. You can keep talking — close this whenever you like.",
  sent: "We've shown them where to get help right now. Your conversation goes on.",
} as const;

test("'I'm worried about their safety': the other person sees help with a kind line, once; the talk goes on; a menti report says only the reason was sent", async ({
  newUser,
}) => {
  const { talker, listener } = await talkerAndListener(newUser);
  await sendWithEnter(talker.page, "I don't know how much longer I can do this");

  // The listener chooses "worried" in the report dialog: it says what it will do, not "report".
  const openWorried = async () => {
    await button(listener.page, "Report").click();
    const dialog = listener.page.getByRole("dialog", { name: "Report this conversation" });
    await dialog.getByRole("radio", { name: WORRIED.choice, exact: true }).check();
    await expect(dialog.getByText(WORRIED.what)).toBeVisible();
    await dialog.getByRole("button", { name: WORRIED.send, exact: true }).click();
    await expect(dialog).toHaveCount(0);
  };
  await openWorried();
  await expect(listener.page.getByText(WORRIED.sent, { exact: true })).toBeVisible();

  // The talker's screen: the help panel, opened for them, saying why first.
  const help = talker.page.getByRole("dialog", { name: TEXT.helpTitle, exact: true });
  await expect(help).toBeVisible();
  await expect(help.getByText(WORRIED.kindLine, { exact: true })).toBeVisible();
  await expect(help).toHaveAccessibleDescription(new RegExp(`^${WORRIED.kindLine.slice(0, 40)}`));
  await expectNoAxeViolations(talker.page, "menti-care-panel");
  await button(talker.page, "Close").click();
  await expect(help).toHaveCount(0);

  // The conversation goes on, both ways.
  await sendWithEnter(talker.page, "thank you. I'll look at them");
  await expect(messageItems(listener.page).last()).toHaveText("Them: thank you. I'll look at them");
  await expectActiveRoom(talker.page);

  // Once per conversation: a second offer (then a message, which reaches the talker after it)
  // does not open the panel again.
  await openWorried();
  await sendWithEnter(listener.page, "I'm still here");
  await expect(messageItems(talker.page).last()).toHaveText("Them: I'm still here");
  await expect(help).toHaveCount(0);

  // A real report in menti: the reporter is told what was sent — the reason only.
  await button(talker.page, "Report").click();
  const dialog = talker.page.getByRole("dialog", { name: "Report this conversation" });
  await dialog.getByRole("radio", { name: "Harassment or bullying", exact: true }).check();
  await expect(
    dialog.getByText(/^Nothing from this conversation is kept; only the reason is sent\./),
  ).toBeVisible();
  await dialog.getByRole("button", { name: "Send report", exact: true }).click();
  await expect(heading(talker.page, "Thank you — your report was sent")).toBeVisible();
  await expect(
    talker.page.getByText(
      "Only the reason went to the moderators. Nothing either of you wrote was kept.",
      { exact: true },
    ),
  ).toBeVisible();
  await expect(
    listener.page.getByText("The other person left. This conversation is over.", { exact: true }),
  ).toBeVisible();
});

test("the reader's signpost shows the writer where to get help in one tap", async ({ newUser }) => {
  const { talker, listener } = await talkerAndListener(newUser);
  await sendWithEnter(talker.page, "sometimes I think about ending it all");
  await expect(listener.page.getByText(READER_LINE)).toBeVisible();
  await listener.page
    .locator(".care-signpost")
    .getByRole("button", { name: WORRIED.send, exact: true })
    .click();
  await expect(listener.page.getByText(WORRIED.sent, { exact: true })).toBeVisible();
  const help = talker.page.getByRole("dialog", { name: TEXT.helpTitle, exact: true });
  await expect(help.getByText(WORRIED.kindLine, { exact: true })).toBeVisible();
  await expectActiveRoom(listener.page);
});
